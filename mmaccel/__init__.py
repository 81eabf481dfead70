"""mmaccel: fast contrastive self-supervised pre-training with intermediate
contrastive losses, as an OpenMMLab (MMPretrain) extension.

``custom_imports = dict(imports=['mmaccel'], allow_failed_imports=False)`` in a
config registers every component.
"""
from .utils import compat  # noqa: F401  (first: shims for the pinned stack)

# isort: split
from . import datasets, engine, models  # noqa: F401  (register components)
from .version import __version__

__all__ = ['__version__']
