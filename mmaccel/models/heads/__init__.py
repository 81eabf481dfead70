from .multi_exit_swav_head import ExitLossModules, MultiExitSwAVHead
from .multi_stage_cls_head import MultiStageClsHead

__all__ = ['ExitLossModules', 'MultiExitSwAVHead', 'MultiStageClsHead']
