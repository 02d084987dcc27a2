"""Build conv / norm / activation layers from mmcv-style config dicts.

mmaction2 configs describe layers as ``dict(type='Conv3d')``,
``dict(type='BN3d', requires_grad=True)`` or ``dict(type='ReLU',
inplace=True)``. These helpers accept the same dicts without depending on
mmcv: the mmcv names map to ``torch.nn`` classes, and any other ``type`` is
looked up in :data:`mmaction_aia.registry.MODELS` (so custom layers registered
there work too). ``type`` may also be a class.
"""
import inspect
from typing import Dict, Optional, Tuple, Type, Union

import torch.nn as nn
from torch.nn.modules.batchnorm import _BatchNorm
from torch.nn.modules.instancenorm import _InstanceNorm

from mmaction_aia.registry import MODELS

CONV_LAYERS: Dict[str, Type[nn.Module]] = {
    'Conv': nn.Conv2d,
    'Conv1d': nn.Conv1d,
    'Conv2d': nn.Conv2d,
    'Conv3d': nn.Conv3d,
}

NORM_LAYERS: Dict[str, Type[nn.Module]] = {
    'BN': nn.BatchNorm2d,
    'BN1d': nn.BatchNorm1d,
    'BN2d': nn.BatchNorm2d,
    'BN3d': nn.BatchNorm3d,
    'SyncBN': nn.SyncBatchNorm,
    'GN': nn.GroupNorm,
    'LN': nn.LayerNorm,
    'IN': nn.InstanceNorm2d,
    'IN1d': nn.InstanceNorm1d,
    'IN2d': nn.InstanceNorm2d,
    'IN3d': nn.InstanceNorm3d,
}

ACTIVATION_LAYERS: Dict[str, Type[nn.Module]] = {
    'ReLU': nn.ReLU,
    'LeakyReLU': nn.LeakyReLU,
    'PReLU': nn.PReLU,
    'RReLU': nn.RReLU,
    'ReLU6': nn.ReLU6,
    'ELU': nn.ELU,
    'Sigmoid': nn.Sigmoid,
    'Tanh': nn.Tanh,
    'GELU': nn.GELU,
    'SiLU': nn.SiLU,
    'Swish': nn.SiLU,
    'HSigmoid': nn.Hardsigmoid,
    'HSwish': nn.Hardswish,
}


def _resolve(cfg: Dict, table: Dict[str, Type[nn.Module]],
             kind: str) -> Tuple[Type[nn.Module], Dict]:
    """Split ``cfg`` into the layer class and its remaining kwargs."""
    if not isinstance(cfg, dict) or 'type' not in cfg:
        raise TypeError(
            f'{kind} config must be a dict with a "type" key, got {cfg!r}')
    kwargs = dict(cfg)
    layer_type = kwargs.pop('type')
    if inspect.isclass(layer_type):
        return layer_type, kwargs
    layer_cls = table.get(layer_type)
    if layer_cls is None:
        layer_cls = MODELS.get(layer_type)
    if layer_cls is None:
        raise KeyError(
            f'Unknown {kind} layer type "{layer_type}" in {cfg!r}; built-in '
            f'types are {sorted(table)}, or register a class in '
            'mmaction_aia.registry.MODELS.')
    return layer_cls, kwargs


def build_conv_layer(cfg: Optional[Dict], *args, **kwargs) -> nn.Module:
    """Build a convolution layer.

    Args:
        cfg (dict, optional): e.g. ``dict(type='Conv3d')``. ``None`` means
            ``nn.Conv2d`` (as in mmcv).
        *args, **kwargs: Forwarded to the layer's constructor
            (in_channels, out_channels, kernel_size, stride, ...).

    Returns:
        nn.Module: The convolution layer.
    """
    cfg = dict(type='Conv2d') if cfg is None else cfg
    layer_cls, cfg_kwargs = _resolve(cfg, CONV_LAYERS, 'conv')
    return layer_cls(*args, **kwargs, **cfg_kwargs)


def norm_layer_abbr(layer_cls: Type[nn.Module]) -> str:
    """The attribute name mmcv gives a norm layer: ``bn``, ``gn``, ``ln``,
    ``in``, or the lower-cased class name (``_abbr_`` wins if defined)."""
    if hasattr(layer_cls, '_abbr_'):
        return layer_cls._abbr_
    if issubclass(layer_cls, _InstanceNorm):
        return 'in'
    if issubclass(layer_cls, _BatchNorm):
        return 'bn'
    if issubclass(layer_cls, nn.GroupNorm):
        return 'gn'
    if issubclass(layer_cls, nn.LayerNorm):
        return 'ln'
    return layer_cls.__name__.lower()


def build_norm_layer(cfg: Dict,
                     num_features: int,
                     postfix: Union[int, str] = '') -> Tuple[str, nn.Module]:
    """Build a normalization layer and the name it is stored under.

    Args:
        cfg (dict): e.g. ``dict(type='BN3d', requires_grad=True)``, or
            ``dict(type='GN', num_groups=32)``. ``requires_grad`` (default
            True) sets ``requires_grad`` of the layer's parameters; other
            keys go to the constructor (``eps``, ``momentum``, ...).
        num_features (int): Number of channels normalized.
        postfix (int | str): Appended to the name (``bn`` -> ``bn1``).

    Returns:
        tuple[str, nn.Module]: The name (mmcv's abbreviation plus postfix)
        and the layer.
    """
    layer_cls, kwargs = _resolve(cfg, NORM_LAYERS, 'norm')
    requires_grad = kwargs.pop('requires_grad', True)
    kwargs.setdefault('eps', 1e-5)
    if issubclass(layer_cls, nn.GroupNorm):
        if 'num_groups' not in kwargs:
            raise KeyError(f'GN norm config {cfg!r} needs "num_groups"')
        layer = layer_cls(num_channels=num_features, **kwargs)
    else:
        layer = layer_cls(num_features, **kwargs)
    for param in layer.parameters():
        param.requires_grad = requires_grad
    return norm_layer_abbr(layer_cls) + str(postfix), layer


def build_activation_layer(cfg: Dict, inplace: Optional[bool] = None
                           ) -> nn.Module:
    """Build an activation layer.

    Args:
        cfg (dict): e.g. ``dict(type='ReLU', inplace=True)``.
        inplace (bool, optional): Default for ``inplace`` when ``cfg`` does
            not set it and the layer accepts it (as mmcv's ConvModule does).

    Returns:
        nn.Module: The activation layer.
    """
    layer_cls, kwargs = _resolve(cfg, ACTIVATION_LAYERS, 'activation')
    if inplace is not None and 'inplace' in inspect.signature(
            layer_cls).parameters:
        kwargs.setdefault('inplace', inplace)
    return layer_cls(**kwargs)
