"""Inflate 2D ResNet (ImageNet) weights into a 3D ResNet.

A 2D kernel ``W`` becomes ``W / T`` repeated over the ``T`` temporal taps,
so a clip of identical frames gives the 2D network's activations. Names map
as in mmaction2: ``layerX.Y.convN.conv`` <- ``layerX.Y.convN``,
``layerX.Y.convN.bn`` <- ``layerX.Y.bnN``, ``layerX.0.downsample.conv`` /
``.bn`` <- ``layerX.0.downsample.0`` / ``.1`` (torchvision and mmcls/mmpretrain
ResNet state dicts use these names).
"""
import logging
from typing import Dict, List, Sequence

import torch
import torch.nn as nn
from mmengine.logging import print_log
from mmengine.runner.checkpoint import _load_checkpoint

from mmaction_aia.models.common import ConvModule


def _log(msg: str, level: int = logging.WARNING) -> None:
    print_log(msg, logger='current', level=level)


def _inflate_conv(conv3d: nn.Module, state_dict_2d: Dict[str, torch.Tensor],
                  name_2d: str, pad_in_channels: bool,
                  loaded: List[str]) -> None:
    weight_2d = state_dict_2d[name_2d + '.weight']
    shape_3d = conv3d.weight.shape
    extra_in = shape_3d[1] - weight_2d.shape[1]
    if pad_in_channels and extra_in > 0:
        # lateral channels concatenated after the 2D input start at zero
        weight_2d = torch.cat(
            [weight_2d, weight_2d.new_zeros(
                weight_2d.shape[0], extra_in, *weight_2d.shape[2:])], dim=1)
    if weight_2d.shape != shape_3d[:2] + shape_3d[3:]:
        _log(f'Not inflating {name_2d}: 2D weight {tuple(weight_2d.shape)} '
             f'does not fit 3D weight {tuple(shape_3d)}')
        return
    kernel_t = shape_3d[2]
    with torch.no_grad():
        conv3d.weight.copy_(weight_2d.unsqueeze(2).expand_as(conv3d.weight) /
                            kernel_t)
        if conv3d.bias is not None:
            conv3d.bias.copy_(state_dict_2d[name_2d + '.bias'])
            loaded.append(name_2d + '.bias')
    loaded.append(name_2d + '.weight')


def _copy_norm(norm: nn.Module, state_dict_2d: Dict[str, torch.Tensor],
               name_2d: str, loaded: List[str]) -> None:
    tensors = dict(norm.named_parameters())
    tensors.update(norm.named_buffers())
    for key, tensor in tensors.items():
        source = state_dict_2d.get(f'{name_2d}.{key}')
        if source is None:
            continue  # e.g. num_batches_tracked in old checkpoints
        if source.shape != tensor.shape:
            _log(f'Not loading {name_2d}: shape {tuple(source.shape)} vs '
                 f'{tuple(tensor.shape)}')
            return
        with torch.no_grad():
            tensor.copy_(source)
        loaded.append(f'{name_2d}.{key}')


def inflate_2d_weights(model: nn.Module,
                       state_dict_2d: Dict[str, torch.Tensor],
                       pad_in_channels: bool = False,
                       skip: Sequence[str] = ('lateral', )) -> List[str]:
    """Copy a 2D ResNet state dict into the ConvModules of a 3D ResNet.

    Args:
        model (nn.Module): The 3D network (ResNet3d or a pathway).
        state_dict_2d (dict): 2D ResNet state dict.
        pad_in_channels (bool): Zero-pad the input channels of 2D kernels
            that have fewer inputs than the 3D conv (SlowFast laterals
            widen the first block of each stage). Defaults to False.
        skip (Sequence[str]): Modules whose name contains one of these are
            left alone. Defaults to ``('lateral',)``.

    Returns:
        list[str]: The 2D keys that were used.
    """
    loaded: List[str] = []
    for name, module in model.named_modules():
        if not isinstance(module, ConvModule) or any(s in name for s in skip):
            continue
        if 'downsample' in name:
            conv_name, norm_name = name + '.0', name + '.1'
        else:
            conv_name, norm_name = name, name.replace('conv', 'bn')
        if conv_name + '.weight' in state_dict_2d:
            _inflate_conv(module.conv, state_dict_2d, conv_name,
                          pad_in_channels, loaded)
        else:
            _log(f'{conv_name}.weight is not in the 2D checkpoint')
        if module.with_norm and norm_name + '.weight' in state_dict_2d:
            _copy_norm(module.norm, state_dict_2d, norm_name, loaded)
        elif module.with_norm:
            _log(f'{norm_name}.weight is not in the 2D checkpoint')
    unused = sorted(set(state_dict_2d) - set(loaded))
    if unused:
        _log(f'2D checkpoint entries not used: {unused}', logging.INFO)
    return loaded


def inflate_2d_checkpoint(model: nn.Module, checkpoint: str,
                          pad_in_channels: bool = False) -> List[str]:
    """Load a 2D checkpoint file (or URL) and inflate it into ``model``.

    Args:
        model (nn.Module): The 3D network.
        checkpoint (str): Path or URL understood by mmengine.
        pad_in_channels (bool): See :func:`inflate_2d_weights`.

    Returns:
        list[str]: The 2D keys that were used.
    """
    state_dict = _load_checkpoint(checkpoint, map_location='cpu')
    state_dict = state_dict.get('state_dict', state_dict)
    return inflate_2d_weights(model, state_dict, pad_in_channels)
