"""A tiny model and data set to exercise the training machinery (not BoxCaseg)."""
import os

import torch
from mmengine.hooks import Hook
from mmengine.model import BaseModel
from torch.utils.data import Dataset

from mmboxcaseg.registry import DATASETS, HOOKS, MODELS


@MODELS.register_module(force=True)
class ToyRegressor(BaseModel):
    """y = w x + b on 4-d inputs; ``loss`` mode returns an MSE loss."""

    def __init__(self, data_preprocessor=None):
        super().__init__(data_preprocessor=data_preprocessor)
        self.linear = torch.nn.Linear(4, 1)

    def forward(self, inputs, data_samples=None, mode='tensor'):
        x = torch.stack(inputs) if isinstance(inputs, list) else inputs
        out = self.linear(x)
        if mode == 'loss':
            y = torch.stack(data_samples) if isinstance(data_samples,
                                                        list) else data_samples
            return dict(loss=((out - y)**2).mean())
        if mode == 'predict':
            return [o for o in out]
        return out


@DATASETS.register_module(force=True)
class ToyDataset(Dataset):
    """``length`` fixed random pairs (x, y = x.sum() + 1); draw number
    ``fail_after`` raises (a run that fails inside the runner)."""
    metainfo = dict()

    def __init__(self, length=64, fail_after=None):
        self.fail_after = fail_after
        self.calls = 0
        g = torch.Generator().manual_seed(0)
        self.x = torch.randn(length, 4, generator=g)
        self.y = self.x.sum(1, keepdim=True) + 1

    def __len__(self):
        return len(self.x)

    def __getitem__(self, i):
        self.calls += 1
        if self.calls == self.fail_after:
            raise RuntimeError(
                f'ToyDataset: draw {self.calls} fails on purpose')
        return dict(inputs=self.x[i], data_samples=self.y[i])


@HOOKS.register_module(force=True)
class SourceCountHook(Hook):
    """Appends each training batch's box / salient counts of this rank to
    ``<work_dir>/sources-rank<R>.txt``."""

    def after_train_iter(self, runner, batch_idx, data_batch=None,
                         outputs=None):
        sources = [
            s.metainfo.get('source') for s in data_batch['data_samples']
        ]
        path = os.path.join(runner.work_dir, f'sources-rank{runner.rank}.txt')
        with open(path, 'a') as f:
            f.write(f'{sources.count("box")} {sources.count("salient")}\n')
