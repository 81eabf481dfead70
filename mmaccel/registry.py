"""Registries of mmaccel: children of MMPretrain's, under the scope
``mmaccel``.

A config with ``default_scope = 'mmaccel'`` builds mmaccel's components by
name and finds everything else (MoCo, ResNet, LARS, FashionMNIST, ...) in
MMPretrain and, through it, in MMEngine. Every MMPretrain registry has a child
here, so that no lookup falls back to MMEngine's root (which does not hold
MMPretrain's modules).
"""
from mmengine.registry import Registry
from mmpretrain import registry as mmpretrain_registry

__all__ = [
    'RUNNERS', 'RUNNER_CONSTRUCTORS', 'LOOPS', 'HOOKS', 'LOG_PROCESSORS',
    'OPTIMIZERS', 'OPTIM_WRAPPERS', 'OPTIM_WRAPPER_CONSTRUCTORS',
    'PARAM_SCHEDULERS', 'DATASETS', 'DATA_SAMPLERS', 'TRANSFORMS', 'MODELS',
    'MODEL_WRAPPERS', 'WEIGHT_INITIALIZERS', 'BATCH_AUGMENTS', 'TASK_UTILS',
    'METRICS', 'EVALUATORS', 'VISUALIZERS', 'VISBACKENDS',
]


def _child(name: str, *locations: str) -> Registry:
    parent = getattr(mmpretrain_registry, name)
    # A child imports only its own locations before a lookup, and a lookup that
    # falls through to the parent does not import the parent's. Without the
    # parent's locations here, 'MoCo' or 'ResNet' are unknown under the scope
    # mmaccel until something else happens to import mmpretrain.models.
    return Registry(
        parent.name,
        parent=parent,
        scope='mmaccel',
        locations=[*locations, *parent._locations])


RUNNERS = _child('RUNNERS')
RUNNER_CONSTRUCTORS = _child('RUNNER_CONSTRUCTORS')
LOOPS = _child('LOOPS')
HOOKS = _child('HOOKS', 'mmaccel.engine')
LOG_PROCESSORS = _child('LOG_PROCESSORS')
OPTIMIZERS = _child('OPTIMIZERS')
OPTIM_WRAPPERS = _child('OPTIM_WRAPPERS', 'mmaccel.engine')
OPTIM_WRAPPER_CONSTRUCTORS = _child('OPTIM_WRAPPER_CONSTRUCTORS')
PARAM_SCHEDULERS = _child('PARAM_SCHEDULERS')
DATASETS = _child('DATASETS', 'mmaccel.datasets')
DATA_SAMPLERS = _child('DATA_SAMPLERS')
TRANSFORMS = _child('TRANSFORMS', 'mmaccel.datasets')
MODELS = _child('MODELS', 'mmaccel.models')
MODEL_WRAPPERS = _child('MODEL_WRAPPERS')
WEIGHT_INITIALIZERS = _child('WEIGHT_INITIALIZERS')
BATCH_AUGMENTS = _child('BATCH_AUGMENTS')
TASK_UTILS = _child('TASK_UTILS')
METRICS = _child('METRICS')
EVALUATORS = _child('EVALUATORS')
VISUALIZERS = _child('VISUALIZERS')
VISBACKENDS = _child('VISBACKENDS')
