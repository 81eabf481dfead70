from .accel_byol import AccelBYOL
from .accel_moco import AccelMoCo
from .accel_simclr import AccelSimCLR
from .accel_simsiam import AccelSimSiam
from .accel_swav import AccelSwAV
from .multi_exit import MultiExitMixin

__all__ = [
    'AccelBYOL', 'AccelMoCo', 'AccelSimCLR', 'AccelSimSiam', 'AccelSwAV',
    'MultiExitMixin'
]
