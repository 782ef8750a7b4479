"""Load proxy masks with a per-instance "ignore in the mask loss" flag.

BoxCaseg (arXiv 2104.01526, Sec. 3.4) drops proxy masks that disagree with
their box ("proxy box agreement"): such an instance keeps training the RPN
and the box head, but its mask is *ignored in the mask loss only*. The
flag has to stay aligned with ``gt_bboxes`` / ``gt_masks`` through every
transform that reorders or drops instances (``RandomCrop``,
``FilterAnnotations``, ``MinIoURandomCrop``, ``Mosaic``, ``CopyPaste``,
...). mmdet's transforms carry exactly one
per-instance side array with the boxes, ``gt_ignore_flags``, and filter it
wherever they filter boxes. A separate key (say ``gt_masks_ignored``) would go
stale silently after the first instance-dropping transform, so the flag rides
in ``gt_ignore_flags`` itself, as a small integer code:

====================  ====================================================
``gt_ignore_flags``   meaning
====================  ====================================================
0 (``KEEP``)          a normal instance: box, class and mask are trained
1 (``IGNORE``)        mmdet's ignored instance (crowd): not trained at all
2 (``MASK_IGNORED``)  box and class are trained, the mask is not
====================  ====================================================

:class:`LoadProxyAnnotations` writes the codes, :class:`PackProxyDetInputs`
turns them back into mmdet's boolean ignore flags plus
``gt_instances.mask_ignored`` (bool Tensor ``[N]``, aligned with
``gt_instances.bboxes`` / ``masks``), which
:class:`~mmboxcaseg.models.roi_heads.IgnoreAwareFCNMaskHead` reads.

Always pair the two: mmdet's stock ``PackDetInputs`` only knows codes 0 and 1
and would drop code-2 instances altogether.
"""
import logging
from typing import Optional

import numpy as np
import torch
from mmdet.datasets.transforms import LoadAnnotations, PackDetInputs
from mmengine.logging import print_log

from mmboxcaseg.registry import TRANSFORMS

KEEP = 0
IGNORE = 1
MASK_IGNORED = 2
_CODES = (KEEP, IGNORE, MASK_IGNORED)


def mask_ignored_flags(results: dict) -> Optional[np.ndarray]:
    """Read the "mask ignored" flags of a results dict at any pipeline step.

    Args:
        results (dict): a pipeline results dict after
            :class:`LoadProxyAnnotations`.

    Returns:
        np.ndarray | None: (N,) bool, aligned with ``results['gt_bboxes']``;
        None when the dict carries no ``gt_ignore_flags``.
    """
    codes = results.get('gt_ignore_flags', None)
    if codes is None:
        return None
    return np.asarray(codes) == MASK_IGNORED


@TRANSFORMS.register_module()
class LoadProxyAnnotations(LoadAnnotations):
    """mmdet's ``LoadAnnotations`` that also encodes ``mask_ignored``.

    Reads ``instances[i]['mask_ignored']`` (bool, missing = False, written by
    :class:`~mmboxcaseg.datasets.ProxyCocoDataset`) and stores it in
    ``gt_ignore_flags`` as code ``MASK_IGNORED`` (see the module docstring).
    Crowd instances keep code ``IGNORE``.

    A proxy mask that mmdet cannot decode (an invalid polygon or RLE) would
    make stock mmdet ignore the whole instance; here only its mask is ignored,
    since the box is a real annotation. Such masks are counted in a warning.

    Added / modified keys: those of ``LoadAnnotations``; with ``with_bbox`` and
    ``with_mask``, ``gt_ignore_flags`` becomes uint8 ``(N,)`` with values in
    ``{0, 1, 2}``. Pair with :class:`PackProxyDetInputs`.
    """

    def transform(self, results: dict) -> dict:
        instances = results.get('instances', [])
        # mmdet's mask loading rewrites ``ignore_flag`` of invalid masks in
        # place: remember which instances were ignored before it ran.
        crowd = np.array(
            [bool(inst.get('ignore_flag', 0)) for inst in instances],
            dtype=bool)
        results = super().transform(results)
        if not (self.with_bbox and self.with_mask):
            return results

        mask_ignored = np.array(
            [bool(inst.get('mask_ignored', False)) for inst in instances],
            dtype=bool)
        invalid = np.asarray(results['gt_ignore_flags'], dtype=bool) & ~crowd
        if invalid.any():
            print_log(
                f'{results.get("img_path")}: {int(invalid.sum())} proxy '
                'mask(s) could not be decoded; their boxes still train, '
                'their masks are ignored',
                logger='current',
                level=logging.WARNING)
        codes = np.full(len(instances), KEEP, dtype=np.uint8)
        codes[mask_ignored | invalid] = MASK_IGNORED
        codes[crowd] = IGNORE
        results['gt_ignore_flags'] = codes
        return results


@TRANSFORMS.register_module()
class PackProxyDetInputs(PackDetInputs):
    """mmdet's ``PackDetInputs`` that decodes the ``MASK_IGNORED`` code.

    Instances with code 0 or 2 become ``gt_instances`` (code 2 ones with
    ``mask_ignored=True``), code-1 instances become ``ignored_instances`` as in
    mmdet. Plain boolean ``gt_ignore_flags`` (stock ``LoadAnnotations``) are
    accepted too and give ``mask_ignored`` all False.

    Added to the packed ``data_samples``: ``gt_instances.mask_ignored``
    (bool Tensor ``[N]``), whenever ``gt_bboxes`` is present.
    """

    def transform(self, results: dict) -> dict:
        if 'gt_bboxes' not in results:
            return super().transform(results)
        num = len(results['gt_bboxes'])
        codes = results.get('gt_ignore_flags', None)
        codes = np.zeros(num, dtype=np.uint8) if codes is None else \
            np.asarray(codes).astype(np.int64)
        bad = ~np.isin(codes, _CODES)
        if bad.any() or codes.shape != (num, ):
            raise ValueError(
                f'{results.get("img_path")}: gt_ignore_flags must hold one '
                f'code in {_CODES} per box ({num} boxes), got {codes}')
        results = dict(results)  # do not rewrite the caller's dict
        results['gt_ignore_flags'] = codes == IGNORE
        packed = super().transform(results)
        mask_ignored = codes[codes != IGNORE] == MASK_IGNORED
        packed['data_samples'].gt_instances.mask_ignored = \
            torch.from_numpy(mask_ignored)
        return packed
