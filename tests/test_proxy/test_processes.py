"""Process hygiene: one run per output, no orphans after a kill -9 or a
Ctrl-C."""
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from two_processes import alive as _alive
from two_processes import (check_clean_exit, run_two_processes,
                           two_process_env)

from mmboxcaseg.proxy import ProxyInputError, ProxyOptions, generate_proxy_masks
from mmboxcaseg.proxy.part_file import PartWriter, part_path
from mmboxcaseg.proxy.run import RunLock
from tests.test_proxy.proxy_data import write_image

REPO = Path(__file__).resolve().parents[2]


def run(ann, imgs, out, **kw):
    kw.setdefault('generator', 'boxfill')
    kw.setdefault('num_workers', 0)
    kw.setdefault('post_threads', 0)
    return generate_proxy_masks(
        ProxyOptions(ann_file=str(ann), img_root=str(imgs), out=str(out),
                     progress=False, **kw))


def test_a_second_run_on_the_same_output_is_refused(dataset, tmp_path):
    ann, imgs = dataset
    out = tmp_path / 'o.json'
    with RunLock(str(out) + '.lock', str(out)):  # a run in progress
        with pytest.raises(ProxyInputError, match='another run'):
            run(ann, imgs, out)
        with pytest.raises(ProxyInputError, match='another run'):
            run(ann, imgs, out, resume=True)
    # a torchrun rank holds its part file the same way
    parts = tmp_path / 'o.json.parts'
    parts.mkdir()
    holder = PartWriter(part_path(str(parts), 0, 1), {'x': 1}, resume=False)
    with pytest.raises(ProxyInputError, match='another run'):
        run(ann, imgs, out)
    holder.close()
    run(ann, imgs, out)  # and once both are gone it runs
    assert out.is_file() and not Path(str(out) + '.lock').exists()


def test_resume_refuses_another_image_root(dataset, tmp_path):
    ann, imgs = dataset
    out = tmp_path / 'o.json'
    run(ann, imgs, out, keep_parts=True)
    other = tmp_path / 'other_imgs'
    other.symlink_to(imgs, target_is_directory=True)
    with pytest.raises(ProxyInputError, match='img_root'):
        run(ann, other, out, resume=True)


