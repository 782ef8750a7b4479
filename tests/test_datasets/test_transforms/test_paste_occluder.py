import numpy as np
import pytest

from mmboxcaseg.datasets.transforms import PasteOccluder


def _sample(colour, box):
    img = np.zeros((40, 40, 3), np.uint8)
    mask = np.zeros((40, 40), np.uint8)
    x0, y0, x1, y1 = box
    img[y0:y1, x0:x1] = colour
    mask[y0:y1, x0:x1] = 1
    return dict(img=img, gt_seg_map=mask)


def test_the_visible_part_is_the_new_mask():
    np.random.seed(0)
    t = PasteOccluder(prob=1.0, scale_range=(0.5, 0.5), min_visible=0.0)
    occluded = 0
    for _ in range(20):
        base = _sample((10, 20, 30), (10, 10, 30, 30))  # a 20 x 20 object
        other = _sample((200, 100, 50), (0, 0, 8, 4))  # an 8 x 4 one
        out = t(dict(base, mix_results=[other]))
        assert 'mix_results' not in out
        if not out['occluded']:
            continue
        occluded += 1
        img, mask = out['img'], out['gt_seg_map'] > 0
        pasted = (img == (200, 100, 50)).all(-1)
        # the occluder is the other object at half this one's side: 10 x 5
        # (cut where it leaves the image)
        ys, xs = np.nonzero(pasted)
        assert np.ptp(ys) + 1 <= 5 and np.ptp(xs) + 1 <= 10
        assert pasted.sum() <= 50
        # it covers part of the object; the mask is what stays visible
        assert (pasted & (base['gt_seg_map'] > 0)).any()
        np.testing.assert_array_equal(
            mask, (base['gt_seg_map'] > 0) & ~pasted)
        # nothing else changed
        np.testing.assert_array_equal(img[~pasted], base['img'][~pasted])
    assert occluded >= 10


def test_no_paste_that_hides_too_much_or_nothing():
    np.random.seed(0)
    base = _sample((10, 20, 30), (10, 10, 14, 14))  # a 4 x 4 object
    big = _sample((200, 100, 50), (0, 0, 40, 40))  # covers all of it
    t = PasteOccluder(prob=1.0, scale_range=(4.0, 4.0), min_visible=0.3)
    for _ in range(5):
        out = t(dict(base, mix_results=[big]))
        assert not out['occluded']
        np.testing.assert_array_equal(out['img'], base['img'])
    # probability 0: never
    out = PasteOccluder(prob=0.0)(dict(base, mix_results=[big]))
    assert not out['occluded']


def test_needs_a_mix_dataset_and_sane_arguments():
    with pytest.raises(KeyError, match='MultiImageMixDataset'):
        PasteOccluder()(_sample((1, 2, 3), (0, 0, 4, 4)))
    with pytest.raises(ValueError, match='scale_range'):
        PasteOccluder(scale_range=(1.0, 0.5))
    assert PasteOccluder().get_indexes(range(7))[0] in range(7)
