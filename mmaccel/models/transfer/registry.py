"""mmaccel's model registry under MMDetection's.

mmaccel's main ``MODELS`` is a child of MMPretrain's, so a detection config
(``default_scope='mmdet'``) cannot reach it: MMDetection's registry looks
up a scoped name (``'mmaccel.X'``) among its own children and the root's,
and mmaccel's main registry is neither. This child of MMDetection's
``MODELS``, also under the scope ``mmaccel``, is one of its children, so
``type='mmaccel.ResLayerExtraNorm'`` builds under MMDetection, and every
MMDetection name still resolves from it through its parent.
"""
from mmdet.registry import MODELS as MMDET_MODELS
from mmengine.registry import Registry

__all__ = ['DET_MODELS']

DET_MODELS = Registry(
    'model',
    parent=MMDET_MODELS,
    scope='mmaccel',
    locations=['mmaccel.models.transfer'])
