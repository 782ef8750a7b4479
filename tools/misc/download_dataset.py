"""Download the public data sets the configs use, unpack and convert them.

    python tools/misc/download_dataset.py --dataset-name coco128 pennfudan \\
        --save-dir data --unzip [--delete] [--max-side 480]

Every archive comes from its original public address (``--mirror`` or
$MMBOXCASEG_DATA_MIRROR replaces the scheme and host of every address, e.g.
for a local copy). Archives go to ``SAVE_DIR/downloads/<name>/``; a partial
download is kept as ``<file>.part`` and resumed (HTTP Range) by the next run,
a finished file is not fetched again. Each file's size is checked against
the server's Content-Length and its md5 where one is published. With
``--unzip`` the archives are unpacked, converted into the layout the configs
read (docs/dataset_prepare.md) and the numbers of images and instances are
checked against the published ones; a set whose converted files are there
with those numbers is not converted again.

``sod204`` reads the SOD masks as PNG from the commit of a public
saliency-evaluation toolbox that holds them (GitHub's archive of that
commit; the SOD site's SOD.zip holds boundaries in .mat files).
"""
import argparse
import glob
import http.client
import json
import os
import os.path as osp
import re
import subprocess
import sys
import tarfile
import time
import urllib.error
import urllib.request
import zipfile
from typing import List, NamedTuple, Optional
from urllib.parse import urlsplit

from mmboxcaseg.utils.file_digest import file_digest

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
MIRROR_ENV = 'MMBOXCASEG_DATA_MIRROR'


class Archive(NamedTuple):
    """A file to fetch: its address, where it is unpacked (relative to the
    save dir) and its md5, only where the publisher gives one."""
    url: str
    unpack_to: str
    md5: Optional[str] = None


def _small_set(name: str, about: str, url: str, script: str) -> dict:
    """A small set: one archive, unpacked into ``downloads/<name>`` and
    converted by ``script`` into ``<name>/`` at ``--max-side``."""
    return dict(
        about=about,
        archives=[Archive(url, f'downloads/{name}')],
        convert=[(script, f'{{save}}/downloads/{name}', '--out',
                  f'{{save}}/{name}', '--max-side', '{max_side}')])


