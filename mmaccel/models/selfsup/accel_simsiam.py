from typing import Dict, List

import torch
from mmpretrain.models import SimSiam
from mmpretrain.structures import DataSample

from mmaccel.registry import MODELS
from ..utils import Stream
from .multi_exit import MultiExitMixin


@MODELS.register_module()
class AccelSimSiam(MultiExitMixin, SimSiam):
    """SimSiam with intermediate losses: per exit a projector (the neck's
    head) and a predictor (:class:`MultiExitLatentPredictHead`); each view
    runs through the backbone on its own, as upstream, in lockstep with the
    other. With a single exit and no selector it computes exactly
    :class:`SimSiam`'s loss. SimSiam has no negatives: a crop pair's score
    is its regression loss (the pair whose predictions are farthest from
    their stop-gradient targets is hardest).

    Args: as :class:`MultiExitMixin` and :class:`SimSiam`.
    """

    exit_head = 'MultiExitLatentPredictHead'

    @torch.no_grad()
    def score_pairs(self, stage: int, pooled_q: torch.Tensor,
                    pooled_k: torch.Tensor) -> torch.Tensor:
        """SimSiam's loss of every pair (view 1's crop ``a``, view 2's crop
        ``b``), ``N x M x M``; each view projected on its own."""
        z1, z2 = (self.neck.project_pooled(stage, p)
                  for p in (pooled_q, pooled_k))
        loss = self.head.pair_losses  # [n, a, b]: crop a predicts crop b
        return 0.5 * (loss(stage, z1, z2) + loss(stage, z2, z1).mT)

    def loss(self, inputs: List[torch.Tensor], data_samples: List[DataSample],
             **kwargs) -> Dict[str, torch.Tensor]:
        """SimSiam's loss at the active exit, logged as ``loss_exit{k}``.

        Args:
            inputs (List[torch.Tensor]): The two views.
            data_samples (List[DataSample]): Unused.
        """
        assert isinstance(inputs, list)
        exit = self.active_exit
        f1, f2 = self.run(Stream(inputs[0], 'query'),
                          Stream(inputs[1], 'key'))
        z1, z2 = (self.neck((f, ), exit)[0] for f in (f1, f2))
        loss = self.head.loss(exit, z1, z2) + self.head.loss(exit, z2, z1)
        return {f'loss_exit{exit}': 0.5 * loss}
