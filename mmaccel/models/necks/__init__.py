from .intermediate_contrastive_neck import IntermediateContrastiveNeck
from .multi_stage_pooling import MultiStagePooling

__all__ = ['IntermediateContrastiveNeck', 'MultiStagePooling']