# Converter commands: a script in tools/dataset_converters and its
# arguments; {save} is the save dir, {max_side} the --max-side value.
DATASETS = {
    'coco128': _small_set(
        'coco128', '126 COCO photos, 929 instances (coco128-seg)',
        'https://github.com/ultralytics/assets/releases/download/v0.0.0/'
        'coco128-seg.zip', 'coco128_seg.py'),
    'pennfudan': _small_set(
        'pennfudan', 'PennFudan: 170 photos, 423 pedestrians',
        'https://www.cis.upenn.edu/~jshi/ped_html/PennFudanPed.zip',
        'pennfudan.py'),
    'davis345': _small_set(
        'davis345',
        'DAVIS interactive-segmentation set: 345 image + mask pairs',
        'https://github.com/saic-vul/fbrs_interactive_segmentation/'
        'releases/download/v1.0/DAVIS.zip', 'davis345.py'),
    'sod204': dict(
        about='SOD salient objects: 204 BSDS300 photos + masks',
        archives=[
            Archive(
                'https://www2.eecs.berkeley.edu/Research/Projects/CS/vision/'
                'grouping/segbench/BSDS300-images.tgz', 'downloads/sod204'),
            # the SOD masks as PNG, as a saliency-evaluation toolbox ships
            # them (the SOD site's SOD.zip holds boundaries in .mat files)
            Archive(
                'https://github.com/ArcherFMY/sal_eval_toolbox/archive/'
                'c4e3a58e0ddb40629253714515e94c69dcae6436.zip',
                'downloads/sod204')
        ],
        # GitHub unpacks an archive of a commit into <repo>-<commit>/
        convert=[('sod204.py', '--images', '{save}/downloads/sod204/BSDS300',
                  '--masks', '{save}/downloads/sod204/sal_eval_toolbox-'
                  'c4e3a58e0ddb40629253714515e94c69dcae6436/tools/'
                  'GroundTruth/SOD', '--out', '{save}/sod204', '--max-side',
                  '{max_side}')]),
    'duts': dict(
        about='DUTS-TR salient images (10,553) -> DUTS-Single list',
        archives=[
            Archive('http://saliencydetection.net/duts/download/DUTS-TR.zip',
                    'DUTS')
        ],
        convert=[('duts_single.py', '{save}/DUTS/DUTS-TR', '--out',
                  '{save}/DUTS/duts_single.txt', '--min-area-ratio', '0.005',
                  '--workers', '2', '--link-dir', '{save}/DUTS/DUTS-Single')
                 ]),
    'voc2012': dict(
        about='PASCAL VOC 2012 trainval + SBD -> voc/annotations json',
        archives=[
            Archive(
                'http://host.robots.ox.ac.uk/pascal/VOC/voc2012/'
                'VOCtrainval_11-May-2012.tar', '.',
                '6cd6e144f989b92b3379bac3b3de84fd'),
            Archive(
                'https://www2.eecs.berkeley.edu/Research/Projects/CS/vision/'
                'grouping/semantic_contours/benchmark.tgz', 'SBD',
                '82b4d87ceb2ed10f6038a1cba92111cb')
        ],
        links={
            'SBD/dataset': 'benchmark_RELEASE/dataset',
            'voc/VOC2012': '../VOCdevkit/VOC2012'
        },
        convert=[('voc_aug_to_coco.py', '--voc-root',
                  '{save}/VOCdevkit/VOC2012', '--sbd-root',
                  '{save}/SBD/dataset', '--out-dir',
                  '{save}/voc/annotations', '--workers', '2')]),
    'coco2017': dict(
        about='COCO 2017 train/val images + annotations (unpacked only)',
        archives=[
            Archive('http://images.cocodataset.org/zips/train2017.zip',
                    'coco'),
            Archive('http://images.cocodataset.org/zips/val2017.zip', 'coco'),
            Archive(
                'http://images.cocodataset.org/annotations/'
                'annotations_trainval2017.zip', 'coco')
        ],
        convert=[]),
}

# What a prepared set holds: (path under the save dir, images, instances).
# A json path counts its images and annotations, a glob pattern its files;
# None = no published number to check.
EXPECTED = {
    'coco128': [('coco128/annotations.json', 126, 929)],
    'pennfudan': [('pennfudan/annotations_all.json', 170, 423),
                  ('pennfudan/annotations_train.json', 136, 339),
                  ('pennfudan/annotations_val.json', 34, 84)],
    'davis345': [('davis345/images/*.jpg', 345, None),
                 ('davis345/masks/*.png', 345, None)],
    'sod204': [('sod204/images/*.jpg', 204, None),
               ('sod204/masks/*.png', 204, None)],
    'duts': [('DUTS/DUTS-TR/DUTS-TR-Image/*.jpg', 10553, None),
             ('DUTS/DUTS-TR/DUTS-TR-Mask/*.png', 10553, None)],
    'voc2012': [('voc/annotations/voc_2012_train_aug.json', 10582, None),
                ('voc/annotations/voc_2012_val.json', 1449, None)],
    'coco2017': [('coco/train2017/*.jpg', 118287, None),
                 ('coco/val2017/*.jpg', 5000, None)],
}


def mirrored(url: str, mirror: Optional[str]) -> str:
    """``url`` with its scheme and host replaced by ``mirror``."""
    if not mirror:
        return url
    parts = urlsplit(url)
    return mirror.rstrip('/') + parts.path + (f'?{parts.query}'
                                              if parts.query else '')


def _progress(size: int, total: Optional[int]) -> None:
    of = f' / {total / 1e6:.1f}' if total else ''
    print(f'\r  {size / 1e6:.1f}{of} MB', end='', flush=True)


def _total_of(resp, start: int) -> Optional[int]:
    """The whole file's size from a response to a request from ``start``."""
    if resp.status == 206:
        found = re.search(r'/(\d+)\s*$', resp.headers.get('Content-Range', ''))
        if found:
            return int(found.group(1))
    length = resp.headers.get('Content-Length')
    return start + int(length) if length is not None else None


