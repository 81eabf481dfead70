import math
from typing import Optional, Sequence, Tuple

import torch

from mmaccel.registry import MODELS
from .base_selector import BaseSelector, ScoreFn
from .key_order import KeyOrder

MODES = ('hard', 'easy', 'random')


@MODELS.register_module()
class HardPairSelector(BaseSelector):
    """Block-wise hard pair selection.

    After each stage in ``positions``, the feature maps of the two views are
    each cropped ``num_candidates`` (M) times at random positions, one
    independent draw per sample. Of the ``M x M`` crop pairs, the one with
    the highest contrastive loss (``mode='hard'``; lowest for ``'easy'``; a
    uniformly random one for ``'random'``, which scores nothing) goes on alone
    to the following stages, which then run on smaller maps.

    Crop size: ``max(1, floor(crop_ratio * size + 0.5))`` for the height and
    the width separately (round half up), e.g. 3/4 of a 56 x 56 map is
    42 x 42 and of 21 x 21 is 16 x 16. Offsets are uniform over the valid
    positions. A crop as large as the map (``crop_ratio=1``, or a map too
    small for a smaller crop) leaves the maps as they are: nothing is drawn,
    scored or cut, so a crop schedule (``PartialBackpropHook``'s
    ``crop_schedule``, through :meth:`set_crop_ratio`) switches selection off
    with a ratio of 1.

    Scoring: a crop's pooled feature is the mean of the map over the crop,
    computed with row and column masks (no crop is copied to score it).
    The algorithm's ``score_fn`` projects the pooled features through the
    projection head of that exit and returns the per-pair loss; it runs under
    ``no_grad``, so no gradient reaches the scores or the choice.

    The loss of an exit at a selection position is taken on the full map,
    before cropping: when that exit is the active one, no later stage runs, so
    selecting would save nothing and would drop information. Selection at a
    position therefore only happens when the active exit is a later one.

    Args:
        positions (Sequence[int]): Stages after which to select (paper: 1, 2).
        crop_ratio (float): Crop side as a fraction of the map side, in
            (0, 1]. Defaults to 0.75.
        num_candidates (int): Crops per view, M >= 1. Defaults to 2.
        mode (str): ``'hard'``, ``'easy'`` or ``'random'``. Defaults to
            ``'hard'``.
    """

    def __init__(self,
                 positions: Sequence[int] = (1, 2),
                 crop_ratio: float = 0.75,
                 num_candidates: int = 2,
                 mode: str = 'hard') -> None:
        super().__init__(positions)
        if not isinstance(num_candidates, int) or num_candidates < 1:
            raise ValueError('HardPairSelector: num_candidates must be an '
                             f'integer >= 1; got {num_candidates!r}')
        if mode not in MODES:
            raise ValueError(f'HardPairSelector: mode must be one of {MODES}; '
                             f'got {mode!r}')
        self.crop_ratio = self._check_crop_ratio(crop_ratio)
        self.num_candidates = num_candidates
        self.mode = mode

    @staticmethod
    def _check_crop_ratio(crop_ratio) -> float:
        if isinstance(crop_ratio, bool) or not isinstance(
                crop_ratio, (int, float)) or not 0 < crop_ratio <= 1:
            raise ValueError('HardPairSelector: crop_ratio must be a number '
                             f'in (0, 1]; got {crop_ratio!r}')
        return float(crop_ratio)

    def set_crop_ratio(self, crop_ratio: float) -> None:
        """Change the crop ratio from the next selection on (a crop
        schedule, see ``PartialBackpropHook``); 1 switches selection off."""
        self.crop_ratio = self._check_crop_ratio(crop_ratio)

    def select(self, stage: int, x_q: torch.Tensor, x_k: torch.Tensor,
               score_fn: Optional[ScoreFn],
               key_order: KeyOrder) -> Tuple[torch.Tensor, torch.Tensor]:
        """Cut each view's maps to its crop of the chosen pair.

        Offsets are drawn in each view's own sample order; the key's pooled
        crops are put in the query's order to be scored, and the chosen key
        crop index goes back to the key's order.
        """
        n = x_q.shape[0]
        size = self.crop_size(*x_q.shape[-2:])
        if size == tuple(x_q.shape[-2:]):
            return x_q, x_k  # the crop is the whole map: nothing to select
        with torch.no_grad():
            off_q = self.sample_offsets(x_q)  # N, M, 2 (query order)
            off_k = self.sample_offsets(x_k)  # N, M, 2 (key order)
            pooled_q = pooled_k = None
            if self.needs_scores:
                pooled_q = self.pooled_crops(x_q, off_q, size)
                pooled_k = key_order.to_query(
                    self.pooled_crops(x_k, off_k, size))
            i_q, i_k = self.choose(stage, pooled_q, pooled_k, score_fn, n,
                                   x_q.device)
            i_k = key_order.to_key(i_k)
            rows = torch.arange(n, device=x_q.device)
        return (self.crop(x_q, off_q[rows, i_q], size),
                self.crop(x_k, off_k[rows, i_k], size))

    def crop_size(self, height: int, width: int) -> Tuple[int, int]:
        """Crop size for a map, rounded half up and at least 1."""
        return (max(1, math.floor(self.crop_ratio * height + 0.5)),
                max(1, math.floor(self.crop_ratio * width + 0.5)))

    def sample_offsets(self, x: torch.Tensor) -> torch.Tensor:
        """Top-left corners ``(N, M, 2)`` of M random crops per sample."""
        n, _, h, w = x.shape
        ch, cw = self.crop_size(h, w)
        high = torch.tensor([h - ch + 1, w - cw + 1], device=x.device)
        u = torch.rand(n, self.num_candidates, 2, device=x.device)
        return (u * high).long()

    @staticmethod
    def crop(x: torch.Tensor, offsets: torch.Tensor,
             size: Tuple[int, int]) -> torch.Tensor:
        """One crop per sample: ``x`` ``(N, C, H, W)``, ``offsets`` ``(N, 2)``.

        Returns ``(N, C, h, w)``, gathered in one indexing operation.
        """
        n = x.shape[0]
        rows = offsets[:, 0, None] + torch.arange(size[0], device=x.device)
        cols = offsets[:, 1, None] + torch.arange(size[1], device=x.device)
        batch = torch.arange(n, device=x.device)[:, None, None]
        # advanced indices around a slice put their dims first: N, h, w, C
        out = x[batch, :, rows[:, :, None], cols[:, None, :]]
        out = out.permute(0, 3, 1, 2)
        # keep the caller's memory format (channels-last stays channels-last)
        if x.is_contiguous(memory_format=torch.channels_last):
            return out
        return out.contiguous()

    @staticmethod
    def pooled_crops(x: torch.Tensor, offsets: torch.Tensor,
                     size: Tuple[int, int]) -> torch.Tensor:
        """Mean of ``x`` over each crop: ``(N, M, C)``.

        With 0/1 masks of each crop's rows and columns, the crop sums are one
        batched matrix product and a weighted sum over rows: about
        ``N x M x C x H x W`` multiply-adds, no crop copied, no loop.
        """
        n, c, h, w = x.shape
        m = offsets.shape[1]
        rows = torch.arange(h, device=x.device)
        cols = torch.arange(w, device=x.device)
        y0, x0 = offsets[..., 0, None], offsets[..., 1, None]  # N, M, 1
        row_mask = ((rows >= y0) & (rows < y0 + size[0])).to(x.dtype)
        col_mask = ((cols >= x0) & (cols < x0 + size[1])).to(x.dtype)
        # sum over the crop's columns: N, C*H, M
        col_sums = torch.bmm(x.reshape(n, c * h, w), col_mask.transpose(1, 2))
        col_sums = col_sums.view(n, c, h, m)
        # then over its rows: N, M, C
        sums = torch.einsum('nchm,nmh->nmc', col_sums, row_mask)
        return sums / (size[0] * size[1])

    @torch.no_grad()
    def choose(self, stage: int, pooled_q: Optional[torch.Tensor],
               pooled_k: Optional[torch.Tensor], score_fn: Optional[ScoreFn],
               num_samples: int,
               device: torch.device) -> Tuple[torch.Tensor, torch.Tensor]:
        """Indices ``(N,)`` of the query crop and of the key crop to keep.

        ``pooled_q`` and ``pooled_k`` are the pooled crops ``(N, M, C)`` of
        the two views in the same (query) sample order; unused, and may be
        None, in ``'random'`` mode or with a single candidate.
        """
        m = self.num_candidates
        if self.needs_scores:
            scores = score_fn(stage, pooled_q, pooled_k).reshape(-1, m * m)
            pick = scores.argmax(1) if self.mode == 'hard' \
                else scores.argmin(1)
        else:
            pick = torch.randint(m * m, (num_samples, ), device=device)
        return pick // m, pick % m

    @property
    def needs_scores(self) -> bool:
        """Whether a choice needs the crops scored."""
        return self.mode != 'random' and self.num_candidates > 1
