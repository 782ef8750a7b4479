"""``tools/dist_train.sh CONFIG 2`` on CPU: two gloo processes train together."""
import os
import subprocess
import sys

import torch

import mmboxcaseg  # noqa: F401  (allow-lists the checkpoint types)

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))


def test_dist_train_two_processes(tmp_path):
    env = dict(os.environ)
    env['PYTHON'] = sys.executable
    env['PORT'] = str(29500 + os.getpid() % 1000)
    env['OMP_NUM_THREADS'] = '1'
    env['PYTHONPATH'] = os.pathsep.join(
        [ROOT, os.path.join(ROOT, 'tests', 'data'), env.get('PYTHONPATH', '')])
    cmd = ['bash', 'tools/dist_train.sh', 'tests/data/toy_config.py', '2',
           '--work-dir', str(tmp_path)]
    proc = subprocess.run(
        cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    log = proc.stdout + proc.stderr
    if proc.returncode != 0 and 'exitcode: -6' in log:
        # A gloo worker aborted (SIGABRT) twice in ~10 full-suite runs and
        # never alone; cause not found yet (see the closing note). One retry
        # on a fresh port, then the same assertions.
        env['PORT'] = str(int(env['PORT']) + 50)
        proc = subprocess.run(
            cmd, cwd=ROOT, env=env, capture_output=True, text=True,
            timeout=300)
        log = proc.stdout + proc.stderr
    assert proc.returncode == 0, log[-4000:]
    assert 'Distributed launcher: pytorch' in log or 'world_size: 2' in log \
        or 'World size: 2' in log, log[-4000:]
    ckpt = tmp_path / 'iter_4.pth'
    assert ckpt.is_file(), os.listdir(tmp_path)
    state = torch.load(ckpt, map_location='cpu')
    assert state['meta']['iter'] == 4
    # DDP strips its 'module.' prefix when saving
    assert 'linear.weight' in state['state_dict']
