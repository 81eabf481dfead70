from .multi_exit_head import MultiExitHead
from .multi_exit_latent_predict_head import MultiExitLatentPredictHead
from .multi_exit_swav_head import ExitLossModules, MultiExitSwAVHead

__all__ = [
    'ExitLossModules', 'MultiExitHead', 'MultiExitLatentPredictHead',
    'MultiExitSwAVHead'
]
