from .inference import init_segmentor, segment_boxes
from .inferencer import BoxCasegInferencer

__all__ = ['BoxCasegInferencer', 'init_segmentor', 'segment_boxes']
