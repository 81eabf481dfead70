"""Analytic MACs of a backbone up to each exit, crops included.

The cost model of the design: a step that exits after
stage ``k`` runs the stem and stages ``1..k``; at each selector position
before ``k`` the map is cut to the selector's crop size, so the following
stages run on the smaller map. MACs are multiply-accumulates of the
convolutions and linear layers of one image's forward pass (batch norm,
activations and pooling, a fraction of a percent, are left out), counted
with forward hooks on the real modules, so any ResNet variant counts right.
"""
from typing import Dict, Optional, Sequence

import torch
from torch import nn

__all__ = ['count_macs', 'backbone_macs_to_exit', 'expected_macs']


def count_macs(fn, module: nn.Module) -> int:
    """MACs of the convolutions and linear layers inside ``module`` that run
    while ``fn()`` is called (summed over the batch)."""
    total = 0

    def conv_hook(m, inputs, out):
        nonlocal total
        kh, kw = m.kernel_size
        per_out = m.in_channels // m.groups * kh * kw
        total += out.numel() * per_out

    def linear_hook(m, inputs, out):
        nonlocal total
        total += out.numel() * m.in_features

    handles = []
    for m in module.modules():
        if isinstance(m, nn.Conv2d):
            handles.append(m.register_forward_hook(conv_hook))
        elif isinstance(m, nn.Linear):
            handles.append(m.register_forward_hook(linear_hook))
    try:
        with torch.no_grad():
            fn()
    finally:
        for h in handles:
            h.remove()
    return total


def backbone_macs_to_exit(backbone: nn.Module,
                          x: torch.Tensor,
                          exit: Optional[int] = None,
                          selector=None) -> int:
    """MACs per image of ``backbone`` run on ``x`` up to ``exit``.

    ``backbone`` is a :class:`MultiExitResNet` (stepped stage by stage, maps
    cropped at ``selector.positions`` before ``exit`` to
    ``selector.crop_size``), or any backbone when ``exit`` is None (its whole
    forward pass).
    """
    def run():
        if exit is None:
            return backbone(x)
        positions = selector.positions if selector is not None else ()
        h = backbone.forward_stem(x)
        for stage in range(1, exit + 1):
            h = backbone.forward_stage(stage, h)
            if stage in positions and stage < exit:
                ch, cw = selector.crop_size(*h.shape[-2:])
                h = h[..., :ch, :cw]
        return h

    return count_macs(run, backbone) // x.shape[0]


def expected_macs(macs_per_exit: Dict[int, int],
                  probs: Sequence[float]) -> float:
    """``sum_k p_k * MACs(k)``, exits in increasing order."""
    exits = sorted(macs_per_exit)
    if len(probs) != len(exits):
        raise ValueError(f'expected_macs: {len(probs)} probabilities for '
                         f'{len(exits)} exits {exits}')
    return float(sum(p * macs_per_exit[k] for k, p in zip(exits, probs)))
