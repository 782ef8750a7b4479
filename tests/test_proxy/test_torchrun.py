"""torchrun with two ranks (--launcher pytorch) equals one process."""
import os
import subprocess
import sys

from mmboxcaseg.proxy import ProxyOptions, generate_proxy_masks
from tests.test_proxy.proxy_data import make_dataset

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))


def test_torchrun_two_ranks_equal_one_process(tmp_path):
    ann, imgs = make_dataset(tmp_path)
    generate_proxy_masks(
        ProxyOptions(
            ann_file=str(ann),
            img_root=str(imgs),
            out=str(tmp_path / 'one.json'),
            generator='boxfill',
            progress=False))
    env = dict(os.environ, OMP_NUM_THREADS='1')
    env['PYTHONPATH'] = os.pathsep.join([ROOT, env.get('PYTHONPATH', '')])
    proc = subprocess.run([
        sys.executable, '-m', 'torch.distributed.run', '--nproc_per_node=2',
        f'--master_port={29500 + os.getpid() % 1000 + 7}',
        'tools/generate_proxy_masks.py', '--ann-file',
        str(ann), '--img-root',
        str(imgs), '--out',
        str(tmp_path / 'two.json'), '--generator', 'boxfill', '--launcher',
        'pytorch', '--no-progress'
    ],
                          cwd=ROOT,
                          env=env,
                          capture_output=True,
                          text=True,
                          timeout=300)
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-4000:]
    assert (tmp_path / 'two.json').read_bytes() == (tmp_path /
                                                    'one.json').read_bytes()
    assert not (tmp_path / 'two.json.parts').exists()
