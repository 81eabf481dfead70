from .accel_moco import AccelMoCo
from .accel_simclr import AccelSimCLR
from .accel_swav import AccelSwAV
from .multi_exit import MultiExitMixin

__all__ = ['AccelMoCo', 'AccelSimCLR', 'AccelSwAV', 'MultiExitMixin']
