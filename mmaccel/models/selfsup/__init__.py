from .accel_byol import AccelBYOL
from .accel_moco import AccelMoCo
from .accel_simclr import AccelSimCLR
from .accel_simsiam import AccelSimSiam
from .accel_swav import AccelSwAV
from .extra_state import ExtraStateMixin, extra_state_of, load_extra_state_into
from .multi_exit import MultiExitMixin

__all__ = [
    'AccelBYOL', 'AccelMoCo', 'AccelSimCLR', 'AccelSimSiam', 'AccelSwAV',
    'MultiExitMixin', 'ExtraStateMixin', 'extra_state_of',
    'load_extra_state_into'
]
