"""tools/test.py and tools/generate_proxy_masks.py share one path: the same
box gets the same mask; --out is small; --show-dir draws the masks."""
import json
import pickle

import cv2
import numpy as np

from mmboxcaseg.proxy import ProxyOptions, generate_proxy_masks
from mmboxcaseg.structures import decode_rle
from tests.test_proxy.proxy_data import make_dataset
from tests.tool_loader import load_tool


def test_evaluation_and_proxies_give_the_same_masks(tmp_path, tiny_boxcaseg):
    cfg, ckpt = tiny_boxcaseg
    ann, imgs = make_dataset(tmp_path)
    out_pkl = tmp_path / 'eval' / 'preds.pkl'  # a folder that is made
    load_tool('tools/test.py').main([
        cfg, ckpt, '--work-dir',
        str(tmp_path / 'work'), '--out',
        str(out_pkl), '--show-dir', 'vis', '--cfg-options',
        f'test_dataloader.dataset.ann_file={ann}',
        f'test_dataloader.dataset.data_prefix.img={imgs}/'
    ])
    with open(out_pkl, 'rb') as f:
        evaluated = {d['id']: d for d in pickle.load(f)}
    assert out_pkl.stat().st_size < 500 * len(evaluated)
    generate_proxy_masks(
        ProxyOptions(
            ann_file=str(ann),
            img_root=str(imgs),
            out=str(tmp_path / 'proxy.json'),
            generator='boxcaseg',
            config=cfg,
            checkpoint=ckpt,
            merge=False,
            drop_thr=0.0,
            num_workers=0,
            progress=False))
    proxies = {
        a['id']: a
        for a in json.loads((tmp_path / 'proxy.json').read_text())
        ['annotations'] if not a['iscrowd']
    }
    assert sorted(proxies) == sorted(evaluated) == [2, 3, 5, 8, 10]
    drawn = 0
    for ann_id, d in evaluated.items():
        mask = decode_rle(d['segmentation'])
        np.testing.assert_array_equal(
            mask, decode_rle(proxies[ann_id]['segmentation']))
        drawn += int(mask.sum())
    assert drawn > 0
    # --show-dir: one picture per image, the masks painted over the photo
    pictures = sorted((tmp_path / 'work').glob('*/vis/*.png'))
    assert [p.name for p in pictures] == ['a.png', 'b.png', 'c.png']
    pic = cv2.imread(str(pictures[1]))  # image 2 (10 x 10): GT | prediction
    raw = cv2.imread(str(imgs / 'sub' / 'b.png'))
    assert pic.shape == (10, 20, 3)
    pred_half = pic[:, 10:].astype(int)
    mask10 = decode_rle(evaluated[10]['segmentation'])
    mask2 = decode_rle(evaluated[2]['segmentation'])
    painted = mask10 | mask2
    diff = np.abs(pred_half - raw.astype(int)).sum(axis=2)
    assert painted.any() and diff[painted].mean() > 20


def test_the_checkpoint_given_is_what_is_tested(tmp_path, tiny_boxcaseg):
    """``tools/test.py CONFIG CKPT`` tests CKPT's weights: with an
    ``EMAHook`` in the config (the ``-4k`` configs; MMEngine calls its
    ``after_load_checkpoint`` after ``before_run``, so a load before the
    run crashed) and over a ``load_from`` of the config."""
    import torch
    cfg, ckpt = tiny_boxcaseg
    ann, imgs = make_dataset(tmp_path)
    other = tmp_path / 'other.pth'  # other weights, for load_from
    state = torch.load(ckpt)['state_dict']
    torch.save(dict(state_dict={k: v + 0.5 if v.is_floating_point() else v
                                for k, v in state.items()}), other)

    ema_cfg = tmp_path / 'tiny_boxcaseg_ema.py'
    ema_cfg.write_text("_base_ = './tiny_boxcaseg.py'\n"
                       "custom_hooks = [dict(type='EMAHook')]\n")

    def masks(name, *options, config=cfg):
        out = tmp_path / f'{name}.pkl'
        load_tool('tools/test.py').main([
            config, ckpt, '--work-dir',
            str(tmp_path / name), '--out',
            str(out), '--cfg-options',
            f'test_dataloader.dataset.ann_file={ann}',
            f'test_dataloader.dataset.data_prefix.img={imgs}/', *options
        ])
        with open(out, 'rb') as f:
            return {d['id']: decode_rle(d['segmentation'])
                    for d in pickle.load(f)}

    plain = masks('plain')
    assert sum(int(m.sum()) for m in plain.values()) > 0
    for got in [masks('ema', config=str(ema_cfg)),
                masks('load_from', f'load_from={other}')]:
        assert sorted(got) == sorted(plain)
        for ann_id, mask in got.items():
            np.testing.assert_array_equal(mask, plain[ann_id])
