"""Masks for boxes with BoxCaseg: one image, a folder, or a COCO json.

Examples::

    # one image, boxes x1,y1,x2,y2 (negative coordinates are fine)
    python demo/box_to_mask_demo.py photo.jpg --model CONFIG.py \\
        --weights CKPT.pth --boxes 10,20,200,180 150,40,300,260 \\
        --out-dir outputs/
    # every image of a COCO json, with its boxes (and GT masks drawn)
    python demo/box_to_mask_demo.py annotations.json --img-root imgs/ \\
        --model CONFIG.py --weights CKPT.pth --out-dir outputs/ --draw-gt
    # a folder of images with the boxes of a COCO json (by file name)
    python demo/box_to_mask_demo.py imgs/ --boxes-json annotations.json ...

Writes ``OUT_DIR/vis/<image>.png`` (masks drawn) and
``OUT_DIR/preds/<image>.json`` (boxes, scores, RLE masks).
"""
import argparse
import re
import sys

from mmboxcaseg.utils import UserError, check_dir, exit_on_user_error

# a box token such as -5,-3,100,120 (argparse takes a leading '-' for an
# option; such tokens are passed on with a leading space)
BOX_TOKEN = re.compile(r'^-?[\d.]+(,-?[\d.]+){3}$')


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
    parser.add_argument(
        'inputs', help='an image file, a folder of images, or a COCO json')
    parser.add_argument(
        '--model',
        required=True,
        help='a BoxCaseg config file or a model name of model-index.yml')
    parser.add_argument('--weights', help='checkpoint (default: the model\'s)')
    parser.add_argument(
        '--boxes',
        type=parse_box,
        nargs='+',
        help='boxes x1,y1,x2,y2 of a single image')
    parser.add_argument(
        '--boxes-json',
        help='a COCO json (boxes matched by file name) or, with a COCO json '
        'as input, a detector results json (image_id, bbox, score)')
    parser.add_argument('--img-root', help='image folder of a COCO json')
    parser.add_argument('--out-dir', default='outputs', help='output folder')
    parser.add_argument('--device', default=None, help='cpu, cuda:0, ...')
    parser.add_argument(
        '--refine', action='store_true', help='GrabCut refinement')
    parser.add_argument(
        '--draw-gt', action='store_true', help='draw GT masks beside')
    parser.add_argument('--show', action='store_true', help='show windows')
    argv = sys.argv[1:] if argv is None else list(argv)
    return parser.parse_args(
        [' ' + a if BOX_TOKEN.match(a) else a for a in argv])


@exit_on_user_error
def main(argv=None) -> int:
    args = parse_args(argv)
    check_dir(args.out_dir, '--out-dir')  # before the model loads
    from mmboxcaseg.apis import BoxCasegInferencer
    try:
        inferencer = BoxCasegInferencer(
            args.model,
            args.weights,
            device=args.device,
            refine=True if args.refine else None)
        boxes = args.boxes if args.boxes is not None else args.boxes_json
        out = inferencer(
            args.inputs,
            boxes=boxes,
            img_root=args.img_root,
            out_dir=args.out_dir,
            draw_gt=args.draw_gt,
            show=args.show)
    except (FileNotFoundError, ValueError) as e:  # the API's input errors
        raise UserError(str(e)) from None
    preds = out['predictions']
    n = sum(len(p['scores']) for p in preds)
    print(f'{n} masks of {len(preds)} image(s) written to {args.out_dir}/')
    return 0


if __name__ == '__main__':
    sys.exit(main())
