import json
import os

import numpy as np
import pytest

from mmboxcaseg.models.segmentors import BoxFillSegmentor
from mmboxcaseg.proxy import ProxyInputError, ProxyOptions, generate_proxy_masks
from tests.test_proxy.proxy_data import (base_coco, decode, make_dataset,
                                         rle_of)


def run(ann, imgs, out, **kw):
    kw.setdefault('generator', 'boxfill')
    kw.setdefault('progress', False)
    kw.setdefault('num_workers', 0)
    kw.setdefault('post_threads', 0)
    return generate_proxy_masks(
        ProxyOptions(
            ann_file=str(ann), img_root=str(imgs), out=str(out), **kw))


def load(path):
    with open(path) as f:
        return json.load(f)


def test_fields_order_and_crowd_kept(dataset, tmp_path):
    ann, imgs = dataset
    src = load(ann)
    report = run(ann, imgs, tmp_path / 'out.json')
    out = load(tmp_path / 'out.json')
    assert list(out) == list(src)
    for key in ('info', 'categories', 'images', 'licenses'):
        assert out[key] == src[key]
    assert [a['id'] for a in out['annotations']
            ] == [a['id'] for a in src['annotations']]
    for a, b in zip(src['annotations'], out['annotations']):
        if a['iscrowd']:
            assert b == a  # passed through unchanged
            continue
        new = ['proxy_agreement', 'mask_ignored', 'score']
        new += [] if 'area' in a else ['area']  # an input area is kept
        assert list(b) == list(a) + new
        assert {
            k: v
            for k, v in b.items() if k != 'segmentation' and k not in new
        } == {
            k: v
            for k, v in a.items() if k != 'segmentation'
        }
        assert isinstance(b['segmentation']['counts'], str)
    assert report['instances'] == 5 and report['crowd_passed_through'] == 1
    timing = report['timing']
    for stage in ('load', 'inference', 'postprocess', 'write', 'assemble'):
        assert 0 <= timing[stage] <= timing['wall'], stage
    assert timing['postprocess'] > 0 and timing['shards'] == 1
    assert not (tmp_path / 'out.json.parts').exists()
    assert load(tmp_path / 'out.report.json')['instances'] == 5


def test_boxfill_merge_and_drop_values(dataset, tmp_path):
    ann, imgs = dataset
    run(ann, imgs, tmp_path / 'out.json', drop_thr=0.95, agreement='literal')
    out = {a['id']: a for a in load(tmp_path / 'out.json')['annotations']}
    m10 = decode(out[10]['segmentation'])
    m2 = decode(out[2]['segmentation'])
    box10 = np.zeros((10, 10), bool)
    box10[2:6, 2:6] = True
    np.testing.assert_array_equal(m10, box10)  # smaller box keeps all
    np.testing.assert_array_equal(m2, ~box10)  # larger one loses the overlap
    assert out[10]['proxy_agreement'] == 1.0
    assert out[2]['proxy_agreement'] == 1.0  # the hole keeps the tight box
    # ann 8: box 1.5,2,5.5,5.5 covers cols 1..5, rows 2..5: tight box
    # 1,2,6,6 (20) vs GT box (14): agreement 0.7 -> dropped at 0.95
    m8 = decode(out[8]['segmentation'])
    assert m8.sum() == 20 and m8[2:6, 1:6].all()
    assert out[8]['proxy_agreement'] == pytest.approx(0.7)
    assert out[8]['mask_ignored'] is True
    assert out[10]['mask_ignored'] is False
    # the default agreement forgives the quantisation of the float box:
    # the box fill of ann 8 is perfect and kept
    run(ann, imgs, tmp_path / 'snapped.json', drop_thr=0.95)
    snapped = {
        a['id']: a
        for a in load(tmp_path / 'snapped.json')['annotations']
    }
    assert snapped[8]['proxy_agreement'] == 1.0
    assert snapped[8]['mask_ignored'] is False
    np.testing.assert_array_equal(decode(snapped[8]['segmentation']), m8)


def test_no_merge_keeps_overlaps(dataset, tmp_path):
    ann, imgs = dataset
    run(ann, imgs, tmp_path / 'out.json', merge=False, drop_thr=0.0)
    out = {a['id']: a for a in load(tmp_path / 'out.json')['annotations']}
    assert decode(out[2]['segmentation']).all()
    assert not any(a.get('mask_ignored') for a in out.values())


def _known_iou_dataset(root):
    coco = base_coco()
    coco['images'] = coco['images'][1:]
    gt8 = np.zeros((8, 8), bool)
    gt8[2:6, 2:6] = True
    coco['annotations'] = [
        a for a in coco['annotations'] if a['image_id'] in (2, 3)
    ]
    for a in coco['annotations']:
        if a['id'] == 8:
            a['segmentation'] = rle_of(gt8)
    return make_dataset(root, coco)


