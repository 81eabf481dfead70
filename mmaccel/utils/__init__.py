from .cfg_options import NEW_KEY_PREFIX, merge_cfg_options
from .config import (check_run_length, load_config, rescope_config,
                     use_reliable_runtime)
from .dist_exit import finish_distributed
from .error_report import add_debug_argument, one_line, report_errors
from .errors import CheckpointError, ConfigError, DataError, MMAccelError

__all__ = [
    'load_config', 'rescope_config', 'use_reliable_runtime',
    'merge_cfg_options', 'NEW_KEY_PREFIX', 'MMAccelError', 'ConfigError',
    'DataError', 'CheckpointError', 'finish_distributed', 'check_run_length',
    'report_errors', 'add_debug_argument', 'one_line'
]
