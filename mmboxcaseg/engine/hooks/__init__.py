from .visualization_hook import BoxMaskVisualizationHook

__all__ = ['BoxMaskVisualizationHook']