def _children(pid):
    kids = []
    for d in os.listdir('/proc'):
        if not d.isdigit():
            continue
        try:
            with open(f'/proc/{d}/stat') as f:
                fields = f.read().rsplit(')', 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid and fields[0] != 'Z':
            kids.append(int(d))
    return kids


def _descendants(pid):
    """The live processes below ``pid`` (torchrun starts each rank in a
    session of its own, so they are not in its process group)."""
    kids = _children(pid)
    return kids + [d for k in kids for d in _descendants(k)]


STALL = """\
import os
import mmboxcaseg_exit_probe  # noqa: F401 (tests/data/site's, first)
import time
from mmboxcaseg.datasets.transforms import loading
read_image = loading.read_image


def stalling_read_image(path, *args, **kwargs):
    if os.path.basename(path) in ('12.png', '36.png'):
        time.sleep(600)
    return read_image(path, *args, **kwargs)


loading.read_image = stalling_read_image
"""


def test_ctrl_c_of_dist_proxy_ends_every_rank_and_resume_finishes(
        tmp_path):
    """SIGINT to the process group of ``tools/dist_proxy.sh`` (what Ctrl-C
    in a terminal sends): torchrun, both ranks and their data loader
    workers end, no output is written, and ``--resume`` finishes the run
    byte-identical to an uninterrupted one."""
    ann, imgs = _grabcut_set(tmp_path, 48)
    out = tmp_path / 'o.json'
    # reading image 12 or 36 (one in each rank's half) waits: each rank
    # is caught mid-run, its part file begun
    env = two_process_env(tmp_path)
    (tmp_path / 'site').mkdir()
    (tmp_path / 'site' / 'sitecustomize.py').write_text(STALL)
    env['PYTHONPATH'] = os.pathsep.join([str(tmp_path / 'site'),
                                         env['PYTHONPATH']])
    cmd = ['bash', 'tools/dist_proxy.sh', '2', '--ann-file', str(ann),
           '--img-root', str(imgs), '--out', str(out), '--generator',
           'grabcut', '--num-workers', '1', '--no-progress']
    log = open(tmp_path / 'log.txt', 'w')
    # a group of its own, as a terminal's foreground job
    script = subprocess.Popen(cmd, cwd=REPO, env=env,
                              stdout=log, stderr=log, start_new_session=True)
    parts = tmp_path / 'o.json.parts'
    deadline = time.time() + 120
    procs = []
    try:
        while time.time() < deadline:  # both ranks wrote, then wait
            procs = [p for p in _descendants(script.pid) if _alive(p)]
            done = [p for p in parts.glob('part-*-of-00002.jsonl')
                    if p.stat().st_size > 300]
            # 2 ranks, a data loader worker each
            if len(done) == 2 and len(procs) >= 4:
                break
            time.sleep(0.1)
        assert len(procs) >= 4 and not out.exists(), 'caught no rank'
        os.killpg(script.pid, signal.SIGINT)
        script.wait(timeout=60)
        deadline = time.time() + 20
        while time.time() < deadline and any(_alive(p) for p in procs):
            time.sleep(0.2)
        assert not any(_alive(p) for p in procs), 'orphaned processes'
    finally:
        for p in [script.pid] + procs:
            if _alive(p):
                os.kill(p, signal.SIGKILL)
    assert script.returncode != 0
    assert not out.exists() and not Path(str(out) + '.lock').exists()
    assert sorted(p.name for p in tmp_path.glob('*.json')) == ['ann.json']
    for part in parts.glob('part-*-of-00002.jsonl'):  # each rank's half
        done = sum(line.startswith(b'{"image":')
                   for line in part.read_bytes().splitlines())
        assert 0 < done < 24, (part, done)
    assert len(list(parts.glob('part-*-of-00002.jsonl'))) == 2
    # each rank ended through its own exit path, its process group closed
    probe = tmp_path / 'exit-probe.txt'
    assert sorted(probe.read_text().splitlines()) == [
        '0 destroyed threads=-', '1 destroyed threads=-']
    assert 'interrupted; rerun' in (tmp_path / 'log.txt').read_text()
    probe.unlink()
    proc, text, probe = run_two_processes(cmd + ['--resume'], tmp_path)
    check_clean_exit(proc, text, probe)
    clean = tmp_path / 'clean.json'
    run(ann, imgs, clean, generator='grabcut')
    assert out.read_bytes() == clean.read_bytes()


def _grabcut_set(root, n_images):
    """``n_images`` 120 x 160 images with 3 boxes each (GrabCut: about a
    second per few images; a batch of 4 images is 230 kB, more than a pipe
    holds)."""
    rng = np.random.default_rng(0)
    images, anns = [], []
    for k in range(n_images):
        write_image(root / 'imgs' / f'{k}.png', 120, 160, seed=k)
        images.append(dict(id=k, file_name=f'{k}.png', height=120,
                           width=160))
        for j in range(3):
            x, y = rng.uniform(0, 60, 2)
            anns.append(dict(id=100 * k + j, image_id=k, category_id=1,
                             bbox=[x, y, 60, 50], iscrowd=0))
    ann = root / 'ann.json'
    ann.write_text(json.dumps(dict(images=images, annotations=anns,
                                   categories=[dict(id=1, name='a')])))
    return ann, root / 'imgs'


def _env():
    env = dict(os.environ, OMP_NUM_THREADS='1')
    env['PYTHONPATH'] = os.pathsep.join([str(REPO), env.get('PYTHONPATH',
                                                            '')])
    return env


def test_kill_9_of_a_one_process_run_kills_its_loader_workers(tmp_path):
    """One process with data loader workers (the default run, and what
    the OOM killer hits): the forked workers die with the process, and the
    resume that follows at once is not refused."""
    ann, imgs = _grabcut_set(tmp_path, 24)
    out = tmp_path / 'o.json'
    cmd = [sys.executable, str(REPO / 'tools' / 'generate_proxy_masks.py'),
           '--ann-file', str(ann), '--img-root', str(imgs), '--out', str(out),
           '--generator', 'grabcut', '--num-workers', '2', '--no-progress']
    parent = subprocess.Popen(cmd, env=_env(), stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    part = tmp_path / 'o.json.parts' / 'part-00000-of-00001.jsonl'
    deadline = time.time() + 120
    workers = []
    try:
        while time.time() < deadline:  # the workers feed, images are written
            workers = [p for p in _children(parent.pid) if _alive(p)]
            if len(workers) >= 2 and part.is_file() and \
                    part.stat().st_size > 300:
                break
            time.sleep(0.2)
        assert len(workers) >= 2, 'the workers never started'
        os.kill(parent.pid, signal.SIGKILL)
        parent.wait()
        deadline = time.time() + 10
        while time.time() < deadline and any(_alive(p) for p in workers):
            time.sleep(0.2)
        assert not any(_alive(p) for p in workers), 'orphaned workers'
    finally:
        for p in workers:
            if _alive(p):
                os.kill(p, signal.SIGKILL)
    proc = subprocess.run(cmd + ['--resume'], env=_env(), capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    clean = tmp_path / 'clean.json'
    run(ann, imgs, clean, generator='grabcut')
    assert out.read_bytes() == clean.read_bytes()


def test_a_lock_whose_run_is_dead_does_not_block_a_resume(dataset, tmp_path):
    """A run killed while a process it forked lives on (that child holds
    the inherited lock descriptor): its pid is dead, so the lock is stale."""
    ann, imgs = dataset
    out = tmp_path / 'o.json'
    run(ann, imgs, out, keep_parts=True)
    first = out.read_bytes()
    out.unlink()
    holder = subprocess.Popen([
        sys.executable, '-c',
        'import os, sys, time\n'
        'from mmboxcaseg.proxy.run import RunLock\n'
        'lock = RunLock(sys.argv[1] + ".lock", sys.argv[1]).__enter__()\n'
        'child = os.fork()\n'
        'if child == 0:\n'
        '    time.sleep(300)\n'
        '    os._exit(0)\n'
        'print(child, flush=True)\n'
        'time.sleep(300)\n',
        str(out)
    ], env=_env(), stdout=subprocess.PIPE, text=True)
    child = int(holder.stdout.readline())
    try:
        os.kill(holder.pid, signal.SIGKILL)
        holder.wait()
        assert _alive(child)  # it still holds the lock
        run(ann, imgs, out, resume=True)
        assert out.read_bytes() == first
        assert not Path(str(out) + '.lock').exists()
    finally:
        os.kill(child, signal.SIGKILL)
