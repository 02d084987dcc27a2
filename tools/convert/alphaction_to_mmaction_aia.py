"""Convert an AlphAction (AIA) checkpoint to mmaction-aia's key names.

    python tools/convert/alphaction_to_mmaction_aia.py \
        model_final.pth converted.pth [--config CONFIG]

The mapping table is in docs/aia.md. 1x1x1 Conv3d weights become Linear
weights; the 80-class ``cls_score`` gets a zero background row 0 (our heads
have ``num_classes=81``); AlphAction's SlowFast (``backbone.slow.*``,
``backbone.fast.*``) maps onto mmaction2's ``slow_path`` / ``fast_path``.
Keys that cannot be mapped (non-local blocks, lateral biases, the memory
pool) are listed, never dropped silently. With ``--config`` the converted
state dict is loaded into the config's model and missing / unexpected keys
are reported.
"""
import argparse
import pickle
import re
import sys
from typing import Dict, List, Optional, Tuple

import torch

HEAD = 'roi_heads.action.'
AIA = HEAD + 'feature_extractor.ia_structure.'
REDUCE = ('person_dim_reduce', 'person_key_dim_reduce', 'object_dim_reduce',
          'mem_dim_reduce')
# backbone.{slow,fast}.res_nl{k}.res_{i}.{btnk.conv{j}|shortcut}.{conv,bn}.X
RES_KEY = re.compile(r'backbone\.(slow|fast)\.res_nl(\d)\.res_(\d+)\.'
                     r'(btnk\.conv(\d)|shortcut)\.(conv|bn)\.(\w+)$')
STEM_KEY = re.compile(r'backbone\.(slow|fast)\.(conv1|bn1)\.(\w+)$')
LATERAL_KEY = re.compile(r'backbone\.fast\.Tconv(\d)\.conv\.weight$')
LATERAL_NAMES = {1: 'conv1_lateral', 2: 'layer1_lateral',
                 3: 'layer2_lateral', 4: 'layer3_lateral'}


def _linear(value: torch.Tensor) -> torch.Tensor:
    """A 1x1x1 Conv3d weight ``[out, in, 1, 1, 1]`` as ``[out, in]``."""
    return value.reshape(value.shape[0], -1) if value.dim() == 5 else value


def map_head_key(key: str, value: torch.Tensor
                 ) -> Optional[Tuple[str, torch.Tensor]]:
    """Our key and value for an AlphAction action-head key, or None."""
    if key.startswith(AIA):
        name = key[len(AIA):]
        parts = name.split('.')
        if parts[0] in REDUCE:
            return f'roi_head.aia.{name}', _linear(value)
        if re.fullmatch(r'[POM]_block_\d+', parts[0]):
            if parts[1].startswith('temporal_position'):
                # [61, 1, C, 1, 1, 1] -> [61, C]
                value = value.reshape(value.shape[0], -1)
            else:
                value = _linear(value)
            return f'roi_head.aia.blocks.{name}', value
        if parts[0] == 'dense_params':
            return f'roi_head.aia.{name}', value.reshape(value.shape[0], -1)
        return None
    if key.startswith(HEAD + 'feature_extractor.fc'):
        return 'roi_head.bbox_head.' + key.split('.')[-2] + '.' + key.split(
            '.')[-1], value
    if key.startswith(HEAD + 'predictor.cls_score.'):
        # 80 AVA classes -> 81 columns with an unused background column 0
        pad = value.new_zeros((1, ) + tuple(value.shape[1:]))
        return ('roi_head.bbox_head.fc_cls.' + key.split('.')[-1],
                torch.cat([pad, value]))
    return None


def map_backbone_key(key: str, value: torch.Tensor
                     ) -> Optional[Tuple[str, torch.Tensor]]:
    """Our key for an AlphAction SlowFast key, or None."""
    match = STEM_KEY.match(key)
    if match:
        path, layer, param = match.groups()
        sub = 'conv' if layer == 'conv1' else 'bn'
        return f'backbone.{path}_path.conv1.{sub}.{param}', value
    match = RES_KEY.match(key)
    if match:
        path, stage, block, part, conv, kind, param = match.groups()
        module = f'conv{conv}' if conv else 'downsample'
        return (f'backbone.{path}_path.layer{stage}.{block}.{module}.{kind}.'
                f'{param}', value)
    match = LATERAL_KEY.match(key)
    if match:
        return (f'backbone.slow_path.{LATERAL_NAMES[int(match.group(1))]}.'
                'conv.weight', value)
    return None


