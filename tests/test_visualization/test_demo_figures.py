import json

import cv2
import numpy as np
from pycocotools import mask as mask_utils

from mmboxcaseg.visualization.demo_figures import (draw_proxy_overlays,
                                                   overlay_masks,
                                                   plot_loss_curves)


def _ann(mask, ignored=False):
    rle = mask_utils.encode(np.asfortranarray(mask.astype(np.uint8)))
    rle['counts'] = rle['counts'].decode()
    ys, xs = np.nonzero(mask)
    x0, y0 = xs.min(), ys.min()
    return dict(
        image_id=1, segmentation=rle, mask_ignored=ignored,
        bbox=[float(x0), float(y0), float(xs.max() - x0 + 1),
              float(ys.max() - y0 + 1)])


def test_overlay_colours_only_the_mask():
    img = np.full((20, 30, 3), 100, np.uint8)
    mask = np.zeros((20, 30), bool)
    mask[5:10, 5:15] = True
    out = overlay_masks(img, [_ann(mask)])
    assert out.shape == img.shape and out.dtype == np.uint8
    assert (out[7, 10] != 100).any()          # inside: tinted
    assert (out[15, 25] == 100).all()         # outside and off the box
    # an ignored mask is not filled (only its box is drawn)
    out2 = overlay_masks(img, [_ann(mask, ignored=True)])
    assert (out2[7, 10] == 100).all()


def test_grid_and_curves_are_written(tmp_path):
    img = np.full((20, 30, 3), 100, np.uint8)
    cv2.imwrite(str(tmp_path / 'a.jpg'), img)
    mask = np.zeros((20, 30), bool)
    mask[2:8, 3:9] = True
    coco = dict(images=[dict(id=1, file_name='a.jpg', height=20, width=30)],
                annotations=[_ann(mask)])
    for name in ('p1.json', 'p2.json'):
        (tmp_path / name).write_text(json.dumps(coco))
    out = tmp_path / 'grid.png'
    draw_proxy_overlays([('one', str(tmp_path / 'p1.json')),
                         ('two', str(tmp_path / 'p2.json'))],
                        str(tmp_path), str(out), num_images=1)
    grid = cv2.imread(str(out))
    assert grid.shape == (24 + 20, 60, 3)  # title strip + one row of 2

    rows = [dict(iter=i, loss=1.0 / i, loss_mil=0.5 / i) for i in range(1, 6)]
    curves = tmp_path / 'curves.png'
    plot_loss_curves(dict(segmentor=rows, mask_rcnn=rows), str(curves))
    assert cv2.imread(str(curves)) is not None
