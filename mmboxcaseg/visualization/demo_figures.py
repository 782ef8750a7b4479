"""PNG figures for the demo: proxy masks over images, and loss curves."""
import json
import os.path as osp
from typing import Dict, List, Sequence, Tuple

import cv2
import numpy as np
from pycocotools import mask as mask_utils

PALETTE = np.array([[230, 25, 75], [60, 180, 75], [255, 225, 25],
                    [0, 130, 200], [245, 130, 48], [145, 30, 180],
                    [70, 240, 240], [240, 50, 230], [210, 245, 60],
                    [250, 190, 212]], dtype=np.float32)[:, ::-1]  # BGR


def overlay_masks(img: np.ndarray, anns: Sequence[dict],
                  alpha: float = 0.5) -> np.ndarray:
    """Draw COCO annotations (RLE ``segmentation`` + ``bbox``) on a BGR image.

    Masks with ``mask_ignored`` get a dashed-looking grey box and no fill.
    """
    out = img.astype(np.float32).copy()
    for i, ann in enumerate(anns):
        colour = PALETTE[i % len(PALETTE)]
        seg = ann.get('segmentation')
        if ann.get('mask_ignored'):
            colour = np.array([128, 128, 128], np.float32)
        elif isinstance(seg, dict):
            rle = dict(seg)
            if isinstance(rle['counts'], str):
                rle['counts'] = rle['counts'].encode()
            m = mask_utils.decode(rle).astype(bool)
            out[m] = (1 - alpha) * out[m] + alpha * colour
        x, y, w, h = ann['bbox']
        cv2.rectangle(out, (int(x), int(y)), (int(x + w) - 1, int(y + h) - 1),
                      colour.tolist(), 1)
    return np.clip(out, 0, 255).astype(np.uint8)


def draw_proxy_overlays(variants: List[Tuple[str, str]], img_root: str,
                        out_file: str, num_images: int = 4) -> None:
    """A grid: one row per image, one column per proxy json (named)."""
    loaded = []
    for name, path in variants:
        with open(path) as f:
            data = json.load(f)
        by_img: Dict[int, list] = {}
        for ann in data['annotations']:
            by_img.setdefault(ann['image_id'], []).append(ann)
        loaded.append((name, data['images'], by_img))
    images = loaded[0][1][:num_images]
    rows = []
    for info in images:
        img = cv2.imread(osp.join(img_root, info['file_name']))
        if img is None:
            raise FileNotFoundError(osp.join(img_root, info['file_name']))
        tiles = []
        for name, _, by_img in loaded:
            tile = overlay_masks(img, by_img.get(info['id'], []))
            tiles.append(tile)
        rows.append(np.concatenate(tiles, axis=1))
    grid = np.concatenate(rows, axis=0)
    # column titles
    w = images and cv2.imread(osp.join(img_root,
                                       images[0]['file_name'])).shape[1]
    header = np.full((24, grid.shape[1], 3), 255, np.uint8)
    for j, (name, _, _) in enumerate(loaded):
        cv2.putText(header, name, (j * w + 4, 17), cv2.FONT_HERSHEY_SIMPLEX,
                    0.45, (0, 0, 0), 1, cv2.LINE_AA)
    cv2.imwrite(out_file, np.concatenate([header, grid], axis=0))


def plot_loss_curves(runs: Dict[str, List[dict]], out_file: str) -> None:
    """One panel per run: every ``loss*`` scalar against the iteration."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    fig, axes = plt.subplots(1, len(runs), figsize=(6 * len(runs), 4))
    axes = np.atleast_1d(axes)
    for ax, (name, rows) in zip(axes, runs.items()):
        rows = [r for r in rows if 'loss' in r and 'iter' in r]
        keys = sorted({k for r in rows for k in r if k.startswith('loss')})
        for k in keys:
            pts = [(r['iter'], r[k]) for r in rows if k in r]
            ax.plot(*zip(*pts), label=k)
        ax.set_title(name)
        ax.set_xlabel('iteration')
        ax.set_yscale('log')
        ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(out_file, dpi=100)
    plt.close(fig)
