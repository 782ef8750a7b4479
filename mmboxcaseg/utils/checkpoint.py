"""Resume MMEngine checkpoints under torch >= 2.6 without
``weights_only=False``.

torch 2.6 made ``torch.load(..., weights_only=True)`` the default. MMEngine
0.10.x calls ``torch.load`` without the argument, so a resume checkpoint
(whose ``message_hub`` holds :class:`mmengine.logging.HistoryBuffer` objects
and numpy arrays/scalars) is refused. Turning the check off would let a
checkpoint from a stranger run arbitrary code; instead we allow-list exactly
the types that MMEngine itself writes. Anything else is still refused by torch.
"""
import os
import pickle
from typing import List

import numpy as np
import torch

from .user_errors import UserError


def _history_buffer_getattr(obj, name):
    """The only ``getattr`` a checkpoint may call: HistoryBuffer's methods.

    ``HistoryBuffer`` pickles its statistics methods (``min``, ``max``,
    ``mean``, ``current``) as ``getattr(HistoryBuffer, 'min')``. Allowing the
    builtin ``getattr`` itself would open a path to arbitrary code, so the
    ``GLOBAL getattr`` of a checkpoint is bound to this function instead.
    """
    from mmengine.logging import HistoryBuffer
    if obj is HistoryBuffer and isinstance(name, str) \
            and not name.startswith('_') \
            and callable(HistoryBuffer.__dict__.get(name)):
        return getattr(HistoryBuffer, name)
    raise pickle.UnpicklingError(
        f'refusing getattr({obj!r}, {name!r}) while loading a checkpoint: '
        'only HistoryBuffer statistics methods are allowed')


def mmengine_checkpoint_types() -> List[object]:
    """The non-tensor types found in checkpoints that MMEngine writes."""
    from mmengine.logging import HistoryBuffer

    types = [HistoryBuffer, np.ndarray, np.dtype]
    # numpy's pickling helpers (module moved from numpy.core to numpy._core)
    try:
        from numpy._core.multiarray import _reconstruct, scalar
    except ImportError:  # numpy < 2
        from numpy.core.multiarray import _reconstruct, scalar
    types += [_reconstruct, scalar]
    # pickle protocol 2 writes the builtin as `__builtin__`, later ones as
    # `builtins`: both names are bound to the restricted version
    types += [(_history_buffer_getattr, '__builtin__.getattr'),
              (_history_buffer_getattr, 'builtins.getattr')]
    # dtype classes of numpy >= 1.25 (numpy.dtypes.Float64DType, ...)
    dtypes = getattr(np, 'dtypes', None)
    if dtypes is not None:
        types += [
            getattr(dtypes, name) for name in dir(dtypes)
            if name.endswith('DType')
        ]
    return types


def register_safe_globals() -> None:
    """Allow-list MMEngine's checkpoint types for ``weights_only`` loading.

    A no-op on torch < 2.4, which has no ``add_safe_globals``.
    """
    add = getattr(torch.serialization, 'add_safe_globals', None)
    if add is not None:
        add(mmengine_checkpoint_types())


class CheckpointRefused(UserError):
    """A checkpoint holding types that loading with ``weights_only`` does
    not allow (the message says what and how to load a trusted file)."""


def explain_refusal(path: str, error: BaseException) -> str:
    """A message for a checkpoint torch's ``weights_only`` loader refused.

    torch's own message suggests ``weights_only=False``, which lets the
    file run arbitrary code; say instead which type was refused and how a
    user who trusts the file can load it.
    """
    detail = str(error)
    found = [
        line.strip() for line in detail.splitlines()
        if 'Unsupported global' in line or 'GLOBAL' in line
    ]
    what = found[0] if found else detail.splitlines()[0][:200]
    return (f'checkpoint {path} holds Python objects that are not allowed '
            f'when loading weights safely ({what}); loading it could run '
            'code from the file. If you trust the file (e.g. you wrote it '
            'yourself with another version), load it with '
            'TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD=1 set in the environment.')


def is_refusal(error: BaseException) -> bool:
    """Whether ``error`` is torch refusing a ``weights_only`` load."""
    return isinstance(error, pickle.UnpicklingError) and \
        'weights_only' in str(error).lower().replace(' ', '_')


def load_strictly(load, checkpoint: str) -> None:
    """Run ``load()`` (a strict weight load of ``checkpoint``) and turn
    torch's refusals and key mismatches into :class:`CheckpointRefused`
    with a message that names the file and the first mismatching keys."""
    try:
        load()
    except Exception as e:  # noqa: B902  (torch raises several types)
        if is_refusal(e):
            raise CheckpointRefused(explain_refusal(checkpoint, e)) from None
        # torch writes "state_dict", MMEngine "state dict" (and only that
        # when the keys match but shapes do not: "size mismatch for ...")
        if isinstance(e, RuntimeError) and \
                ('state_dict' in str(e) or 'state dict' in str(e)):
            lines = [ln.strip() for ln in str(e).splitlines()[1:]
                     if ln.strip()]
            detail = '; '.join(lines)[:400] or str(e).splitlines()[0]
            raise CheckpointRefused(
                f'checkpoint {checkpoint} does not fit the model of the '
                f'config: {detail}') from None
        raise


def load_checkpoint_file(path: str):
    """``torch.load`` a checkpoint onto the CPU, loading weights safely
    (tensors and MMEngine's types only, see :func:`register_safe_globals`).

    ``weights_only`` is passed whatever torch's default, unless the user
    set ``TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD`` (the way to load a trusted
    file that :func:`explain_refusal` names, which torch honours only when
    the argument is not passed).

    Raises:
        CheckpointRefused: the file holds other types, or is no checkpoint
            torch can read (the message names the file).
    """
    register_safe_globals()
    trusted = os.environ.get('TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD', '0').lower()
    kwargs = {} if trusted in ('1', 'y', 'yes', 'true') else dict(
        weights_only=True)
    try:
        return torch.load(path, map_location='cpu', **kwargs)
    except Exception as e:  # noqa: B902  (torch raises several types)
        if is_refusal(e):
            raise CheckpointRefused(explain_refusal(path, e)) from None
        if isinstance(e, (RuntimeError, EOFError, pickle.UnpicklingError)):
            raise CheckpointRefused(
                f'{path} is not a checkpoint torch can read '
                f'({type(e).__name__}: {str(e).splitlines()[0][:200]})'
            ) from None
        raise
