"""The two install tiers, and the error for a full-tier part used on the
core tier.

The core tier (``tools/setup_env.sh --tier core``, or the offline wheelhouse)
has mmengine, ``mmcv-lite`` (mmcv without its compiled ops) and MMPretrain:
everything pre-training, kNN and linear probes need. The full tier adds mmcv's
ops, MMDetection and MMSegmentation for the transfer benchmarks. ``import
mmaccel`` and ``tools/train.py`` never import them; the transfer code checks
for them when it is used, and a missing one stops the run with one line that
says how to install it.
"""
import contextlib
import importlib
from typing import Iterator, Optional, Sequence

from .errors import MMAccelError

__all__ = [
    'MissingPackageError', 'FULL_TIER', 'FULL_TIER_COMMAND',
    'require_full_tier', 'full_tier_error', 'full_tier_hint'
]

# module -> what it is; each comes with the full tier only
FULL_TIER = {
    'mmdet': 'MMDetection',
    'mmseg': 'MMSegmentation',
    'mmcv.ops': "mmcv's compiled ops",
}
FULL_TIER_COMMAND = 'bash tools/setup_env.sh --tier full'
# names whose absence means that of a FULL_TIER module (MMEngine names the
# distribution of an ``mmseg::`` base: mmsegmentation)
_ALIASES = {'mmcv._ext': 'mmcv.ops', 'mmsegmentation': 'mmseg'}


class MissingPackageError(MMAccelError, ModuleNotFoundError):
    """A package of the full tier is not installed (a ``ModuleNotFoundError``
    too, for code that catches that)."""


def _error(module: str, what: str) -> MissingPackageError:
    return MissingPackageError(
        f'{what} needs {FULL_TIER[module]} ({module}), which is not '
        f'installed: the core tier leaves it out; install the full tier '
        f'with `{FULL_TIER_COMMAND}`',
        name=module)


def require_full_tier(what: str,
                      modules: Sequence[str] = ('mmdet', 'mmcv.ops')) -> None:
    """Import ``modules``; raise :class:`MissingPackageError` for the first
    that fails.

    Args:
        what (str): What needs them, for the message.
        modules (Sequence[str]): Keys of :data:`FULL_TIER`. Defaults to
            ``('mmdet', 'mmcv.ops')``.
    """
    for module in modules:
        try:
            importlib.import_module(module)
        except ImportError as e:
            raise _error(module, what) from e


def _missing_module(exc: BaseException) -> Optional[str]:
    """The :data:`FULL_TIER` module whose absence ``exc`` reports, if any:
    a ``ModuleNotFoundError`` naming it (or a submodule), or MMEngine's
    ``'<package> is not installed'`` for an ``mmdet::`` / ``mmseg::`` base."""
    if not isinstance(exc, ImportError):
        return None
    names = [exc.name or '', str(exc).split(' ', 1)[0]]
    for name in names:
        name = _ALIASES.get(name, name)
        for module in FULL_TIER:
            if name == module or name.startswith(module + '.'):
                return module
    return None


def full_tier_error(exc: BaseException,
                    what: str) -> Optional[MissingPackageError]:
    """The :class:`MissingPackageError` behind ``exc`` (looking through its
    causes), or None when ``exc`` is not about a full-tier package."""
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if isinstance(exc, MissingPackageError):
            return exc
        module = _missing_module(exc)
        if module is not None:
            return _error(module, what)
        exc = exc.__cause__ or exc.__context__
    return None


@contextlib.contextmanager
def full_tier_hint(what: str) -> Iterator[None]:
    """Turn an ``ImportError`` of a full-tier package raised inside the block
    (loading a transfer config on the core tier) into
    :class:`MissingPackageError`; other errors pass unchanged.

    Args:
        what (str): What was being done, for the message (``'config X'``).
    """
    try:
        yield
    except ImportError as e:
        error = full_tier_error(e, what)
        if error is None or error is e:
            raise
        raise error from e
