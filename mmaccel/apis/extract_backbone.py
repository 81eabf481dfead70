"""Export the backbone of a pre-training checkpoint for transfer.

The command line of ``tools/model_converters/extract_backbone.py``
(:func:`main`), importable; the tool's docstring describes it.
"""
import argparse
import os
import os.path as osp
from collections import Counter

import torch

from mmaccel.evaluation.backbone_checkpoint import (BACKBONE_PREFIX,
                                                    CheckpointError,
                                                    backbone_state_dict,
                                                    read_state_dict)
from mmaccel.utils import MMAccelError, add_debug_argument, report_errors

# The first convolution of MMPretrain's ResNet: plain stem, or deep stem.
FIRST_CONVS = ('conv1.weight', 'stem.0.conv.weight')


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Keep the backbone of a pre-training checkpoint')
    parser.add_argument('src', metavar='IN', help='training checkpoint')
    parser.add_argument('dst', metavar='OUT', help='where to save')
    parser.add_argument(
        '--in-channels',
        type=int,
        choices=[1, 3],
        help='input channels of the saved first convolution (1 -> 3: '
        'repeated and divided by 3; 3 -> 1: summed)')
    add_debug_argument(parser)
    return parser.parse_args(argv)


def convert_in_channels(state: dict, in_channels: int, path: str) -> str:
    """Change the input channels of the first convolution in place; returns
    what was done, for the meta."""
    key = next((k for k in FIRST_CONVS if k in state), None)
    if key is None:
        raise CheckpointError(
            f'{path}: --in-channels needs the first convolution, and none of '
            f'{", ".join(FIRST_CONVS)} is among its backbone keys')
    weight = state[key]
    have = weight.shape[1]
    if have == in_channels:
        return f'{key} already has {have} input channel(s)'
    if have == 1 and in_channels == 3:
        state[key] = weight.repeat(1, 3, 1, 1) / 3
    elif have == 3 and in_channels == 1:
        state[key] = weight.sum(1, keepdim=True)
    else:
        raise CheckpointError(
            f'{path}: {key} has {have} input channels; --in-channels '
            f'converts between 1 and 3 only')
    return f'{key}: {have} -> {in_channels} input channels'


def _parents(path: str):
    """The folders above ``path``, nearest first."""
    path = osp.dirname(osp.abspath(path))
    while True:
        yield path
        if osp.dirname(path) == path:
            return
        path = osp.dirname(path)


def extract(src: str, dst: str, in_channels=None) -> dict:
    """Write the backbone of ``src`` to ``dst``; returns the saved meta."""
    state, src_meta = read_state_dict(src)
    backbone = backbone_state_dict(state, src)
    dropped = Counter(k.split('.')[0] for k in state
                      if not k.startswith(BACKBONE_PREFIX))
    meta = dict(
        source=osp.abspath(src),
        keys_kept=len(backbone),
        prefix_stripped=BACKBONE_PREFIX,
        keys_dropped=dict(sorted(dropped.items())),
        source_meta={
            k: src_meta[k]
            for k in ('epoch', 'iter', 'cfg_name', 'experiment_name', 'seed')
            if k in src_meta and isinstance(src_meta[k], (int, str))
        })
    if in_channels is not None:
        meta['in_channels'] = convert_in_channels(backbone, in_channels, src)
    try:
        os.makedirs(osp.dirname(osp.abspath(dst)), exist_ok=True)
        torch.save(dict(state_dict=backbone, meta=meta), dst)
    except (OSError, RuntimeError) as e:  # torch's writer: RuntimeError
        parent = next((p for p in _parents(dst) if osp.lexists(p)), None)
        reason = (f'{parent} is a file, not a folder'
                  if parent and not osp.isdir(parent) else
                  getattr(e, 'strerror', None) or str(e).strip())
        raise MMAccelError(f'OUT {dst} cannot be written: {reason}') from None
    return meta


@report_errors  # an error: one line on stderr, exit 1 (--debug: traceback)
def main(argv=None):
    args = parse_args(argv)
    meta = extract(args.src, args.dst, args.in_channels)
    dropped = ', '.join(f'{k} ({n})' for k, n in meta['keys_dropped'].items())
    print(f'saved {meta["keys_kept"]} backbone tensors to {args.dst}; '
          f'dropped: {dropped or "nothing"}'
          + (f'; {meta["in_channels"]}' if 'in_channels' in meta else ''))