def test_report_numbers_on_known_ious(tmp_path):
    ann, imgs = _known_iou_dataset(tmp_path)
    report = run(ann, imgs, tmp_path / 'out.json', drop_thr=0.95,
                 agreement='literal')
    # IoU vs GT: ann 10 0.5 (cat 1), ann 2 0.84 (merged, cat 2), ann 8 0.8
    # (cat 2, agreement 0.7 -> dropped)
    q = report['quality']['all']
    assert q['instances'] == 3
    assert q['mIoU*'] == pytest.approx(100 * (0.5 + (0.84 + 0.8) / 2) / 2)
    assert q['mIoU'] == pytest.approx(100 * (0.5 + 0.84 + 0.8) / 3)
    assert q['IoU@25'] == pytest.approx(100.0)
    assert q['IoU@50'] == pytest.approx(200 / 3)  # 0.5 is not > 0.5
    assert q['IoU@75'] == pytest.approx(200 / 3)
    kept = report['quality']['kept']
    assert kept['instances'] == 2
    assert kept['mIoU*'] == pytest.approx(67.0)
    assert kept['IoU@50'] == pytest.approx(50.0)
    assert report['dropped'] == 1 and report['mask_ignored'] == 1
    assert report['drop_rate'] == pytest.approx(1 / 3)
    assert report['drop_rate_at'] == pytest.approx({
        '0.5': 0.0,
        '0.75': 1 / 3,
        '0.85': 1 / 3,
        '0.9': 1 / 3,
        '0.95': 1 / 3
    })
    assert report['agreement_histogram']['counts'] == [0] * 7 + [1, 0, 2]
    # box fill is sure of its masks: each scores 1 - its box's largest IoU
    # with another box of its image: ann 10 (16 px) inside ann 2 (100 px)
    # 0.84 both, ann 8 alone 1
    assert report['score_percentiles'] == {
        k: pytest.approx(0.84) for k in ('5', '10', '20', '30', '50')}
    # the rules the run applied: each ProxySettings field but with_gt
    assert {k: report[k] for k in ('merge', 'drop_thr', 'agreement',
                                   'drop_score_thr')} == dict(
        merge=True, drop_thr=0.95, agreement='literal', drop_score_thr=0.0)
    assert 'with_gt' not in report


def test_report_score_percentiles_of_processed_masks(capsys):
    """Percentiles of the processed masks' scores (a skipped one's 0 is
    not a score), linear interpolation: 11 scores 0.0, 0.1, .., 1.0 (in
    any order) have the p-th percentile p / 100."""
    from mmboxcaseg.proxy.report import build_report, format_report
    scores = list(np.linspace(0, 1, 11)[::-1]) + [0.0]
    skip = [None] * 11 + ['degenerate_box']
    report = build_report([1.0] * 12, [False] * 11 + [True], skip,
                          [None] * 12, [1] * 12, scores=scores)
    assert report['score_percentiles'] == pytest.approx(
        {'5': 0.05, '10': 0.1, '20': 0.2, '30': 0.3, '50': 0.5})
    assert 'score percentile' in format_report(report)
    assert 'score_percentiles' not in build_report(
        [1.0], [False], [None], [None], [1])


def test_input_never_modified_and_out_refused(dataset, tmp_path):
    ann, imgs = dataset
    before, mtime = ann.read_bytes(), os.stat(ann).st_mtime_ns
    with pytest.raises(ProxyInputError, match='input file'):
        run(ann, imgs, ann)
    link = tmp_path / 'link.json'
    os.link(ann, link)  # the same file under another name
    with pytest.raises(ProxyInputError, match='input file'):
        run(ann, imgs, link)
    with pytest.raises(ProxyInputError, match='input file'):
        run(ann, imgs, tmp_path / 'o.json', report=str(ann))
    run(ann, imgs, tmp_path / 'o.json')
    assert ann.read_bytes() == before and os.stat(ann).st_mtime_ns == mtime


def test_batching_does_not_change_bytes(dataset, tmp_path):
    ann, imgs = dataset
    run(ann, imgs, tmp_path / 'a.json', batch_size=1)
    run(ann, imgs, tmp_path / 'b.json', batch_size=100, num_workers=2,
        post_threads=2)
    # two ranks: tests/test_proxy/test_torchrun.py
    assert (tmp_path / 'a.json').read_bytes() == \
        (tmp_path / 'b.json').read_bytes()


class _Killed(Exception):
    pass


