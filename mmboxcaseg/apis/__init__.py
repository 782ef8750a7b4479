from .inference import init_segmentor
from .inferencer import BoxCasegInferencer, segment_boxes

__all__ = ['BoxCasegInferencer', 'init_segmentor', 'segment_boxes']
