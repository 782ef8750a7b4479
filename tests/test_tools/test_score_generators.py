"""tools/analysis_tools/score_generators.py: one table of every generator
on a tiny set with hand-computed IoUs (tests/test_proxy/proxy_data.py)."""
import json

import numpy as np
import pytest

from tests.test_proxy.proxy_data import base_coco, make_dataset, rle_of
from tests.tool_loader import load_tool

TOOL = 'tools/analysis_tools/score_generators.py'


def _known_set(root):
    """Box fill IoU vs GT: ann 10 0.5 (category 1), ann 2 1.0 and ann 8
    0.8 (category 2); without merge, as the tool runs."""
    coco = base_coco()
    coco['images'] = coco['images'][1:]
    coco['annotations'] = [
        a for a in coco['annotations'] if a['image_id'] in (2, 3)
    ]
    gt8 = np.zeros((8, 8), bool)
    gt8[2:6, 2:6] = True
    for a in coco['annotations']:
        if a['id'] == 8:
            a['segmentation'] = rle_of(gt8)
    return make_dataset(root, coco)


def test_rows_and_cfg_options(tmp_path, tiny_boxcaseg, capsys):
    tool = load_tool(TOOL)
    ann, imgs = _known_set(tmp_path)
    cfg, ckpt = tiny_boxcaseg
    out = tmp_path / 'scores.json'
    common = ['--set', f'tiny={ann}:{imgs}:{cfg}:{ckpt}', '--preds',
              'weak', 'mixed', '--work-dir', str(tmp_path / 'work')]
    # every pixel of a box is above threshold -1, none above 1: the
    # boxcaseg rows must then equal box fill, then score zero
    assert tool.main(common + [
        '--generators', 'boxfill', 'boxcaseg', '--out-json', str(out),
        '--cfg-options', 'model.test_cfg.mask_thr=-1'
    ]) == 0
    rows = json.loads(out.read_text())
    assert [r['generator'] for r in rows] == [
        'boxfill', 'boxcaseg weak', 'boxcaseg mixed'
    ]
    for r in rows:
        assert r['set'] == 'tiny' and r['instances'] == 3
        assert r['mIoU*'] == pytest.approx(100 * (0.5 + (1.0 + 0.8) / 2) / 2)
        assert r['IoU@50'] == pytest.approx(200 / 3)  # 0.5 is not > 0.5
        assert r['IoU@75'] == pytest.approx(200 / 3)
        assert r['instances_per_s'] > 0
    table = capsys.readouterr().out
    assert 'box -> mask quality vs GT masks' in table
    assert '| tiny | boxcaseg mixed | 70.0  | 66.7   | 66.7   | 3' in table

    assert tool.main(common + [
        '--generators', 'boxcaseg', '--out-json', str(out),
        '--cfg-options', 'model.test_cfg.mask_thr=1.0'
    ]) == 0
    rows = json.loads(out.read_text())
    assert [r['generator'] for r in rows] == ['boxcaseg weak',
                                              'boxcaseg mixed']
    assert all(r['mIoU*'] == 0 and r['IoU@50'] == 0 for r in rows)


def test_refine_adds_the_rows_without_and_with_every_box(
        tmp_path, tiny_boxcaseg):
    tool = load_tool(TOOL)
    ann, imgs = _known_set(tmp_path)
    cfg, ckpt = tiny_boxcaseg
    out = tmp_path / 'scores.json'
    assert tool.main([
        '--set', f'tiny={ann}:{imgs}:{cfg}:{ckpt}', '--preds', 'weak',
        '--generators', 'boxcaseg', '--refine', '--out-json', str(out),
        '--work-dir', str(tmp_path / 'work')
    ]) == 0
    rows = json.loads(out.read_text())
    assert [r['generator'] for r in rows] == [
        'boxcaseg weak', 'boxcaseg weak, no refinement',
        'boxcaseg weak, every box refined'
    ]
    # the tiny config does not refine: its row is the unrefined one
    assert rows[0]['mIoU*'] == rows[1]['mIoU*']
    assert all(r['instances'] == 3 for r in rows)


def test_model_free_set_and_bad_input(tmp_path, capsys):
    tool = load_tool(TOOL)
    ann, imgs = _known_set(tmp_path)
    assert tool.main(['--set', f'tiny={ann}:{imgs}', '--generators',
                      'boxfill', 'boxcaseg']) == 0
    out = capsys.readouterr().out
    assert 'boxfill' in out and 'boxcaseg' not in out  # no model: no row
    missing = tmp_path / 'missing.json'
    assert tool.main(['--set', f'tiny={missing}:{imgs}', '--generators',
                      'boxfill']) == 2
    assert str(missing) in capsys.readouterr().err
    with pytest.raises(SystemExit):
        tool.parse_args(['--set', 'no-equals-sign'])


def test_set_without_gt_masks_is_named_in_one_line(tmp_path):
    tool = load_tool(TOOL)
    coco = base_coco()
    for a in coco['annotations']:
        if not a.get('iscrowd'):
            a.pop('segmentation', None)
    ann, imgs = make_dataset(tmp_path, coco)
    with pytest.raises(SystemExit) as info:
        tool.main(['--set', f'boxes={ann}:{imgs}', '--generators', 'boxfill',
                   '--work-dir', str(tmp_path / 'work')])
    msg = info.value.code
    assert msg.startswith('error: --set boxes: ') and '\n' not in msg
    assert str(ann) in msg and 'no GT masks' in msg
