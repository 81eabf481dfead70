from .multi_exit_swav_head import ExitLossModules, MultiExitSwAVHead

__all__ = ['ExitLossModules', 'MultiExitSwAVHead']
