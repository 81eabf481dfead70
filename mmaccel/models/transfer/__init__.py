"""Transfer-evaluation parts that live in MMDetection's model tree.

Not imported by ``import mmaccel`` (it would import MMDetection for every
pre-training run): detection configs load it with
``custom_imports = dict(imports=['mmaccel.models.transfer'])`` and name its
parts with the scope prefix, ``type='mmaccel.ResLayerExtraNorm'``. MMDetection
and mmcv's ops come with the full install tier only: on the core tier this
import raises :class:`~mmaccel.utils.tiers.MissingPackageError`, which names
the missing package and the command that installs the full tier.
"""
from mmaccel.utils.tiers import require_full_tier

require_full_tier('mmaccel.models.transfer (detection transfer)')

from .registry import DET_MODELS  # noqa: E402
from .res_layer_extra_norm import ResLayerExtraNorm  # noqa: E402

__all__ = ['DET_MODELS', 'ResLayerExtraNorm']
