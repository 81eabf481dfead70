from .atomic_checkpoint_hook import AtomicCheckpointHook
from .channels_last_hook import ChannelsLastHook
from .divergence_guard_hook import DivergenceGuardHook
from .knn_eval_hook import KNNEvalHook
from .partial_backprop_hook import PartialBackpropHook
from .precise_bn_hook import PreciseBackboneBNHook
from .preflight_check_hook import PreflightCheckHook
from .time_budget_hook import TimeBudgetSchedulerHook

__all__ = [
    'AtomicCheckpointHook', 'ChannelsLastHook', 'DivergenceGuardHook',
    'KNNEvalHook', 'PartialBackpropHook', 'PreciseBackboneBNHook',
    'PreflightCheckHook', 'TimeBudgetSchedulerHook'
]
