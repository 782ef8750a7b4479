from .bbtp_mil_loss import BBTPMILLoss, bag_max
from .bbtp_pairwise_loss import (BBTPPairwiseLoss, neighbour_square_sum,
                                 outside_neighbour_count)
from .color_pairwise_loss import ColorPairwiseLoss, rgb_to_lab
from .pixel_bce_loss import PixelBCELoss
from .utils import resize_logits_to

__all__ = [
    'BBTPMILLoss', 'BBTPPairwiseLoss', 'ColorPairwiseLoss', 'PixelBCELoss',
    'rgb_to_lab',
    'bag_max', 'neighbour_square_sum',
    'outside_neighbour_count', 'resize_logits_to'
]
