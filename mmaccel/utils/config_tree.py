"""The one walker over config trees: nested dicts, lists and tuples, as
``Config`` holds them. Paths are dotted, list items by index
(``custom_hooks.0.k``), the form ``--cfg-options`` takes.

Every reader of a config's tree goes through it: ``--cfg-options`` checks
(:mod:`.cfg_options`), the scope rewrite (:mod:`.config`), the error report's
search for the setting that failed (:mod:`.error_report`), and the tools'
settings (:mod:`mmaccel.apis`).
"""
from typing import Any, Callable, Iterator, List, Optional, Tuple, Union

__all__ = [
    'MISSING', 'plain_tree', 'walk', 'dicts', 'find_paths', 'child', 'lookup'
]

#: What :func:`child` and :func:`lookup` return for a path that names nothing.
MISSING = object()


def plain_tree(cfg) -> dict:
    """A config's tree (``Config``, ``ConfigDict`` or dict) as builtin dicts
    and lists, imported names kept, as the Runner sees them."""
    from mmengine.config import Config  # not at import: the error report
    if isinstance(cfg, Config):  # uses this module before mmengine loads
        return cfg._cfg_dict.to_dict()
    return cfg.to_dict() if hasattr(cfg, 'to_dict') else dict(cfg)


def _items(node) -> list:
    if isinstance(node, dict):
        return list(node.items())
    if isinstance(node, (list, tuple)):
        return list(enumerate(node))
    return []


def walk(node,
         prefix: str = '',
         depth: Optional[int] = None) -> Iterator[Tuple[str, Any, Any]]:
    """``(dotted path, key, value)`` of every entry of the tree, each entry
    before the entries inside it.

    Args:
        node: A dict, list or tuple (anything else has no entries).
        prefix (str): Put before every path (``'model.'``).
        depth (int, optional): How many levels to go down; None: all.
    """
    if depth is not None and depth <= 0:
        return
    for key, value in _items(node):
        path = f'{prefix}{key}'
        yield path, key, value
        yield from walk(value, path + '.',
                        None if depth is None else depth - 1)


def dicts(node) -> Iterator[dict]:
    """``node`` itself if it is a dict, then every dict inside it: what a
    rewrite of components (their ``type``, ``_scope_``) visits."""
    if isinstance(node, dict):
        yield node
    for _, _, value in walk(node):
        if isinstance(value, dict):
            yield value


def find_paths(node, match: Callable[[Any, Any],
                                     bool]) -> Iterator[Tuple[str, Any]]:
    """``(dotted path, value)`` of every entry for which ``match(key,
    value)`` holds."""
    for path, key, value in walk(node):
        if match(key, value):
            yield path, value


def child(node, key: str):
    """The entry ``key`` of a dict, or item ``int(key)`` of a list or tuple;
    :data:`MISSING` if there is none."""
    if isinstance(node, dict):
        return node.get(key, MISSING)
    if isinstance(node, (list, tuple)) and str(key).isdigit() \
            and int(key) < len(node):
        return node[int(key)]
    return MISSING


def lookup(node, keys: Union[str, List[str]]):
    """The entry at a dotted path (or a list of keys); :data:`MISSING` if
    the path names nothing."""
    for key in keys.split('.') if isinstance(keys, str) else keys:
        node = child(node, key)
        if node is MISSING:
            break
    return node
