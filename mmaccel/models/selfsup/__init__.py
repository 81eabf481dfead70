from .accel_moco import AccelMoCo
from .multi_exit import MultiExitMixin

__all__ = ['AccelMoCo', 'MultiExitMixin']
