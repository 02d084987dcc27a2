"""AIA structures: how interaction blocks are chained (serial, dense,
parallel).

Names follow AlphAction (``person_dim_reduce``, ``P_block_1``,
``dense_params``) so that its checkpoints map one to one (see
tools/convert/alphaction_to_mmaction_aia.py).
"""
import math
from typing import Dict, List, Optional, Sequence, Union

import torch
import torch.nn as nn
import torch.nn.functional as F

from .blocks import BLOCK_KINDS, InteractionBlock

STRUCTURES = ('serial', 'dense', 'parallel')


def parse_block_list(block_list: Sequence[Union[str, Sequence[str]]],
                     structure: str) -> List[List[str]]:
    """Check a block list and return it as layers of block kinds.

    Serial and dense structures take a flat list (``['P', 'O', 'M']``), one
    block per layer; parallel takes a list of layers of equal length
    (``[['P', 'O', 'M'], ['P', 'O', 'M']]``).

    Args:
        block_list (Sequence): The config's ``block_list``.
        structure (str): ``'serial'``, ``'dense'`` or ``'parallel'``.
    """
    if structure not in STRUCTURES:
        raise ValueError(f'structure must be one of {STRUCTURES}, got '
                         f'{structure!r}')
    if structure == 'parallel':
        layers = [list(layer) for layer in block_list]
        if not layers or any(isinstance(layer, str) for layer in block_list):
            raise ValueError('a parallel structure takes a list of layers, '
                             f'e.g. [["P", "O", "M"]], got {block_list!r}')
        if len({len(layer) for layer in layers}) != 1:
            raise ValueError('every layer of a parallel structure needs the '
                             f'same number of branches, got {block_list!r}')
    else:
        if any(not isinstance(kind, str) for kind in block_list):
            raise ValueError(f'a {structure} structure takes a flat block '
                             f'list such as ["P", "O", "M"], got '
                             f'{block_list!r}')
        layers = [[kind] for kind in block_list]
    for layer in layers:
        for kind in layer:
            if kind not in BLOCK_KINDS:
                raise ValueError(f'unknown interaction block {kind!r} in '
                                 f'block_list {block_list!r}; expected one '
                                 f'of {BLOCK_KINDS}')
    return layers


def _reduce_set(layer: nn.Linear, feats: torch.Tensor,
                mask: Optional[torch.Tensor]) -> torch.Tensor:
    """``layer`` on the real rows only; zero padding maps to the bias.

    Padded rows are zero features, so ``layer(0) = bias`` exactly as if they
    had been projected (the published unmasked behaviour is unchanged);
    sparse memory skips most of the projection work.
    """
    if mask is None:
        return layer(feats)
    out = layer.bias.expand(*feats.shape[:-1], layer.out_features).clone()
    out[mask] = layer(feats[mask])
    return out


