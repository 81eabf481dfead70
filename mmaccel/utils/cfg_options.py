"""``--cfg-options`` that must name something in the config.

MMEngine's ``Config.merge_from_dict`` adds any key it is given, so a typo
(``randomnes.seed=1``) is silently ignored by the run. Here a key must either

- exist in the config (``train_cfg.max_epochs``, ``param_scheduler.0.end``),
- be an argument of the component that its parent configures: the class
  named by the parent's ``type`` (``custom_hooks.0.exit_probs``,
  ``train_dataloader.dataset.indices``), or, for a parent without a type,
  the Runner (top-level keys), ``Runner.set_randomness`` (``randomness``),
  torch's ``DataLoader`` (``*_dataloader``), ``LogProcessor``
  (``log_processor``) or ``OptimWrapper`` (``optim_wrapper``); or
- end in ``_delete_`` (MMEngine's "replace this dict").

A new key is added on purpose with a leading ``+``:
``--cfg-options +model.backbone.init_cfg.checkpoint=x.pth``.
"""
import copy
import difflib
import inspect
from typing import Any, List, Optional, Tuple

from mmengine.config import Config
from mmengine.optim import OptimWrapper
from mmengine.runner import LogProcessor, Runner
from torch.utils.data import DataLoader

from .config_tree import MISSING, child, lookup, plain_tree, walk
from .errors import ConfigError

__all__ = ['merge_cfg_options', 'NEW_KEY_PREFIX']

NEW_KEY_PREFIX = '+'

_UNTYPED = {
    'randomness': Runner.set_randomness,
    'log_processor': LogProcessor,
    'optim_wrapper': OptimWrapper,
}
_UNKNOWN = object()


def _resolve(type_, scope: Optional[str]) -> Any:
    """The class or function that a config's ``type`` names; ``_UNKNOWN``
    when no registry knows it (a package not imported, say)."""
    if not isinstance(type_, str):
        return type_ if callable(type_) else _UNKNOWN
    from mmaccel import registry
    names = ([type_] if '.' in type_ or not scope else
             [f'{scope}.{type_}', type_])
    for name in names:
        for reg in registry.__all__:
            found = getattr(registry, reg).get(name)
            if found is not None:
                return found
    return _UNKNOWN


def _component(keys: List[str], node, scope: Optional[str]) -> Any:
    """What the dict at ``keys`` configures: a class or function, None (a
    plain dict), or ``_UNKNOWN``."""
    if isinstance(node, dict) and 'type' in node:
        return _resolve(node['type'], node.get('_scope_', scope))
    if not keys:
        return Runner
    if len(keys) == 1:
        if keys[0].endswith('_dataloader'):
            return DataLoader
        return _UNTYPED.get(keys[0])
    return None


def _arguments(fn) -> Tuple[List[str], bool]:
    """Named arguments of ``fn`` (a class: along its ``__init__`` chain
    while one passes ``**kwargs`` on) and whether the chain ends open."""
    if not inspect.isclass(fn):
        fns = [fn]
    else:
        fns = [c.__init__ for c in fn.__mro__ if '__init__' in vars(c)]
    names = []
    for f in fns:
        try:
            params = inspect.signature(f).parameters.values()
        except (TypeError, ValueError):
            return names, True
        names += [p.name for p in params if p.kind not in (
            p.VAR_KEYWORD, p.VAR_POSITIONAL) and p.name != 'self']
        if not any(p.kind is p.VAR_KEYWORD for p in params):
            return names, False
    return names, False


def _parent_arguments(merged: dict, keys: List[str]) -> Optional[List[str]]:
    """Arguments of the component that the parent of ``keys`` configures;
    None when its type is not known here."""
    parent = lookup(merged, keys[:-1])
    if parent is MISSING:
        return []
    fn = _component(keys[:-1], parent, merged.get('default_scope'))
    if fn is _UNKNOWN:
        return None
    return [] if fn is None else _arguments(fn)[0]


def _names_something(before: dict, merged: dict, key: str) -> bool:
    keys = key.split('.')
    if keys[-1] == '_delete_' or lookup(before, keys) is not MISSING:
        return True
    names = _parent_arguments(merged, keys)
    return names is None or keys[-1] in names  # unknown types: let it be


def _check_list_indices(before: dict, key: str, flag: str) -> None:
    node, keys = before, key.lstrip(NEW_KEY_PREFIX).split('.')
    for i, k in enumerate(keys):
        if isinstance(node, (list, tuple)) and k.isdigit() \
                and int(k) >= len(node):
            raise ConfigError(
                f'{flag}: {key!r}: {".".join(keys[:i])} is a list of '
                f'{len(node)} entries, so it has no entry {k}')
        node = child(node, k)
        if node is MISSING:
            return


def merge_cfg_options(cfg: Config,
                      options: dict,
                      flag: str = '--cfg-options') -> Config:
    """Merge ``--cfg-options`` into ``cfg``, refusing keys that name nothing.

    Args:
        cfg (Config): The config, changed in place.
        options (dict): ``key: value`` as ``DictAction`` parses them; a key
            starting with ``+`` may be new.
        flag (str): The option that gave them, for messages. Defaults to
            ``'--cfg-options'``.

    Returns:
        Config: The same config.

    Raises:
        ConfigError: A key (without ``+``) that is not in the config and not
            an argument of the component its parent configures.
    """
    plain = [k for k in options if not k.startswith(NEW_KEY_PREFIX)]
    before = copy.deepcopy(plain_tree(cfg))
    for key in options:
        _check_list_indices(before, key, flag)
    cfg.merge_from_dict({k.lstrip(NEW_KEY_PREFIX): v
                         for k, v in options.items()})
    merged = plain_tree(cfg)
    for key in plain:
        if _names_something(before, merged, key):
            continue
        keys = key.split('.')
        known = [path for path, _, _ in walk(before, depth=6)] + [
            '.'.join(keys[:-1] + [name])
            for name in _parent_arguments(merged, keys) or []]
        close = difflib.get_close_matches(key, known, 1, 0.8)
        hint = f' (did you mean {close[0]!r}?)' if close else ''
        raise ConfigError(
            f'{flag}: {key!r} names nothing in the config{hint}; to '
            f'add a new key on purpose, write {NEW_KEY_PREFIX}{key}=...')
    return cfg
