"""davis345.py and sod204.py: public downloads -> images/ + masks/ (0/255).

Tiny inputs in the layouts of the public archives: DAVIS.zip (``DAVIS/img``,
``DAVIS/gt``), BSDS300-images.tgz (``BSDS300/images/{train,test}``) and the
SOD masks folder (``SOD/<id>.png``).
"""
import json

import numpy as np
import pytest
from PIL import Image

from tests.tool_loader import load_tool

davis = load_tool('tools/dataset_converters/davis345.py')
sod = load_tool('tools/dataset_converters/sod204.py')
H, W = 40, 60


def _img(path, h=H, w=W):
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(np.full((h, w, 3), 120, np.uint8)).save(path)


def _mask(path, values, mode='L'):
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(np.asarray(values, np.uint8), mode).save(path)


def _rect(fg=255, bg=0, h=H, w=W):
    m = np.full((h, w), bg, np.uint8)
    m[10:30, 20:40] = fg  # even corners: halving keeps it exact
    return m


def _make_davis(root):
    src = root / 'DAVIS'
    _img(src / 'img' / 'a.jpg')
    _mask(src / 'gt' / 'a.png', _rect())
    _img(src / 'img' / 'b.jpg')
    _mask(src / 'gt' / 'b.png', _rect(fg=1))  # 0/1 mask
    _img(src / 'img' / 'c.jpg')
    soft = _rect(fg=200)
    soft[0:5, 0:5] = 90  # below half the largest value: background
    _mask(src / 'gt' / 'c.png', soft)
    _img(src / 'img' / 'd.jpg')  # no mask
    _img(src / 'img' / 'e.jpg')
    _mask(src / 'gt' / 'e.png', np.zeros((H, W)))  # empty
    _img(src / 'img' / 'f.jpg', h=H + 2)  # size mismatch
    _mask(src / 'gt' / 'f.png', _rect())
    _img(src / 'img' / 'g.jpg')
    (src / 'gt' / 'g.png').write_bytes(b'not a png')  # unreadable
    _mask(src / 'gt' / 'z.png', _rect())  # mask without image
    return root


def test_davis_hand_checked(tmp_path, capsys):
    src = _make_davis(tmp_path / 'dl')
    out = tmp_path / 'davis345'
    summary = davis.main([str(src), '--out', str(out), '--max-side', '30'])
    assert summary['kept'] == 3
    assert summary['skipped'] == dict(
        no_mask=1, no_image=1, unreadable=1, size_mismatch=1, empty=1)
    # names by sorted source name over all images: a b c d e f g -> 000..
    assert sorted(p.name for p in (out / 'images').iterdir()) == [
        '000.jpg', '001.jpg', '002.jpg']
    assert sorted(p.name for p in (out / 'masks').iterdir()) == [
        '000.png', '001.png', '002.png']
    want = _rect()[::2, ::2]  # 60x40 -> 30x20, nearest neighbour
    for n in ('000', '001', '002'):
        with Image.open(out / 'images' / f'{n}.jpg') as im:
            assert im.size == (30, 20) and im.mode == 'RGB'
        m = np.array(Image.open(out / 'masks' / f'{n}.png'))
        assert m.dtype == np.uint8 and m.shape == (20, 30)
        np.testing.assert_array_equal(m, want)
    report = json.loads((out / 'prepare_report.json').read_text())
    assert report['kept'] == 3 and report['max_side'] == 30
    assert report['skipped']['size_mismatch'] == 1
    assert report['skipped_stems']['no_mask'] == ['d']
    assert report['names'] == {'000': 'a', '001': 'b', '002': 'c'}
    text = capsys.readouterr().out
    # one line each, naming the file
    assert any('unreadable' in ln and 'g.png' in ln
               for ln in text.splitlines())
    assert any('size_mismatch' in ln and 'f.jpg' in ln and 'f.png' in ln
               for ln in text.splitlines())
    assert 'kept 3 of 8' in text  # 7 images + 1 lone mask


def test_davis_max_side_0_keeps_size_and_layout_root(tmp_path):
    src = _make_davis(tmp_path / 'dl') / 'DAVIS'  # the folder itself
    out = tmp_path / 'o'
    davis.main([str(src), '--out', str(out), '--max-side', '0'])
    with Image.open(out / 'images' / '000.jpg') as im:
        assert im.size == (W, H)
    np.testing.assert_array_equal(
        np.array(Image.open(out / 'masks' / '001.png')), _rect())


def test_davis_overwrite_refused_then_replaced(tmp_path):
    src = _make_davis(tmp_path / 'dl')
    out = tmp_path / 'o'
    (out / 'images').mkdir(parents=True)
    (out / 'images' / 'stale.jpg').write_bytes(b'x')
    with pytest.raises(SystemExit, match='not empty.*--overwrite'):
        davis.main([str(src), '--out', str(out)])
    assert (out / 'images' / 'stale.jpg').exists()
    davis.main([str(src), '--out', str(out), '--overwrite'])
    assert not (out / 'images' / 'stale.jpg').exists()
    assert len(list((out / 'masks').iterdir())) == 3