def _kill_after(monkeypatch, n_batches):
    real = BoxFillSegmentor.predict
    calls = {'n': 0}

    def dying(self, inputs, data_samples):
        calls['n'] += 1
        if calls['n'] > n_batches:
            raise _Killed('injected kill')
        return real(self, inputs, data_samples)

    monkeypatch.setattr(BoxFillSegmentor, 'predict', dying)


def test_resume_is_byte_identical(dataset, tmp_path, monkeypatch):
    ann, imgs = dataset
    run(ann, imgs, tmp_path / 'clean.json')
    out = tmp_path / 'resumed.json'
    with monkeypatch.context() as m:
        _kill_after(m, 1)  # batch 1: image 1's two boxes, then dies
        with pytest.raises(_Killed):
            run(ann, imgs, out, batch_size=1)
    assert not out.exists()
    part = tmp_path / 'resumed.json.parts' / 'part-00000-of-00001.jsonl'
    lines = part.read_bytes().splitlines()
    assert len(lines) == 1 + 3  # header, 2 annotations and an image line
    with open(part, 'ab') as f:
        f.write(b'{"id": 3, "segmentation": {"si')  # a truncated line
    run(ann, imgs, out, resume=True, batch_size=1)
    assert out.read_bytes() == (tmp_path / 'clean.json').read_bytes()


def test_resume_refuses_other_settings(dataset, tmp_path):
    ann, imgs = dataset
    out = tmp_path / 'o.json'
    run(ann, imgs, out, keep_parts=True)
    with pytest.raises(ProxyInputError, match='drop_thr'):
        run(ann, imgs, out, resume=True, drop_thr=0.5)
    # a finished part resumes to the same output without new work
    first = out.read_bytes()
    out.unlink()
    run(ann, imgs, out, resume=True)
    assert out.read_bytes() == first


def test_stage3_reads_what_stage2_wrote_for_bad_boxes(tmp_path):
    """Boxes stage 2 could not use stay in its output (flagged
    mask_ignored); stage 3 skips them by the same box rule, with a count."""
    from mmboxcaseg.datasets import ProxyCocoDataset
    coco = base_coco()
    coco['annotations'] += [
        dict(id=40, image_id=1, category_id=1, bbox=['1', '1', '5', '5'],
             iscrowd=0),
        dict(id=41, image_id=2, category_id=2, bbox=None, iscrowd=0),
        dict(id=42, image_id=3, category_id=1, iscrowd=0),  # no bbox
        # crowd boxes pass through stage 2 as they are
        dict(id=43, image_id=3, category_id=1, bbox=None, iscrowd=1),
    ]
    for a in coco['annotations']:
        a.setdefault('area', 10.0)  # mmdet's CocoDataset reads it
    ann, imgs = make_dataset(tmp_path, coco)
    out = tmp_path / 'proxy.json'
    report = run(ann, imgs, out)
    assert report['skipped'] == {'bad_box': 2, 'missing_key': 1}
    flags = {a['id']: a['mask_ignored'] for a in load(out)['annotations']
             if a['id'] in (40, 41, 42)}
    assert flags == {40: True, 41: True, 42: True}
    ds = ProxyCocoDataset(
        ann_file=str(out), data_prefix=dict(img=str(imgs) + '/'),
        metainfo=dict(classes=('a', 'b')), pipeline=[])
    # 5 usable boxes and the crowd box of image 1; 40 to 43 skipped
    ids = sorted(len(ds.get_data_info(i)['instances'])
                 for i in range(len(ds)))
    assert ids == [1, 2, 3]
    assert ds.skipped_annotations == {'bad_box': 3, 'missing_key': 1}


