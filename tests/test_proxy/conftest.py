import logging
import sys

import pytest
from mmengine.logging import MMLogger

from tests.test_proxy.proxy_data import make_dataset


@pytest.fixture
def dataset(tmp_path):
    """(ann.json, image folder) of :func:`proxy_data.base_coco`."""
    return make_dataset(tmp_path)


class _CurrentStderr:
    """Writes to whatever ``sys.stderr`` is at the time of writing."""

    def write(self, text):
        return sys.stderr.write(text)

    def flush(self):
        sys.stderr.flush()


@pytest.fixture(autouse=True)
def _log_to_current_stderr():
    """mmengine's logger keeps the stream of the test that created it (closed
    once that test ends); make it follow pytest's capture instead."""
    for h in MMLogger.get_current_instance().handlers:
        if type(h) is logging.StreamHandler:
            h.setStream(_CurrentStderr())
    yield