def test_davis_nothing_kept_stops(tmp_path):
    src = tmp_path / 'dl' / 'DAVIS'
    _img(src / 'img' / 'a.jpg')
    _mask(src / 'gt' / 'a.png', np.zeros((H, W)))
    out = tmp_path / 'o'
    with pytest.raises(SystemExit, match='none of the 1'):
        davis.main([str(src), '--out', str(out)])
    assert not out.exists() or not any(out.iterdir())


def test_davis_bad_layout_and_out_inside_source(tmp_path):
    with pytest.raises(SystemExit, match='img'):
        davis.main([str(tmp_path), '--out', str(tmp_path / 'o')])
    src = _make_davis(tmp_path / 'dl')
    with pytest.raises(SystemExit, match='inside'):
        davis.main([str(src), '--out', str(src / 'out'), '--overwrite'])


def test_sod_selection_is_the_team_copys():
    assert len(sod.KEEP) == 204
    assert all(s.isdigit() for s in sod.KEEP)
    assert {'100075', '2092', '385039', '12084'} <= sod.KEEP
    assert '12003' not in sod.KEEP and '101085' not in sod.KEEP


def _make_sod(root):
    bsds = root / 'BSDS300' / 'images'
    _img(bsds / 'train' / '100075.jpg')
    _img(bsds / 'test' / '12084.jpg', h=W, w=H)  # portrait
    _img(bsds / 'train' / '12003.jpg')  # left out by the selection
    _img(bsds / 'test' / '101085.jpg')  # left out by the selection
    _img(bsds / 'train' / '2092.jpg', h=H + 1)  # size mismatch
    _img(bsds / 'train' / '8049.jpg')
    masks = root / 'sal_eval_toolbox' / 'tools' / 'GroundTruth' / 'SOD'
    _mask(masks / '100075.png', _rect())
    _mask(masks / '12084.png', _rect(h=W, w=H))
    _mask(masks / '12003.png', _rect())
    _mask(masks / '101085.png', _rect())
    _mask(masks / '2092.png', _rect())
    _mask(masks / '8049.png', np.zeros((H, W)))  # empty
    _mask(masks / '385039.png', _rect())  # kept id, no image
    # another data set's masks under the same toolbox: never read
    _mask(root / 'sal_eval_toolbox' / 'tools' / 'GroundTruth' / 'ECSSD' /
          '8143.png', _rect())
    return root, bsds.parent, masks


def test_sod_hand_checked(tmp_path, capsys):
    src, _, _ = _make_sod(tmp_path / 'dl')
    out = tmp_path / 'sod204'
    summary = sod.main([str(src), '--out', str(out), '--max-side', '30'])
    assert summary['kept'] == 2
    # 204 kept ids: 2 written, 2092 size, 8049 empty, 385039 no image,
    # the other 199 have no mask; 12003 and 101085 left out on purpose
    assert summary['skipped'] == dict(
        left_out=2, no_mask=199, no_image=1, unreadable=0, size_mismatch=1,
        empty=1)
    assert sorted(p.name for p in (out / 'images').iterdir()) == [
        '100075.jpg', '12084.jpg']
    with Image.open(out / 'images' / '12084.jpg') as im:
        assert im.size == (20, 30)
    m = np.array(Image.open(out / 'masks' / '12084.png'))
    np.testing.assert_array_equal(m, _rect(h=W, w=H)[::2, ::2])
    np.testing.assert_array_equal(
        np.array(Image.open(out / 'masks' / '100075.png')),
        _rect()[::2, ::2])
    report = json.loads((out / 'prepare_report.json').read_text())
    assert report['kept'] == 2
    assert report['skipped_stems']['left_out'] == ['101085', '12003']
    assert 'kept 2 of' in capsys.readouterr().out


def test_sod_two_folders(tmp_path):
    _, bsds, masks = _make_sod(tmp_path / 'dl')
    out = tmp_path / 'o'
    summary = sod.main(['--images', str(bsds), '--masks', str(masks),
                        '--out', str(out), '--max-side', '0'])
    assert summary['kept'] == 2
    with Image.open(out / 'images' / '100075.jpg') as im:
        assert im.size == (W, H)
    with pytest.raises(SystemExit, match='not empty'):
        sod.main(['--images', str(bsds), '--masks', str(masks),
                  '--out', str(out)])


def test_sod_missing_masks_folder(tmp_path):
    _img(tmp_path / 'BSDS300' / 'images' / 'train' / '100075.jpg')
    with pytest.raises(SystemExit, match='SOD'):
        sod.main([str(tmp_path), '--out', str(tmp_path / 'o')])


def test_sod_original_mat_release_named(tmp_path):
    # SOD.zip of the SOD site holds .mat boundary files, not masks
    _img(tmp_path / 'BSDS300' / 'images' / 'train' / '100075.jpg')
    (tmp_path / 'SOD').mkdir()
    (tmp_path / 'SOD' / 'DBidx.mat').write_bytes(b'MATLAB')
    with pytest.raises(SystemExit, match=r'\.mat.*PNG masks'):
        sod.main([str(tmp_path), '--out', str(tmp_path / 'o')])
