from .multi_exit_head import MultiExitHead
from .multi_exit_latent_predict_head import MultiExitLatentPredictHead
from .multi_exit_swav_head import ExitLossModules, MultiExitSwAVHead
from .multi_stage_cls_head import MultiStageClsHead

__all__ = [
    'ExitLossModules', 'MultiExitHead', 'MultiExitLatentPredictHead',
    'MultiExitSwAVHead', 'MultiStageClsHead'
]
