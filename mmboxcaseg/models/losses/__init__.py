from .bbtp_mil_loss import BBTPMILLoss, bag_max
from .bbtp_pairwise_loss import (BBTPPairwiseLoss, neighbour_square_sum,
                                 outside_neighbour_count)
from .utils import resize_logits_to

__all__ = [
    'BBTPMILLoss', 'BBTPPairwiseLoss', 'bag_max', 'neighbour_square_sum',
    'outside_neighbour_count', 'resize_logits_to'
]
