"""Input that is wrong as a whole, refused before any model work.

Single bad annotations are counted skips; but when most boxes stick out of
their images (boxes written as ``x1, y1, x2, y2`` instead of COCO's
``x, y, w, h``) or most images are not under ``--img-root`` (a root one
level off), a run would write a json of wrong or empty masks. Such a run
stops with one error naming the likely mistake (``--allow-bad-input`` goes
on); a box format that looks wrong for fewer boxes is a warning.
"""
import logging
import os
import os.path as osp

from mmengine.fileio import join_path
from mmengine.logging import print_log

from mmboxcaseg.structures.coco_index import CocoFormatError, index_coco
from .options import ProxyInputError, ProxyOptions

# more than this share of the annotations clipped or without an image stops
STOP_SHARE = 0.5
GO_ON = 'pass --allow-bad-input to go on anyway'


def _other_root(root: str, name: str):
    """A folder next to or below ``root`` that holds ``name``, or None."""
    candidates = [osp.dirname(osp.abspath(root))]
    try:
        candidates += sorted(
            osp.join(root, d) for d in os.listdir(root)
            if osp.isdir(osp.join(root, d)))[:100]
    except OSError:
        pass
    for folder in candidates:
        if osp.isfile(osp.join(folder, name)):
            return folder
    return None


def _missing_images(opts: ProxyOptions, index) -> str:
    """The error for more than half the annotations without an image file,
    else ''."""
    n = int((~index.crowd).sum())
    missing, first, images, with_anns = 0, None, 0, 0
    for e in index.images:
        if len(e.ann_index) == 0 or e.problem or not e.file_name:
            continue
        with_anns += 1
        path = join_path(opts.img_root, e.file_name)
        if not osp.exists(path):
            missing += len(e.ann_index)
            images += 1
            first = first or (path, e.file_name)
    if not n or missing <= STOP_SHARE * n:
        return ''
    msg = (f'{missing} of {n} annotations ({images} of {with_anns} images) '
           f'have no image file under --img-root {opts.img_root}, e.g. '
           f'{first[0]} does not exist; ')
    other = _other_root(opts.img_root, first[1])
    if other:
        msg += f'it is in {other}: use --img-root {other}'
    else:
        msg += ('is --img-root one level off? file_name in the json is '
                'relative to it')
    return f'{msg}; {GO_ON} (their masks are written empty)'


def check_input(opts: ProxyOptions) -> None:
    """Stop a run whose input is wrong as a whole (see the module
    docstring); warn about a box format that looks wrong."""
    try:
        index = index_coco(
            opts.ann_file,
            verbose=False,
            allow_outside_root=opts.allow_outside_root)
    except CocoFormatError as e:
        raise ProxyInputError(str(e)) from None
    doubt = index.format_doubt()
    mistake = doubt.mistake()
    errors = []
    if doubt.clipped > STOP_SHARE * doubt.usable:
        errors.append(
            f'{opts.ann_file}: {doubt.clipped} of {doubt.usable} boxes stick '
            'out of their image (box_clipped); ' +
            (mistake or 'are the image sizes in the json right?') +
            f'; {GO_ON} (the boxes are clipped to their image)')
    elif mistake:
        print_log(f'{opts.ann_file}: {mistake}', logger='current',
                  level=logging.WARNING)
    if opts.backend_args is None:
        errors.append(_missing_images(opts, index))
    errors = [e for e in errors if e]
    if errors and not opts.allow_bad_input:
        raise ProxyInputError('; and '.join(errors))
    for e in errors:
        print_log(e.replace(GO_ON, 'going on (--allow-bad-input)'),
                  logger='current', level=logging.WARNING)
