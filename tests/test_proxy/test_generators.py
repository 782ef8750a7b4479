"""The predictors of stage 2: box fill, GrabCut and BoxCaseg, through the
same data set, pipeline and writer."""
import json

import numpy as np
import pytest
from mmengine.structures import BaseDataElement

from mmboxcaseg.models.segmentors import (BoxFillSegmentor, GrabCutSegmentor,
                                          sample_region_masks)
from mmboxcaseg.proxy import ProxyInputError, ProxyOptions, generate_proxy_masks
from mmboxcaseg.structures import box_regions
from tests.test_proxy.proxy_data import decode, make_dataset


def _scene(h=40, w=48, seed=0):
    rng = np.random.default_rng(seed)
    img = rng.integers(0, 40, (h, w, 3), dtype=np.uint8)
    img[10:26, 14:34] = (30, 200, 230)  # a bright object of 16 x 20
    return img


def _predict(model, img, boxes):
    boxes = np.asarray(boxes, np.float64)
    sample = BaseDataElement(regions=box_regions(boxes, img.shape[:2]),
                             img=img)
    (out, ) = model.predict(None, [sample])
    return sample_region_masks(out.to_dict())


def test_boxfill_region_shapes():
    img = np.zeros((10, 12, 3), np.uint8)
    boxes = [[1.5, 2.0, 4.2, 5.0], [10, 8, 20, 20], [3, 3, 3.5, 3.5]]
    masks, scores, _ = _predict(BoxFillSegmentor(), img, boxes)
    assert [m.shape for m in masks] == [(3, 4), (2, 2), (1, 1)]
    assert all(m.dtype == bool and m.all() for m in masks)


def test_grabcut_finds_the_object_and_is_deterministic():
    gen = GrabCutSegmentor()
    img = _scene()
    (m, ), _, stats = _predict(gen, img, [[10.0, 6.0, 38.0, 30.0]])
    assert m.shape == (24, 28)
    truth = np.zeros((24, 28), bool)
    truth[4:20, 4:24] = True
    assert (m & truth).sum() / (m | truth).sum() > 0.9
    # the same result beside another box, and in another call
    (_, again), _, _ = _predict(gen, img, [[0.0, 0.0, 20.0, 20.0],
                                          [10.0, 6.0, 38.0, 30.0]])
    np.testing.assert_array_equal(again, m)
    assert stats.get('grabcut_fallback', 0) == 0


def test_grabcut_degenerate_boxes_fall_back_to_box_fill():
    masks, _, stats = _predict(
        GrabCutSegmentor(), _scene(),
        [[5.0, 5.0, 6.0, 30.0], [0.0, 0.0, 48.0, 40.0], [2.0, 2.0, 5.0,
                                                          5.0]])
    assert [m.shape for m in masks] == [(25, 1), (40, 48), (3, 3)]
    assert all(m.all() for m in masks)
    assert stats['grabcut_fallback'] == 3
    with pytest.raises(ValueError, match='keep_image'):
        GrabCutSegmentor().predict(None, [BaseDataElement(
            regions=np.array([[0, 0, 4, 4]]))])


def run(ann, imgs, out, **kw):
    kw.setdefault('progress', False)
    kw.setdefault('num_workers', 0)
    kw.setdefault('post_threads', 0)
    return generate_proxy_masks(
        ProxyOptions(ann_file=str(ann), img_root=str(imgs), out=str(out),
                     **kw))


def test_converter_with_grabcut_is_deterministic(tmp_path):
    ann, imgs = make_dataset(tmp_path)
    reports = [
        run(ann, imgs, tmp_path / 'a.json', generator='grabcut',
            batch_size=1),
        run(ann, imgs, tmp_path / 'b.json', generator='grabcut',
            batch_size=9, post_threads=2)
    ]
    assert (tmp_path / 'a.json').read_bytes() == (tmp_path /
                                                  'b.json').read_bytes()
    # ann 2's box is the whole 10 x 10 image: no background, box fill
    assert reports[0]['notes']['grabcut_fallback'] >= 1
    assert reports[0]['notes'] == reports[1]['notes']
    out = {
        a['id']: a
        for a in json.loads((tmp_path / 'a.json').read_text())['annotations']
    }
    assert out[2]['proxy_agreement'] == 1.0


