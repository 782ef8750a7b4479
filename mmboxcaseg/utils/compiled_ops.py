"""Stage 3 needs mmcv's compiled ops; stages 1 and 2 do not.

The segmentor, its training, proxy masks and the Inferencer use no compiled
op, so they run with an mmcv built without ops (``mmcv-lite``; a few pure
Python wheels on a fresh machine). The Proxy Mask R-CNN of stage 3 is mmdet's
Mask R-CNN (RoIAlign, NMS): its modules are imported only when ``mmcv.ops``
is there; otherwise their names are registered with a placeholder that says
what is missing.
"""
_HAVE = None

MISSING = ('{name} belongs to stage 3 (Proxy Mask R-CNN), which needs mmcv '
           'built with its compiled ops (mmcv.ops), and this mmcv has none '
           '(e.g. mmcv-lite). Run `bash tools/setup_env.sh`, which compiles '
           'mmcv with ops (docs/get_started.md). Stages 1 and 2 (segmentor, '
           'proxy masks) work without them.')


def have_compiled_ops() -> bool:
    """Whether ``mmcv.ops`` imports (checked once)."""
    global _HAVE
    if _HAVE is None:
        try:
            import mmcv.ops  # noqa: F401
            _HAVE = True
        except ImportError:
            _HAVE = False
    return _HAVE


def register_stage3_placeholders(registry, names) -> None:
    """Register ``names`` as classes that raise :data:`MISSING` when built."""
    for name in names:

        def __init__(self, *args, _name=name, **kwargs):
            raise ImportError(MISSING.format(name=_name))

        registry.register_module(
            name=name, module=type(name, (), {'__init__': __init__}),
            force=True)
