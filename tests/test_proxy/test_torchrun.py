"""torchrun with two ranks (--launcher pytorch) equals one process."""
import sys

from two_processes import check_clean_exit, free_port, run_two_processes

from mmboxcaseg.proxy import ProxyOptions, generate_proxy_masks
from tests.test_proxy.proxy_data import make_dataset


def test_torchrun_two_ranks_equal_one_process(tmp_path):
    ann, imgs = make_dataset(tmp_path)
    generate_proxy_masks(
        ProxyOptions(
            ann_file=str(ann),
            img_root=str(imgs),
            out=str(tmp_path / 'one.json'),
            generator='boxfill',
            progress=False))
    proc, log, probe = run_two_processes([
        sys.executable, '-m', 'torch.distributed.run', '--nproc_per_node=2',
        f'--master_port={free_port()}', 'tools/generate_proxy_masks.py',
        '--ann-file',
        str(ann), '--img-root',
        str(imgs), '--out',
        str(tmp_path / 'two.json'), '--generator', 'boxfill', '--launcher',
        'pytorch', '--no-progress'
    ], tmp_path)
    check_clean_exit(proc, log, probe)
    assert (tmp_path / 'two.json').read_bytes() == (tmp_path /
                                                    'one.json').read_bytes()
    assert not (tmp_path / 'two.json.parts').exists()
