"""Analytic MACs of a backbone up to each exit, crops included.

The cost model of the design: a step that exits after
stage ``k`` runs the stem and stages ``1..k``; at each selector position
before ``k`` the map is cut to the selector's crop size, so the following
stages run on the smaller map. MACs are multiply-accumulates of the
convolutions and linear layers of one image's forward pass (batch norm,
activations and pooling, a fraction of a percent, are left out), counted
with forward hooks on the real modules, so any ResNet variant counts right.
"""
from typing import Dict, List, Optional, Sequence

import torch
from torch import nn

__all__ = [
    'count_macs', 'backbone_macs_to_exit', 'cumulative_macs', 'expected_macs',
    'step_cost'
]


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


def cumulative_macs(backbone: nn.Module,
                    x: torch.Tensor,
                    last: int,
                    selector=None) -> List[int]:
    """MACs per image of a :class:`MultiExitResNet` up to the stem and up to
    each stage ``1..last``, in one pass: entry ``s`` equals
    ``backbone_macs_to_exit(backbone, x, s, selector)`` (entry 0: the stem
    alone). Maps are cut at ``selector.positions`` before ``last``, which
    changes only the stages after each position."""
    positions = selector.positions if selector is not None else ()
    out, h = [], x

    def step(stage):
        nonlocal h
        h = backbone.forward_stem(h) if stage == 0 else \
            backbone.forward_stage(stage, h)

    for stage in range(last + 1):
        macs = count_macs(lambda: step(stage), backbone) // x.shape[0]
        out.append(macs + (out[-1] if out else 0))
        if stage in positions and stage < last:
            ch, cw = selector.crop_size(*h.shape[-2:])
            h = h[..., :ch, :cw]
    return out


def expected_macs(macs_per_exit: Dict[int, int],
                  probs: Sequence[float]) -> float:
    """``sum_k p_k * MACs(k)``, exits in increasing order."""
    exits = sorted(macs_per_exit)
    if len(probs) != len(exits):
        raise ValueError(f'expected_macs: {len(probs)} probabilities for '
                         f'{len(exits)} exits {exits}')
    return float(sum(p * macs_per_exit[k] for k, p in zip(exits, probs)))


def step_cost(stage_costs: Sequence[float], exit: int,
              window: Optional[int], forward_only: float = 0.0) -> float:
    """Cost of a training step at ``exit`` relative to a whole step.

    A step runs the trained pass forward to the exit and back-propagates
    through the updated stages (the update window; the stem only when the
    window reaches stage 1), counted as twice their forward MACs (gradients
    of the inputs and of the weights); ``forward_only`` passes per trained
    pass run forward only (MoCo's momentum encoder: 1). A whole step is
    ``3 + forward_only`` whole forward passes. Without a window this is the
    forward cost ``stage_costs[exit]``.

    Args:
        stage_costs (Sequence[float]): Forward cost up to the stem (entry 0)
            and up to each stage, crops included, relative to a whole
            forward pass.
        exit (int): The step's exit.
        window (int, optional): Stages updated before the exit; None: all.
        forward_only (float): Forward-only passes per trained pass.
    """
    forward = stage_costs[exit]
    first = 1 if window is None else max(1, exit - window + 1)
    backward = forward - (stage_costs[first - 1] if first > 1 else 0.0)
    return (forward * (1 + forward_only) + 2 * backward) / (3 + forward_only)
