"""Salient object images with binary masks (DUTS-TR, DUTS-Single, davis345).

Layout: an image folder and a mask folder under ``data_root``, image and mask
paired by file stem::

    DUTS-TR/DUTS-TR-Image/ILSVRC2012_test_00000004.jpg
    DUTS-TR/DUTS-TR-Mask/ILSVRC2012_test_00000004.png

An optional ``ann_file`` (one name per line, with or without suffix, e.g. the
DUTS-Single list) selects and orders the images; without it every image in
``img_dir`` is used, sorted by name.

A missing mask is an error, not a skip: it means a wrong ``mask_dir`` or
``mask_suffix`` far more often than a damaged data set, and training on the
remaining images would silently change the salient set. The error names the
folder, the count and the first missing files.
"""
import logging
import os.path as osp
from typing import List

from mmengine.dataset import BaseDataset
from mmengine.fileio import get_text, isdir, join_path, list_dir_or_file
from mmengine.logging import print_log

from mmboxcaseg.registry import DATASETS
from mmboxcaseg.utils.problem_log import SHOW, ProblemLog
from .image_files import check_images, image_sizes


@DATASETS.register_module()
class SalientDataset(BaseDataset):
    """Salient images: one sample per image, ``source='salient'``.

    A sample is ``dict(img_path, seg_map_path, source='salient')``; the
    mask is read by ``LoadSalientMask``.

    Args:
        data_root (str): folder holding ``img_dir`` and ``mask_dir``.
        img_dir (str): image folder, relative to ``data_root``.
            Defaults to ``'DUTS-TR-Image'``.
        mask_dir (str): mask folder, relative to ``data_root``.
            Defaults to ``'DUTS-TR-Mask'``.
        img_suffix (str): image file suffix. Defaults to ``'.jpg'``.
        mask_suffix (str): mask file suffix. Defaults to ``'.png'``.
        ann_file (str): optional list of image names, one per line (relative
            to ``data_root`` unless absolute). Defaults to ``''`` (all).
        check_images (bool): check every pair's headers up front: an
            unreadable file or a mask whose size differs from its image's is
            left out, counted in the log (default). A file whose data
            cannot be decoded despite a valid header is skipped when drawn
            (``LoadImageOrSkip``, ``LoadSalientMask``).
        **kwargs: the rest of :class:`mmengine.dataset.BaseDataset`.
    """
    source = 'salient'

    def __init__(self,
                 data_root: str = '',
                 img_dir: str = 'DUTS-TR-Image',
                 mask_dir: str = 'DUTS-TR-Mask',
                 img_suffix: str = '.jpg',
                 mask_suffix: str = '.png',
                 ann_file: str = '',
                 check_images: bool = True,
                 **kwargs) -> None:
        self.check_images = bool(check_images)
        self.img_suffix = img_suffix
        self.mask_suffix = mask_suffix
        super().__init__(
            ann_file=ann_file,
            data_root=data_root,
            data_prefix=dict(img_path=img_dir, seg_map_path=mask_dir),
            **kwargs)

    def _stems_from_list(self) -> List[str]:
        names = []
        for line in get_text(self.ann_file).splitlines():
            name = line.strip()
            if not name:
                continue
            name = osp.basename(name)
            for suffix in (self.img_suffix, self.mask_suffix):
                if suffix and name.endswith(suffix):
                    name = name[:-len(suffix)]
            names.append(name)
        if not names:
            raise ValueError(f'{self.ann_file}: the image list is empty')
        return names

    def _stems_in(self, folder: str, suffix: str) -> List[str]:
        if not isdir(folder):
            raise FileNotFoundError(f'salient folder {folder} does not exist')
        files = list_dir_or_file(
            folder, list_dir=False, suffix=suffix, recursive=False)
        return sorted(f[:len(f) - len(suffix)] for f in files)

    def load_data_list(self) -> List[dict]:
        """Pair images and masks by stem.

        Returns:
            list[dict]: ``img_path``, ``seg_map_path``, ``source``.

        Raises:
            FileNotFoundError: a listed image, or the mask of an image, is
                missing (names the folder and the first missing files).
        """
        img_dir = self.data_prefix['img_path']
        mask_dir = self.data_prefix['seg_map_path']
        img_stems = self._stems_in(img_dir, self.img_suffix)
        mask_stems = set(self._stems_in(mask_dir, self.mask_suffix))
        if self.ann_file:
            stems = self._stems_from_list()
            have_img = set(img_stems)
            lost = [s + self.img_suffix for s in stems if s not in have_img]
            if lost:
                raise FileNotFoundError(
                    f'{self.ann_file}: {len(lost)} of {len(stems)} listed '
                    f'images are not in {img_dir}, e.g. {lost[:SHOW]}')
        else:
            stems = img_stems
            if not stems:
                raise FileNotFoundError(
                    f'no *{self.img_suffix} image in {img_dir}')
        lost = [s + self.mask_suffix for s in stems if s not in mask_stems]
        if lost:
            raise FileNotFoundError(
                f'{len(lost)} of {len(stems)} images have no mask in '
                f'{mask_dir}, e.g. {lost[:SHOW]} (check mask_dir and '
                f'mask_suffix)')
        pairs = [
            dict(
                img_path=join_path(img_dir, s + self.img_suffix),
                seg_map_path=join_path(mask_dir, s + self.mask_suffix),
                source=self.source) for s in stems
        ]
        if self.check_images:
            pairs = self._check_pairs(pairs)
        return pairs

    def _check_pairs(self, pairs: List[dict]) -> List[dict]:
        """Drop pairs whose files cannot be read or whose image and mask
        sizes differ (headers only), counted in the log."""
        imgs = image_sizes([p['img_path'] for p in pairs])
        say = ProblemLog()
        for pair, size in zip(pairs, imgs):
            if isinstance(size, str):
                say(size, pair['img_path'])
        unread = [isinstance(size, str) for size in imgs]
        masks = check_images([p['seg_map_path'] for p in pairs],
                             [None if u else s for u, s in zip(unread, imgs)],
                             skip_paths=unread, kind='mask', say=say)
        kept = [p for p, u, m in zip(pairs, unread, masks)
                if not u and m is None]
        if say.total:
            print_log(
                f'{self.data_root}: skipped {say.total} of {len(pairs)} '
                f'salient pairs ({dict(say.counts)})',
                logger='current',
                level=logging.WARNING)
        if not kept:
            raise FileNotFoundError(f'{self.data_root}: no usable salient '
                                    f'pair ({dict(say.counts)})')
        return kept
