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


def _rle(rows, cols, shape=(8, 8)):
    import numpy as np
    from pycocotools import mask as mask_utils
    m = np.zeros(shape, dtype=np.uint8)
    m[rows, cols] = 1
    return mask_utils.encode(np.asfortranarray(m))


def test_versus_ranks_by_the_iou_with_another_settings_masks(tmp_path,
                                                             capsys):
    """Hand-made masks: instance k's mask is the 8x8 rows 0..3, columns
    0..3; in the other file it keeps k + 1 of those 4 rows (IoU (k+1)/4,
    rising with k, as the true IoUs do): Spearman 1.0; score x IoU is
    then rank-equal too (scores rise as well)."""
    ones = [
        dict(id=k, score=0.1 * (k + 1), gt_iou=0.2 * (k + 1), skip=None,
             segmentation=_rle(slice(0, 4), slice(0, 4))) for k in range(4)
    ]
    others = [
        dict(id=k, score=0.5, gt_iou=None, skip=None,
             segmentation=_rle(slice(0, k + 1), slice(0, 4)))
        for k in range(4)
    ]
    tool = load_tool(TOOL)
    assert list(tool.agreement(ones, others, 'b.pkl')) == [
        0.25, 0.5, 0.75, 1.0
    ]
    a, b = tmp_path / 'a.pkl', tmp_path / 'b.pkl'
    a.write_bytes(pickle.dumps(ones))
    b.write_bytes(pickle.dumps(others))
    assert tool.main([str(a), '--versus', str(b)]) == 0
    assert (f'versus {b}: Spearman of the IoU with its mask = 1.000; of '
            'score x that IoU = 1.000') in capsys.readouterr().out
    # another file's boxes: one line naming the file and the id
    b.write_bytes(pickle.dumps(others[:2]))
    with pytest.raises(SystemExit) as info:
        tool.main([str(a), '--versus', str(b)])
    msg = str(info.value.code)
    assert str(b) in msg and 'annotation id 2' in msg and '\n' not in msg


def test_drop_thresholds_print_what_they_ignore_and_keep(tmp_path, capsys):
    """Scores 0.1 .. 0.4 with true IoUs 0.2, 0.8, 0.6, 0.9: below 0.25
    ignores 2 of 4 (50 %), keeps IoUs 0.6 and 0.9 (mean 75.0, one of two
    at >= 0.75); below 0.5 ignores all."""
    path = tmp_path / 'p.pkl'
    with open(path, 'wb') as f:
        pickle.dump([dict(score=0.1 * (k + 1), gt_iou=iou, skip=None)
                     for k, iou in enumerate((0.2, 0.8, 0.6, 0.9))], f)
    assert load_tool(TOOL).main([str(path), '--drop-thr', '0.25',
                                 '0.5']) == 0
    out = capsys.readouterr().out
    assert ('drop below 0.25: 50.0 % ignored; kept: mean true IoU 75.0, '
            'IoU >= 0.75 50.0 %') in out
    assert 'drop below 0.5: 100.0 % ignored\n' in out


def test_ann_file_ranks_within_cocos_object_sizes(tmp_path, capsys):
    """Boxes 10x10 (small), 40x40 (medium) and 100x100 (large), three of
    each (areas below 32^2, below 96^2, above). Within small the score ranks
    the IoUs backwards (Spearman -1), within medium and large forwards (1);
    a box missing from the json is one line naming the file and the id."""
    import json
    sides = [10] * 3 + [40] * 3 + [100] * 3
    ious = [0.9, 0.8, 0.7, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8]
    anns = [dict(id=k, image_id=1, category_id=1, bbox=[0, 0, s, s])
            for k, s in enumerate(sides)]
    images = [dict(id=1, file_name='a.jpg', width=200, height=200)]
    ann = tmp_path / 'a.json'
    ann.write_text(json.dumps(dict(images=images, annotations=anns)))
    path = tmp_path / 'p.pkl'
    path.write_bytes(pickle.dumps([
        dict(id=k, score=0.1 * (k % 3 + 1), gt_iou=iou, skip=None)
        for k, iou in enumerate(ious)
    ]))
    tool = load_tool(TOOL)
    assert tool.main([str(path), '--ann-file', str(ann)]) == 0
    out = capsys.readouterr().out
    assert 'small boxes (3): Spearman -1.000, mean true IoU 0.800' in out
    assert 'medium boxes (3): Spearman 1.000, mean true IoU 0.400' in out
    assert 'large boxes (3): Spearman 1.000, mean true IoU 0.700' in out
    ann.write_text(json.dumps(dict(images=images, annotations=anns[:8])))
    with pytest.raises(SystemExit) as info:
        tool.main([str(path), '--ann-file', str(ann)])
    msg = str(info.value.code)
    assert str(ann) in msg and 'annotation id 8' in msg and '\n' not in msg
