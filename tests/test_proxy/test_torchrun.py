"""Two ranks under torchrun (``tools/dist_proxy.sh``) equal one process."""
import subprocess
import sys

import pytest
from two_processes import check_clean_exit, run_two_processes

from mmboxcaseg.proxy import (ProxyInputError, ProxyOptions,
                              generate_proxy_masks)
from tests.test_proxy.proxy_data import make_dataset


def run(ann, imgs, out, **kw):
    return generate_proxy_masks(
        ProxyOptions(ann_file=str(ann), img_root=str(imgs), out=str(out),
                     generator='boxfill', progress=False, num_workers=0,
                     post_threads=0, **kw))


def dist_proxy(ann, imgs, out, tmp_path, *flags):
    """``bash tools/dist_proxy.sh 2`` on the box-fill generator; asserts
    both ranks ended cleanly."""
    proc, log, probe = run_two_processes([
        'bash', 'tools/dist_proxy.sh', '2', '--ann-file',
        str(ann), '--img-root',
        str(imgs), '--out',
        str(out), '--generator', 'boxfill', '--num-workers', '0',
        '--no-progress', *flags
    ], tmp_path)
    check_clean_exit(proc, log, probe)
    (tmp_path / 'exit-probe.txt').unlink()


def test_dist_proxy_two_ranks_equal_one_process(tmp_path):
    ann, imgs = make_dataset(tmp_path)
    run(ann, imgs, tmp_path / 'one.json', batch_size=1)
    # two ranks (images 1 | 2, 3), merged by rank 0
    dist_proxy(ann, imgs, tmp_path / 'two.json', tmp_path, '--batch-size',
               '3')
    assert (tmp_path / 'two.json').read_bytes() == (tmp_path /
                                                    'one.json').read_bytes()
    assert not (tmp_path / 'two.json.parts').exists()


def _cut_part(path, keep_images):
    """Simulate a kill: keep the header and ``keep_images`` complete images,
    then half of the next line."""
    lines = path.read_bytes().splitlines(keepends=True)
    out, images = [lines[0]], 0
    for line in lines[1:]:
        if images == keep_images:
            out.append(line[:len(line) // 2])
            break
        out.append(line)
        images += line.startswith(b'{"image":')
    path.write_bytes(b''.join(out))


def test_resume_two_ranks(tmp_path, monkeypatch):
    ann, imgs = make_dataset(tmp_path)
    run(ann, imgs, tmp_path / 'clean.json')
    out = tmp_path / 'r.json'
    dist_proxy(ann, imgs, out, tmp_path, '--keep-parts')
    out.unlink()
    parts = tmp_path / 'r.json.parts'
    # split by work: image 1 (2 boxes) | images 2, 3 (2 + 1 boxes)
    images = [
        sum(line.startswith(b'{"image":') for line in (
            parts / f'part-0000{r}-of-00002.jsonl').read_bytes().splitlines())
        for r in range(2)
    ]
    assert images == [1, 2]
    _cut_part(parts / 'part-00000-of-00002.jsonl', 0)  # image 1
    _cut_part(parts / 'part-00001-of-00002.jsonl', 1)  # images 2 | 3
    with monkeypatch.context() as m:  # rank 0 of 3 stops before any work
        m.setenv('RANK', '0')
        m.setenv('WORLD_SIZE', '3')
        with pytest.raises(ProxyInputError, match='shard'):
            run(ann, imgs, out, resume=True, launcher='pytorch')
    dist_proxy(ann, imgs, out, tmp_path, '--resume')
    assert out.read_bytes() == (tmp_path / 'clean.json').read_bytes()


def test_nproc_is_refused_with_a_hint(tmp_path):
    proc = subprocess.run([
        sys.executable, 'tools/generate_proxy_masks.py', '--ann-file', 'a',
        '--img-root', 'b', '--out', 'c', '--nproc', '2'
    ], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2
    assert proc.stderr.splitlines()[-1].endswith(
        'error: --nproc is gone; N ranks: bash tools/dist_proxy.sh N <flags>')
