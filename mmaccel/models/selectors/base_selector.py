from typing import Callable, Sequence, Tuple

import torch
from torch import nn

from .key_order import KeyOrder

# score_fn(stage, pooled_q, pooled_k) -> scores: pooled crops of shape
# (N, M, C) for each view, both in the query's sample order; scores (N, M, M)
# with scores[n, a, b] the loss of query crop a against key crop b of sample
# n (the higher, the harder). Each algorithm provides one: `score_pairs`.
ScoreFn = Callable[[int, torch.Tensor, torch.Tensor], torch.Tensor]


class BaseSelector(nn.Module):
    """What the pair runner needs of a selector: ``positions`` and
    :meth:`select`.

    Args:
        positions (Sequence[int]): Stages after which to select, distinct and
            increasing. The algorithm checks that they are exits before the
            last one.
    """

    # True if select() keeps fewer samples than it gets (algorithms whose
    # loss needs a fixed batch reject such a selector when built)
    selects_examples = False

    def __init__(self, positions: Sequence[int] = (1, 2)) -> None:
        super().__init__()
        positions = tuple(positions)
        if list(positions) != sorted(set(positions)) or not all(
                isinstance(p, int) for p in positions):
            raise ValueError(f'{type(self).__name__}: positions must be '
                             'distinct stage numbers in increasing order; '
                             f'got {positions!r}')
        self.positions = positions

    def select(self, stage: int, x_q: torch.Tensor, x_k: torch.Tensor,
               score_fn: ScoreFn,
               key_order: KeyOrder) -> Tuple[torch.Tensor, torch.Tensor]:
        """Cut the two views' maps after ``stage``.

        Args:
            stage (int): The stage just run (one of ``positions``).
            x_q (Tensor): Query view's maps ``(N, C, H, W)``.
            x_k (Tensor): Key view's maps, in the key's sample order.
            score_fn (ScoreFn): Scores crop pairs (see :data:`ScoreFn`).
            key_order (KeyOrder): Maps the key's sample order to the query's.

        Returns:
            tuple[Tensor, Tensor]: The maps that the next stage gets, in the
            same sample orders. Gradient must reach the maps through them; no
            gradient may reach the choice (score under ``no_grad``).
        """
        raise NotImplementedError
