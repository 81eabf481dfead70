from .channels_last_hook import ChannelsLastHook
from .knn_eval_hook import KNNEvalHook
from .partial_backprop_hook import PartialBackpropHook
from .precise_bn_hook import PreciseBackboneBNHook

__all__ = [
    'ChannelsLastHook', 'KNNEvalHook', 'PartialBackpropHook',
    'PreciseBackboneBNHook'
]
