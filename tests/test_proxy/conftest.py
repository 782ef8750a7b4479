import pytest

from tests.test_proxy.proxy_data import make_dataset


@pytest.fixture
def dataset(tmp_path):
    """(ann.json, image folder) of :func:`proxy_data.base_coco`."""
    return make_dataset(tmp_path)
