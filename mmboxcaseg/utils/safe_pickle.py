"""Read the ``.pkl`` results that tools exchange without running code.

``pickle.load`` calls whatever a file names, so a crafted ``.pkl`` runs code
when loaded. The results of ``tools/test.py --out`` (``BoxMaskMetric``'s
``out_file``) hold only builtin containers, numbers, strings and numpy
scalars or arrays; :func:`load_results` allows exactly the callables these
need and refuses a file that names any other.
"""
import pickle

import numpy as np

from .user_errors import UserError

_NUMPY = ('numpy.core.multiarray', 'numpy._core.multiarray')
ALLOWED_GLOBALS = frozenset(
    [('numpy', 'ndarray'), ('numpy', 'dtype'),
     ('_codecs', 'encode'),  # bytes under pickle protocol 2
     ('builtins', 'set'), ('builtins', 'frozenset'),
     ('__builtin__', 'set'), ('__builtin__', 'frozenset')] +
    [(m, n) for m in _NUMPY for n in ('_reconstruct', 'scalar')] +
    [('numpy.dtypes', n) for n in dir(getattr(np, 'dtypes', None))
     if n.endswith('DType')])


class PickleRefused(UserError):
    """A ``.pkl`` that names a callable outside :data:`ALLOWED_GLOBALS`, or
    that is not a pickle at all."""


class _NotAllowed(pickle.UnpicklingError):
    """A global outside the allow-list (the message is its name)."""


class _AllowListUnpickler(pickle.Unpickler):

    def find_class(self, module: str, name: str):
        if (module, name) not in ALLOWED_GLOBALS:
            raise _NotAllowed(f'{module}.{name}')
        return super().find_class(module, name)


def load_results(path: str):
    """Load a results ``.pkl`` (e.g. of ``tools/test.py --out``).

    Raises:
        UserError: the file cannot be opened.
        PickleRefused: the file names a callable results never hold (it
            would run code from the file) or is not a readable pickle.
    """
    try:
        f = open(path, 'rb')
    except OSError as e:
        raise UserError(f'cannot read {path}: {e.strerror}') from None
    with f:
        try:
            return _AllowListUnpickler(f).load()
        except _NotAllowed as e:
            raise PickleRefused(
                f'{path} is refused: it asks to call {e}, which results '
                'files never hold; loading it could run code from the '
                'file') from None
        except (pickle.UnpicklingError, EOFError, ValueError, TypeError,
                AttributeError, IndexError) as e:
            raise PickleRefused(f'{path} is not a readable results file '
                                f'({type(e).__name__}: {e})') from None
