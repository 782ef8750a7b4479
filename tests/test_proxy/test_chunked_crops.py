"""Stage 2 crops and predicts an image's boxes a chunk at a time."""
import json

import numpy as np
import torch

from mmboxcaseg.proxy import ProxyOptions, generate_proxy_masks
from tests.test_proxy.proxy_data import decode, write_image


def crowd_scene(root, n=30):
    """One 32 x 40 image with ``n`` overlapping boxes."""
    write_image(root / 'imgs' / 'a.png', 32, 40)
    rng = np.random.default_rng(0)
    anns = []
    for k in range(n):
        x, y = rng.integers(0, 30), rng.integers(0, 22)
        anns.append(dict(id=k + 1, image_id=1, category_id=1, iscrowd=0,
                         bbox=[int(x), int(y), 8, 9]))
    ann = root / 'ann.json'
    ann.write_text(json.dumps(dict(
        images=[dict(id=1, file_name='a.png', height=32, width=40)],
        annotations=anns, categories=[dict(id=1, name='x')])))
    return ann, root / 'imgs'


def run(ann, imgs, out, cfg, ckpt, max_crops):
    generate_proxy_masks(
        ProxyOptions(
            ann_file=str(ann), img_root=str(imgs), out=str(out),
            generator='boxcaseg', config=cfg, checkpoint=ckpt,
            cfg_options={'model.test_cfg.max_crops': max_crops},
            merge=False, drop_thr=0.0, num_workers=0, post_threads=0,
            progress=False))
    with open(out) as f:
        return [decode(a['segmentation']) for a in json.load(f)['annotations']]


def test_converter_cuts_crops_max_crops_at_a_time(tmp_path, tiny_boxcaseg,
                                                  monkeypatch):
    from mmboxcaseg.datasets.transforms import BoxCropList
    cfg, ckpt = tiny_boxcaseg
    ann, imgs = crowd_scene(tmp_path)
    ref = run(ann, imgs, tmp_path / 'ref.json', cfg, ckpt, 64)
    loaded = []
    load = BoxCropList.load

    def spy(self):
        loaded.append(len(self))
        return load(self)

    monkeypatch.setattr(BoxCropList, 'load', spy)
    masks = run(ann, imgs, tmp_path / 'out.json', cfg, ckpt, 4)
    assert loaded == [4] * 7 + [2]  # 30 boxes, never more than 4 crops
    assert len(masks) == len(ref) == 30 and sum(m.sum() for m in ref) > 0
    # other forward batches: at most float noise at a pixel or two
    diff = sum(int((m != r).sum()) for m, r in zip(masks, ref))
    assert diff <= 3, diff


def test_the_data_set_sample_holds_no_crop(tmp_path, tiny_boxcaseg):
    """What the data loader hands over for 30 boxes: the image and their
    windows, no crop (the old sample held all 30 crops)."""
    from mmengine.config import Config

    from mmboxcaseg.datasets import BoxImageDataset
    from mmboxcaseg.datasets.transforms import BoxCropList
    cfg, _ = tiny_boxcaseg
    ann, imgs = crowd_scene(tmp_path)
    ds = BoxImageDataset(
        ann_file=str(ann),
        data_prefix=dict(img=str(imgs)),
        pipeline=Config.fromfile(cfg).test_pipeline)
    inputs = ds[0]['inputs']
    assert isinstance(inputs, BoxCropList)
    assert inputs.shape == (30, 3, 32, 32)
    arrays = [v for v in vars(inputs).values() if isinstance(v, np.ndarray)]
    assert sum(a.nbytes for a in arrays) == 32 * 40 * 3 + 30 * 4 * 8
    first = inputs[0:1].load()
    assert first.shape == (1, 3, 32, 32) and first.dtype == torch.uint8
