"""The Mask R-CNN config written next to a proxy json (stage 3 on one's own
data): it inherits one of our Proxy Mask R-CNN configs and fills in what
depends on the data, so that ``python tools/train.py <it>`` trains on the
boxes + proxy masks as it is.

Filled in: the proxy json and image folder of the training set, the class
names (the input json's categories, in their order) and both
``num_classes``; the validation set, loaders and ``CocoMetric`` (bbox +
segm) when a json with real masks is given, else no validation at all.
Paths are absolute, so the config works from any folder.
"""
import os
import os.path as osp
from typing import Optional, Sequence

from mmboxcaseg.utils.shipped_configs import config_path

# marks a file this module wrote: only such a file is ever rewritten
MARKER = '# Written by tools/generate_proxy_masks.py'
# our config the written one inherits (relative to configs/): the CPU
# recipe, ImageNet EfficientNet-Lite0 + a 64-wide FPN
DEFAULT_BASE = (
    'proxy_mask_rcnn/proxy-mask-rcnn_effnet-lite0_fpn_cpu_coco128.py')


class MaskRCNNConfigError(ValueError):
    """The config cannot be written (the message names the file)."""


def config_path_for(out_json: str) -> str:
    """``work/x_proxy.json`` -> ``work/x_proxy_mask-rcnn.py``."""
    stem = out_json[:-5] if out_json.endswith('.json') else out_json
    return stem + '_mask-rcnn.py'


def shipped_config(rel: str) -> str:
    """:func:`mmboxcaseg.config_path`, links resolved (the file itself),
    with this module's error."""
    try:
        return osp.realpath(config_path(rel))
    except FileNotFoundError as e:
        raise MaskRCNNConfigError(str(e)) from None


def class_names(categories: Sequence[dict]) -> list:
    """The class names of a COCO ``categories`` list, in its order (a
    category without a name is named by its id)."""
    return [str(c.get('name', c.get('id'))) for c in categories]


def _dir(path: str) -> str:
    return osp.join(osp.abspath(path), '')


def render(proxy_json: str,
           img_root: str,
           classes: Sequence[str],
           base: str = DEFAULT_BASE,
           val_ann_file: Optional[str] = None,
           val_img_root: Optional[str] = None) -> str:
    """The config's text (see the module docstring)."""
    names = tuple(str(c) for c in classes)
    if not names:
        raise MaskRCNNConfigError(f'{proxy_json}: no categories')
    lines = [
        f'{MARKER} for {osp.basename(proxy_json)}:',
        '# Mask R-CNN on its boxes + proxy masks. Train it with',
        f'#   python tools/train.py {config_path_for(proxy_json)}',
        '# (rewritten by the next conversion unless this header is edited)',
        f'_base_ = [{shipped_config(base)!r}]',
        '',
        f'classes = {names!r}',
        f'proxy_ann_file = {osp.abspath(proxy_json)!r}',
        f'img_root = {_dir(img_root)!r}',
        '',
        'model = dict(',
        '    roi_head=dict(',
        '        bbox_head=dict(num_classes=len(classes)),',
        '        mask_head=dict(num_classes=len(classes))))',
        'train_dataloader = dict(',
        '    dataset=dict(',
        "        data_root='',",
        '        ann_file=proxy_ann_file,',
        '        data_prefix=dict(img=img_root),',
        '        metainfo=dict(classes=classes)))',
    ]
    if val_ann_file is None:
        lines += [
            '# no json with real masks was given: no validation',
            'val_dataloader = None', 'val_cfg = None',
            'val_evaluator = None', 'test_dataloader = None',
            'test_cfg = None', 'test_evaluator = None'
        ]
    else:
        val_root = val_img_root if val_img_root is not None else img_root
        lines += [
            f'val_ann_file = {osp.abspath(val_ann_file)!r}  # real masks',
            'val_dataloader = dict(',
            '    dataset=dict(',
            "        data_root='',",
            '        ann_file=val_ann_file,',
            f'        data_prefix=dict(img={_dir(val_root)!r}),',
            '        metainfo=dict(classes=classes)))',
            'test_dataloader = val_dataloader',
            'val_evaluator = dict(',
            "    type='CocoMetric', ann_file=val_ann_file,",
            "    metric=['bbox', 'segm'])",
            'test_evaluator = val_evaluator',
        ]
    return '\n'.join(lines) + '\n'


def write_mask_rcnn_config(proxy_json: str, img_root: str,
                           classes: Sequence[str], **kwargs) -> str:
    """Write :func:`render`'s text to :func:`config_path_for`
    ``(proxy_json)`` (umask permissions) and return the path.

    Raises:
        MaskRCNNConfigError: duplicate class names, or a file of that name
            exists that this module did not write (it is never touched).
    """
    dupes = sorted({c for c in classes if list(classes).count(c) > 1})
    if dupes:
        raise MaskRCNNConfigError(
            f'{proxy_json}: category names used twice: {dupes} (mmdet maps '
            'classes by name)')
    path = config_path_for(proxy_json)
    if osp.exists(path):
        with open(path) as f:
            if not f.readline().startswith(MARKER):
                raise MaskRCNNConfigError(
                    f'{path} exists and was not written by this tool: left '
                    'as it is (move it to get a fresh config)')
    text = render(proxy_json, img_root, classes, **kwargs)
    tmp = path + '.tmp'
    with open(tmp, 'w') as f:
        f.write(text)
    os.replace(tmp, path)
    return path