def fetch(url: str, dest: str, name: str, md5: Optional[str] = None) -> None:
    """Download ``url`` to ``dest`` through ``dest.part`` (resumed when it
    is there); a finished ``dest`` is left as it is."""
    file = osp.basename(dest)
    if osp.isfile(dest):
        print(f'{name}: {dest} is there, not downloading it again')
        return
    part = dest + '.part'
    start = osp.getsize(part) if osp.isfile(part) else 0
    request = urllib.request.Request(
        url, headers={'User-Agent': 'mmboxcaseg-download-dataset'})
    if start:
        request.add_header('Range', f'bytes={start}-')
        print(f'{name}: resuming {url} at {start / 1e6:.1f} MB')
    else:
        print(f'{name}: downloading {url}')
    try:
        resp = urllib.request.urlopen(request, timeout=60)
    except urllib.error.HTTPError as e:
        if e.code == 416 and start:  # the part is not a prefix: start over
            os.remove(part)
            return fetch(url, dest, name, md5)
        raise SystemExit(f'error: {name}: {url}: HTTP {e.code} {e.reason}')
    except (urllib.error.URLError, OSError) as e:
        raise SystemExit(f'error: {name}: cannot reach {url}: '
                         f'{getattr(e, "reason", e)}')
    with resp:
        if resp.status != 206:
            start = 0  # the server sent the whole file
        total = _total_of(resp, start)
        size, shown = start, 0.0
        os.makedirs(osp.dirname(dest) or '.', exist_ok=True)
        with open(part, 'ab' if start else 'wb') as f:
            try:
                for chunk in iter(lambda: resp.read(1 << 20), b''):
                    f.write(chunk)
                    size += len(chunk)
                    if time.time() - shown > 0.5:
                        _progress(size, total)
                        shown = time.time()
            except (http.client.HTTPException, OSError):
                pass  # a cut connection: the size check below tells
        _progress(size, total)
        print()
    if total is not None and size != total:
        raise SystemExit(f'error: {name}: {file}: got {size} bytes, the '
                         f'server announced {total} (Content-Length); run '
                         f'again to resume {part}')
    if md5:
        found = file_digest(part, 'md5')
        if found != md5:
            os.remove(part)
            raise SystemExit(f'error: {name}: {file}: md5 {found}, '
                             f'published {md5}; removed it, run again')
        print(f'{name}: {file}: md5 {md5} as published')
    os.replace(part, dest)


def unpack(archive: str, dest: str, name: str) -> None:
    """Unpack a zip or tar ``archive`` into ``dest`` once (a marker file
    beside the archive remembers it)."""
    marker = osp.join(
        osp.dirname(archive), f'.{osp.basename(archive)}.unpacked')
    if osp.isfile(marker):
        print(f'{name}: {osp.basename(archive)} is unpacked already')
        return
    print(f'{name}: unpacking {archive} into {dest}')
    os.makedirs(dest, exist_ok=True)
    try:
        if zipfile.is_zipfile(archive):
            with zipfile.ZipFile(archive) as z:
                z.extractall(dest)
        elif tarfile.is_tarfile(archive):
            with tarfile.open(archive) as t:
                t.extractall(dest, filter='data')
        else:
            raise SystemExit(f'error: {name}: {archive} is neither a zip '
                             'nor a tar archive')
    except (zipfile.BadZipFile, tarfile.TarError, EOFError) as e:
        raise SystemExit(f'error: {name}: cannot unpack {archive}: {e}')
    open(marker, 'w').close()


def count(path: str):
    """``(images, instances)`` of a COCO json, ``(files, None)`` of a glob
    pattern."""
    if '*' in path:
        return len(glob.glob(path)), None
    if not osp.isfile(path):
        return 0, 0
    with open(path) as f:
        coco = json.load(f)
    return len(coco.get('images', [])), len(coco.get('annotations', []))


def counts_match(name: str, save_dir: str) -> bool:
    """Whether every file of :data:`EXPECTED` holds its numbers."""
    for rel, images, instances in EXPECTED[name]:
        found, found_inst = count(osp.join(save_dir, rel))
        if found != images or (instances is not None
                               and found_inst != instances):
            return False
    return True


