"""Errors caused by what a user gave: a setting, a file, a checkpoint.

``tools/train.py`` prints an :class:`MMAccelError` as one line on stderr
(``error: <message>``) and exits with status 1, without a traceback; any other
exception keeps its traceback, as it points at a bug rather than at an input.
Every message names the setting or file and what is expected.
"""

__all__ = [
    'MMAccelError', 'ConfigError', 'DataError', 'CheckpointError',
    'DivergenceError'
]


class MMAccelError(Exception):
    """Base class of the errors that a user's input causes."""


class ConfigError(MMAccelError, ValueError):
    """A setting (config key, ``--cfg-options`` key or value) is wrong."""


class DataError(MMAccelError, ValueError):
    """A data file is missing, truncated or malformed, or the data cannot
    give a training batch."""


class CheckpointError(MMAccelError, ValueError):
    """A checkpoint cannot be read, or does not fit the run."""


class DivergenceError(MMAccelError, RuntimeError):
    """The training diverged: a loss, a weight or an optimizer state is not
    finite (``DivergenceGuardHook``); no checkpoint holds it."""
