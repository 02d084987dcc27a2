"""Run mmaction2 1.x / mmdet configs unchanged.

mmaction2's AVA configs say ``type='FastRCNN', _scope_='mmdet'``,
``type='mmaction.ResNet3dSlowFast'`` and ``default_scope='mmaction'``. The
root registries of mmengine cannot resolve those without mmdet and mmaction2
installed, so configs are rewritten to this package's scope before the
Runner sees them; every rewrite is logged once.
"""
import logging
from typing import Any

from mmengine.config import Config, ConfigDict
from mmengine.logging import print_log

from mmaction_aia.registry import COMPAT_SCOPES, SCOPE


def _rewrite(node: Any, path: str, notes: list) -> Any:
    if isinstance(node, dict):
        scope = node.get('_scope_')
        if scope in COMPAT_SCOPES:
            node.pop('_scope_')
            notes.append(f'{path}._scope_={scope!r}')
        node_type = node.get('type')
        if isinstance(node_type, str) and '.' in node_type:
            prefix, name = node_type.split('.', 1)
            if prefix in COMPAT_SCOPES:
                node['type'] = name
                notes.append(f'{path}.type={node_type!r}')
        for key in list(node.keys()):
            node[key] = _rewrite(node[key], f'{path}.{key}', notes)
        return node
    if isinstance(node, list):
        return [_rewrite(v, f'{path}[{i}]', notes) for i, v in enumerate(node)]
    if isinstance(node, tuple):
        return tuple(
            _rewrite(v, f'{path}[{i}]', notes) for i, v in enumerate(node))
    return node


def adapt_mmaction2_config(cfg: Config) -> Config:
    """Rewrite mmaction2 / mmdet scopes of ``cfg`` to ``mmaction_aia``.

    Args:
        cfg (Config): A loaded config; modified in place and returned.
    """
    notes = []
    if cfg.get('default_scope') in COMPAT_SCOPES:
        notes.append(f'default_scope={cfg.default_scope!r}')
    cfg.default_scope = SCOPE
    for key in list(cfg.keys()):
        value = cfg[key]
        if isinstance(value, (dict, list, tuple, ConfigDict)):
            cfg[key] = _rewrite(value, key, notes)
    if notes:
        print_log('mmaction-aia: mmaction2/mmdet names resolved to '
                  f'mmaction_aia: {", ".join(notes)}', logger='current',
                  level=logging.INFO)
    return cfg
