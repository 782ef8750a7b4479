"""Registries of mmboxcaseg: children of mmdet's, scope ``mmboxcaseg``.

A config with ``default_scope = 'mmboxcaseg'`` finds our modules first, then
every mmdet (and mmengine) module through the parent chain; ``mmpretrain.X``
reaches mmpretrain by its scope prefix. ``locations`` are imported lazily the
first time a registry is searched, so importing this file is cheap.
"""
import mmdet.registry as mmdet
from mmengine.registry import Registry


def _child(name: str, parent: Registry, *packages: str) -> Registry:
    """The ``mmboxcaseg`` child of mmdet's ``parent``; its ``locations``
    are ``mmboxcaseg.<package>`` for each of ``packages``. Each registry
    stays a constant of its own below, for ``from mmboxcaseg.registry
    import X`` (as in mmdet's registry.py)."""
    return Registry(
        name,
        parent=parent,
        locations=[f'mmboxcaseg.{package}' for package in packages])


# manage all kinds of runners like `EpochBasedRunner` and `IterBasedRunner`
RUNNERS = _child('runner', mmdet.RUNNERS, 'engine')
RUNNER_CONSTRUCTORS = _child('runner constructor',
                             mmdet.RUNNER_CONSTRUCTORS, 'engine')
LOOPS = _child('loop', mmdet.LOOPS, 'engine')
HOOKS = _child('hook', mmdet.HOOKS, 'engine')

DATASETS = _child('dataset', mmdet.DATASETS, 'datasets')
DATA_SAMPLERS = _child('data sampler', mmdet.DATA_SAMPLERS, 'datasets',
                       'proxy')
TRANSFORMS = _child('transform', mmdet.TRANSFORMS, 'datasets.transforms')

MODELS = _child('model', mmdet.MODELS, 'models')
MODEL_WRAPPERS = _child('model_wrapper', mmdet.MODEL_WRAPPERS, 'models')
WEIGHT_INITIALIZERS = _child('weight initializer',
                             mmdet.WEIGHT_INITIALIZERS, 'models')

OPTIMIZERS = _child('optimizer', mmdet.OPTIMIZERS, 'engine')
OPTIM_WRAPPERS = _child('optim_wrapper', mmdet.OPTIM_WRAPPERS, 'engine')
OPTIM_WRAPPER_CONSTRUCTORS = _child('optimizer wrapper constructor',
                                    mmdet.OPTIM_WRAPPER_CONSTRUCTORS,
                                    'engine')
PARAM_SCHEDULERS = _child('parameter scheduler', mmdet.PARAM_SCHEDULERS,
                          'engine')

METRICS = _child('metric', mmdet.METRICS, 'evaluation', 'proxy')
EVALUATOR = _child('evaluator', mmdet.EVALUATOR, 'evaluation')

TASK_UTILS = _child('task util', mmdet.TASK_UTILS, 'models')

VISUALIZERS = _child('visualizer', mmdet.VISUALIZERS, 'visualization')
VISBACKENDS = _child('vis_backend', mmdet.VISBACKENDS, 'visualization')
# a child of each registry the Runner builds from, so that a build in scope
# mmboxcaseg finds its registry (else MMEngine warns and falls back)
LOG_PROCESSORS = _child('log_processor', mmdet.LOG_PROCESSORS)
