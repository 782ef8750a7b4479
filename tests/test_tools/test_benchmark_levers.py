"""benchmark_levers.py trains each variant for real and prints the table."""
import json
import os
import subprocess
import sys

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))
sys.path.insert(0, os.path.join(ROOT, 'tests', 'test_datasets'))
from boxcaseg_tiny_data import (tiny_cpu_options, write_coco,  # noqa: E402
                               write_salient)

CONFIG = 'configs/boxcaseg/boxcaseg_effnet-lite0_1xb16-cpu_coco128-salient.py'


def test_benchmark_levers_table(tmp_path):
    box_root, ann = write_coco(tmp_path / 'coco')
    sal_root = write_salient(tmp_path / 'sal', [f'{i:03d}' for i in range(8)])
    out = tmp_path / 'rows.json'
    opts = ['model.backbone.init_cfg=None', 'train_dataloader.batch_size=4',
            'train_dataloader.batch_sampler.box_ratio=[1,1]'] + \
        tiny_cpu_options(box_root, ann, sal_root, loaders=('train', ))
    proc = subprocess.run(
        [sys.executable, 'tools/analysis_tools/benchmark_levers.py', CONFIG,
         '--variants', 'default', 'ema', '--iters', '1',
         '--warmup', '1', '--rounds', '2', '--json', str(out),
         '--cfg-options'] + opts,
        cwd=ROOT, capture_output=True, text=True, timeout=600,
        env=dict(os.environ, OMP_NUM_THREADS='1'))
    assert proc.returncode == 0, proc.stderr[-4000:]
    rows = json.loads(out.read_text())
    assert [r['variant'] for r in rows] == ['default', 'ema']
    # one timed iteration per child, pooled over the two rounds
    assert all(r['iters'] == 2 and r['s_per_iter'] > 0 for r in rows)
    assert rows[0]['ratio'] == 1.0
    assert '| ema |' in proc.stdout
    done = [ln.split()[1].rstrip(':') for ln in proc.stdout.splitlines()
            if ln.startswith('[done]')]
    # the second round runs the variants in reverse order
    assert done == ['default', 'ema', 'ema', 'default']


def test_schedule_reverses_each_round():
    from tests.tool_loader import load_tool
    tool = load_tool('tools/analysis_tools/benchmark_levers.py')
    assert tool.schedule(['a', 'b', 'c'], 1) == ['a', 'b', 'c']
    assert tool.schedule(['a', 'b', 'c'], 3) == [
        'a', 'b', 'c', 'c', 'b', 'a', 'a', 'b', 'c'
    ]
