"""Normalise images and batch the labels of stage-1 (segmentor) samples."""
from typing import Optional, Sequence

import numpy as np
import torch
import torch.nn.functional as F
from mmengine.model import ImgDataPreprocessor
from mmengine.structures import BaseDataElement
from torch import Tensor

from mmboxcaseg.registry import MODELS


def stack_gt_labels(data_samples: Sequence[BaseDataElement]) -> Tensor:
    """Stack the ``gt_label`` of every sample.

    Args:
        data_samples (Sequence[BaseDataElement]): samples whose ``gt_label``
            is a ``[1, H, W]`` tensor (all of the same size).

    Returns:
        Tensor: ``[N, 1, H, W]`` labels, dtype of the samples' labels.
    """
    labels = []
    for i, sample in enumerate(data_samples):
        label = sample.get('gt_label', None)
        if label is None:
            raise ValueError(f'data sample {i} of the batch has no gt_label')
        if label.dim() != 3 or label.size(0) != 1:
            raise ValueError(f'data sample {i}: gt_label must be [1, H, W], '
                             f'got {tuple(label.shape)}')
        labels.append(label)
    if len({tuple(label.shape) for label in labels}) > 1:
        raise ValueError('gt_label sizes differ within the batch: '
                         f'{[tuple(label.shape) for label in labels]}')
    return torch.stack(labels)


@MODELS.register_module()
class BoxCasegDataPreprocessor(ImgDataPreprocessor):
    """mmengine's :class:`ImgDataPreprocessor` that also pads ``gt_label``.

    Images are moved to the device, converted BGR -> RGB (``bgr_to_rgb``),
    normalised with ``mean``/``std`` and stacked into ``[N, 3, H, W]``. When
    ``pad_size_divisor > 1`` pads the images, every ``gt_label`` is padded
    with 0 at the bottom/right to the same size, so labels and inputs stay
    aligned; :func:`stack_gt_labels` (used by :class:`BoxCaseg`) then gives
    the ``[N, 1, H, W]`` batch. Defaults: ImageNet mean/std in RGB order.
    """

    def __init__(self,
                 mean: Optional[Sequence[float]] = (123.675, 116.28, 103.53),
                 std: Optional[Sequence[float]] = (58.395, 57.12, 57.375),
                 bgr_to_rgb: bool = True,
                 **kwargs) -> None:
        # ImageNet statistics in RGB order by default; the other arguments
        # (pad_size_divisor, pad_value, rgb_to_bgr, non_blocking) keep
        # ImgDataPreprocessor's defaults
        super().__init__(mean=mean, std=std, bgr_to_rgb=bgr_to_rgb, **kwargs)

    def forward(self, data: dict, training: bool = False) -> dict:
        """Normalise ``data['inputs']``, align labels to the padded size.

        Box crops of whole images (``PackBoxImageInputs``: one
        ``[K_i, 3, h, w]`` tensor per image) are concatenated into one
        ``[sum K_i, 3, h, w]`` batch, image after image; crops not yet cut
        (``BoxCropList``) become a :class:`CropBatch`, normalised a chunk at
        a time when the model loads it.
        """
        inputs = data.get('inputs')
        if isinstance(inputs, (list, tuple)) and len(inputs) and all(
                hasattr(t, 'load') for t in inputs):
            return dict(
                inputs=CropBatch(inputs, self.prepare_crops),
                data_samples=data.get('data_samples'))
        if isinstance(inputs, (list, tuple)) and len(inputs) and all(
                isinstance(t, Tensor) and t.dim() == 4 for t in inputs):
            return self._crops_forward(data)
        data = super().forward(data, training)
        samples = data.get('data_samples', None)
        if samples is None:
            return data
        h, w = data['inputs'].shape[-2:]
        for i, sample in enumerate(samples):
            label = sample.get('gt_label', None)
            if label is None:
                continue
            lh, lw = label.shape[-2:]
            if lh > h or lw > w:
                raise ValueError(
                    f'data sample {i}: gt_label {tuple(label.shape)} is '
                    f'larger than the batch input {(h, w)}')
            if (lh, lw) != (h, w):
                sample.gt_label = F.pad(label, (0, w - lw, 0, h - lh))
        return data

    def _crops_forward(self, data: dict) -> dict:
        crops = self.prepare_crops(torch.cat(list(data['inputs'])))
        return dict(inputs=crops, data_samples=data.get('data_samples'))

    def prepare_crops(self, crops: Tensor) -> Tensor:
        """uint8 ``[K, 3, h, w]`` crops -> normalised float on the device."""
        crops = crops.to(self.device)
        if crops.shape[-1] and crops.shape[-2] and len(crops):
            if self._channel_conversion:
                crops = crops[:, [2, 1, 0]]
            crops = crops.float()
            if self._enable_normalize:
                crops = (crops - self.mean) / self.std
        else:
            crops = crops.float()
        return crops


class CropBatch:
    """The box crops of a batch of images, cut and normalised when loaded.

    Stands for the ``[sum K_i, 3, h, w]`` batch of normalised crops: sliced
    like it (a slice is another :class:`CropBatch`, nothing is cut) and
    :meth:`load` gives the tensor of a slice. :meth:`BoxCaseg.predict_probs`
    loads ``test_cfg.max_crops`` crops at a time, so the crops of an image
    with many boxes are never all in memory.

    Args:
        parts (list): each image's crops (``BoxCropList``: ``len``, slicing
            and ``load()`` -> uint8 ``[k, 3, h, w]``).
        prepare (callable): uint8 crops -> normalised float crops.
    """

    def __init__(self, parts, prepare, start: int = 0,
                 stop: Optional[int] = None) -> None:
        self.parts = list(parts)
        self.prepare = prepare
        self._ends = np.cumsum([len(p) for p in self.parts])
        total = int(self._ends[-1]) if len(self.parts) else 0
        self.start, self.stop = start, total if stop is None else stop

    def __len__(self) -> int:
        return self.stop - self.start

    @property
    def shape(self) -> tuple:
        return (len(self), ) + tuple(self.parts[0].shape[1:])

    def __getitem__(self, index: slice) -> 'CropBatch':
        if not isinstance(index, slice) or index.step not in (None, 1):
            raise TypeError('CropBatch takes slices with step 1')
        lo, hi, _ = index.indices(len(self))
        return CropBatch(self.parts, self.prepare, self.start + lo,
                         self.start + max(lo, hi))

    def load(self) -> Tensor:
        """The normalised crops of this slice, ``[k, 3, h, w]`` float."""
        chunks, begin = [], 0
        for part, end in zip(self.parts, self._ends):
            lo, hi = max(self.start, begin), min(self.stop, int(end))
            if lo < hi:
                chunks.append(part[lo - begin:hi - begin].load())
            begin = int(end)
        if not chunks:
            chunks.append(self.parts[0][0:0].load())
        return self.prepare(torch.cat(chunks))
