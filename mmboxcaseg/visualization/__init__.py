from .box_mask_visualizer import BoxMaskVisualizer

__all__ = ['BoxMaskVisualizer']
