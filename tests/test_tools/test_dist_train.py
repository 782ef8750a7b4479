"""``tools/dist_train.sh CONFIG 2`` on CPU: two gloo processes train together
and exit cleanly."""
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
    probe = tmp_path / 'exit-probe.txt'
    env['MMBOXCASEG_EXIT_PROBE'] = str(probe)
    cmd = ['bash', 'tools/dist_train.sh', 'tests/data/toy_config.py', '2',
           '--work-dir', str(tmp_path / 'work')]
    proc = subprocess.run(
        cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    log = proc.stdout + proc.stderr
    assert proc.returncode == 0, (proc.returncode, proc.stderr[-6000:])
    assert 'Distributed launcher: pytorch' in log or 'world_size: 2' in log \
        or 'World size: 2' in log, log[-4000:]
    # both ranks tore the gloo group down before the interpreter exited
    # (a live group at exit is what made workers abort with SIGABRT)
    assert sorted(probe.read_text().split('\n')[:-1]) == [
        '0 destroyed', '1 destroyed'
    ], probe.read_text()
    ckpt = tmp_path / 'work' / 'iter_4.pth'
    assert ckpt.is_file(), os.listdir(tmp_path / 'work')
    state = torch.load(ckpt, map_location='cpu')
    assert state['meta']['iter'] == 4
    # DDP strips its 'module.' prefix when saving
    assert 'linear.weight' in state['state_dict']
