import os
import os.path as osp

import cv2
import numpy as np
import pytest

from tests.tool_loader import load_tool

duts = load_tool('tools/dataset_converters/duts_single.py')
H, W = 40, 50  # min-area-ratio 0.005 -> components below 10 px are specks


def _mask(*rects):
    m = np.zeros((H, W), np.uint8)
    for y0, y1, x0, x1 in rects:
        m[y0:y1, x0:x1] = 255
    return m


def _make_duts(root):
    img_dir = root / 'DUTS-TR-Image'
    mask_dir = root / 'DUTS-TR-Mask'
    img_dir.mkdir(parents=True)
    mask_dir.mkdir()
    masks = {
        'a_one': _mask((5, 20, 5, 25)),
        'b_two': _mask((2, 10, 2, 10), (20, 35, 20, 40)),
        'c_speck': _mask((5, 20, 5, 25), (35, 38, 45, 48)),  # 9 px speck
        'd_empty': _mask(),
        'e_only_speck': _mask((0, 2, 0, 2)),
    }
    for stem, m in masks.items():
        cv2.imwrite(
            str(img_dir / f'{stem}.jpg'), np.full((H, W, 3), 90, np.uint8))
        cv2.imwrite(str(mask_dir / f'{stem}.png'), m)
    cv2.imwrite(str(img_dir / 'f_nomask.jpg'), np.zeros((H, W, 3), np.uint8))
    cv2.imwrite(str(img_dir / 'g_badmask.jpg'), np.zeros((H, W, 3), np.uint8))
    (mask_dir / 'g_badmask.png').write_bytes(b'not a png')
    cv2.imwrite(str(img_dir / 'h_size.jpg'), np.zeros((H + 1, W, 3), np.uint8))
    cv2.imwrite(str(mask_dir / 'h_size.png'), _mask((5, 20, 5, 25)))
    return root


def test_count_objects_hand_made():
    assert duts.count_objects(_mask((5, 20, 5, 25)), 0.005) == 1
    assert duts.count_objects(_mask((2, 10, 2, 10), (20, 35, 20, 40)),
                              0.005) == 2
    # a 9-pixel speck is below 0.005 * 2000 = 10 pixels: ignored
    assert duts.count_objects(_mask((5, 20, 5, 25), (35, 38, 45, 48)),
                              0.005) == 1
    # ... but counts when the threshold is lower
    assert duts.count_objects(_mask((5, 20, 5, 25), (35, 38, 45, 48)),
                              0.004) == 2
    # diagonal neighbours are one component (8-connectivity)
    m = _mask((0, 10, 0, 10), (10, 20, 10, 20))
    assert duts.count_objects(m, 0.005) == 1
    # values <= 127 are background (soft edges)
    m = _mask((5, 20, 5, 25))
    m[30:38, 30:45] = 100
    assert duts.count_objects(m, 0.005) == 1


@pytest.mark.parametrize('workers', [0, 2])
def test_filter_counts_list_and_links(tmp_path, workers, capsys):
    root = _make_duts(tmp_path / 'DUTS-TR')
    out = tmp_path / 'lists' / 'single.txt'
    link = tmp_path / 'single'
    counts = duts.main([
        str(root), '--out',
        str(out), '--link-dir',
        str(link), '--workers',
        str(workers)
    ])
    assert counts == {
        'total': 8,
        'kept': 2,
        'multiple components': 1,
        'empty': 2,
        'unreadable': 1,
        'missing mask': 1,
        'size mismatch': 1
    }
    assert out.read_text().split() == ['a_one', 'c_speck']
    for stem in ('a_one', 'c_speck'):
        for sub, ext in (('DUTS-TR-Image', '.jpg'), ('DUTS-TR-Mask', '.png')):
            p = link / sub / (stem + ext)
            assert p.is_symlink()
            assert osp.samefile(p, root / sub / (stem + ext))
    assert sorted(os.listdir(link /
                             'DUTS-TR-Mask')) == ['a_one.png', 'c_speck.png']
    text = capsys.readouterr().out
    assert 'kept 2 of 8' in text and '7,991 of 10,553' in text
    assert 'g_badmask.png' in text and 'f_nomask.png' in text


