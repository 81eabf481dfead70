"""Transfer-evaluation parts that live in MMDetection's model tree.

Not imported by ``import mmaccel`` (it would import MMDetection for every
pre-training run): detection configs load it with
``custom_imports = dict(imports=['mmaccel.models.transfer'])`` and name its
parts with the scope prefix, ``type='mmaccel.ResLayerExtraNorm'``.
"""
from .registry import DET_MODELS
from .res_layer_extra_norm import ResLayerExtraNorm

__all__ = ['DET_MODELS', 'ResLayerExtraNorm']