class AIAStructure(nn.Module):
    """Interaction aggregation over persons, objects and memory.

    Person, object and memory features are first reduced to ``dim_inner``
    (``person_dim_reduce``, ``person_key_dim_reduce``, ``object_dim_reduce``,
    ``mem_dim_reduce``); then the blocks run as the structure says; the
    last layer outputs ``dim_out`` channels per person.

    Args:
        dim_person (int): Channels of person (and object, memory) features.
        block_list (Sequence): Block kinds; see :func:`parse_block_list`.
        structure (str): ``'serial'``, ``'dense'`` (dense serial, the best
            in the paper) or ``'parallel'``.
        dim_inner (int): Channels inside the blocks.
        dim_out (int): Output channels.
        num_memory_positions (int): Memory seconds (``sum(LENGTH) + 1``);
            memory blocks learn one temporal position per second.
        temporal_position (bool): Use the temporal positions.
        max_persons (int): Person keys per clip. Without padding masks the
            keys are zero-padded to this length, as published.
        use_layer_norm (bool): LayerNorm in the blocks.
        zero_init_out (bool): Zero-initialised block output projections.
        dropout (float): Dropout after reductions and blocks.
        mask_padding (bool): Mask padding out of the attention.
        geometry (bool): Box-geometry embedding in the blocks (ours).
        init_std (float): Std of the normal init of the projections.
        num_heads (int): Attention heads per block (1: published).
    """

    def __init__(self,
                 dim_person: int,
                 block_list: Sequence = ('P', 'O', 'M', 'P', 'O', 'M'),
                 structure: str = 'dense',
                 dim_inner: int = 1024,
                 dim_out: int = 2304,
                 num_memory_positions: int = 61,
                 temporal_position: bool = True,
                 max_persons: int = 25,
                 use_layer_norm: bool = True,
                 zero_init_out: bool = True,
                 dropout: float = 0.2,
                 mask_padding: bool = True,
                 geometry: bool = False,
                 init_std: float = 0.01,
                 num_heads: int = 1) -> None:
        super().__init__()
        self.layers = parse_block_list(block_list, structure)
        self.structure = structure
        self.dim_inner = dim_inner
        self.dim_out = dim_out
        self.max_persons = max_persons
        self.mask_padding = mask_padding
        kinds = {kind for layer in self.layers for kind in layer}
        self.kinds = kinds

        def reduce() -> nn.Linear:
            layer = nn.Linear(dim_person, dim_inner)
            nn.init.normal_(layer.weight, std=init_std)
            nn.init.zeros_(layer.bias)
            return layer

        self.person_dim_reduce = reduce()
        if 'P' in kinds:
            self.person_key_dim_reduce = reduce()
        if 'O' in kinds:
            self.object_dim_reduce = reduce()
        if 'M' in kinds:
            self.mem_dim_reduce = reduce()
        self.reduce_dropout = nn.Dropout(dropout)

        self.blocks = nn.ModuleDict()
        self.block_names: List[List[str]] = []
        counts: Dict[str, int] = {}
        for layer_idx, layer in enumerate(self.layers):
            names = []
            for kind in layer:
                counts[kind] = counts.get(kind, 0) + 1
                name = f'{kind}_block_{counts[kind]}'
                last = layer_idx == len(self.layers) - 1
                self.blocks[name] = InteractionBlock(
                    kind, dim_inner, dim_inner, dim_out if last else dim_inner,
                    num_positions=(num_memory_positions
                                   if kind == 'M' and temporal_position else
                                   0),
                    use_layer_norm=use_layer_norm,
                    zero_init_out=zero_init_out, dropout=dropout,
                    mask_padding=mask_padding, geometry=geometry,
                    init_std=init_std, num_heads=num_heads)
                names.append(name)
            self.block_names.append(names)
        if structure == 'dense':
            # query of block i = softmax over earlier outputs (per channel),
            # initialised so that the newest output dominates
            self.dense_params = nn.ParameterDict()
            for idx in range(2, len(self.layers)):
                init = torch.full((idx, dim_inner), -5 * math.log(10))
                init[idx - 1] = 0
                self.dense_params[str(idx)] = nn.Parameter(init)

    def _pad_person_keys(self, keys: torch.Tensor,
                         geometry: Optional[torch.Tensor]):
        """Zero-pad person keys to ``max_persons`` (published behaviour)."""
        missing = self.max_persons - keys.shape[1]
        if self.mask_padding or missing <= 0:
            return keys, geometry
        keys = F.pad(keys, (0, 0, 0, missing))
        if geometry is not None:
            geometry = F.pad(geometry, (0, 0, 0, missing))
        return keys, geometry

    def forward(self,
                person: torch.Tensor,
                person_mask: torch.Tensor,
                objects: Optional[torch.Tensor] = None,
                object_mask: Optional[torch.Tensor] = None,
                memory: Optional[torch.Tensor] = None,
                memory_mask: Optional[torch.Tensor] = None,
                memory_positions: Optional[torch.Tensor] = None,
                person_key_mask: Optional[torch.Tensor] = None,
                geometry: Optional[Dict[str, torch.Tensor]] = None
                ) -> torch.Tensor:
        """Aggregate interactions for every person of every clip.

        Args:
            person (Tensor): ``[B, Q, C]`` persons of each clip (padded).
            person_mask (Tensor): Bool ``[B, Q]``, True for real persons.
            objects (Tensor, optional): ``[B, O, C]`` objects per clip.
            object_mask (Tensor, optional): Bool ``[B, O]``.
            memory (Tensor, optional): ``[B, K, C]`` memory per clip.
            memory_mask (Tensor, optional): Bool ``[B, K]``.
            memory_positions (Tensor, optional): Long ``[K]`` memory second
                of each memory slot.
            person_key_mask (Tensor, optional): Bool ``[B, Q]`` persons used
                as keys (default ``person_mask``).
            geometry (dict, optional): Pair geometry per kind
                (``'P'``: ``[B, Q, Q, G]``, ``'O'``, ``'M'``).

        Returns:
            Tensor: ``[B, Q, dim_out]``.
        """
        geometry = geometry or {}
        if person_key_mask is None:
            person_key_mask = person_mask
        others = {}
        if 'O' in self.kinds:
            others['O'] = (self.reduce_dropout(_reduce_set(
                self.object_dim_reduce, objects, object_mask)), object_mask,
                           None)
        if 'M' in self.kinds:
            others['M'] = (self.reduce_dropout(_reduce_set(
                self.mem_dim_reduce, memory, memory_mask)), memory_mask,
                           memory_positions)
        query = self.reduce_dropout(self.person_dim_reduce(person))
        person_key = (self.reduce_dropout(self.person_key_dim_reduce(person))
                      if 'P' in self.kinds else None)

        def run(name: str, kind: str, query: torch.Tensor,
                person_key: Optional[torch.Tensor]) -> torch.Tensor:
            if kind == 'P':
                keys, geo = self._pad_person_keys(person_key,
                                                  geometry.get('P'))
                return self.blocks[name](query, keys, person_key_mask,
                                         geometry=geo)
            feats, mask, positions = others[kind]
            return self.blocks[name](query, feats, mask, positions,
                                     geometry.get(kind))

        if self.structure == 'parallel':
            branches = [query] * len(self.layers[0])
            for layer, names in zip(self.layers, self.block_names):
                outputs = []
                for kind, name, branch in zip(layer, names, branches):
                    out = run(name, kind, branch, person_key)
                    if kind == 'P':
                        person_key = out
                    outputs.append(out)
                branches = outputs
            return torch.stack(branches).sum(0)

        history = []
        for idx, ((kind, ), (name, )) in enumerate(
                zip(self.layers, self.block_names)):
            if self.structure == 'dense' and idx >= 2:
                weights = self.dense_params[str(idx)].softmax(0)
                query = torch.einsum('jbqc,jc->bqc', torch.stack(history),
                                     weights)
                person_key = query
            query = run(name, kind, query, person_key)
            person_key = query
            history.append(query)
        return query
