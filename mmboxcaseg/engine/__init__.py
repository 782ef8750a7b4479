from .hooks import BoxMaskVisualizationHook
from .inference_runner import InferenceRunner
from .quiet_runner import QuietRunner

__all__ = ['BoxMaskVisualizationHook', 'InferenceRunner', 'QuietRunner']
