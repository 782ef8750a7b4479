"""The prepared GPU script runs end to end on the CPU in --dry-run mode."""
import json
import os
import subprocess
import sys

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))


def test_device_benchmark_dry_run(tmp_path):
    out = tmp_path / 'bench.json'
    env = dict(os.environ, OMP_NUM_THREADS='1', PYTHON=sys.executable)
    proc = subprocess.run(
        ['bash', 'tools/analysis_tools/device_benchmark.sh', 'no-wheels',
         '--dry-run', '--work-dir', str(tmp_path / 'work'), '--out-json',
         str(out)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-5000:]
    rows = json.loads(out.read_text())['rows']
    assert set(rows) == {'train fp32', 'train bf16 autocast', 'proxy fp32',
                         'proxy bf16'}
    for key in ('train fp32', 'train bf16 autocast'):
        assert rows[key]['s_per_step'] > 0
    for key in ('proxy fp32', 'proxy bf16'):
        assert rows[key]['instances'] > 0 and rows[key]['steady_per_s'] > 0
    assert 'COCO 860k boxes' in proc.stdout
