from typing import Dict, List

import torch
from mmpretrain.models import SwAV
from mmpretrain.structures import DataSample

from mmaccel.registry import MODELS
from ..utils import Stream
from .extra_state import load_swav_queue_state, swav_queue_state
from .multi_exit import MultiExitMixin


@MODELS.register_module()
class AccelSwAV(MultiExitMixin, SwAV):
    """SwAV with intermediate contrastive losses.

    MMPretrain's :class:`SwAV` with a :class:`MultiExitResNet` backbone, an
    :class:`IntermediateContrastiveNeck` of ``SwAVNeck`` heads and a
    :class:`MultiExitSwAVHead`: each exit has its own prototypes, queue and
    Sinkhorn assignment. Each step runs every crop to the active exit only.
    With a single exit and no selector it computes exactly :class:`SwAV`'s
    loss; it works with MMPretrain's ``SwAVHook``.

    Multi-crop: crops are grouped by resolution as upstream. The first group,
    the two large views whose codes every crop predicts, is cut to the
    chosen crop pair at selector positions. The small crops run to the exit
    unselected: they have no partner view to pair with, are already local
    views (selection's purpose), and at 96 px (tiny: 16 px) a further 3/4
    crop would leave maps of a few pixels.

    Scoring: a crop pair's SwAV loss at that exit (the head's
    :meth:`MultiExitSwAVHead.score_pairs`). It ranks pairs by the loss that
    the pair goes on to train, as the paper's criterion asks; SwAV's heads are
    not trained for instance discrimination, so InfoNCE on their projections
    would rank by a quantity that no exit optimises.

    Args: as :class:`MultiExitMixin` (``backbone``, ``neck``, ``head``,
    ``selector``, ``update_window``) and :class:`SwAV`.
    """

    exit_head = 'MultiExitSwAVHead'

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        loss = self.head.head(self.exits[-1]).loss_module
        if self.selector is not None and (loss.num_crops[0] != 2 or list(
                loss.crops_for_assign) != [0, 1]):
            raise ValueError(
                'AccelSwAV: selection needs two large views that assign codes '
                '(num_crops[0] == 2, crops_for_assign == [0, 1]); got '
                f'num_crops={loss.num_crops}, crops_for_assign='
                f'{loss.crops_for_assign}')

    def extra_state(self) -> Dict[str, object]:
        """Every exit's queue (``exits x crops x L x D``, None before the
        queue starts), which ``SwAVHook`` saves only per epoch."""
        return swav_queue_state(self)

    def load_extra_state(self, state: Dict[str, object]) -> None:
        """Put the queues of :meth:`extra_state` back."""
        load_swav_queue_state(self, state)

    @torch.no_grad()
    def score_pairs(self, stage: int, pooled_q: torch.Tensor,
                    pooled_k: torch.Tensor) -> torch.Tensor:
        """Swapped-prediction loss of every crop pair, ``N x M x M``; both
        views' candidates are projected in one batch."""
        z = self.neck.project_pooled(stage, torch.cat((pooled_q, pooled_k)))
        return self.head.score_pairs(stage, *z.chunk(2))

    def loss(self, inputs: List[torch.Tensor], data_samples: List[DataSample],
             **kwargs) -> Dict[str, torch.Tensor]:
        """SwAV's loss at the active exit, logged as ``loss_exit{k}``.

        Args:
            inputs (List[torch.Tensor]): The crops, large ones first.
            data_samples (List[DataSample]): Unused.
        """
        assert isinstance(inputs, list)
        exit = self.active_exit
        # crops of one resolution run as one batch, as upstream
        idx_crops = torch.cumsum(
            torch.unique_consecutive(
                torch.tensor([input.shape[-1] for input in inputs]),
                return_counts=True)[1], 0)
        start_idx = 0
        output = []
        for end_idx in idx_crops.tolist():
            x = torch.cat(inputs[start_idx:end_idx])
            large = start_idx == 0 and end_idx == 2  # the two large views
            output.append(tuple(self.run(Stream(x, 'stacked'), select=large)))
            start_idx = end_idx
        z = self.neck.head(exit)(output)  # sum(num_crops) * N x C
        return {f'loss_exit{exit}': self.head.loss(exit, z)}
