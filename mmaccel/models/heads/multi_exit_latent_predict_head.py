from typing import List, Optional, Sequence, Union

import torch

from mmaccel.registry import MODELS
from .multi_exit_head import MultiExitHead


@MODELS.register_module()
class MultiExitLatentPredictHead(MultiExitHead):
    """One ``LatentPredictHead`` per exit (BYOL's and SimSiam's predictor and
    regression loss), with the same arguments as upstream's head.

    Args:
        exits (Sequence[int]): The stage number of each exit; the algorithm
            fills in the backbone's exits when left out of its config.
        loss (dict): Config of every exit's loss (``CosineSimilarityLoss``).
        predictor (dict): Config of every exit's predictor.
        init_cfg (dict or list[dict], optional): Initialization config.
    """

    def __init__(self,
                 exits: Sequence[int],
                 loss: dict,
                 predictor: dict,
                 init_cfg: Optional[Union[dict, List[dict]]] = None) -> None:
        super().__init__(
            exits, dict(type='LatentPredictHead', loss=loss,
                        predictor=predictor), init_cfg)

    @torch.no_grad()
    def pair_losses(self, exit: int, z: torch.Tensor,
                    target: torch.Tensor) -> torch.Tensor:
        """The loss of predicting each target crop from each crop, as exit
        ``exit``'s head would take it on that pair alone.

        Args:
            exit (int): The exit.
            z (Tensor): Projections of one view's candidates, ``N x M x D``.
            target (Tensor): Targets of the other view's, ``N x M x D``.

        Returns:
            Tensor: ``N x M x M``; ``[n, a, b]`` for crop ``a`` predicting
            target crop ``b`` of sample ``n``.
        """
        head = self.head(exit)
        n, m, d = z.shape
        pred = head.predictor([z.reshape(n * m, d)])[0].view(n, m, 1, -1)
        pred, target = torch.broadcast_tensors(pred, target[:, None])
        # the loss module on one pair at a time, all pairs at once
        losses = torch.func.vmap(head.loss_module)(
            pred.reshape(n * m * m, -1), target.reshape(n * m * m, -1))
        return losses.view(n, m, m)
