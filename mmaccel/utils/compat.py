"""Compatibility shims for upstream packages on the pinned stack.

Imported first by ``mmaccel/__init__.py``; each shim says why it exists and
has a test in ``tests/test_foundation/test_compat.py`` that fails without it.
"""
import os.path as osp

import torch
from mmengine.runner.checkpoint import CheckpointLoader
from mmengine.utils import digit_version

from .errors import CheckpointError

__all__ = ['load_from_local']


# torch >= 2.6 made ``torch.load`` default to ``weights_only=True``. MMEngine
# 0.10.7 calls ``torch.load(filename, map_location=...)`` without the argument,
# and its checkpoints hold the message hub: ``HistoryBuffer`` objects whose
# ``statistics_methods`` pickle as ``builtins.getattr`` on bound methods, and
# numpy arrays. So ``--resume`` (and ``load_checkpoint`` of any mmengine
# checkpoint) fails with "Weights only load failed". Allow-listing those
# globals would mean allowing ``getattr``, which defeats ``weights_only``;
# instead local checkpoints, which these runs wrote themselves, load as they
# did on torch < 2.6. Remote schemes (http, open-mmlab://, ...) keep torch's
# default.
def load_from_local(filename, map_location):
    """Load a checkpoint from a local path with ``weights_only=False``.

    A missing file, or one that ``torch.load`` cannot read (truncated, or
    not written by ``torch.save``), raises :class:`CheckpointError` naming it.

    Args:
        filename (str): Local checkpoint file path.
        map_location (str, optional): Same as :func:`torch.load`.

    Returns:
        dict or OrderedDict: The loaded checkpoint.
    """
    filename = osp.expanduser(filename)
    if not osp.isfile(filename):
        raise CheckpointError(f'checkpoint {filename} does not exist')
    try:
        return torch.load(filename, map_location=map_location,
                          weights_only=False)
    except Exception as e:  # whatever torch.load trips over in the file
        reason = (str(e).strip().splitlines() or [''])[0].split('. ')[0]
        raise CheckpointError(
            f'checkpoint {filename} cannot be read ({osp.getsize(filename)} '
            f'bytes; truncated, or not a file written by torch.save): '
            f'{type(e).__name__}: {reason}') from e


if digit_version(torch.__version__) >= digit_version('2.6.0'):
    CheckpointLoader.register_scheme(prefixes='', loader=load_from_local,
                                     force=True)
