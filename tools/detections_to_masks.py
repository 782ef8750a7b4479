"""A detector's boxes, BoxCaseg's masks: an mmdet results json in, a segm
results json out (and, with ``--eval``, its COCO AP against real masks).

Examples::

    # mmdet's CocoMetric writes the detector's results as DIR/dets.bbox.json
    python tools/test.py DET_CONFIG.py DET.pth --cfg-options \\
        test_evaluator.0.outfile_prefix=work_dirs/x/dets
    python tools/detections_to_masks.py SEG_CONFIG.py SEG.pth \\
        --ann-file data/pennfudan/annotations_val.json \\
        --img-root data/pennfudan --dets work_dirs/x/dets.bbox.json \\
        --out work_dirs/x/boxcaseg.segm.json --eval work_dirs/x/metrics.json

Each detection keeps its ``image_id``, ``category_id`` and ``bbox``; its mask
is the segmentor's for that box (as the Inferencer and the proxy converter
make it, the config's ``model.test_cfg``), its ``score`` the detector's times
the mask's score (Mask Scoring R-CNN's rule: a detection ranks by how sure
the detector is of the object and how good its mask is; ``--score det``: the
detector's alone). A detection the segmentor cannot use (a box outside its
image, an unreadable image, an image the json does not list) gets no
result; the counts are printed. See docs/your_data.md and docs/model_zoo.md
(row h of the end-to-end table).
"""
import argparse
import contextlib
import io
import json
import os.path as osp
import sys
from collections import Counter

from mmengine.config import DictAction

from mmboxcaseg.utils import UserError, exit_on_user_error
from mmboxcaseg.utils.user_errors import check_out_file, make_dir

# the metric names of mmdet's CocoMetric (MMEngine's scalars), so that an
# evaluation here reads like a tools/test.py one
COCO_STATS = (('mAP', 0), ('mAP_50', 1), ('mAP_75', 2), ('mAP_s', 3),
              ('mAP_m', 4), ('mAP_l', 5))


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('config', help='BoxCaseg segmentor config')
    p.add_argument('checkpoint', help='BoxCaseg segmentor checkpoint')
    p.add_argument(
        '--ann-file',
        required=True,
        help='COCO json of the images the detections name (with real masks '
        'for --eval)')
    p.add_argument(
        '--img-root',
        help='folder the file_name of each image is relative to (default: '
        "the json's folder)")
    p.add_argument(
        '--dets',
        required=True,
        help="the detector's results json (mmdet's *.bbox.json: image_id, "
        'category_id, bbox x, y, w, h, score)')
    p.add_argument('--out', required=True, help='segm results json')
    p.add_argument(
        '--score',
        choices=['det_x_mask', 'det'],
        default='det_x_mask',
        help="each result's score: the detector's times the mask's "
        "(default), or the detector's alone")
    p.add_argument(
        '--eval',
        metavar='METRICS_JSON',
        help="evaluate the results against --ann-file's masks (COCO bbox "
        "and segm AP, pycocotools) and write the metrics here, named as "
        "mmdet's CocoMetric names them")
    p.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override settings of the segmentor config, e.g. '
        'model.test_cfg.pred=mixed')
    p.add_argument('--device', help='cpu, cuda:0, ... (default: cuda if '
                   'available)')
    p.add_argument('--no-progress', action='store_true')
    return p.parse_args(argv)


def read_detections(path: str) -> list:
    """The detections of a results json, each checked: a dict with an
    ``image_id``, a ``category_id`` and a numeric ``score`` (the box is the
    Inferencer's to check: a bad one is a counted skip)."""
    try:
        with open(path) as f:
            dets = json.load(f)
    except OSError as e:
        raise UserError(f'--dets {path}: {e.strerror}') from None
    except ValueError as e:
        raise UserError(f'--dets {path}: not json ({e})') from None
    if isinstance(dets, dict) and 'annotations' in dets:
        dets = dets['annotations']
    if not isinstance(dets, list):
        raise UserError(f'--dets {path}: expected a list of detections '
                        "(mmdet's *.bbox.json)")
    for k, d in enumerate(dets):
        missing = [
            key for key in ('image_id', 'category_id', 'bbox', 'score')
            if not isinstance(d, dict) or key not in d
        ]
        if missing:
            raise UserError(f'--dets {path}: detection {k} has no '
                            f'{", ".join(missing)}')
        if isinstance(d['score'], bool) or not isinstance(
                d['score'], (int, float)):
            raise UserError(f'--dets {path}: detection {k}: score '
                            f'{d["score"]!r} is not a number')
    return dets


