"""Registries of mmboxcaseg: children of mmdet's, scope ``mmboxcaseg``.

A config with ``default_scope = 'mmboxcaseg'`` finds our modules first, then
every mmdet (and mmengine) module through the parent chain; ``mmpretrain.X``
reaches mmpretrain by its scope prefix. ``locations`` are imported lazily the
first time a registry is searched, so importing this file is cheap.
"""
from mmdet.registry import DATA_SAMPLERS as MMDET_DATA_SAMPLERS
from mmdet.registry import DATASETS as MMDET_DATASETS
from mmdet.registry import EVALUATOR as MMDET_EVALUATOR
from mmdet.registry import HOOKS as MMDET_HOOKS
from mmdet.registry import LOG_PROCESSORS as MMDET_LOG_PROCESSORS
from mmdet.registry import LOOPS as MMDET_LOOPS
from mmdet.registry import METRICS as MMDET_METRICS
from mmdet.registry import MODEL_WRAPPERS as MMDET_MODEL_WRAPPERS
from mmdet.registry import MODELS as MMDET_MODELS
from mmdet.registry import OPTIM_WRAPPER_CONSTRUCTORS as \
    MMDET_OPTIM_WRAPPER_CONSTRUCTORS
from mmdet.registry import OPTIM_WRAPPERS as MMDET_OPTIM_WRAPPERS
from mmdet.registry import OPTIMIZERS as MMDET_OPTIMIZERS
from mmdet.registry import PARAM_SCHEDULERS as MMDET_PARAM_SCHEDULERS
from mmdet.registry import RUNNER_CONSTRUCTORS as MMDET_RUNNER_CONSTRUCTORS
from mmdet.registry import RUNNERS as MMDET_RUNNERS
from mmdet.registry import TASK_UTILS as MMDET_TASK_UTILS
from mmdet.registry import TRANSFORMS as MMDET_TRANSFORMS
from mmdet.registry import VISBACKENDS as MMDET_VISBACKENDS
from mmdet.registry import VISUALIZERS as MMDET_VISUALIZERS
from mmdet.registry import \
    WEIGHT_INITIALIZERS as MMDET_WEIGHT_INITIALIZERS
from mmengine.registry import Registry

# manage all kinds of runners like `EpochBasedRunner` and `IterBasedRunner`
RUNNERS = Registry(
    'runner', parent=MMDET_RUNNERS, locations=['mmboxcaseg.engine'])
RUNNER_CONSTRUCTORS = Registry(
    'runner constructor',
    parent=MMDET_RUNNER_CONSTRUCTORS,
    locations=['mmboxcaseg.engine'])
LOOPS = Registry('loop', parent=MMDET_LOOPS, locations=['mmboxcaseg.engine'])
HOOKS = Registry('hook', parent=MMDET_HOOKS, locations=['mmboxcaseg.engine'])

DATASETS = Registry(
    'dataset', parent=MMDET_DATASETS, locations=['mmboxcaseg.datasets'])
DATA_SAMPLERS = Registry(
    'data sampler',
    parent=MMDET_DATA_SAMPLERS,
    locations=['mmboxcaseg.datasets', 'mmboxcaseg.proxy'])
TRANSFORMS = Registry(
    'transform',
    parent=MMDET_TRANSFORMS,
    locations=['mmboxcaseg.datasets.transforms'])

MODELS = Registry('model', parent=MMDET_MODELS, locations=['mmboxcaseg.models'])
MODEL_WRAPPERS = Registry(
    'model_wrapper',
    parent=MMDET_MODEL_WRAPPERS,
    locations=['mmboxcaseg.models'])
WEIGHT_INITIALIZERS = Registry(
    'weight initializer',
    parent=MMDET_WEIGHT_INITIALIZERS,
    locations=['mmboxcaseg.models'])

OPTIMIZERS = Registry(
    'optimizer', parent=MMDET_OPTIMIZERS, locations=['mmboxcaseg.engine'])
OPTIM_WRAPPERS = Registry(
    'optim_wrapper',
    parent=MMDET_OPTIM_WRAPPERS,
    locations=['mmboxcaseg.engine'])
OPTIM_WRAPPER_CONSTRUCTORS = Registry(
    'optimizer wrapper constructor',
    parent=MMDET_OPTIM_WRAPPER_CONSTRUCTORS,
    locations=['mmboxcaseg.engine'])
PARAM_SCHEDULERS = Registry(
    'parameter scheduler',
    parent=MMDET_PARAM_SCHEDULERS,
    locations=['mmboxcaseg.engine'])

METRICS = Registry(
    'metric',
    parent=MMDET_METRICS,
    locations=['mmboxcaseg.evaluation', 'mmboxcaseg.proxy'])
EVALUATOR = Registry(
    'evaluator', parent=MMDET_EVALUATOR, locations=['mmboxcaseg.evaluation'])

TASK_UTILS = Registry(
    'task util', parent=MMDET_TASK_UTILS, locations=['mmboxcaseg.models'])

VISUALIZERS = Registry(
    'visualizer',
    parent=MMDET_VISUALIZERS,
    locations=['mmboxcaseg.visualization'])
VISBACKENDS = Registry(
    'vis_backend',
    parent=MMDET_VISBACKENDS,
    locations=['mmboxcaseg.visualization'])
# a child of each registry the Runner builds from, so that a build in scope
# mmboxcaseg finds its registry (else MMEngine warns and falls back)
LOG_PROCESSORS = Registry('log_processor', parent=MMDET_LOG_PROCESSORS)
