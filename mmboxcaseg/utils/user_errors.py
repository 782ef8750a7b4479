"""Errors in what a user gave a tool, and the one-line exit they end in.

A tool's ``main`` decorated with :func:`exit_on_user_error` ends with
``error: <message>`` on one line (exit status 1) instead of a traceback
when a file or setting the user gave is unusable. Errors of the code itself
still show their traceback.
"""
import contextlib
import functools
import os
import os.path as osp


class UserError(Exception):
    """A file or setting a user gave that cannot be used (the message names
    it and says why); subclasses name the kind, e.g.
    :class:`~mmboxcaseg.structures.CocoFormatError`."""


def one_line(error: BaseException) -> str:
    """The message of ``error`` on one line."""
    text = error.args[0] if isinstance(error, KeyError) and error.args \
        else error
    return '; '.join(ln.strip() for ln in str(text).splitlines()
                     if ln.strip())


def exit_on_user_error(main):
    """Decorate a tool's ``main``: a user error raised inside it becomes
    ``SystemExit('error: <message>')``. ``finally`` blocks inside ``main``
    run first, as with any exception."""

    @functools.wraps(main)
    def wrapper(*args, **kwargs):
        try:
            return main(*args, **kwargs)
        except UserError as e:
            raise SystemExit(f'error: {one_line(e)}') from None

    return wrapper


@contextlib.contextmanager
def config_errors(config: str):
    """Turn errors of building objects from ``config`` into a
    :class:`UserError` that names the file.

    MMEngine's registries re-raise what a constructor raises as the same
    type, with the class named (``class `BoxCaseg` in ...: __init__() got an
    unexpected keyword argument 'x'``). Raised while building from a config
    a user wrote or changed (``--cfg-options``), such errors are errors of
    the config.
    """
    try:
        yield
    except (TypeError, ValueError, KeyError, AssertionError) as e:
        raise UserError(f'config {config}: {type(e).__name__}: '
                        f'{one_line(e)}') from None


def _file_in_the_way(folder: str):
    """``folder``, or the nearest existing folder above it, if that is not
    a folder (so ``folder`` cannot be one); else None."""
    found = osp.abspath(folder)
    while not osp.lexists(found) and osp.dirname(found) != found:
        found = osp.dirname(found)
    return None if osp.isdir(found) else found


def check_dir(path: str, what: str) -> None:
    """Check that the folder ``path`` exists or can be created: neither it
    nor a folder above it is a file.

    Raises:
        UserError: naming ``what`` (e.g. ``'--out-dir'``) and the file.
    """
    found = _file_in_the_way(path)
    if found == osp.abspath(path):
        raise UserError(f'{what} {path} is a file, not a folder')
    if found is not None:
        raise UserError(f'{what} {path}: {found} is a file, not a folder')


def make_dir(path: str, what: str) -> str:
    """Create the folder ``path`` (and those above it) for a tool's output.

    Returns:
        str: ``path``.

    Raises:
        UserError: ``path`` cannot be a folder (see :func:`check_dir`) or
            cannot be created (the message names ``what`` and why).
    """
    check_dir(path, what)
    try:
        os.makedirs(path, exist_ok=True)
    except OSError as e:
        raise UserError(f'cannot create {what} {path}: {e.strerror}') \
            from None
    return path


def check_out_file(path: str, what: str) -> None:
    """Check that the file ``path`` can be written: it is no folder, and
    its folder exists or can be created.

    Raises:
        UserError: naming ``what`` (e.g. ``'--out'``) and the problem.
    """
    if osp.isdir(path):
        raise UserError(f'{what} {path} is a folder; give a file name')
    found = _file_in_the_way(osp.dirname(osp.abspath(path)))
    if found is not None:
        raise UserError(f'{what} {path}: {found} is a file, not a folder')
