"""Backbone weights out of a training checkpoint or an exported backbone.

A training checkpoint of mmaccel or MMPretrain holds the whole self-supervised
model: the query encoder's ``backbone.*`` (what transfer uses), MoCo's momentum
encoder, necks and exit heads, queues, SwAV's prototypes. An exported backbone
(``tools/model_converters/extract_backbone.py``) holds only the backbone, with
the ``backbone.`` prefix stripped, as MMDetection and MMSegmentation load it.
MMEngine's ``Pretrained`` init needs ``prefix='backbone.'`` for the first and
asserts if given a prefix for the second, so the tools look at the keys first.
A file that cannot give backbone weights raises mmaccel's
:class:`~mmaccel.utils.CheckpointError` (the one ``tools/train.py``'s
checkpoint checks raise), with one line that names the file and what is
missing. Files are read by mmaccel's one checkpoint reader,
:mod:`mmaccel.utils.checkpoint_reader`, which training's resume uses too
(its :func:`read_state_dict` is importable from here as before).
"""
import os.path as osp
from collections import Counter
from typing import Dict, Optional, Tuple

import torch

from mmaccel.utils.checkpoint_reader import (compare_state_dicts,
                                             read_state_dict)
from mmaccel.utils.errors import CheckpointError

__all__ = [
    'CheckpointError', 'BACKBONE_PREFIX', 'read_state_dict',
    'backbone_state_dict', 'read_backbone', 'check_backbone_keys',
    'probe_work_dir'
]

BACKBONE_PREFIX = 'backbone.'


def backbone_state_dict(state: Dict[str, torch.Tensor],
                        path: str = 'checkpoint') -> Dict[str, torch.Tensor]:
    """The ``backbone.*`` entries of a training state dict, prefix stripped.

    Raises:
        CheckpointError: No key starts with ``backbone.``.
    """
    n = len(BACKBONE_PREFIX)
    backbone = {k[n:]: v for k, v in state.items()
                if k.startswith(BACKBONE_PREFIX)}
    if not backbone:
        tops = Counter(k.split('.')[0] for k in state)
        raise CheckpointError(
            f"{path}: no '{BACKBONE_PREFIX}' keys in its state_dict "
            f'({len(state)} keys, under: '
            f'{", ".join(t for t, _ in tops.most_common(4))}; '
            'an exported backbone already has the prefix stripped)')
    return backbone


def read_backbone(path: str) -> Tuple[Dict[str, torch.Tensor], Optional[str]]:
    """Backbone weights of a training checkpoint or an exported backbone.

    Returns:
        tuple: The unprefixed state dict, and the prefix to give MMEngine's
        ``Pretrained`` init for this file (``'backbone.'`` for a training
        checkpoint, ``None`` for an exported backbone).
    """
    state, _ = read_state_dict(path)
    if any(k.startswith(BACKBONE_PREFIX) for k in state):
        return backbone_state_dict(state, path), BACKBONE_PREFIX
    return state, None


def check_backbone_keys(backbone: torch.nn.Module,
                        state: Dict[str, torch.Tensor], path: str) -> None:
    """Raise a one-line :class:`CheckpointError` unless ``state`` has exactly
    the keys and shapes of ``backbone.state_dict()``."""
    own = backbone.state_dict()
    missing, unexpected, shapes = compare_state_dicts(own, state)

    def few(keys):
        return ', '.join(keys[:3]) + (f' and {len(keys) - 3} more'
                                      if len(keys) > 3 else '')

    problems = []
    if missing:
        problems.append(f'{len(missing)} missing ({few(missing)})')
    if unexpected:
        problems.append(f'{len(unexpected)} unexpected ({few(unexpected)})')
    if shapes:
        k = shapes[0]
        problems.append(
            f'{len(shapes)} of another shape ({k}: '
            f'{tuple(state[k].shape)} in the file, {tuple(own[k].shape)} in '
            'the model)')
    if problems:
        hint = ''
        if any(k == 'conv1.weight' or k.startswith('stem.0.')
               for k in shapes):  # the first convolution
            hint = ('; set the input channels with --cfg-options '
                    'model.backbone.in_channels=N, or convert the file with '
                    'tools/model_converters/extract_backbone.py --in-channels')
        raise CheckpointError(
            f'{path}: backbone weights do not fit the configured '
            f'{type(backbone).__name__}: ' + '; '.join(problems) + hint)


def probe_work_dir(config: str, checkpoint: str) -> str:
    """``work_dirs/<config name>/<checkpoint folder>_<checkpoint name>``: the
    evaluation tools' default, one folder per evaluated checkpoint."""
    name = osp.splitext(osp.basename(checkpoint))[0]
    folder = osp.basename(osp.dirname(osp.abspath(checkpoint)))
    return osp.join('work_dirs',
                    osp.splitext(osp.basename(config))[0], f'{folder}_{name}')