def convert(state: Dict[str, torch.Tensor]
            ) -> Tuple[Dict[str, torch.Tensor], List[str]]:
    """Converted state dict and the AlphAction keys left unmapped."""
    converted, unmapped = {}, []
    for key, value in state.items():
        key = key[len('module.'):] if key.startswith('module.') else key
        mapped = map_head_key(key, value) or map_backbone_key(key, value)
        if mapped is None:
            unmapped.append(key)
            continue
        new_key, new_value = mapped
        converted[new_key] = new_value
        if new_key.endswith('.bn.running_var'):
            # AlphAction's FrozenBatchNorm has no num_batches_tracked
            converted.setdefault(
                new_key.replace('running_var', 'num_batches_tracked'),
                torch.tensor(0))
    return converted, unmapped


def load_alphaction(path: str, trust: bool = False
                    ) -> Dict[str, torch.Tensor]:
    """The model state dict of an AlphAction checkpoint file.

    The file is read with ``weights_only=True``. AlphAction's intermediate
    checkpoints also pickle its memory pool (BoxList objects), which that
    refuses; ``trust=True`` (``--trust-checkpoint``) then reads the file with
    full unpickling, which runs code from the file: only for files you trust.
    """
    try:
        checkpoint = torch.load(path, map_location='cpu', weights_only=True)
    except pickle.UnpicklingError as error:
        if not trust:
            raise ValueError(
                f'{path}: holds objects other than tensors ({error}); if you '
                'trust the file, pass --trust-checkpoint to unpickle it '
                'fully') from error
        print(f'warning: {path}: unpickling fully (--trust-checkpoint)',
              file=sys.stderr)
        checkpoint = torch.load(path, map_location='cpu', weights_only=False)
    if isinstance(checkpoint, dict) and 'model' in checkpoint:
        checkpoint = checkpoint['model']
    if not isinstance(checkpoint, dict):
        raise ValueError(f'{path}: expected a dict with a "model" state '
                         f'dict, got {type(checkpoint).__name__}')
    return checkpoint


def check_against_config(state: Dict[str, torch.Tensor], config: str
                         ) -> Tuple[List[str], List[str]]:
    """Missing and unexpected keys when loading into the config's model."""
    import mmaction_aia.models  # noqa: F401  (registers the models)
    from mmaction_aia.engine.runner_setup import load_config
    from mmaction_aia.registry import MODELS
    cfg = load_config(config)
    cfg.model.pop('init_cfg', None)
    model = MODELS.build(cfg.model)
    result = model.load_state_dict(state, strict=False)
    return list(result.missing_keys), list(result.unexpected_keys)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('src', help='AlphAction checkpoint (.pth)')
    parser.add_argument('dst', help='output checkpoint for mmaction-aia')
    parser.add_argument('--config', help='check the keys against a config')
    parser.add_argument('--trust-checkpoint', action='store_true',
                        help='unpickle a checkpoint that holds more than '
                        'tensors (AlphAction\'s intermediate checkpoints keep '
                        'the memory pool); runs code from the file')
    args = parser.parse_args()
    converted, unmapped = convert(
        load_alphaction(args.src, trust=args.trust_checkpoint))
    torch.save(dict(state_dict=converted,
                    meta=dict(converted_from=args.src)), args.dst)
    print(f'{len(converted)} tensors written to {args.dst}')
    if unmapped:
        print(f'{len(unmapped)} AlphAction keys not mapped (see docs/aia.md):')
        for key in unmapped:
            print(f'  {key}')
    if args.config:
        missing, unexpected = check_against_config(converted, args.config)
        print(f'loading into {args.config}: {len(missing)} missing, '
              f'{len(unexpected)} unexpected keys')
        for key in missing:
            print(f'  missing: {key}')
        for key in unexpected:
            print(f'  unexpected: {key}')


if __name__ == '__main__':
    main()
