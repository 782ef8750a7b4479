"""A tool that runs a runner keeps MMEngine's system environment and config
dumps (and its hook list) in the log file, off the console; the rest of the log (iteration
lines with their eta, the report) still reaches the console."""
import os
import os.path as osp
import subprocess
import sys

from two_processes import log_files

from tests.test_proxy.proxy_data import make_dataset

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
DATA = osp.join(ROOT, 'tests', 'data')
ENV_DUMP = 'System environment:'
CONFIG_DUMP = 'INFO - Config:'
HOOKS_DUMP = 'Hooks will be executed in the following order'


def _console(argv):
    """Run ``python argv...`` from the repository root; returns its
    console (stdout, then stderr)."""
    env = dict(os.environ, OMP_NUM_THREADS='1')
    env['PYTHONPATH'] = os.pathsep.join(
        [ROOT, DATA, env.get('PYTHONPATH', '')])
    proc = subprocess.run([sys.executable] + argv, cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300)
    console = proc.stdout + proc.stderr
    assert proc.returncode == 0, console[-4000:]
    return console


def test_train_dumps_go_to_the_log_file_only(tmp_path):
    work = tmp_path / 'work'
    console = _console(['tools/train.py', 'tests/data/toy_config.py',
                        '--work-dir', str(work)])
    assert ENV_DUMP not in console and CONFIG_DUMP not in console, console
    assert HOOKS_DUMP not in console, console
    assert 'Iter(train) [4/4]' in console and 'eta:' in console, console
    log = log_files(work)
    assert ENV_DUMP in log and CONFIG_DUMP in log and HOOKS_DUMP in log
    assert "model = dict(type='ToyRegressor')" in log  # the config itself
    assert 'Iter(train) [4/4]' in log


def test_converter_dumps_go_to_the_log_file_only(tiny_boxcaseg, tmp_path):
    cfg, ckpt = tiny_boxcaseg
    ann, imgs = make_dataset(tmp_path)
    out = tmp_path / 'proxy.json'
    console = _console([
        'tools/generate_proxy_masks.py', '--ann-file',
        str(ann), '--img-root',
        str(imgs), '--out',
        str(out), '--config', cfg, '--checkpoint', ckpt, '--num-workers',
        '0', '--keep-parts'
    ])
    assert ENV_DUMP not in console and CONFIG_DUMP not in console, console
    assert HOOKS_DUMP not in console, console
    assert 'Epoch(test)' in console, console  # the metrics line
    assert '| proxy masks ' in console  # the report
    log = log_files(str(out) + '.parts')
    assert ENV_DUMP in log and CONFIG_DUMP in log and HOOKS_DUMP in log
    assert "runner_type = 'InferenceRunner'" in log
