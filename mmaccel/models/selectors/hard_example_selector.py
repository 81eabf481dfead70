import math
from typing import Sequence, Tuple

import torch

from mmaccel.registry import MODELS
from .base_selector import BaseSelector, ScoreFn
from .key_order import KeyOrder


@MODELS.register_module()
class HardExampleSelector(BaseSelector):
    """Hardest examples of the batch: the paper's Table 5 baseline.

    Instead of cutting every sample's maps to a crop pair, keep whole maps of
    the hardest samples only: after each stage in ``positions`` the samples
    whose two views have the highest contrastive loss (scored like crop pairs,
    with M = 1 and the crop the whole map) go on, the others stop. With
    ``keep_ratio`` equal to the area that 3/4 crops keep (0.5625), the later
    stages cost the same as with :class:`HardPairSelector`.

    The number kept on each rank is ``max(1, floor(keep_ratio * N + 0.5))``
    of its ``N`` samples, so all ranks keep the same number (SimCLR gathers
    equal-sized tensors). Algorithms whose loss needs a fixed batch (MoCo's
    queue and shuffled keys, SwAV's queue and crops) reject it when built.

    Args:
        positions (Sequence[int]): Stages after which to select.
        keep_ratio (float): Fraction of the samples kept, in (0, 1].
            Defaults to 0.5625.
    """

    selects_examples = True

    def __init__(self,
                 positions: Sequence[int] = (1, 2),
                 keep_ratio: float = 0.5625) -> None:
        super().__init__(positions)
        if not isinstance(keep_ratio, (int, float)) or not 0 < keep_ratio <= 1:
            raise ValueError('HardExampleSelector: keep_ratio must be a '
                             f'number in (0, 1]; got {keep_ratio!r}')
        self.keep_ratio = float(keep_ratio)

    def num_kept(self, n: int) -> int:
        """Samples kept of ``n``, rounded half up and at least 1."""
        return max(1, math.floor(self.keep_ratio * n + 0.5))

    def select(self, stage: int, x_q: torch.Tensor, x_k: torch.Tensor,
               score_fn: ScoreFn,
               key_order: KeyOrder) -> Tuple[torch.Tensor, torch.Tensor]:
        """Keep the hardest samples' whole maps, hardest first.

        Both views must be in the same sample order (``key_order`` the
        identity): the algorithms that shuffle keys reject this selector.
        """
        with torch.no_grad():
            pooled_q = x_q.mean((2, 3))[:, None]  # N, 1, C
            pooled_k = x_k.mean((2, 3))[:, None]
            scores = score_fn(stage, pooled_q, pooled_k).flatten(1)[:, 0]
            keep = scores.topk(self.num_kept(len(scores))).indices
        return x_q[keep], x_k[keep]
