"""Does a loaded checkpoint fit the model (and, to resume, the run)?

MMEngine loads a checkpoint non-strictly: a checkpoint of another model loads
with a warning, and a resumed run then fails later in the optimizer, or trains
on the initial weights of every tensor whose shape differs. These checks name
the first keys and shapes that differ instead. The file itself is read by
:mod:`.checkpoint_reader`, whose comparison of keys and shapes they share
with the tools' check of backbone weights.
"""
import re
from typing import Optional, Sequence

import torch

from .checkpoint_reader import compare_state_dicts
from .errors import CheckpointError

__all__ = ['check_checkpoint_fits']

# keys of a wrapped model, as MMEngine's load_checkpoint strips them
_PREFIX = re.compile(r'^module\.')


def _describe(key: str, shape: Sequence[int]) -> str:
    shape = tuple(shape)
    if key.rsplit('.', 1)[-1] == 'queue' and len(shape) in (2, 3):
        # MoCo's queue: dim x len; mmaccel's: exits x dim x len
        num = 1 if len(shape) == 2 else shape[0]
        return (f'{num} queue{"" if num == 1 else "s"} of {shape[-1]} keys '
                f'of dimension {shape[-2]}')
    return 'shape ' + ' x '.join(map(str, shape)) if shape else 'a scalar'


def _state_dict(checkpoint, filename: str) -> dict:
    if not isinstance(checkpoint, dict):
        raise CheckpointError(
            f'{filename} is not a checkpoint: it holds a '
            f'{type(checkpoint).__name__}, not a dict with a state_dict')
    state = checkpoint.get('state_dict', checkpoint)
    if not isinstance(state, dict) or not state or not all(
            isinstance(v, torch.Tensor) for v in state.values()):
        raise CheckpointError(
            f'{filename} is not a model checkpoint: it has no state_dict of '
            f'tensors (keys: {", ".join(map(str, list(checkpoint)[:5]))})')
    return {_PREFIX.sub('', k): v for k, v in state.items()}


def _check_state(state: dict, model: torch.nn.Module, filename: str,
                 hint: str) -> None:
    own = model.state_dict()
    missing, unexpected, shapes = compare_state_dicts(own, state)
    if not (missing or unexpected or shapes):
        return
    parts = []
    if shapes:
        k = shapes[0]
        more = f' ({len(shapes)} keys differ in shape)' if shapes[1:] else ''
        parts.append(f'{k!r}: the checkpoint has '
                     f'{_describe(k, state[k].shape)}, the model '
                     f'{_describe(k, own[k].shape)}{more}')
    if missing:
        parts.append(f'{len(missing)} of the model\'s keys are not in it '
                     f'(first {missing[0]!r})')
    if unexpected:
        parts.append(f'it has {len(unexpected)} keys the model lacks '
                     f'(first {unexpected[0]!r})')
    raise CheckpointError(
        f'checkpoint {filename} does not fit the model '
        f'{type(model).__name__} (was it written with another config?): '
        + '; '.join(parts) + hint)


def _check_training_state(checkpoint: dict, optimizer, filename: str) -> None:
    meta = checkpoint.get('meta')
    if not isinstance(meta, dict) or 'iter' not in meta or 'epoch' not in meta:
        raise CheckpointError(
            f'{filename} holds weights but no training state (meta epoch and '
            'iter): it cannot be resumed; start a run from it with '
            f'load_from={filename} instead of --resume')
    if optimizer is None:
        return
    saved = checkpoint.get('optimizer')
    if not isinstance(saved, dict) or 'param_groups' not in saved:
        raise CheckpointError(
            f'{filename} has no optimizer state (saved with '
            'save_optimizer=False): --resume would restart the optimizer; '
            f'start a new run from its weights with load_from={filename}')
    have = [len(g['params']) for g in saved['param_groups']]
    want = [len(g['params']) for g in optimizer.param_groups]
    if have != want:
        raise CheckpointError(
            f'the optimizer state in {filename} does not fit this config\'s '
            f'optimizer: {_groups(have)} in the checkpoint, {_groups(want)} '
            'here (optim_wrapper or its paramwise_cfg differ from the run '
            'that wrote it)')


def _groups(sizes: list) -> str:
    shown = ', '.join(map(str, sizes[:3])) + (', ...' if sizes[3:] else '')
    return (f'{len(sizes)} parameter group{"" if len(sizes) == 1 else "s"} '
            f'of {shown} parameters')


def check_checkpoint_fits(checkpoint,
                          model: torch.nn.Module,
                          filename: str,
                          resume: bool = False,
                          optimizer: Optional[torch.optim.Optimizer] = None
                          ) -> None:
    """Raise :class:`CheckpointError` unless ``checkpoint`` fits.

    Args:
        checkpoint: What ``torch.load`` returned.
        model (nn.Module): The unwrapped model it is loaded into.
        filename (str): The checkpoint's path, for the message.
        resume (bool): Whether the run resumes from it (needs its training
            state: meta, and an optimizer state that fits ``optimizer``).
        optimizer (Optimizer, optional): The run's optimizer, to resume.
    """
    hint = '' if resume else (
        '; to initialise part of a model from it, use an init_cfg such as '
        "model.backbone.init_cfg=dict(type='Pretrained', "
        f"checkpoint='{filename}', prefix='backbone.')")
    _check_state(_state_dict(checkpoint, filename), model, filename, hint)
    if resume:
        _check_training_state(checkpoint, optimizer, filename)
