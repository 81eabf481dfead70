from .backbone_checkpoint import CheckpointError, read_backbone
from .features import extract_features, gather_features
from .knn import knn_top1, weighted_knn_predict
from .linear_probe import linear_probe_top1
from .multi_stage_accuracy import MultiStageAccuracy
from .precise_bn import precise_bn

__all__ = [
    'knn_top1', 'weighted_knn_predict', 'linear_probe_top1', 'precise_bn',
    'CheckpointError', 'read_backbone', 'extract_features', 'gather_features',
    'MultiStageAccuracy'
]
