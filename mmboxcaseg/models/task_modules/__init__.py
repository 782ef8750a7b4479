from .grab_cut import GrabCutRefine, grabcut_region, rect_seeds

__all__ = ['GrabCutRefine', 'grabcut_region', 'rect_seeds']
