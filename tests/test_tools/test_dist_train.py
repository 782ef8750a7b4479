"""``tools/dist_train.sh CONFIG 2`` on CPU: two gloo processes train together
and exit cleanly."""
import torch
from two_processes import check_clean_exit, log_files, run_two_processes

import mmboxcaseg  # noqa: F401  (allow-lists the checkpoint types)


def test_dist_train_two_processes(tmp_path):
    cmd = ['bash', 'tools/dist_train.sh', 'tests/data/toy_config.py', '2',
           '--work-dir', str(tmp_path / 'work')]
    proc, log, probe = run_two_processes(cmd, tmp_path)
    # both ranks ended with no process group and no gloo thread left for
    # interpreter finalisation (what made ranks abort with SIGABRT)
    check_clean_exit(proc, log, probe)
    # each rank's console leaves the environment dump to the log file
    assert 'System environment:' not in log, log[-4000:]
    dumps = log_files(tmp_path / 'work')
    assert 'Distributed launcher: pytorch' in dumps
    assert 'GPU number: 2' in dumps  # MMEngine's name for the world size
    assert '[default0]:' in log and '[default1]:' in log  # ranks are told
    ckpt = tmp_path / 'work' / 'iter_4.pth'
    assert ckpt.is_file()
    state = torch.load(ckpt, map_location='cpu')
    assert state['meta']['iter'] == 4
    # DDP strips its 'module.' prefix when saving
    assert 'linear.weight' in state['state_dict']


def test_dist_train_failed_run_leaves_no_gloo_thread(tmp_path):
    """A run that fails inside the runner (the data set raises at its 9th
    draw: iteration 3) still tears the group down before the interpreter
    exits. One rank: with two, torchrun kills the other when one fails."""
    cmd = ['bash', 'tools/dist_train.sh', 'tests/data/toy_config.py', '1',
           '--work-dir', str(tmp_path / 'work'), '--cfg-options',
           'train_dataloader.dataset.fail_after=9']
    proc, log, probe = run_two_processes(cmd, tmp_path)
    assert proc.returncode != 0
    assert 'ToyDataset: draw 9 fails on purpose' in log, log[-4000:]
    assert 'Iter(train) [2/4]' in log and 'Iter(train) [3/4]' not in log
    assert probe == ['0 destroyed threads=-'], (probe, log[-4000:])
