"""SOD (Movahedi & Elder 2010) masks + BSDS300 photos ->
``OUT/images/<id>.jpg`` + ``OUT/masks/<id>.png`` (0/255), the layout of the
configs' ``data/sod204``.

    python tools/dataset_converters/sod204.py data/downloads \\
        --out data/sod204 [--max-side 480] [--overwrite]
    python tools/dataset_converters/sod204.py --images BSDS_DIR \\
        --masks SOD_DIR --out data/sod204

Inputs, unpacked (two downloads):

- ``BSDS300-images.tgz`` (Berkeley): ``BSDS300/images/{train,test}/<id>.jpg``;
  ``--images`` is any folder above the photos (searched recursively).
- the SOD masks as ``<id>.png`` (one 0/255 mask of the salient objects per
  BSDS300 photo), e.g. ``tools/GroundTruth/SOD/`` of the
  sal_eval_toolbox repository; ``--masks`` is that folder. (``SOD.zip``
  of the SOD site holds object boundaries as .mat files, not masks; it is
  not read.)

With SRC_DIR alone, the photos are searched under its folder named
``BSDS300`` (else SRC_DIR) and the masks in its folder named ``SOD``.

Kept: the 204 ids of the team copy (:data:`KEEP`); the other 96 of the
300 are left out on purpose (they overlap a held-out set) and counted as
``left_out``. A mask pixel is object above half the mask's largest value;
images are downscaled so the longer side is at most ``--max-side`` (0:
original size), masks by nearest neighbour. Skipped and counted: a kept id
without mask or photo, an unreadable file, photo and mask of different
sizes, an empty mask. Nothing is written when no pair is kept.
"""
import argparse
import os
import os.path as osp
import sys
from typing import List, Optional

sys.path.insert(0, osp.dirname(osp.abspath(__file__)))
from salient_pairs import convert_pairs, parse_output_args  # noqa: E402

from mmboxcaseg.utils import UserError, exit_on_user_error  # noqa: E402

# BSDS300 ids of the team copy of sod204 (its prepare_report.json records
# 96 photos removed for overlapping a held-out set).
KEEP = frozenset("""
    2092 8049 8143 12074 12084 14037 15004 15088 16052 16077 19021 20008
    22013 22090 22093 23025 23084 24004 24063 26031 27059 28075 28096
    33039 33066 35070 35091 41004 41025 41069 42044 43083 45077 45096
    46076 48055 54005 54082 55067 55073 55075 59078 60079 61060 61086
    65010 65033 66039 66075 67079 68077 69015 71046 76002 76053 78019
    80099 86000 86068 87046 87065 94079 95006 97017 100075 100080 100098
    103041 103070 104022 105019 105025 105053 106020 106025 108041
    108073 109034 112082 113009 113016 113044 117054 118020 119082
    122048 126039 130034 134008 134052 135069 138032 140055 140075
    143090 144067 145014 145053 145086 147021 147062 147091 148026
    148089 153093 155060 156065 156079 157036 159008 159029 159045
    159091 161062 163085 164074 166081 167083 169012 170054 172032
    173036 175032 176019 176035 176039 178054 181018 181091 182053
    183055 183087 187003 187039 187071 187083 188005 188091 189003
    197017 198004 198054 202012 207056 210088 216041 216081 219090
    220075 223061 225017 227040 227046 231015 232038 236017 236037
    238011 239096 241004 241048 242078 245051 246016 246053 247085
    249061 249087 254033 254054 260058 260081 271008 274007 277095
    285036 292066 295087 296007 299086 301007 302003 306005 309004
    311068 311081 314016 317080 323016 326038 351093 353013 361010
    361084 365025 365073 368016 368078 370036 374020 374067 376001
    385028 385039
""".split())


def _walk(root: str):
    """``(folder, subfolders, files)`` below ``root``, sorted, following
    symlinked folders (a download is often linked in)."""
    for folder, dirs, files in os.walk(root, followlinks=True):
        dirs.sort()
        yield folder, dirs, sorted(files)


def _find_dir(root: str, name: str) -> Optional[str]:
    """``root`` if it is named ``name``, else the first folder of that name
    below it, else None."""
    if osp.basename(osp.normpath(root)) == name:
        return root
    for folder, dirs, _ in _walk(root):
        if name in dirs:
            return osp.join(folder, name)
    return None


def _by_id(folder: str, ext: str, recursive: bool) -> dict:
    """``{id: path}`` of the files ``<digits><ext>`` in ``folder``."""
    found = {}
    for where, _, files in _walk(folder):
        for f in files:
            stem, suffix = osp.splitext(f)
            if suffix.lower() == ext and stem.isdigit():
                found.setdefault(stem, osp.join(where, f))
        if not recursive:
            break
    return found


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        'src',
        nargs='?',
        help='folder holding both unpacked downloads (BSDS300/ and a '
        'folder named SOD with the masks)')
    parser.add_argument('--images', help='BSDS300 photos (searched below)')
    parser.add_argument('--masks', help='folder of the SOD <id>.png masks')
    return parse_output_args(parser, argv)


@exit_on_user_error
def main(argv: Optional[List[str]] = None) -> dict:
    """Convert; returns the report (``kept``, ``skipped`` counts, ...)."""
    args = parse_args(argv)
    images, masks = args.images, args.masks
    if args.src is None and not (images and masks):
        raise UserError('give SRC_DIR, or both --images and --masks')
    for what, folder in (('SRC_DIR', args.src), ('--images', images),
                         ('--masks', masks)):
        if folder is not None and not osp.isdir(folder):
            raise UserError(f'{what} {folder} is not a folder')
    if images is None:
        images = _find_dir(args.src, 'BSDS300') or args.src
    if masks is None:
        masks = _find_dir(args.src, 'SOD')
        if masks is None:
            raise UserError(f'{args.src} holds no folder named SOD with '
                            'the <id>.png masks; give --masks')
    photos = _by_id(images, '.jpg', recursive=True)
    gts = _by_id(masks, '.png', recursive=False)
    if not gts:
        mat = any(f.lower().endswith('.mat') for f in os.listdir(masks))
        raise UserError(
            f'no <id>.png mask in {masks}' +
            ('; it holds the .mat boundary files of the original SOD.zip, '
             'give the PNG masks (tools/GroundTruth/SOD of '
             'sal_eval_toolbox) instead' if mat else ''))
    pairs = []
    skipped = dict(left_out=[], no_mask=[], no_image=[])
    for stem in sorted(set(gts) - KEEP):
        skipped['left_out'].append((stem, ''))
    for stem in sorted(KEEP):
        if stem not in gts:
            skipped['no_mask'].append(
                (stem, f'no mask {stem}.png in {masks}'))
        elif stem not in photos:
            skipped['no_image'].append(
                (stem, f'{gts[stem]} has no photo {stem}.jpg in {images}'))
        else:
            pairs.append((stem, stem, photos[stem], gts[stem]))
    sources = [f for f in (args.src, args.images, args.masks) if f]
    return convert_pairs('SOD-204', pairs, skipped, args.out, sources,
                         args.max_side, args.overwrite)


if __name__ == '__main__':
    main(sys.argv[1:])
