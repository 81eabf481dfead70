"""The pair runner: steps the two views of a pair stage by stage, in lockstep,
up to the active exit, and selects a crop pair between stages.

It is the one place that knows the order "stage, maybe select, next stage";
every accelerated algorithm calls :func:`run_pair`.
"""
from contextlib import nullcontext
from typing import Optional, Tuple

import torch
from mmengine.dist import all_gather, get_rank
from mmpretrain.models.utils import batch_unshuffle_ddp

from .hard_pair_selector import HardPairSelector, ScoreFn


class KeyOrder:
    """Maps per-sample tensors between the query's and the key's sample order.

    The identity: both views are in the same order.
    """

    def to_query(self, x: torch.Tensor) -> torch.Tensor:
        """From the key encoder's sample order to the query's."""
        return x

    def to_key(self, x: torch.Tensor) -> torch.Tensor:
        """From the query's sample order to the key encoder's."""
        return x


class ShuffledKeyOrder(KeyOrder):
    """The key batch was shuffled across ranks by ``batch_shuffle_ddp``.

    Only small per-sample tensors (pooled crops, crop indices) cross ranks.

    Args:
        idx_unshuffle (Tensor): As returned by ``batch_shuffle_ddp``.
    """

    def __init__(self, idx_unshuffle: torch.Tensor) -> None:
        self.idx_unshuffle = idx_unshuffle

    def to_query(self, x: torch.Tensor) -> torch.Tensor:
        return batch_unshuffle_ddp(x, self.idx_unshuffle)

    def to_key(self, x: torch.Tensor) -> torch.Tensor:
        x_all = torch.cat(all_gather(x))
        idx_shuffle = torch.argsort(self.idx_unshuffle)
        idx_this = idx_shuffle.view(-1, x.shape[0])[get_rank()]
        return x_all[idx_this.to(x.device)]


def _select(selector: HardPairSelector, stage: int, x_q: torch.Tensor,
            x_k: torch.Tensor, score_fn: Optional[ScoreFn],
            key_order: KeyOrder) -> Tuple[torch.Tensor, torch.Tensor]:
    """Crop both views to the chosen pair (or keep the chosen samples)."""
    if getattr(selector, 'selects_examples', False):
        keep = selector.choose(stage, x_q, x_k, score_fn)
        return x_q[keep], x_k[keep]
    n = x_q.shape[0]
    size = selector.crop_size(*x_q.shape[-2:])
    with torch.no_grad():
        off_q = selector.sample_offsets(x_q)  # N, M, 2 (query order)
        off_k = selector.sample_offsets(x_k)  # N, M, 2 (key order)
        pooled_q = pooled_k = None
        if selector.needs_scores:
            pooled_q = selector.pooled_crops(x_q, off_q, size)
            pooled_k = key_order.to_query(
                selector.pooled_crops(x_k, off_k, size))
        i_q, i_k = selector.choose(stage, pooled_q, pooled_k, score_fn, n,
                                   x_q.device)
        i_k = key_order.to_key(i_k)
        rows = torch.arange(n, device=x_q.device)
    return (selector.crop(x_q, off_q[rows, i_q], size),
            selector.crop(x_k, off_k[rows, i_k], size))


def _split(x: torch.Tensor, interleaved: bool):
    if interleaved:
        views = x.unflatten(0, (-1, 2))
        return views[:, 0], views[:, 1]
    return x.chunk(2)


def _merge(a: torch.Tensor, b: torch.Tensor, interleaved: bool):
    if interleaved:
        return torch.stack((a, b), 1).flatten(0, 1)
    return torch.cat((a, b))


def run_pair(encoder_q,
             x_q: torch.Tensor,
             x_k: Optional[torch.Tensor] = None,
             *,
             exit: int,
             encoder_k=None,
             selector: Optional[HardPairSelector] = None,
             score_fn: Optional[ScoreFn] = None,
             key_order: Optional[KeyOrder] = None,
             interleaved: bool = False,
             update_window: Optional[int] = None):
    """Run a view pair up to ``exit``, selecting crop pairs on the way.

    Two modes:

    - Two encoders (MoCo): ``encoder_k`` is the momentum encoder's backbone;
      ``x_k`` runs through it under ``no_grad``, possibly in another sample
      order (``key_order``, for shuffle-BN). Returns ``(f_q, f_k)``.
    - One encoder (SimCLR, SwAV): ``x_q`` holds both views stacked along the
      batch, so that batch norm sees both as upstream does: alternating
      (``interleaved=True``, as SimCLR stacks them) or view-major
      (``[view 1; view 2]``, as SwAV concatenates them). Returns the stacked
      feature map in the same layout.

    The selector acts after each of its positions that is before ``exit``.

    Args:
        encoder_q: A :class:`MultiExitResNet` (steppable backbone).
        x_q (Tensor): Query view, or both views stacked (one-encoder mode).
        x_k (Tensor, optional): Key view (two-encoder mode).
        exit (int): The active exit (stage number).
        encoder_k: The key backbone (two-encoder mode).
        selector (HardPairSelector, optional): Crop pair selection.
        score_fn (callable, optional): Scores crop pairs, see
            :data:`ScoreFn`; needed by a scoring selector.
        key_order (KeyOrder, optional): Sample order of the key view.
            Defaults to the query's.
        interleaved (bool): Layout of the stacked views (one-encoder mode).
        update_window (int, optional): Update only the last this many stages
            up to ``exit``: the stem and the stages before them run under
            ``no_grad`` (an ablation of the paper's Table 4). Defaults to
            None: everything up to the exit is updated (the method).
    """
    two = encoder_k is not None
    if two == (x_k is None):
        raise ValueError('run_pair: pass x_k with encoder_k (two encoders), '
                         'or neither (one encoder on stacked views)')
    key_order = key_order or KeyOrder()
    positions = selector.positions if selector is not None else ()
    key_ctx = torch.no_grad if two else nullcontext

    first = 1 if update_window is None else max(1, exit - update_window + 1)

    def q_ctx(frozen: bool):
        return torch.no_grad() if frozen else nullcontext()

    with q_ctx(first > 1):  # the stem
        h = encoder_q.forward_stem(x_q)
    if two:
        with key_ctx():
            h_k = encoder_k.forward_stem(x_k)
    for stage in range(1, exit + 1):
        with q_ctx(stage < first):
            h = encoder_q.forward_stage(stage, h)
        if two:
            with key_ctx():
                h_k = encoder_k.forward_stage(stage, h_k)
        if stage in positions and stage < exit:
            if two:
                h, h_k = _select(selector, stage, h, h_k, score_fn, key_order)
            else:
                q, k = _split(h, interleaved)
                q, k = _select(selector, stage, q, k, score_fn, key_order)
                h = _merge(q, k, interleaved)
    return (h, h_k) if two else h
