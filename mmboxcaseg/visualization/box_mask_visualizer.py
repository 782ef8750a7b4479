"""Pictures of box -> mask predictions: image, boxes, masks, GT masks."""
from typing import Optional

import mmcv
import numpy as np
from mmengine.visualization import Visualizer

from mmboxcaseg.registry import VISUALIZERS
from mmboxcaseg.structures import paste_masks
from mmboxcaseg.structures.coco_masks import decode_rle, segmentation_to_rle
from mmboxcaseg.visualization.instances import draw_instances


@VISUALIZERS.register_module()
class BoxMaskVisualizer(Visualizer):
    """Draws a :class:`BoxImageDataset` prediction: every box, its mask
    (:func:`~mmboxcaseg.visualization.instances.draw_instances`: a colour,
    outline and score each) and, with ``draw_gt``, the GT masks beside it
    (left GT, right prediction).

    Used by the visualization hook (``tools/test.py --show-dir DIR`` /
    ``--show``) and by :class:`~mmboxcaseg.apis.BoxCasegInferencer`. Images
    are RGB, as the hook passes them.

    Args:
        name (str): instance name. Defaults to ``'visualizer'``.
        alpha (float): mask fill opacity. Defaults to 0.35.
        **kwargs: :class:`mmengine.visualization.Visualizer`'s.
    """

    def __init__(self,
                 name: str = 'visualizer',
                 alpha: float = 0.35,
                 **kwargs) -> None:
        super().__init__(name=name, **kwargs)
        self.alpha = float(alpha)

    def _draw(self, image: np.ndarray, masks: np.ndarray, boxes: np.ndarray,
              scores=None) -> np.ndarray:
        return draw_instances(
            image, masks, boxes, scores=scores, alpha=self.alpha)

    def draw_box_masks(self,
                       sample: dict,
                       image: Optional[np.ndarray] = None,
                       draw_gt: bool = True,
                       show: bool = False,
                       wait_time: float = 0,
                       out_file: Optional[str] = None) -> np.ndarray:
        """Draw one predicted sample (as a dict); returns the RGB picture.

        Args:
            sample (dict): ``BaseDataElement.to_dict()`` of a prediction.
            image (np.ndarray, optional): RGB image (default: the sample's
                ``img``, BGR, or its ``img_path``).
        """
        from mmboxcaseg.models.segmentors import sample_region_masks
        if image is None:
            img = sample.get('img', None)
            image = img[..., ::-1] if img is not None else mmcv.imread(
                sample['img_path'], channel_order='rgb')
        image = np.ascontiguousarray(image)
        h, w = image.shape[:2]
        valid = np.asarray(sample.get('valid', ()), dtype=bool)
        boxes = np.asarray(sample['boxes'], dtype=np.float64)[valid]
        if 'img' not in sample or sample['img'] is None:
            sample = dict(sample, img=np.ascontiguousarray(image[..., ::-1]))
        masks, scores, _ = sample_region_masks(sample)
        pred = self._draw(image, paste_masks(masks, sample['regions'],
                                             (h, w)), boxes, scores)
        picture = pred
        gts = sample.get('segmentations', None)
        if draw_gt and gts:
            gt_masks, gt_boxes = [], []
            for g, b in zip(np.asarray(gts, dtype=object)[valid], boxes):
                try:
                    rle = segmentation_to_rle(g, h, w)
                except ValueError:
                    rle = None
                if rle is not None:
                    gt_masks.append(decode_rle(dict(rle)))
                    gt_boxes.append(b)
            gt = self._draw(
                image,
                np.asarray(gt_masks, dtype=bool).reshape(-1, h, w),
                np.asarray(gt_boxes).reshape(-1, 4))
            picture = np.concatenate([gt, pred], axis=1)
        if show:
            self.show(picture, win_name='box -> mask', wait_time=wait_time)
        if out_file is not None:
            mmcv.imwrite(picture[..., ::-1], out_file)
        return picture

    def add_datasample(self,
                       name: str,
                       image: np.ndarray,
                       data_sample=None,
                       draw_gt: bool = True,
                       draw_pred: bool = True,
                       show: bool = False,
                       wait_time: float = 0,
                       out_file: Optional[str] = None,
                       pred_score_thr: float = 0.3,
                       step: int = 0) -> None:
        """The visualization hooks' entry point (mmdet's signature)."""
        if data_sample is None:
            return
        sample = data_sample.to_dict() if hasattr(data_sample,
                                                  'to_dict') else data_sample
        picture = self.draw_box_masks(
            sample,
            image=image,
            draw_gt=draw_gt,
            show=show,
            wait_time=wait_time,
            out_file=out_file)
        if out_file is None and not show:
            self.add_image(name, picture, step)