def check_counts(name: str, save_dir: str) -> None:
    """Stop with a one-line error when a prepared file holds other numbers
    of images / instances than :data:`EXPECTED`."""
    for rel, images, instances in EXPECTED[name]:
        path = osp.join(save_dir, rel)
        found, found_inst = count(path)
        if found != images or (instances is not None
                               and found_inst != instances):
            got = f'{found} images' + ('' if instances is None else
                                       f' / {found_inst} instances')
            want = f'{images}' + ('' if instances is None else
                                  f' / {instances}')
            raise SystemExit(f'error: {name}: {path} has {got}, '
                             f'expected {want}')
        print(f'{name}: {path}: {found} images' +
              ('' if instances is None else f', {found_inst} instances') +
              ', as expected')


def prepare(name: str, args: argparse.Namespace) -> None:
    """Fetch one set; with ``--unzip`` also unpack, convert and check."""
    spec = DATASETS[name]
    save = args.save_dir
    archives = []
    for item in spec['archives']:
        url = mirrored(item.url, args.mirror)
        dest = osp.join(save, 'downloads', name, osp.basename(item.url))
        fetch(url, dest, name, item.md5)
        archives.append((dest, osp.join(save, item.unpack_to)))
    if not args.unzip:
        print(f'{name}: downloaded; give --unzip to unpack and convert')
        return
    for dest, unpack_to in archives:
        unpack(dest, unpack_to, name)
    for link, target in spec.get('links', {}).items():
        path = osp.join(save, link)
        if not osp.lexists(path):
            os.makedirs(osp.dirname(path), exist_ok=True)
            os.symlink(target, path)
            print(f'{name}: linked {path} -> {target}')
    commands = [[a.format(save=save, max_side=args.max_side) for a in cmd]
                for cmd in spec['convert']]
    outputs = [a for cmd in commands for flag, a in zip(cmd, cmd[1:])
               if flag in ('--out', '--out-dir')]
    if commands and all(map(osp.exists, outputs)) and counts_match(
            name, save):
        print(f'{name}: {", ".join(outputs)} converted already')
        commands = []
    env = dict(os.environ)
    env['PYTHONPATH'] = os.pathsep.join(
        p for p in (ROOT, env.get('PYTHONPATH')) if p)
    for script, *argv in commands:
        tool = osp.join(ROOT, 'tools', 'dataset_converters', script)
        print(f'{name}: converting with {script} {" ".join(argv)}')
        if not osp.isfile(tool):
            raise SystemExit(f'error: {name}: {tool} is missing')
        done = subprocess.run([sys.executable, tool] + argv, env=env)
        if done.returncode:
            raise SystemExit(f'error: {name}: {script} failed (exit '
                             f'{done.returncode}); see its message above')
    check_counts(name, save)
    if args.delete:
        for dest, _ in archives:
            os.remove(dest)
            print(f'{name}: deleted {dest}')


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    names = '\n'.join(f'  {n:10s} {s["about"]}' for n, s in DATASETS.items())
    parser = argparse.ArgumentParser(
        description=__doc__,
        epilog=f'data sets:\n{names}',
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        '--dataset-name',
        nargs='+',
        required=True,
        choices=list(DATASETS),
        metavar='NAME',
        help='one or more of: ' + ', '.join(DATASETS))
    parser.add_argument(
        '--save-dir', default='data', help='the data root (default: data)')
    parser.add_argument(
        '--unzip',
        action='store_true',
        help='unpack, convert into the configs\' layout and check counts')
    parser.add_argument(
        '--delete',
        action='store_true',
        help='delete the archives once unpacked and checked')
    parser.add_argument(
        '--max-side',
        type=int,
        default=480,
        help='longer image side for the converted small sets (0: keep)')
    parser.add_argument(
        '--mirror',
        default=os.environ.get(MIRROR_ENV),
        help=f'scheme://host[:port] replacing every address\'s '
        f'(default: ${MIRROR_ENV})')
    return parser.parse_args(argv)


def main(argv: Optional[List[str]] = None) -> None:
    args = parse_args(argv)
    for name in args.dataset_name:
        prepare(name, args)


if __name__ == '__main__':
    main(sys.argv[1:])
