"""Check that a file is a backbone the detection and segmentation configs load.

    python tools/benchmarks/check_backbone.py BACKBONE [WIDTH]

The transfer configs load a plain ResNet's weights without a prefix and with
an RGB first convolution: a file written by
``tools/model_converters/extract_backbone.py IN OUT --in-channels 3``.
MMEngine's ``Pretrained`` init only warns about keys that do not fit, so a
training checkpoint (``backbone.`` keys) or a one-channel ``conv1`` would
leave the backbone silently random. Prints the backbone's depth (read from its
keys); ends with one ``error:`` line and exit status 1 otherwise, also when
its stem width is not WIDTH (default 64; the launchers pass the value of a
``model.backbone.base_channels=N`` option, since a narrower backbone needs the
configs' widths set to match: docs/transfer.md). Reads the
file with ``torch.load(weights_only=True)``: an exported backbone holds only
tensors and plain meta data.
"""
import re
import sys

import torch

DEPTHS = {
    ('BasicBlock', (2, 2, 2, 2)): 18,
    ('BasicBlock', (3, 4, 6, 3)): 34,
    ('Bottleneck', (3, 4, 6, 3)): 50,
    ('Bottleneck', (3, 4, 23, 3)): 101,
    ('Bottleneck', (3, 8, 36, 3)): 152,
}
EXPORT = 'tools/model_converters/extract_backbone.py'


def check(path: str, width: int = 64) -> str:
    """Return a one-line description of the backbone; raise ``ValueError``
    with a one-line message when it does not fit."""
    try:
        ckpt = torch.load(path, map_location='cpu', weights_only=True)
    except FileNotFoundError:
        raise ValueError(f'{path}: no such file') from None
    except Exception as e:
        raise ValueError(
            f'{path}: not an exported backbone (it does not load as plain '
            f'tensors: {type(e).__name__}); a training checkpoint? export it '
            f'with {EXPORT} {path} OUT --in-channels 3') from None
    state = ckpt.get('state_dict', ckpt) if isinstance(ckpt, dict) else None
    if not isinstance(state, dict) or not state:
        raise ValueError(f'{path}: holds no state_dict')
    if any(k.startswith('backbone.') for k in state):
        raise ValueError(
            f"{path}: a training checkpoint (keys start with 'backbone.'); "
            f'export it with {EXPORT} {path} OUT --in-channels 3')
    conv1 = state.get('conv1.weight')
    if conv1 is None:
        raise ValueError(
            f'{path}: no conv1.weight: not a plain-stem ResNet backbone '
            f'(keys: {", ".join(list(state)[:4])}, ...)')
    if conv1.shape[1] != 3:
        raise ValueError(
            f'{path}: conv1.weight has {conv1.shape[1]} input channel(s), '
            f'VOC images have 3; export with {EXPORT} ... --in-channels 3')
    if conv1.shape[0] != width:
        raise ValueError(
            f'{path}: conv1 has {conv1.shape[0]} output channels; the '
            f'config builds {width} (set model.backbone.base_channels, '
            'stem_channels and the heads\' widths for a narrower ResNet: '
            'docs/transfer.md)')
    blocks = [0, 0, 0, 0]
    for key in state:
        m = re.match(r'layer([1-4])\.(\d+)\.', key)
        if m:
            i = int(m.group(1)) - 1
            blocks[i] = max(blocks[i], int(m.group(2)) + 1)
    block = 'Bottleneck' if 'layer1.0.conv3.weight' in state else 'BasicBlock'
    depth = DEPTHS.get((block, tuple(blocks)))
    name = f'ResNet-{depth}' if depth else f'{block} ResNet {blocks}'
    return f'{path}: {name}, width {width}, RGB, {len(state)} tensors'


def main():
    if len(sys.argv) not in (2, 3) or not all(
            a.isdigit() for a in sys.argv[2:]):
        sys.exit(__doc__.strip().splitlines()[2].strip())
    try:
        print(check(sys.argv[1], int(sys.argv[2]) if len(sys.argv) == 3
                    else 64))
    except ValueError as e:
        print(f'error: {e}', file=sys.stderr)
        sys.exit(1)


if __name__ == '__main__':
    main()
