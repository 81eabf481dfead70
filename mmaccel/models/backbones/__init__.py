from .multi_exit_resnet import Cut, MultiExitResNet, forward_in_lockstep

__all__ = ['Cut', 'MultiExitResNet', 'forward_in_lockstep']
