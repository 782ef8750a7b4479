import pytest

from mmboxcaseg.evaluation.functional import summarize_instance_ious


def test_class_mean_differs_from_instance_mean():
    # class 1: IoUs 1.0 and 0.5 (mean .75); class 2: IoU 0.2 (mean .2)
    out = summarize_instance_ious([1.0, 0.5, 0.2], [1, 1, 2])
    assert out['mIoU*'] == pytest.approx(100 * (0.75 + 0.2) / 2)
    assert out['mIoU'] == pytest.approx(100 * 1.7 / 3)
    # strictly greater than k
    assert out['IoU@50'] == pytest.approx(100 / 3)
    assert out['IoU@25'] == pytest.approx(200 / 3)
    assert out['IoU@75'] == pytest.approx(100 / 3)
    assert out['instances'] == 3
    assert isinstance(out['mIoU*'], float)


def test_bad_input():
    with pytest.raises(ValueError, match='2 IoUs but 1 category'):
        summarize_instance_ious([0.1, 0.2], [1])
    with pytest.raises(ValueError, match='no instance'):
        summarize_instance_ious([], [])
