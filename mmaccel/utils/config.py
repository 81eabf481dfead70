"""Loading configs that inherit ``mmpretrain::`` bases under the scope mmaccel."""
from mmengine.config import Config

__all__ = ['load_config', 'rescope_config']

UPSTREAM_SCOPE = 'mmpretrain'


def _rescope(node, scope: str):
    if isinstance(node, dict):
        if node.get('_scope_', None) == UPSTREAM_SCOPE:
            node['_scope_'] = scope
        for value in node.values():
            _rescope(value, scope)
    elif isinstance(node, (list, tuple)):
        for value in node:
            _rescope(value, scope)


def rescope_config(cfg: Config) -> Config:
    """Build what ``mmpretrain::`` bases define under the scope mmaccel.

    MMEngine marks every dict with a ``type`` that comes from an
    ``mmpretrain::`` base with ``_scope_='mmpretrain'``, and builds it, and all
    it builds in turn, in MMPretrain's registries, which cannot see mmaccel's
    children. So ``model.type='AccelMoCo'`` over an upstream model, or a train
    loop from an upstream schedule building ``LocalFashionMNIST``, would not be
    found. mmaccel's registries are children of MMPretrain's and resolve every
    upstream name too, so when ``default_scope == 'mmaccel'`` the upstream
    marks are moved to mmaccel. Other scopes (``mmdet``, ``mmseg``) stay.

    Args:
        cfg (Config): A loaded config, changed in place.

    Returns:
        Config: The same config.
    """
    if cfg.get('default_scope', None) == 'mmaccel':
        _rescope(cfg._cfg_dict, 'mmaccel')
    return cfg


def load_config(path: str) -> Config:
    """``Config.fromfile`` followed by :func:`rescope_config`."""
    return rescope_config(Config.fromfile(path))
