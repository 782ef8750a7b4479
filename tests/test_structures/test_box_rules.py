"""The one rule for what a box and a crowd flag are (json and the API)."""
import json

import numpy as np

from mmboxcaseg.structures.coco_index import index_coco, parse_boxes


def test_a_box_is_four_numbers_never_strings_or_booleans():
    from mmboxcaseg.structures.coco_index import parse_box_list
    rows = [[1, 2, 3, 4], ['10', '10', '50', '50'], [1.5, 2, 3, 4.5],
            [True, 0, 5, 5], [1, 2, 3], None, (0, 0, 1, 1),
            np.array([1., 2., 3., 4.]), [np.int64(1), np.float32(2), 3, 4],
            [float('nan'), 0, 1, 1], [10**400, 0, 1, 1]]
    out = parse_box_list(rows)
    assert out.shape == (11, 4)
    ok = ~np.isnan(out).all(axis=1)
    assert ok.tolist() == [True, False, True, False, False, False, True,
                           True, True, True, False]
    assert out[2].tolist() == [1.5, 2, 3, 4.5]
    assert out[8].tolist() == [1, 2, 3, 4]
    # a numeric array is taken as it is; one of strings is not numbers
    assert parse_box_list(np.array([[1, 2, 3, 4]])).tolist() == [[1, 2, 3, 4]]
    assert np.isnan(parse_box_list(np.array([['1', '2', '3', '4']]))).all()
    # the json reader applies the same rule to each bbox
    anns = [dict(bbox=r) for r in rows[:3]] + [dict()]
    assert np.array_equal(np.isnan(parse_boxes(anns)).all(axis=1),
                          [False, True, False, True])


def test_iscrowd_is_a_number_or_a_boolean():
    from mmboxcaseg.structures.coco_index import crowd_flags
    flags = [0, 1, 2, True, False, None, '0', '1', [1], 1.0]
    anns = [dict(iscrowd=v) for v in flags] + [dict()]
    crowd, bad = crowd_flags(anns)
    assert crowd.tolist() == [False, True, True, True, False, False, False,
                              False, False, True, False]
    assert bad.tolist() == [False] * 6 + [True, True, True, False, False]
    crowd, bad = crowd_flags([])
    assert crowd.shape == bad.shape == (0, )


def test_the_index_skips_a_string_iscrowd(tmp_path):
    """``"0"`` was truthy, so the annotation passed through as a crowd
    without a mask; now it is a named skip, as a string bbox is."""
    anns = [
        dict(id=k, image_id=1, category_id=1, bbox=[1, 1, 4, 4], iscrowd=v)
        for k, v in enumerate([0, '0', 1, '1'])
    ] + [dict(id=9, image_id=1, category_id=1, bbox=['1', '1', '4', '4'])]
    ann = tmp_path / 'ann.json'
    ann.write_text(json.dumps(dict(
        images=[dict(id=1, file_name='a.png', height=8, width=8)],
        annotations=anns, categories=[dict(id=1)])))
    index = index_coco(str(ann), verbose=False)
    assert index.crowd.tolist() == [False, False, True, False, False]
    assert [index.skip_reason(k) for k in range(5)] == [
        None, 'bad_iscrowd', None, 'bad_iscrowd', 'bad_box'
    ]
