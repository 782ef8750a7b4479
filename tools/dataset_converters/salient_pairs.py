"""Write image + mask pairs as ``OUT/images/<name>.jpg`` and
``OUT/masks/<name>.png`` (0/255), the layout ``SalientDataset`` reads.

Shared by ``davis345.py`` and ``sod204.py``: they pair the files of a
public download; this module reads their output options, binarises,
downscales, writes and reports.
"""
import argparse
import json
import os
import os.path as osp
import shutil
import tempfile
from typing import Dict, List, Optional, Tuple

import numpy as np
from PIL import Image

from mmboxcaseg.utils import UserError, check_dir

IMAGE_EXTS = ('.jpg', '.jpeg', '.png', '.bmp')
REASONS = ('no_mask', 'no_image', 'unreadable', 'size_mismatch', 'empty')
PROBLEMS = ('no_mask', 'no_image', 'unreadable', 'size_mismatch')
QUALITY = 92  # JPEG quality of resized images (as in the team copies)
REPORT = 'prepare_report.json'
_SHOW = 20  # problem lines printed; the report lists every stem


def parse_output_args(parser: argparse.ArgumentParser,
                      argv: Optional[List[str]] = None) -> argparse.Namespace:
    """Add ``--out``, ``--max-side`` and ``--overwrite`` to a converter's
    ``parser`` and parse ``argv``; a negative ``--max-side`` is a
    :class:`UserError`."""
    parser.add_argument('--out', required=True, help='output folder')
    parser.add_argument(
        '--max-side',
        type=int,
        default=480,
        help='longer side after downscaling (default 480; 0: keep)')
    parser.add_argument(
        '--overwrite',
        action='store_true',
        help='replace the pairs and report of a non-empty --out')
    args = parser.parse_args(argv)
    if args.max_side < 0:
        raise UserError('--max-side must be >= 0')
    return args


def read_mask(path: str) -> np.ndarray:
    """Object pixels of a mask file as a bool (H, W) array.

    A pixel is object when its value (the largest over colour channels,
    alpha ignored; palette indices as they are) is above half the mask's
    largest value: 0/1, 0/255 and soft-edged masks come out alike, and a
    soft edge goes to the side it is nearer. An all-zero mask is empty.
    """
    with Image.open(path) as img:
        mask = np.asarray(img)
    if mask.ndim == 3:
        mask = mask[..., :3].max(axis=2)
    mask = mask.astype(np.float64)
    top = mask.max() if mask.size else 0
    return mask > top / 2 if top > 0 else np.zeros(mask.shape, bool)


def scaled_size(width: int, height: int, max_side: int) -> Tuple[int, int]:
    """``(width, height)`` with the longer side at most ``max_side`` (0:
    unchanged); never enlarged."""
    if max_side <= 0 or max(width, height) <= max_side:
        return width, height
    scale = max_side / max(width, height)
    return max(1, round(width * scale)), max(1, round(height * scale))


def _check_out(out: str, sources: List[str], overwrite: bool) -> None:
    """Refuse an ``--out`` that is a file, is not empty (without
    ``--overwrite``) or overlaps a source folder."""
    check_dir(out, '--out')
    real = osp.realpath(out)
    for src in sources:
        s = osp.realpath(src)
        if real == s or real.startswith(s + os.sep) or \
                s.startswith(real + os.sep):
            raise UserError(f'--out {out} and the source {src} are inside '
                            'one another; choose another --out')
    if osp.isdir(out) and os.listdir(out) and not overwrite:
        raise UserError(f'--out {out} is not empty; give --overwrite to '
                        f'replace its images/, masks/ and {REPORT}')


