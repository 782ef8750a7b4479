"""tools/setup_env.sh stops before any install when the disk cannot hold torch."""
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_setup_env_stops_on_a_full_disk(tmp_path):
    venv = tmp_path / 'venv'
    env = dict(os.environ, VENV=str(venv), MIN_FREE_GB=str(10**9),
               PYTHON=sys.executable, TMPDIR=str(tmp_path))
    result = subprocess.run(['bash', str(ROOT / 'tools' / 'setup_env.sh')],
                            env=env, capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 1
    assert 'FAILED at step "check free disk space"' in result.stderr
    assert f"disk of '{tmp_path}'" in result.stderr
    assert 'MIN_FREE_GB=0' in result.stderr
    # nothing was created or installed
    assert not venv.exists()
