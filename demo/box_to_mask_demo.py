"""Segment the given boxes of one image with BoxCaseg and draw the masks.

Example::

    python demo/box_to_mask_demo.py demo.jpg \
        --config configs/_base_/models/boxcaseg_effnet_lite0.py \
        --checkpoint work_dirs/boxcaseg/epoch_40.pth \
        --boxes 10,20,200,180 150,40,300,260 --out result.png
"""
import argparse
import sys

import mmcv
import numpy as np
import torch


def parse_box(text: str):
    try:
        values = [float(v) for v in text.split(',')]
    except ValueError:
        values = []
    if len(values) != 4:
        raise argparse.ArgumentTypeError(
            f'box {text!r} is not four numbers x1,y1,x2,y2')
    return values


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('img', help='image file')
    parser.add_argument('--config', required=True, help='BoxCaseg config')
    parser.add_argument(
        '--checkpoint', help='trained weights (without: random weights)')
    parser.add_argument(
        '--boxes',
        type=parse_box,
        nargs='+',
        required=True,
        help='boxes x1,y1,x2,y2 in image pixels')
    parser.add_argument('--out', required=True, help='output image file')
    parser.add_argument('--device', default='cpu')
    parser.add_argument(
        '--pred',
        choices=['mixed', 'weak', 'salient', 'transferred', 'all'],
        help='override the config\'s test_cfg.pred')
    return parser.parse_args(argv)


def draw(image: np.ndarray, boxes: np.ndarray, masks: np.ndarray,
         out_file: str) -> None:
    """Draw boxes and masks with mmdet's DetLocalVisualizer."""
    from mmdet.structures import DetDataSample
    from mmdet.visualization import DetLocalVisualizer
    from mmengine.structures import InstanceData

    n = len(boxes)
    instances = InstanceData(
        bboxes=torch.as_tensor(boxes, dtype=torch.float32),
        masks=torch.from_numpy(masks),
        labels=torch.arange(n),
        scores=torch.ones(n))
    sample = DetDataSample(pred_instances=instances)
    visualizer = DetLocalVisualizer(name='box_to_mask_demo')
    visualizer.dataset_meta = dict(
        classes=tuple(f'box {i}' for i in range(n)), palette='random')
    visualizer.add_datasample(
        'demo',
        mmcv.bgr2rgb(image),
        sample,
        draw_gt=False,
        show=False,
        out_file=out_file,
        pred_score_thr=0)


def main(argv=None):
    args = parse_args(argv)
    from mmboxcaseg.apis import init_segmentor, segment_boxes
    cfg_options = {'model.test_cfg.pred': args.pred} if args.pred else None
    model = init_segmentor(args.config, args.checkpoint, args.device,
                           cfg_options)
    image = mmcv.imread(args.img, flag='color')
    boxes = np.array(args.boxes, dtype=np.float64)
    masks = segment_boxes(model, image, boxes)
    draw(image, boxes, masks, args.out)
    areas = ', '.join(str(int(m.sum())) for m in masks)
    print(f'{len(masks)} masks (pixels: {areas}) drawn to {args.out}')


if __name__ == '__main__':
    try:
        main()
    except (FileNotFoundError, ValueError) as e:
        sys.exit(f'error: {e}')
