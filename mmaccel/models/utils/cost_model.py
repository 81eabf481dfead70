"""Analytic MACs of a backbone up to each exit, crops included.

The cost model of the design: a step that exits after
stage ``k`` runs the stem and stages ``1..k``; at each selector position
before ``k`` the map is cut to the selector's crop size, so the following
stages run on the smaller map. The maps go through the backbone's own stage
loop (``MultiExitResNet.forward_stages``, which training runs too), cut to
``selector.crop_size`` at its positions. MACs are multiply-accumulates of the
convolutions and linear layers of one image's forward pass (batch norm,
activations and pooling, a fraction of a percent, are left out), counted
with forward hooks on the real modules, so any ResNet variant counts right.
"""
from typing import Dict, List, Optional, Sequence, Tuple

import torch
from torch import nn

__all__ = [
    'count_macs', 'backbone_macs_to_exit', 'cumulative_macs', 'map_sizes',
    'expected_macs', 'step_cost'
]


def count_macs(fn, module: nn.Module) -> int:
    """MACs of the convolutions and linear layers inside ``module`` that run
    while ``fn()`` is called (summed over the batch)."""
    return sum(_macs_per_group(fn, module, lambda m: 0).values())


def _macs_per_group(fn, module: nn.Module, group) -> Dict[object, int]:
    """:func:`count_macs` per ``group(layer)`` of the layers that ran."""
    totals: Dict[object, int] = {}

    def add(m: nn.Module, macs: int) -> None:
        key = group(m)
        totals[key] = totals.get(key, 0) + macs

    def conv_hook(m, inputs, out):
        kh, kw = m.kernel_size
        add(m, out.numel() * (m.in_channels // m.groups * kh * kw))

    def linear_hook(m, inputs, out):
        add(m, out.numel() * m.in_features)

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
    return totals


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
    if exit is None:
        return count_macs(lambda: backbone(x), backbone) // x.shape[0]
    return sum(_trace(backbone, x, exit, selector)[0]) // x.shape[0]


def cumulative_macs(backbone: nn.Module,
                    x: torch.Tensor,
                    last: int,
                    selector=None) -> List[int]:
    """MACs per image of a :class:`MultiExitResNet` up to the stem and up to
    each stage ``1..last``, in one pass: entry ``s`` equals
    ``backbone_macs_to_exit(backbone, x, s, selector)`` (entry 0: the stem
    alone). Maps are cut at ``selector.positions`` before ``last``, which
    changes only the stages after each position."""
    out = []
    for macs in _trace(backbone, x, last, selector)[0]:
        out.append(macs // x.shape[0] + (out[-1] if out else 0))
    return out


def map_sizes(backbone: nn.Module,
              x: torch.Tensor,
              exit: int,
              selector=None) -> Dict[int, Tuple[int, int]]:
    """Height and width of the map that each stage ``1..exit`` of a
    :class:`MultiExitResNet` puts out in a step at ``exit``, before any cut
    after it: stage ``s + 1`` gets ``selector.crop_size`` of stage ``s``'s
    map if ``s`` is one of ``selector.positions`` before ``exit``, else all
    of it."""
    return _trace(backbone, x, exit, selector)[1]


def _trace(backbone: nn.Module, x: torch.Tensor, last: int,
           selector) -> Tuple[List[int], Dict[int, Tuple[int, int]]]:
    """Run the backbone's stage loop to ``last``, cut as a step at exit
    ``last`` cuts. Returns the MACs (summed over the batch) of the stem
    (entry 0) and of each stage ``1..last``, and each stage's output size.
    """
    def crop(stage: int, h: torch.Tensor) -> torch.Tensor:
        height, width = selector.crop_size(*h.shape[-2:])
        return h[..., :height, :width]  # only the size matters here

    layers = [getattr(backbone, name) for name in backbone.res_layers]
    stage_of = {m: stage for stage, layer in enumerate(layers, 1)
                for m in layer.modules()}  # 0 (absent): the stem
    sizes = {}

    def record_size(stage: int):
        def hook(module, inputs, out):
            sizes[stage] = tuple(out.shape[-2:])
        return hook

    handles = [layer.register_forward_hook(record_size(stage))
               for stage, layer in enumerate(layers[:last], 1)]
    positions = selector.positions if selector is not None else ()
    try:
        macs = _macs_per_group(
            lambda: backbone.forward_stages(x, last, crop, positions),
            backbone, lambda m: stage_of.get(m, 0))
    finally:
        for h in handles:
            h.remove()
    return [macs.get(stage, 0) for stage in range(last + 1)], sizes


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
