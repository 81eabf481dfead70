from .multi_exit_resnet import MultiExitResNet

__all__ = ['MultiExitResNet']