def test_copy_and_rerun(tmp_path):
    root = _make_duts(tmp_path / 'DUTS-TR')
    link = tmp_path / 'copies'
    args = [
        str(root), '--out',
        str(tmp_path / 'l.txt'), '--link-dir',
        str(link), '--copy'
    ]
    duts.main(args)
    p = link / 'DUTS-TR-Mask' / 'a_one.png'
    assert p.is_file() and not p.is_symlink()
    duts.main(args)  # identical copies are kept
    p.write_bytes(b'changed')
    with pytest.raises(SystemExit, match='refusing to overwrite'):
        duts.main(args)


def test_wrong_layout(tmp_path):
    (tmp_path / 'DUTS-TR-Image').mkdir()
    with pytest.raises(SystemExit, match='DUTS-TR-Mask is missing'):
        duts.main([str(tmp_path), '--out', str(tmp_path / 'l.txt')])
    with pytest.raises(SystemExit, match='not a directory'):
        duts.main([str(tmp_path / 'nope'), '--out', str(tmp_path / 'l.txt')])
    (tmp_path / 'DUTS-TR-Mask').mkdir()
    with pytest.raises(SystemExit, match='no .jpg'):
        duts.main([str(tmp_path), '--out', str(tmp_path / 'l.txt')])
    cv2.imwrite(
        str(tmp_path / 'DUTS-TR-Image' / 'x.jpg'), np.zeros((4, 4, 3),
                                                            np.uint8))
    with pytest.raises(SystemExit, match='inside the input'):
        duts.main(
            [str(tmp_path), '--out',
             str(tmp_path / 'DUTS-TR-Mask' / 'l.txt')])


def test_link_dir_inside_the_input_is_refused_before_work(tmp_path):
    root = _make_duts(tmp_path / 'DUTS-TR')
    with pytest.raises(SystemExit, match='inside the input root'):
        duts.main([str(root), '--out', str(tmp_path / 'l.txt'),
                   '--link-dir', str(root / 'DUTS-Single')])
    assert not (tmp_path / 'l.txt').exists()


def _one_line_exit(argv, *names):
    with pytest.raises(SystemExit) as info:
        duts.main(argv)
    msg = info.value.code
    assert isinstance(msg, str) and msg.startswith('error: ')
    assert '\n' not in msg
    for name in names:
        assert str(name) in msg, (name, msg)
    return msg


def test_out_a_folder_and_link_dir_a_file_are_refused_before_work(
        tmp_path, capsys):
    root = _make_duts(tmp_path / 'DUTS-TR')
    folder = tmp_path / 'lists'
    folder.mkdir()
    _one_line_exit([str(root), '--out', str(folder)], '--out', folder,
                   'is a folder')
    afile = tmp_path / 'afile'
    afile.write_text('keep me')
    out = tmp_path / 'l.txt'
    _one_line_exit([str(root), '--out', str(out), '--link-dir', str(afile)],
                   '--link-dir', afile, 'is a file')
    _one_line_exit(
        [str(root), '--out', str(out), '--link-dir', str(afile / 'sub')],
        '--link-dir', afile, 'is a file')
    assert not out.exists() and afile.read_text() == 'keep me'
    assert 'kept' not in capsys.readouterr().out  # refused before the work


def test_every_image_rejected_is_an_error_and_writes_nothing(tmp_path):
    """As the VOC converter: no kept image is no result (exit non-zero)."""
    root = _make_duts(tmp_path / 'DUTS-TR')
    for stem in ('a_one', 'c_speck'):  # the two images that would be kept
        (root / 'DUTS-TR-Mask' / f'{stem}.png').unlink()
    out = tmp_path / 'l.txt'
    link = tmp_path / 'single'
    msg = _one_line_exit(
        [str(root), '--out', str(out), '--link-dir', str(link)],
        'none of the 8 images', root, 'missing mask 3', 'empty 2')
    assert 'nothing was written' in msg
    assert not out.exists() and not link.exists()
