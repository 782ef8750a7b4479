"""Proxy-mask generators, registered in ``PROXY_GENERATORS``."""
from .base import BaseProxyGenerator
from .box_fill import BoxFillGenerator
from .boxcaseg import BoxCasegGenerator
from .grab_cut import GrabCutGenerator

__all__ = [
    'BaseProxyGenerator', 'BoxFillGenerator', 'BoxCasegGenerator',
    'GrabCutGenerator'
]