def _write_pair(img_path: str, mask_path: str, name: str, tmp: str,
                max_side: int) -> Optional[Tuple[str, str]]:
    """Write one pair under ``tmp``; ``(reason, detail)`` when skipped."""
    try:
        with Image.open(img_path) as img:
            img.load()
            image = img.convert('RGB')
    except (OSError, ValueError) as e:
        return 'unreadable', f'{img_path}: {e}'
    try:
        mask = read_mask(mask_path)
    except (OSError, ValueError) as e:
        return 'unreadable', f'{mask_path}: {e}'
    if mask.shape != (image.height, image.width):
        return 'size_mismatch', (
            f'{img_path} is {image.width}x{image.height}, {mask_path} is '
            f'{mask.shape[1]}x{mask.shape[0]}')
    if not mask.any():
        return 'empty', f'{mask_path} has no object pixel'
    size = scaled_size(image.width, image.height, max_side)
    out_img = osp.join(tmp, 'images', name + '.jpg')
    if size == image.size and img_path.lower().endswith(('.jpg', '.jpeg')):
        shutil.copyfile(img_path, out_img)  # no re-encoding loss
    else:
        image.resize(size, Image.LANCZOS).save(out_img, quality=QUALITY)
    Image.fromarray(mask.astype(np.uint8) * 255).resize(
        size, Image.NEAREST).save(osp.join(tmp, 'masks', name + '.png'))
    return None


def convert_pairs(title: str,
                  pairs: List[Tuple[str, str, str, str]],
                  skipped: Dict[str, List[str]],
                  out: str,
                  sources: List[str],
                  max_side: int = 480,
                  overwrite: bool = False,
                  extra: Optional[dict] = None) -> dict:
    """Write the ``pairs`` to ``out`` and a report; print the counts.

    Args:
        title (str): the set's name, for messages.
        pairs: ``(stem, out_name, image_path, mask_path)`` each.
        skipped: ``(stem, detail)`` the pairing step already skipped, by
            reason; a reason outside :data:`PROBLEMS` (e.g. left out on
            purpose) is counted, not printed.
        out (str): output folder (``images/``, ``masks/``, the report).
        sources (list[str]): input folders, which ``out`` must not overlap.
        max_side (int): longer side after downscaling; 0 keeps the size.
        overwrite (bool): replace a non-empty ``out``'s pairs and report.
        extra (dict, optional): more report fields.

    Returns:
        dict: the report (``kept``, ``skipped`` counts, ``skipped_stems``).

    Raises:
        UserError: ``out`` refused, or no pair kept (nothing is written).
    """
    _check_out(out, sources, overwrite)
    skipped = {r: list(v) for r, v in skipped.items()}
    for r in REASONS:
        skipped.setdefault(r, [])
    parent = osp.dirname(osp.abspath(out))
    try:  # written beside --out first, moved in when complete
        os.makedirs(parent, exist_ok=True)
        tmp = tempfile.mkdtemp(prefix='.' + osp.basename(out), dir=parent)
    except OSError as e:
        raise UserError(f'cannot write --out {out}: {e.strerror}') from None
    try:
        os.mkdir(osp.join(tmp, 'images'))
        os.mkdir(osp.join(tmp, 'masks'))
        names = {}
        for stem, name, img_path, mask_path in pairs:
            why = _write_pair(img_path, mask_path, name, tmp, max_side)
            if why is None:
                names[name] = stem
            else:
                skipped[why[0]].append((stem, why[1]))
        problems = [(r, d) for r in PROBLEMS for _, d in skipped[r]]
        for reason, detail in problems[:_SHOW]:
            print(f'skipped ({reason}): {detail}')
        if len(problems) > _SHOW:
            print(f'... and {len(problems) - _SHOW} more (see {REPORT})')
        counts = {r: len(v) for r, v in skipped.items()}
        text = ', '.join(f'{r} {n}' for r, n in counts.items())
        total = len(names) + sum(counts.values())
        if not names:
            raise UserError(f'none of the {total} {title} pairs was kept '
                            f'(skipped: {text}); nothing was written')
        report = dict(
            kept=len(names),
            skipped=counts,
            skipped_stems={
                r: sorted(stem for stem, _ in v)
                for r, v in skipped.items() if v},
            max_side=max_side,
            quality=QUALITY,
            sources=sources)
        report.update(extra or {})
        if any(name != stem for name, stem in names.items()):
            report['names'] = names  # output name -> source stem
        with open(osp.join(tmp, REPORT), 'w') as f:
            json.dump(report, f, indent=1)
        os.makedirs(out, exist_ok=True)
        for entry in ('images', 'masks', REPORT):
            dst = osp.join(out, entry)
            if osp.isdir(dst) and not osp.islink(dst):
                shutil.rmtree(dst)
            elif osp.lexists(dst):
                os.remove(dst)
            os.replace(osp.join(tmp, entry), dst)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print(f'{title}: kept {len(names)} of {total}; skipped: {text}; '
          f'written to {out}')
    return report
