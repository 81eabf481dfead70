"""The pair runner: steps the passes of a view pair stage by stage, in
lockstep, up to the active exit, and lets the selector act between stages.

It is the one place that knows the order "stage, maybe select, next stage";
every accelerated algorithm calls it (through ``MultiExitMixin.run``). The
stepping itself is the backbone's stage loop
(:func:`~mmaccel.models.backbones.forward_in_lockstep`), which the cost model
and the preflight check run too; the selector is its cut.
"""
from typing import Dict, List, NamedTuple, Optional, Sequence

import torch
from torch import nn

from ..backbones import forward_in_lockstep
from ..selectors import BaseSelector, KeyOrder, ScoreFn

# where a pass's batch sits in the view pair
VIEWS = ('query', 'key', 'interleaved', 'stacked')


class Stream(NamedTuple):
    """One pass of a training step: ``x`` through ``encoder`` to the exit.

    Args:
        x (Tensor): The input batch.
        view (str): ``'query'`` or ``'key'`` (one view of the pair), or both
            views in one batch, so that batch norm sees both as upstream
            does: ``'interleaved'`` (sample 1 view 1, sample 1 view 2, ...,
            as SimCLR stacks them) or ``'stacked'`` (``[view 1; view 2]``,
            as SwAV concatenates them).
        encoder (nn.Module, optional): A steppable backbone
            (:class:`MultiExitResNet`); None: the algorithm's own.
        grad (bool): Whether the pass is trained; False runs it under
            ``no_grad`` (a momentum encoder). Defaults to True.
    """
    x: torch.Tensor
    view: str = 'query'
    encoder: Optional[nn.Module] = None
    grad: bool = True


def _split(h: torch.Tensor, view: str):
    if view == 'interleaved':
        pair = h.unflatten(0, (-1, 2))
        return pair[:, 0], pair[:, 1]
    return h.chunk(2)


def _merge(q: torch.Tensor, k: torch.Tensor, view: str) -> torch.Tensor:
    if view == 'interleaved':
        return torch.stack((q, k), 1).flatten(0, 1)
    return torch.cat((q, k))


def _cat(parts: List[torch.Tensor]) -> torch.Tensor:
    return parts[0] if len(parts) == 1 else torch.cat(parts, 1)


def _select(selector: BaseSelector, stage: int, maps: List[torch.Tensor],
            streams: Sequence[Stream], score_fn: Optional[ScoreFn],
            key_order: KeyOrder) -> List[torch.Tensor]:
    """Gather the query and key parts of every pass, select once, and put
    the results back. Passes of the same view (BYOL's online and target
    encoders) are concatenated along channels, so that they are cut alike
    and scored together (``score_fn`` gets their pooled channels side by
    side, in the order of the passes)."""
    q_parts, k_parts = [], []
    for h, s in zip(maps, streams):
        if s.view == 'query':
            q_parts.append(h)
        elif s.view == 'key':
            k_parts.append(h)
        else:
            q, k = _split(h, s.view)
            q_parts.append(q)
            k_parts.append(k)
    x_q, x_k = selector.select(stage, _cat(q_parts), _cat(k_parts), score_fn,
                               key_order)
    q_parts = list(x_q.split([q.shape[1] for q in q_parts], 1))
    k_parts = list(x_k.split([k.shape[1] for k in k_parts], 1))
    out = []
    for s in streams:
        if s.view == 'query':
            out.append(q_parts.pop(0))
        elif s.view == 'key':
            out.append(k_parts.pop(0))
        else:
            out.append(_merge(q_parts.pop(0), k_parts.pop(0), s.view))
    return out


def run_pair(streams: Sequence[Stream],
             *,
             exit: int,
             selector: Optional[BaseSelector] = None,
             score_fn: Optional[ScoreFn] = None,
             key_order: Optional[KeyOrder] = None,
             update_window: Optional[int] = None,
             tap: Optional[Dict[int, List[torch.Tensor]]] = None
             ) -> List[torch.Tensor]:
    """Run the passes of a view pair up to ``exit``, selecting on the way.

    Every pass runs the stem, then stage by stage, all passes in lockstep
    (in the order given, so each encoder's batch norm sees its batches in
    that order). After each of the selector's positions before ``exit`` the
    query and key parts of all passes go to ``selector.select`` together.
    A pair needs a query and a key part: a ``'query'`` and a ``'key'`` pass,
    or a pass with both views.

    Args:
        streams (Sequence[Stream]): The passes, each with its own encoder.
        exit (int): The active exit (stage number).
        selector (BaseSelector, optional): Acts after its positions.
        score_fn (ScoreFn, optional): Scores crop pairs; passed to the
            selector.
        key_order (KeyOrder, optional): Sample order of the key view.
            Defaults to the query's.
        update_window (int, optional): Update only the last this many stages
            up to ``exit``: the stem and the stages before them run under
            ``no_grad`` in trained passes (an ablation of the paper's
            Table 4). Defaults to None: everything up to the exit is updated.
        tap (dict, optional): If given, every pass's whole map at each
            selection that happens (a position before ``exit``) is stored in
            it, before the selector cuts it: ``tap[stage]`` is a list in the
            order of the passes (used to train the scoring heads).

    Returns:
        list[Tensor]: Each pass's map after stage ``exit``, in its layout.
    """
    streams = list(streams)
    bad = [s.view for s in streams if s.view not in VIEWS]
    if bad or any(s.encoder is None for s in streams):
        raise ValueError(f'run_pair: every pass needs an encoder and a view '
                         f'in {VIEWS}; got views {[s.view for s in streams]}')
    views = {s.view for s in streams}
    if selector is not None and (views <= {'query'} or views <= {'key'}):
        raise ValueError('run_pair: selection needs both views of the pair; '
                         f'got passes of views {sorted(views)}')
    key_order = key_order or KeyOrder()
    positions = selector.positions if selector is not None else ()
    first = 1 if update_window is None else max(1, exit - update_window + 1)

    def select(stage: int, maps: List[torch.Tensor]) -> List[torch.Tensor]:
        if tap is not None:
            tap[stage] = list(maps)
        return _select(selector, stage, maps, streams, score_fn, key_order)

    return forward_in_lockstep(
        [s.encoder for s in streams], [s.x for s in streams],
        exit,
        cut=select if selector is not None else None,
        cut_after=positions,
        grad_from=[first if s.grad else exit + 1 for s in streams])
