"""A trained BoxCaseg segmentor from its config and checkpoint."""
import copy
from pathlib import Path
from typing import Optional, Union

import torch
from mmengine.config import Config
from mmengine.model.utils import revert_sync_batchnorm
from mmengine.registry import init_default_scope
from mmengine.runner import load_checkpoint

from mmboxcaseg.registry import MODELS
from mmboxcaseg.utils.checkpoint import load_strictly
from mmboxcaseg.utils.launch import flush_denormals


def init_segmentor(config: Union[str, Path, Config],
                   checkpoint: Optional[str] = None,
                   device: str = 'cpu',
                   cfg_options: Optional[dict] = None,
                   random_weights: bool = False):
    """Build a :class:`BoxCaseg` from a config and load its weights.

    Args:
        config (str | Path | Config): config file or object (not modified).
        checkpoint (str, optional): weights; all keys must match.
        device (str): e.g. ``'cpu'``, ``'cuda:0'``. On CPU, SyncBN layers are
            reverted to BN.
        cfg_options (dict, optional): overrides merged into the config.
        random_weights (bool): allow a model without checkpoint (random
            weights: masks without meaning, for tests and benchmarks).

    Returns:
        BoxCaseg: in eval mode on ``device``, with the config as ``.cfg``.

    Raises:
        ValueError: no checkpoint and not ``random_weights``.
        CheckpointRefused: the file holds types that are not allowed.
    """
    if isinstance(config, (str, Path)):
        config = Config.fromfile(str(config))
    elif isinstance(config, Config):
        config = copy.deepcopy(config)
    else:
        raise TypeError('config must be a file path or a Config, got '
                        f'{type(config)}')
    if cfg_options:
        config.merge_from_dict(cfg_options)
    if 'model' not in config:
        raise ValueError(f'config {config.filename} has no `model`')
    if checkpoint is None and not random_weights:
        raise ValueError('init_segmentor needs a checkpoint (a segmentor '
                         'with random weights writes meaningless masks; '
                         'pass random_weights=True to build one anyway)')
    init_default_scope(config.get('default_scope', 'mmboxcaseg'))
    model = MODELS.build(config.model)
    if checkpoint is not None:
        load_strictly(
            lambda: load_checkpoint(
                model, checkpoint, map_location='cpu', strict=True),
            checkpoint)
    if torch.device(device).type == 'cpu':
        model = revert_sync_batchnorm(model)
        flush_denormals()  # subnormal floats make CPU inference crawl
    model.cfg = config
    return model.to(device).eval()
