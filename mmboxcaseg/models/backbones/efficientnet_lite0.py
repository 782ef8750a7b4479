"""EfficientNet-Lite0 from timm: the CPU-sized backbone of the demo configs."""
import os.path as osp
from typing import Optional, Sequence, Tuple

from mmengine.model import BaseModule
from torch import Tensor

from mmboxcaseg.registry import MODELS

CONVERTER = 'tools/model_converters/efficientnet_lite0_to_mmboxcaseg.py'


@MODELS.register_module()
class EfficientNetLite0(BaseModule):
    """``timm.create_model('efficientnet_lite0', features_only=True)``.

    With the default ``out_indices=(1, 2, 3, 4)`` it returns four maps of
    24/40/112/320 channels at strides 4/8/16/32 (HRNetV2-like input for
    :class:`HRNetV2Concat`). Parameters live under ``timm_model.``; ImageNet
    weights come from ``tools/model_converters/
    efficientnet_lite0_to_mmboxcaseg.py``, loaded with
    ``init_cfg=dict(type='Pretrained', checkpoint=PATH, prefix='backbone.')``.

    Args:
        out_indices (Sequence[int]): timm feature levels to return.
    """

    def __init__(self,
                 out_indices: Sequence[int] = (1, 2, 3, 4),
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        try:
            import timm
        except ImportError as e:
            raise ImportError(
                'EfficientNetLite0 needs timm: pip install "timm>=1.0" '
                '(see requirements/optional.txt)') from e
        self.timm_model = timm.create_model(
            'efficientnet_lite0',
            pretrained=False,
            features_only=True,
            out_indices=tuple(out_indices))
        self.out_channels = list(self.timm_model.feature_info.channels())
        self.strides = list(self.timm_model.feature_info.reduction())

    def init_weights(self) -> None:
        """Load ``init_cfg`` weights; a missing local file names the fix."""
        cfg = self.init_cfg if isinstance(self.init_cfg, dict) else {}
        ckpt = cfg.get('checkpoint') if cfg.get('type') == 'Pretrained' \
            else None
        if isinstance(ckpt, str) and '://' not in ckpt \
                and not osp.isfile(ckpt):
            raise FileNotFoundError(
                f'EfficientNetLite0: pretrained checkpoint {ckpt!r} does not '
                f'exist. Make it with `python {CONVERTER} --out {ckpt}` or '
                f'set model.backbone.init_cfg=None for random weights.')
        super().init_weights()

    def forward(self, x: Tensor) -> Tuple[Tensor, ...]:
        """``[N, 3, H, W]`` -> maps ``[N, C_i, H / s_i, W / s_i]``."""
        return tuple(self.timm_model(x))
