from .hooks import BoxMaskVisualizationHook
from .inference_runner import InferenceRunner

__all__ = ['BoxMaskVisualizationHook', 'InferenceRunner']
