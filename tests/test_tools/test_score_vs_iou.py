"""score_vs_iou.py reads the ``--out`` file of tools/test.py with an
allow-list: a crafted ``.pkl`` is refused in one line and runs nothing."""
import pickle

import pytest

from tests.test_utils.test_checkpoint import _Evil
from tests.tool_loader import load_tool

TOOL = 'tools/analysis_tools/score_vs_iou.py'


def test_reads_what_the_metric_writes(tmp_path, capsys):
    """The file BoxMaskMetric writes for tools/test.py --out (RLE masks,
    numpy scores, None) still loads, with the instances it holds."""
    from scipy.stats import spearmanr

    from tests.test_evaluation.test_metrics.test_box_mask_metric import \
        _written_instances
    out = tmp_path / 'p.pkl'
    instances = _written_instances(out)
    scored = [(d['score'], d['gt_iou']) for d in instances
              if d['gt_iou'] is not None and d['skip'] is None]
    assert len(scored) == 3  # IoUs 2/3, 1/2, 0; a skipped box; no GT
    assert load_tool(TOOL).main([str(out)]) == 0
    rho = spearmanr(*zip(*scored)).statistic
    assert f'3 instances: Spearman rank correlation of score and true IoU ' \
        f'= {rho:.3f}' in capsys.readouterr().out


def test_crafted_pickle_runs_no_code_and_is_refused_in_one_line(tmp_path):
    marker = tmp_path / 'pwned'
    bad = tmp_path / 'scores.pkl'
    with open(bad, 'wb') as f:
        pickle.dump([dict(score=0.5, gt_iou=0.5, skip=None),
                     dict(score=_Evil(str(marker)))], f)
    with pytest.raises(SystemExit) as info:
        load_tool(TOOL).main([str(bad)])
    assert not marker.exists()  # nothing of the file ran
    msg = str(info.value.code)
    assert msg.startswith('error: ') and '\n' not in msg
    assert str(bad) in msg and 'refused' in msg and 'system' in msg


def test_not_a_pickle_and_a_missing_file_are_one_line(tmp_path):
    junk = tmp_path / 'junk.pkl'
    junk.write_bytes(b'\x80\x04not really')
    for path in (junk, tmp_path / 'missing.pkl'):
        with pytest.raises(SystemExit) as info:
            load_tool(TOOL).main([str(path)])
        msg = str(info.value.code)
        assert msg.startswith('error: ') and str(path) in msg
        assert '\n' not in msg
