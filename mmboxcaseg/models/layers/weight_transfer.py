"""Weight transfer (after Mask^X R-CNN): conv weights -> conv weights."""
from typing import Optional, Tuple

import torch
import torch.nn as nn
from mmengine.model import BaseModule
from torch import Tensor


class WeightTransfer(BaseModule):
    """Map a (detached) conv weight to a new conv weight with a row-wise MLP.

    A weight ``[C_out, C_in, k, k]`` is read as ``C_out`` rows of length
    ``d = C_in * k * k``; every row goes through
    ``Linear(d, 4d) -> LeakyReLU(0.1) -> Linear(4d, d)`` and the result is
    reshaped back. The bias becomes ``scale * b_detached + shift`` with
    learnable scalars ``scale`` (init 1) and ``shift`` (init 0). The inputs
    are detached, so gradients reach only this module.

    Args:
        in_features (int): ``d = C_in * k * k`` of the source conv.
        hidden_ratio (int): hidden width ``hidden_ratio * d``. Defaults to 4.
        negative_slope (float): of the LeakyReLU. Defaults to 0.1.
        init_std (float): std of the normal init of the MLP's weights and
            biases. Defaults to 0.01.
    """

    def __init__(self,
                 in_features: int,
                 hidden_ratio: int = 4,
                 negative_slope: float = 0.1,
                 init_std: float = 0.01,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        self.in_features = in_features
        self.init_std = init_std
        self.mlp = nn.Sequential(
            nn.Linear(in_features, hidden_ratio * in_features),
            nn.LeakyReLU(negative_slope),
            nn.Linear(hidden_ratio * in_features, in_features))
        self.bias_scale = nn.Parameter(torch.ones(()))
        self.bias_shift = nn.Parameter(torch.zeros(()))
        self._reset_mlp()

    def _reset_mlp(self) -> None:
        for layer in self.mlp:
            if isinstance(layer, nn.Linear):
                nn.init.normal_(layer.weight, 0, self.init_std)
                nn.init.normal_(layer.bias, 0, self.init_std)

    def forward(
            self,
            weight: Tensor,
            bias: Optional[Tensor] = None) -> Tuple[Tensor, Optional[Tensor]]:
        """Transfer one conv's parameters.

        Args:
            weight (Tensor): ``[C_out, C_in, k, k]`` source weight.
            bias (Tensor, optional): ``[C_out]`` source bias.

        Returns:
            tuple: new weight ``[C_out, C_in, k, k]`` and new bias
            ``[C_out]`` (None when ``bias`` is None).
        """
        rows = weight.detach().flatten(1)  # [C_out, d]
        if rows.size(1) != self.in_features:
            raise ValueError(
                f'WeightTransfer built for rows of {self.in_features} values '
                f'(C_in*k*k) got a weight of shape {tuple(weight.shape)}')
        new_weight = self.mlp(rows).view_as(weight)
        new_bias = None
        if bias is not None:
            new_bias = self.bias_scale * bias.detach() + self.bias_shift
        return new_weight, new_bias
