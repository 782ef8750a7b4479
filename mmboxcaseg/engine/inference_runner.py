"""A Runner for distributed inference: no DDP around the model."""
import torch.nn as nn
from mmengine.device import get_device

from mmboxcaseg.registry import RUNNERS
from .quiet_runner import QuietRunner


@RUNNERS.register_module()
class InferenceRunner(QuietRunner):
    """A :class:`QuietRunner` that never wraps the model in DDP.

    A distributed ``Runner`` wraps every model in
    ``MMDistributedDataParallel``, which refuses a model without trainable
    parameters (the box-fill and GrabCut baselines of stage 2) and has
    nothing to synchronise in a test run. Proxy-mask runs
    (``tools/generate_proxy_masks.py``) set ``runner_type='InferenceRunner'``;
    everything else (process group, data sharding, hooks, logging) is
    :class:`QuietRunner`'s.
    """

    def wrap_model(self, model_wrapper_cfg, model: nn.Module) -> nn.Module:
        return model.to(get_device())

    def train(self):
        raise RuntimeError('InferenceRunner only runs test loops')
