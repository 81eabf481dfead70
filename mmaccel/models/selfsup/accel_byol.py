from typing import Dict, List

import torch
from mmpretrain.models import BYOL
from mmpretrain.structures import DataSample
from torch import nn

from mmaccel.registry import MODELS
from ..utils import Stream
from .multi_exit import MultiExitMixin


@MODELS.register_module()
class AccelBYOL(MultiExitMixin, BYOL):
    """BYOL with intermediate losses: per exit a projector (the neck's head)
    and a predictor (:class:`MultiExitLatentPredictHead`); the momentum
    target is upstream's (``CosineEMA`` of backbone and every projector).
    With a single exit and no selector it computes exactly :class:`BYOL`'s
    loss. BYOL has no negatives: a crop pair's score is its regression loss
    (the pair whose predictions are farthest from their targets is hardest).

    Args: as :class:`MultiExitMixin` and :class:`BYOL`.
    """

    exit_head = 'MultiExitLatentPredictHead'

    @torch.no_grad()
    def score_pairs(self, stage: int, pooled_q: torch.Tensor,
                    pooled_k: torch.Tensor) -> torch.Tensor:
        """BYOL's loss of every pair (view 1's crop ``a``, view 2's crop
        ``b``), ``N x M x M``. Each view's pooled channels hold the online
        map's, then the target's (its two passes are cut alike)."""
        (o1, t1), (o2, t2) = pooled_q.chunk(2, -1), pooled_k.chunk(2, -1)
        online, target = self.neck, self.target_net.module[1]
        z1, z2 = (online.project_pooled(stage, o) for o in (o1, o2))
        y1, y2 = (target.project_pooled(stage, t) for t in (t1, t2))
        loss = self.head.pair_losses  # [n, a, b]: crop a predicts crop b
        return 2. * (loss(stage, z1, y2) + loss(stage, z2, y1).mT)

    def loss(self, inputs: List[torch.Tensor], data_samples: List[DataSample],
             **kwargs) -> Dict[str, torch.Tensor]:
        """BYOL's loss at the active exit, logged as ``loss_exit{k}``.

        Args:
            inputs (List[torch.Tensor]): The two views.
            data_samples (List[DataSample]): Unused.
        """
        assert isinstance(inputs, list)
        exit = self.active_exit
        backbone_t, neck_t = self.target_net.module
        with torch.no_grad():  # before the target's passes (upstream: after
            # the online ones; the same weights, only BN buffers differ)
            self.target_net.update_parameters(
                nn.Sequential(self.backbone, self.neck))
        f1, f2, t1, t2 = self.run(
            Stream(inputs[0], 'query'), Stream(inputs[1], 'key'),
            Stream(inputs[0], 'query', backbone_t, grad=False),
            Stream(inputs[1], 'key', backbone_t, grad=False))
        z1, z2 = (self.neck((f, ), exit)[0] for f in (f1, f2))
        with torch.no_grad():
            y1, y2 = (neck_t((t, ), exit)[0] for t in (t1, t2))
        loss = self.head.loss(exit, z1, y2) + self.head.loss(exit, z2, y1)
        return {f'loss_exit{exit}': 2. * loss}
