from .cfg_options import NEW_KEY_PREFIX, merge_cfg_options
from .config import load_config, rescope_config, use_reliable_runtime
from .dist_exit import finish_distributed
from .errors import CheckpointError, ConfigError, DataError, MMAccelError

__all__ = [
    'load_config', 'rescope_config', 'use_reliable_runtime',
    'merge_cfg_options', 'NEW_KEY_PREFIX', 'MMAccelError', 'ConfigError',
    'DataError', 'CheckpointError', 'finish_distributed'
]
