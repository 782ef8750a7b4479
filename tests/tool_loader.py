"""Loads a script of this repository (``tools/...``, ``demo/...``: folders
that are not packages) as a module, so that tests call its functions."""
import importlib.util
import os.path as osp
import sys

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))


def load_tool(rel_path):
    """The module of ``ROOT/rel_path``, executed once per test session.

    It is registered in ``sys.modules`` as ``_tool_<file stem>`` so that
    worker processes can unpickle the functions it hands them.
    """
    name = '_tool_' + osp.splitext(osp.basename(rel_path))[0]
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(
            name, osp.join(ROOT, rel_path))
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        try:
            spec.loader.exec_module(module)
        except BaseException:
            del sys.modules[name]
            raise
    return sys.modules[name]
