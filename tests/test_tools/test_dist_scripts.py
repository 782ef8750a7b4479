"""``tools/dist_{train,test,proxy}.sh``: the torchrun command each one runs
and its usage error, with a stand-in ``$PYTHON`` that prints what it gets
(nothing is launched)."""
import os
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
TOOLS = str(REPO / 'tools')
NODE_ENV = ('NNODES', 'NODE_RANK', 'PORT', 'MASTER_ADDR')

SCRIPTS = [
    ('dist_train.sh', ['c.py', '2', '--amp', 'a b'],
     [f'{TOOLS}/train.py', 'c.py', '--launcher', 'pytorch', '--amp', 'a b']),
    ('dist_test.sh', ['c.py', 'k.pth', '2', '--tta'],
     [f'{TOOLS}/test.py', 'c.py', 'k.pth', '--launcher', 'pytorch',
      '--tta']),
    ('dist_proxy.sh', ['2', '--out', 'o.json'],
     [f'{TOOLS}/generate_proxy_masks.py', '--out', 'o.json', '--launcher',
      'pytorch']),
]


def run_script(tmp_path, script, args, **node_env):
    """``bash tools/<script> args`` with ``$PYTHON`` printing its
    PYTHONPATH and then its arguments, one a line."""
    fake = tmp_path / 'python'
    fake.write_text('#!/bin/sh\necho "$PYTHONPATH"\n'
                    'for a in "$@"; do echo "$a"; done\n')
    fake.chmod(0o755)
    env = {k: v for k, v in os.environ.items() if k not in NODE_ENV}
    env.update(node_env, PYTHON=str(fake), PYTHONPATH='/elsewhere')
    return subprocess.run(['bash', f'tools/{script}', *args], cwd=REPO,
                          env=env, capture_output=True, text=True,
                          timeout=60)


@pytest.mark.parametrize('script,args,tail', SCRIPTS)
def test_runs_torchrun_on_the_tool(tmp_path, script, args, tail):
    proc = run_script(tmp_path, script, args)
    assert proc.returncode == 0, proc.stderr
    path, *argv = proc.stdout.splitlines()
    first, rest = path.split(':', 1)
    assert Path(first).resolve() == REPO and rest == '/elsewhere'
    assert argv == [
        '-m', 'torch.distributed.run', '--nnodes=1', '--node_rank=0',
        '--master_addr=127.0.0.1', '--nproc_per_node=2',
        '--master_port=29500', *tail
    ]


@pytest.mark.parametrize('script,args,tail', SCRIPTS)
def test_node_settings_come_from_the_environment(tmp_path, script, args,
                                                 tail):
    proc = run_script(tmp_path, script, args, NNODES='3', NODE_RANK='1',
                      PORT='1234', MASTER_ADDR='10.0.0.9')
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines()[3:8] == [
        '--nnodes=3', '--node_rank=1', '--master_addr=10.0.0.9',
        '--nproc_per_node=2', '--master_port=1234'
    ]


@pytest.mark.parametrize('script,args,tail', SCRIPTS)
def test_too_few_arguments_is_a_usage_error(tmp_path, script, args, tail):
    proc = run_script(tmp_path, script, [])
    assert proc.returncode == 2 and proc.stdout == ''
    assert proc.stderr.startswith(f'usage: tools/{script} '), proc.stderr
