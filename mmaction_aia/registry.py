"""Registries of mmaction-aia, children of mmengine's root registries.

Every component is registered here so that mmengine's ``Runner`` can build it
from a config with ``default_scope='mmaction_aia'``.

Configs written for mmaction2 1.x name types with foreign scopes
(``type='FastRCNN', _scope_='mmdet'``, ``type='mmaction.ResNet3dSlowFast'``).
:class:`CompatRegistry` resolves those scopes to this package's own registry
and logs each resolution once, so such configs run unchanged.
"""
import logging
from contextlib import contextmanager
from typing import Generator, Optional, Type

from mmengine.logging import print_log
from mmengine.registry import DATA_SAMPLERS as MMENGINE_DATA_SAMPLERS
from mmengine.registry import DATASETS as MMENGINE_DATASETS
from mmengine.registry import EVALUATOR as MMENGINE_EVALUATOR
from mmengine.registry import FUNCTIONS as MMENGINE_FUNCTIONS
from mmengine.registry import HOOKS as MMENGINE_HOOKS
from mmengine.registry import LOG_PROCESSORS as MMENGINE_LOG_PROCESSORS
from mmengine.registry import LOOPS as MMENGINE_LOOPS
from mmengine.registry import METRICS as MMENGINE_METRICS
from mmengine.registry import MODEL_WRAPPERS as MMENGINE_MODEL_WRAPPERS
from mmengine.registry import MODELS as MMENGINE_MODELS
from mmengine.registry import (
    OPTIM_WRAPPER_CONSTRUCTORS as MMENGINE_OPTIM_WRAPPER_CONSTRUCTORS,
)
from mmengine.registry import OPTIM_WRAPPERS as MMENGINE_OPTIM_WRAPPERS
from mmengine.registry import OPTIMIZERS as MMENGINE_OPTIMIZERS
from mmengine.registry import PARAM_SCHEDULERS as MMENGINE_PARAM_SCHEDULERS
from mmengine.registry import RUNNERS as MMENGINE_RUNNERS
from mmengine.registry import TASK_UTILS as MMENGINE_TASK_UTILS
from mmengine.registry import TRANSFORMS as MMENGINE_TRANSFORMS
from mmengine.registry import VISBACKENDS as MMENGINE_VISBACKENDS
from mmengine.registry import VISUALIZERS as MMENGINE_VISUALIZERS
from mmengine.registry import Registry

SCOPE = 'mmaction_aia'

#: Scopes used by mmaction2 / mmdet configs that this package stands in for.
COMPAT_SCOPES = ('mmaction', 'mmdet')

_reported_aliases = set()


def _report_alias(kind: str, name: str) -> None:
    if (kind, name) not in _reported_aliases:
        _reported_aliases.add((kind, name))
        print_log(
            f'mmaction-aia: resolved {kind} "{name}" to mmaction_aia\'s own '
            'registry (mmaction2 / mmdet compatibility).',
            logger='current', level=logging.INFO)


class CompatRegistry(Registry):
    """A registry that maps mmaction2 / mmdet scopes onto mmaction_aia.

    ``get('mmaction.ResNet3dSlowOnly')`` and builds under
    ``_scope_='mmdet'`` resolve to the classes registered in this package,
    with an INFO log line the first time each name is resolved that way.
    Other scopes (e.g. ``mmengine.``) behave as in mmengine.

    Args:
        name (str): Registry name.
        parent (Registry, optional): The mmengine root registry.
        locations (list[str]): Modules imported lazily to fill the registry.
    """

    def get(self, key: str) -> Optional[Type]:
        scope, real_key = self.split_scope_key(key)
        if scope in COMPAT_SCOPES:
            obj = super().get(real_key)
            if obj is not None:
                _report_alias('type', key)
                return obj
            return None
        return super().get(key)

    @contextmanager
    def switch_scope_and_registry(self, scope: Optional[str]) -> Generator:
        if scope in COMPAT_SCOPES:
            _report_alias('scope', scope)
            scope = SCOPE
        with super().switch_scope_and_registry(scope) as registry:
            yield registry


def _child(name: str, parent: Registry, location: str) -> CompatRegistry:
    return CompatRegistry(name, parent=parent, scope=SCOPE,
                          locations=[f'{SCOPE}.{location}'])


RUNNERS = _child('runner', MMENGINE_RUNNERS, 'engine')
LOOPS = _child('loop', MMENGINE_LOOPS, 'engine')
HOOKS = _child('hook', MMENGINE_HOOKS, 'engine')
LOG_PROCESSORS = _child('log_processor', MMENGINE_LOG_PROCESSORS, 'engine')
OPTIMIZERS = _child('optimizer', MMENGINE_OPTIMIZERS, 'engine')
OPTIM_WRAPPERS = _child('optim_wrapper', MMENGINE_OPTIM_WRAPPERS, 'engine')
OPTIM_WRAPPER_CONSTRUCTORS = _child('optimizer wrapper constructor',
                                    MMENGINE_OPTIM_WRAPPER_CONSTRUCTORS,
                                    'engine')
PARAM_SCHEDULERS = _child('parameter scheduler', MMENGINE_PARAM_SCHEDULERS,
                          'engine')
DATASETS = _child('dataset', MMENGINE_DATASETS, 'datasets')
DATA_SAMPLERS = _child('data sampler', MMENGINE_DATA_SAMPLERS, 'datasets')
TRANSFORMS = _child('transform', MMENGINE_TRANSFORMS, 'datasets')
MODELS = _child('model', MMENGINE_MODELS, 'models')
MODEL_WRAPPERS = _child('model_wrapper', MMENGINE_MODEL_WRAPPERS, 'models')
TASK_UTILS = _child('task util', MMENGINE_TASK_UTILS, 'models')
METRICS = _child('metric', MMENGINE_METRICS, 'evaluation')
EVALUATOR = _child('evaluator', MMENGINE_EVALUATOR, 'evaluation')
VISUALIZERS = _child('visualizer', MMENGINE_VISUALIZERS, 'engine')
VISBACKENDS = _child('vis_backend', MMENGINE_VISBACKENDS, 'engine')
FUNCTIONS = _child('function', MMENGINE_FUNCTIONS, 'datasets')
#: Person (and object) detectors of the demos and ``mmaction_aia.apis``:
#: plain callables, not ``nn.Module``s, so they have no mmengine parent.
PERSON_DETECTORS = CompatRegistry('person detector', scope=SCOPE,
                                  locations=[f'{SCOPE}.apis'])