def test_output_of_minimal_input_loads_in_coco_readers(tmp_path):
    """An input of only id / image_id / category_id / bbox gets ``area``
    (mask pixels; the box's w * h where the mask is empty), ``iscrowd`` 0
    and ``score``: pycocotools, mmdet's CocoDataset and ProxyCocoDataset
    load it."""
    from mmdet.datasets import CocoDataset
    from pycocotools.coco import COCO

    from mmboxcaseg.datasets import ProxyCocoDataset

    def box(i, img, xywh):
        return dict(id=i, image_id=img, category_id=1, bbox=xywh)

    coco = dict(
        images=[dict(id=1, file_name='a.png', width=16, height=12)],
        annotations=[
            box(1, 1, [0, 0, 4, 4]),  # wholly covered by 2 and 3: empty
            box(2, 1, [0, 0, 4, 2]),
            box(3, 1, [0, 2, 4, 2]),
            box(4, 1, [6, 3, 5, 6]),
            box(5, 1, [100, 100, 5, 5]),  # outside the image: skipped
            box(6, 9, [1, 1, 2, 3]),  # no such image: skipped
        ],
        categories=[dict(id=1, name='a')])
    ann, imgs = make_dataset(tmp_path, coco)
    out = tmp_path / 'proxy.json'
    run(ann, imgs, out)
    anns = {a['id']: a for a in load(out)['annotations']}
    for i, a in anns.items():
        assert list(a)[:4] == ['id', 'image_id', 'category_id', 'bbox']
        assert a['iscrowd'] == 0 and isinstance(a['score'], float)
    pixels = {i: int(decode(a['segmentation']).sum())
              for i, a in anns.items() if i != 6}
    assert pixels == {1: 0, 2: 8, 3: 8, 4: 30, 5: 0}
    assert {i: a['area'] for i, a in anns.items()} == {
        1: 16.0, 2: 8, 3: 8, 4: 30, 5: 25.0, 6: 6.0}
    # box fill is sure of its masks (1, before the merge) times 1 - the
    # box's largest IoU with another: 1 and 2, 1 and 3 overlap by half
    # (IoU 8 / 16), 4 alone; skipped: 0 (and no neighbour)
    assert {i: a['score'] for i, a in anns.items()} == {
        1: 0.5, 2: 0.5, 3: 0.5, 4: 1.0, 5: 0.0, 6: 0.0}

    api = COCO(str(out))
    assert sorted(api.getAnnIds(imgIds=[1])) == [1, 2, 3, 4, 5]
    assert api.annToMask(api.anns[4]).sum() == 30
    kw = dict(ann_file=str(out), data_prefix=dict(img=str(imgs) + '/'),
              metainfo=dict(classes=('a', )), lazy_init=False, pipeline=[])
    for cls in (CocoDataset, ProxyCocoDataset):
        ds = cls(**kw)
        assert len(ds) == 1
        # the box outside the image is dropped by both, the rest kept
        assert len(ds.get_data_info(0)['instances']) == 4, cls


def test_default_keeps_every_mask(tmp_path):
    """The default drops nothing: the literal agreement of ann 8 (0.7) would
    be dropped at the paper's 0.95, and is kept."""
    from mmboxcaseg.evaluation.functional.image_records import ProxySettings
    from tools.generate_proxy_masks import parse_args
    assert ProxySettings().drop_thr == ProxySettings().drop_score_thr == 0
    args = parse_args(['--ann-file', 'a', '--img-root', 'b', '--out', 'c'])
    assert args.drop_thr == args.drop_score_thr == 0.0
    ann, imgs = _known_iou_dataset(tmp_path)
    report = run(ann, imgs, tmp_path / 'out.json', agreement='literal')
    out = {a['id']: a for a in load(tmp_path / 'out.json')['annotations']}
    assert out[8]['proxy_agreement'] == pytest.approx(0.7)
    assert not any(a.get('mask_ignored') for a in out.values())
    assert report['drop_thr'] == 0.0 and report['dropped'] == 0
    assert report['drop_score_thr'] == 0.0


def test_warning_when_most_masks_are_dropped(tmp_path, capsys):
    # 1 of the 3 masks (ann 8) is dropped at 0.95: above the share
    ann, imgs = _known_iou_dataset(tmp_path)
    report = run(ann, imgs, tmp_path / 'out.json', drop_thr=0.95,
                 agreement='literal')
    assert report['dropped'] == 1 and report['processed'] == 3
    printed = capsys.readouterr().out
    warn = [ln for ln in printed.splitlines() if ln.startswith('warning:')]
    assert len(warn) == 1, printed
    assert '1 of 3 proxy masks (33 %)' in warn[0]
    assert 'mask loss ignores' in warn[0]
    assert '77 %' in warn[0] and '2.9 segm AP' in warn[0]
    assert 'agreement < 0.95)' in warn[0]
    assert '--drop-thr 0 --drop-score-thr 0 keeps every mask' in warn[0]


def test_no_warning_below_the_share(dataset, tmp_path, capsys):
    # 1 of the 5 masks (ann 8) is dropped at 0.95: 20 %, below the share
    ann, imgs = dataset
    report = run(ann, imgs, tmp_path / 'out.json', drop_thr=0.95,
                 agreement='literal')
    assert report['dropped'] == 1 and report['processed'] == 5
    printed = capsys.readouterr().out
    assert 'proxy masks' in printed  # the report was printed
    assert 'warning:' not in printed


def test_warning_names_the_rule_that_dropped():
    from mmboxcaseg.proxy.report import drop_warning
    report = dict(processed=10, dropped=4, drop_thr=0.0, drop_score_thr=0.6)
    warn = drop_warning(report)
    assert '4 of 10 proxy masks (40 %) were dropped (score < 0.6)' in warn
    both = drop_warning(dict(report, drop_thr=0.95))
    assert '(agreement < 0.95, score < 0.6)' in both
    assert drop_warning(dict(report, dropped=2)) is None  # 20 %