def test_boxcaseg_needs_weights_unless_asked(tmp_path, tiny_boxcaseg):
    ann, imgs = make_dataset(tmp_path)
    cfg, ckpt = tiny_boxcaseg
    with pytest.raises(ProxyInputError, match='--random-weights'):
        run(ann, imgs, tmp_path / 'o.json', generator='boxcaseg', config=cfg)
    report = run(ann, imgs, tmp_path / 'o.json', generator='boxcaseg',
                 config=cfg, random_weights=True, drop_thr=0.0)
    assert report['processed'] == 5
    # a checkpoint that does not fit the config: one clear error
    import torch
    bad = tmp_path / 'bad.pth'
    torch.save(dict(state_dict={'backbone.x': torch.zeros(1)}), bad)
    with pytest.raises(ProxyInputError, match='does not fit'):
        run(ann, imgs, tmp_path / 'p.json', generator='boxcaseg',
            config=cfg, checkpoint=str(bad))


def test_boxcaseg_refine_needs_no_pipeline_change(tmp_path, tiny_boxcaseg):
    ann, imgs = make_dataset(tmp_path)
    cfg, ckpt = tiny_boxcaseg
    plain = run(ann, imgs, tmp_path / 'p.json', generator='boxcaseg',
                config=cfg, checkpoint=ckpt, merge=False, drop_thr=0.0)
    # every box refined (the gates at 0: the boxes here are small)
    every = {'model.test_cfg.refine':
             dict(type='GrabCutRefine', min_size=0, min_agreement=0)}
    refined = run(ann, imgs, tmp_path / 'r.json', generator='boxcaseg',
                  config=cfg, checkpoint=ckpt, merge=False, drop_thr=0.0,
                  refine=True, cfg_options=every)
    assert plain['processed'] == refined['processed'] == 5
    a = json.loads((tmp_path / 'p.json').read_text())['annotations']
    b = json.loads((tmp_path / 'r.json').read_text())['annotations']
    changed = [x['id'] for x, y in zip(a, b) if not x['iscrowd']
               and not np.array_equal(decode(x['segmentation']),
                                     decode(y['segmentation']))]
    assert changed  # GrabCut moved some masks
    # --refine's default decides per box: boxes below 32 px keep the
    # network's masks, and the report counts them
    gated = run(ann, imgs, tmp_path / 'g.json', generator='boxcaseg',
                config=cfg, checkpoint=ckpt, merge=False, drop_thr=0.0,
                refine=True)
    assert gated['notes']['refine_small'] == 5
    g = json.loads((tmp_path / 'g.json').read_text())['annotations']
    assert [x['segmentation'] for x in g] == [x['segmentation'] for x in a]
    with pytest.raises(ProxyInputError, match='--refine'):
        run(ann, imgs, tmp_path / 'x.json', generator='boxfill', refine=True)


def test_refine_flag_keeps_the_seeds_a_config_sets(tmp_path, tiny_boxcaseg):
    """``--refine`` adds the default GrabCutRefine; a refinement the config
    or ``--cfg-options`` already sets keeps its own seeds."""
    from mmboxcaseg.proxy.run import _model
    ann, imgs = make_dataset(tmp_path)
    cfg, ckpt = tiny_boxcaseg

    def refine_of(**kw):
        opts = ProxyOptions(
            ann_file=str(ann), img_root=str(imgs), out=str(tmp_path / 'o'),
            generator='boxcaseg', config=cfg, checkpoint=ckpt, refine=True,
            **kw)
        return dict(_model(opts)[0]['test_cfg']['refine'])

    assert refine_of() == dict(type='GrabCutRefine')
    assert refine_of(cfg_options={
        'model.test_cfg.refine': dict(type='GrabCutRefine', bg_thr=0.1)
    }) == dict(type='GrabCutRefine', bg_thr=0.1)


def test_unknown_test_cfg_key_is_refused(tmp_path, tiny_boxcaseg, capsys):
    """A typo in --cfg-options (``mask_thrr``) would be ignored without a
    word: it is refused, naming the known keys; nothing is left behind."""
    from tests.test_proxy.test_bad_input import cli_main
    ann, imgs = make_dataset(tmp_path)
    cfg, ckpt = tiny_boxcaseg
    out = tmp_path / 'o.json'
    with pytest.raises(ProxyInputError, match="mask_thrr.*'mask_thr'"):
        run(ann, imgs, out, generator='boxcaseg', config=cfg,
            checkpoint=ckpt, cfg_options={'model.test_cfg.mask_thrr': 0.9})
    assert not out.exists() and not (tmp_path / 'o.json.parts').exists()
    rc = cli_main(['--ann-file', str(ann), '--img-root', str(imgs), '--out',
                   str(out), '--config', cfg, '--checkpoint', ckpt,
                   '--cfg-options', 'model.test_cfg.mask_thrr=0.9',
                   '--no-progress'])
    err = capsys.readouterr().err.strip().splitlines()
    assert rc == 2 and len(err) == 1 and 'mask_thrr' in err[0]
