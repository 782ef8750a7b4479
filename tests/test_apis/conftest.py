import pytest

from mmboxcaseg.apis import init_segmentor


@pytest.fixture
def model(tiny_boxcaseg):
    """The tiny BoxCaseg of ``tiny_boxcaseg``, built with its weights."""
    cfg, ckpt = tiny_boxcaseg
    return init_segmentor(cfg, ckpt)