def masks_for_detections(inferencer, ann_file: str, dets_path: str, dets,
                         img_root, score: str = 'det_x_mask'):
    """``(results, skipped)``: one segm result per usable detection, in
    the detections' order, and a ``Counter`` of the skip reasons."""
    out = inferencer(
        ann_file, boxes=dets_path, img_root=img_root,
        mask_format='rle')['predictions']
    # the Inferencer keeps each image's detections in file order
    positions = {}
    for k, d in enumerate(dets):
        positions.setdefault(d['image_id'], []).append(k)
    made = {}
    for pred in out:
        ks = positions.pop(pred['img_id'], [])
        assert len(ks) == len(pred['masks']), (pred['img_id'], len(ks))
        for k, rle, s, why in zip(ks, pred['masks'], pred['scores'],
                                  pred['skipped']):
            made[k] = (rle, float(s), why)
    skipped = Counter()
    skipped['unknown_image'] = sum(len(v) for v in positions.values())
    results = []
    for k, d in enumerate(dets):
        if k not in made:
            continue
        rle, mask_score, why = made[k]
        if why is not None:
            skipped[why] += 1
            continue
        s = float(d['score'])
        results.append(
            dict(
                image_id=d['image_id'],
                category_id=d['category_id'],
                bbox=[float(v) for v in d['bbox']],
                score=s * mask_score if score == 'det_x_mask' else s,
                segmentation=rle))
    return results, +skipped


def coco_metrics(ann_file: str, results: list) -> dict:
    """COCO bbox and segm AP of ``results`` against ``ann_file`` (which
    must hold masks), as fractions named as mmdet's ``CocoMetric`` logs
    them (``coco/segm_mAP``, ``coco/segm_mAP_75``, ...)."""
    from pycocotools.coco import COCO
    from pycocotools.cocoeval import COCOeval
    with contextlib.redirect_stdout(io.StringIO()):
        gt = COCO(ann_file)
    if not any('segmentation' in a for a in gt.dataset.get('annotations', [])):
        raise UserError(f'--eval: {ann_file} has no masks (segmentation) '
                        'to evaluate against')
    metrics = {}
    for iou_type in ('bbox', 'segm'):
        if not results:
            metrics.update({f'coco/{iou_type}_{name}': 0.0
                            for name, _ in COCO_STATS})
            continue
        with contextlib.redirect_stdout(io.StringIO()):
            ev = COCOeval(gt, gt.loadRes(results), iou_type)
            ev.evaluate()
            ev.accumulate()
            ev.summarize()
        metrics.update({
            f'coco/{iou_type}_{name}': float(max(ev.stats[i], 0.0))
            for name, i in COCO_STATS
        })
    return metrics


def _write_json(obj, path: str, what: str) -> None:
    """``path`` replaced only once the whole json is written (the
    converter's :func:`~mmboxcaseg.proxy.assemble.atomic_write`)."""
    from mmboxcaseg.proxy.assemble import atomic_write
    make_dir(osp.dirname(osp.abspath(path)), what)
    try:
        with atomic_write(path) as f:
            json.dump(obj, f)
    except OSError as e:
        raise UserError(f'cannot write {what} {path}: '
                        f'{e.strerror or e}') from None


@exit_on_user_error
def main(argv=None) -> int:
    args = parse_args(argv)
    for path, what in ((args.config, 'config'), (args.checkpoint,
                                                  'checkpoint'),
                       (args.ann_file, '--ann-file'), (args.dets, '--dets')):
        if not osp.isfile(path):
            raise UserError(f'{what} {path} does not exist')
    inputs = {osp.realpath(p) for p in (args.ann_file, args.dets)}
    for path, what in ((args.out, '--out'), (args.eval, '--eval')):
        if path is None:
            continue
        check_out_file(path, what)
        if osp.realpath(path) in inputs:
            raise UserError(f'{what} {path} is an input of this run')
    dets = read_detections(args.dets)

    import torch

    from mmboxcaseg.apis import BoxCasegInferencer, init_segmentor
    device = args.device or ('cuda:0' if torch.cuda.is_available() else
                             'cpu')
    model = init_segmentor(args.config, args.checkpoint, device,
                           args.cfg_options)
    inferencer = BoxCasegInferencer(
        model, device=device, show_progress=not args.no_progress)
    try:
        results, skipped = masks_for_detections(inferencer, args.ann_file,
                                                args.dets, dets,
                                                args.img_root, args.score)
    except (FileNotFoundError, ValueError) as e:  # the API's input errors
        raise UserError(str(e)) from None
    if dets and len(results) * 2 < len(dets):
        raise UserError(
            f'--dets {args.dets}: only {len(results)} of {len(dets)} '
            f'detections could be used ({dict(skipped)}); nothing written '
            '(are --ann-file and --img-root those the detector saw?)')
    _write_json(results, args.out, '--out')
    print(f'{len(results)} of {len(dets)} detections with a mask written to '
          f'{args.out}' + (f'; skipped: {dict(skipped)}' if skipped else ''))
    if args.eval:
        metrics = coco_metrics(args.ann_file, results)
        _write_json(metrics, args.eval, '--eval')
        for iou_type in ('bbox', 'segm'):
            print(f'{iou_type}: ' + ' '.join(
                f'{name} {metrics[f"coco/{iou_type}_{name}"]:.3f}'
                for name, _ in COCO_STATS))
    return 0


if __name__ == '__main__':
    sys.exit(main())
