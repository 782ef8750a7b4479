"""Pictures of box -> mask predictions during validation and testing."""
import os.path as osp
from typing import Optional, Sequence

import mmcv
from mmengine.hooks import Hook
from mmengine.utils import mkdir_or_exist
from mmengine.visualization import Visualizer

from mmboxcaseg.registry import HOOKS


@HOOKS.register_module()
class BoxMaskVisualizationHook(Hook):
    """Draw predicted masks (and GT masks) with the runner's visualizer.

    The arguments are those of mmdet's ``DetVisualizationHook`` (which
    ``tools/test.py --show`` / ``--show-dir`` set), for
    :class:`~mmboxcaseg.visualization.BoxMaskVisualizer` and the samples of
    :class:`~mmboxcaseg.datasets.BoxImageDataset`.

    Args:
        draw (bool): draw at all. Defaults to False.
        interval (int): during validation, every ``interval``-th batch is
            drawn to the visualizer's backends.
        show (bool): show each test picture in a window.
        wait_time (float): seconds a shown picture stays.
        test_out_dir (str, optional): test pictures go to
            ``<work_dir>/<timestamp>/<test_out_dir>/<image name>.png``.
        draw_gt (bool): draw the GT masks beside the prediction.
    """
    priority = 'NORMAL'

    def __init__(self,
                 draw: bool = False,
                 interval: int = 50,
                 show: bool = False,
                 wait_time: float = 0.,
                 test_out_dir: Optional[str] = None,
                 draw_gt: bool = True,
                 backend_args: Optional[dict] = None) -> None:
        self._visualizer: Optional[Visualizer] = None
        self.draw = draw
        self.interval = interval
        self.show = show
        self.wait_time = wait_time
        self.test_out_dir = test_out_dir
        self.draw_gt = draw_gt
        self.backend_args = backend_args
        self._test_index = 0

    def before_run(self, runner) -> None:
        # the runner's own visualizer (not the process-wide latest one)
        self._visualizer = runner.visualizer
        if self.show:  # a backend would store what the window shows
            self._visualizer._vis_backends = {}

    def _image(self, sample):
        img = sample.get('img', None)
        if img is not None:
            return img[..., ::-1]
        return mmcv.imread(
            sample.metainfo['img_path'],
            channel_order='rgb',
            backend_args=self.backend_args)

    def after_val_iter(self, runner, batch_idx: int, data_batch: dict,
                       outputs: Sequence) -> None:
        if not self.draw or batch_idx % self.interval or not outputs:
            return
        sample = outputs[0]
        self._visualizer.add_datasample(
            osp.basename(sample.metainfo.get('img_path', 'val')),
            self._image(sample),
            data_sample=sample,
            draw_gt=self.draw_gt,
            step=runner.iter)

    def after_test_iter(self, runner, batch_idx: int, data_batch: dict,
                        outputs: Sequence) -> None:
        if not self.draw:
            return
        out_dir = None
        if self.test_out_dir is not None:
            out_dir = osp.join(runner.work_dir, runner.timestamp,
                               self.test_out_dir)
            mkdir_or_exist(out_dir)
        for sample in outputs:
            self._test_index += 1
            name = osp.basename(
                sample.metainfo.get('img_path', f'{self._test_index}'))
            out_file = None if out_dir is None else osp.join(
                out_dir,
                osp.splitext(name)[0] + '.png')
            self._visualizer.add_datasample(
                name,
                self._image(sample),
                data_sample=sample,
                draw_gt=self.draw_gt,
                show=self.show,
                wait_time=self.wait_time,
                out_file=out_file,
                step=self._test_index)
