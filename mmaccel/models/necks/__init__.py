from .intermediate_contrastive_neck import IntermediateContrastiveNeck

__all__ = ['IntermediateContrastiveNeck']
