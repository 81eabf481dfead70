"""One reader of checkpoint files, for training and for the tools.

Training reads a local checkpoint (``--resume``, ``load_from``, a
``Pretrained`` init) through MMEngine's ``CheckpointLoader``, whose local
scheme :mod:`mmaccel.utils.compat` points to :func:`load_checkpoint_file`;
the transfer tools (kNN, linear probe, backbone export) read one with
:func:`read_state_dict`, which calls it too. A file that is missing or that
``torch.load`` cannot read is a :class:`CheckpointError` raised here, once.
Whether its keys and shapes fit a model is :func:`compare_state_dicts`,
which both the training checks (:mod:`.checkpoint_fit`) and the tools' check
(:func:`mmaccel.evaluation.backbone_checkpoint.check_backbone_keys`) use.
"""
import os.path as osp
from typing import Dict, List, Tuple

import torch

from .errors import CheckpointError

__all__ = ['load_checkpoint_file', 'read_state_dict', 'compare_state_dicts']


def _first_line(e: Exception) -> str:
    return (str(e).strip().splitlines() or [''])[0]


def load_checkpoint_file(filename: str, map_location=None,
                         tool: bool = False):
    """``torch.load`` of a local file with ``weights_only=False`` (what
    MMEngine checkpoints need on torch >= 2.6; these runs wrote them).

    Args:
        filename (str): Local checkpoint file path.
        map_location (optional): Same as :func:`torch.load`.
        tool (bool): Phrase an error as the tools do (``PATH: no such
            file``, ``PATH: not a PyTorch checkpoint (torch.load failed:
            ...)``) instead of as training does (``checkpoint PATH does not
            exist``, ``checkpoint PATH cannot be read (...)``). Defaults to
            False.

    Returns:
        What ``torch.load`` returned.

    Raises:
        CheckpointError: The file is missing, or ``torch.load`` cannot read
            it (truncated, or not written by ``torch.save``).
    """
    if not tool:
        filename = osp.expanduser(filename)
    if not osp.isfile(filename):
        raise CheckpointError(f'{filename}: no such file' if tool else
                              f'checkpoint {filename} does not exist')
    try:
        return torch.load(filename, map_location=map_location,
                          weights_only=False)
    except Exception as e:  # whatever torch.load trips over in the file
        reason = _first_line(e)
        if tool:
            raise CheckpointError(
                f'{filename}: not a PyTorch checkpoint (torch.load failed: '
                f'{type(e).__name__}{": " + reason[:120] if reason else ""})'
            ) from None
        raise CheckpointError(
            f'checkpoint {filename} cannot be read ({osp.getsize(filename)} '
            f'bytes; truncated, or not a file written by torch.save): '
            f'{type(e).__name__}: {reason.split(". ")[0]}') from e


def read_state_dict(path: str) -> Tuple[Dict[str, torch.Tensor], dict]:
    """The state dict and ``meta`` of a checkpoint file, on CPU.

    Accepts ``{'state_dict': ..., 'meta': ...}`` (MMEngine), ``{'model':
    ...}`` and a bare state dict.

    Raises:
        CheckpointError: The file is missing, is not a PyTorch checkpoint, or
            holds no tensors.
    """
    ckpt = load_checkpoint_file(path, map_location='cpu', tool=True)
    if not isinstance(ckpt, dict):
        raise CheckpointError(f'{path}: not a checkpoint: it holds a '
                              f'{type(ckpt).__name__}, not a dict')
    meta = ckpt.get('meta', {}) if isinstance(ckpt.get('meta'), dict) else {}
    for key in ('state_dict', 'model'):
        if isinstance(ckpt.get(key), dict):
            ckpt = ckpt[key]
            break
    state = {k: v for k, v in ckpt.items() if isinstance(v, torch.Tensor)}
    if not state:
        tops = ', '.join(map(str, list(ckpt)[:5])) or 'none'
        raise CheckpointError(f'{path}: not a checkpoint: no state_dict and '
                              f'no tensors (top-level keys: {tops})')
    return state, meta


def compare_state_dicts(
        own: Dict[str, torch.Tensor], state: Dict[str, torch.Tensor]
) -> Tuple[List[str], List[str], List[str]]:
    """How ``state`` differs from a model's ``own`` state dict.

    Returns:
        tuple: The model's keys missing from ``state``, the keys of
        ``state`` the model lacks, and the keys whose shapes differ, each in
        the order of its dict.
    """
    missing = [k for k in own if k not in state]
    unexpected = [k for k in state if k not in own]
    shapes = [k for k in own if k in state
              and tuple(state[k].shape) != tuple(own[k].shape)]
    return missing, unexpected, shapes
