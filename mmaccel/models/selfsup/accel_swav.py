from typing import Dict, List, Optional, Union

import torch
from mmpretrain.models import SwAV
from mmpretrain.models.losses.swav_loss import distributed_sinkhorn
from mmpretrain.structures import DataSample
from torch import nn

from mmaccel.registry import MODELS
from ..utils import run_pair
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
    the two large views whose codes every crop predicts, runs through the
    pair runner and is cut to the chosen crop pair at selector positions.
    The small crops run to the exit unselected: they have no partner view to
    pair with, are already local views (selection's purpose), and at 96 px
    (tiny: 16 px) a further 3/4 crop would leave maps of a few pixels.

    Scoring: a crop pair's SwAV loss at that exit, i.e. the per-sample
    swapped prediction ``-(q_b . log p_a + q_a . log p_b) / 2`` through the
    exit's projection and prototypes, with codes ``q`` from Sinkhorn over each
    view's ``N x M`` candidates (no queue). It ranks pairs by the loss that
    the pair goes on to train, as the paper's criterion asks; SwAV's heads are
    not trained for instance discrimination, so InfoNCE on their projections
    would rank by a quantity that no exit optimises.

    Args:
        backbone (dict): Config of a :class:`MultiExitResNet`.
        neck (dict): Config of an :class:`IntermediateContrastiveNeck` of
            ``SwAVNeck`` heads.
        head (dict): Config of a :class:`MultiExitSwAVHead`; its ``exits``
            default to the backbone's.
        selector (dict, optional): Config of a :class:`HardPairSelector`.
        update_window (int, optional): Update only the last this many stages
            up to the active exit (ablation, paper's Table 4). Defaults to
            None: all of them (the method).
        pretrained (str, optional): Checkpoint to initialise from.
        data_preprocessor (dict, optional): As :class:`SwAV`.
        init_cfg (dict or list[dict], optional): Initialization config.
    """

    def __init__(self,
                 backbone: dict,
                 neck: dict,
                 head: dict,
                 selector: Optional[dict] = None,
                 update_window: Optional[int] = None,
                 pretrained: Optional[str] = None,
                 data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[Union[List[dict], dict]] = None) -> None:
        backbone = self._build(backbone)
        if isinstance(head, dict) and 'exits' not in head:
            head = dict(head, exits=getattr(backbone, 'exits', None))
        super().__init__(
            backbone,
            self._build(neck),
            self._build(head),
            pretrained=pretrained,
            data_preprocessor=data_preprocessor,
            init_cfg=init_cfg)
        self._init_exits(selector, update_window)
        if getattr(self.head, 'exits', None) != self.exits:
            raise ValueError(
                'AccelSwAV: the head must be a MultiExitSwAVHead with one '
                f'SwAV loss per backbone exit {self.exits}; got '
                f'{type(self.head).__name__} with exits '
                f'{getattr(self.head, "exits", None)}')
        loss = self.head.head(self.exits[-1]).loss_module
        if self.selector is not None and (loss.num_crops[0] != 2 or list(
                loss.crops_for_assign) != [0, 1]):
            raise ValueError(
                'AccelSwAV: selection needs two large views that assign codes '
                '(num_crops[0] == 2, crops_for_assign == [0, 1]); got '
                f'num_crops={loss.num_crops}, crops_for_assign='
                f'{loss.crops_for_assign}')

    @torch.no_grad()
    def _score_pairs(self, stage: int, pooled_q: torch.Tensor,
                     pooled_k: torch.Tensor) -> torch.Tensor:
        """Swapped-prediction loss of every crop pair, ``N x M x M``."""
        n, m, c = pooled_q.shape
        loss = self.head.head(stage).loss_module
        pooled = torch.cat((pooled_q, pooled_k)).reshape(2 * n * m, c)
        z = self.neck.head(stage).forward_projection(pooled)
        w = nn.functional.normalize(loss.prototypes.weight, dim=1)
        scores = (z @ w.t()).view(2, n * m, -1)  # view, candidates, K
        codes = torch.stack([
            distributed_sinkhorn(s, loss.sinkhorn_iterations,
                                 loss.world_size, loss.epsilon)
            for s in scores
        ]).view(2, n, m, -1)
        logp = scores.div(loss.temperature).log_softmax(-1).view(2, n, m, -1)
        return -(torch.einsum('nbk,nak->nab', codes[1], logp[0]) +
                 torch.einsum('nak,nbk->nab', codes[0], logp[1])) / 2

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
            if start_idx == 0 and end_idx == 2:  # the two large views
                f = run_pair(self.backbone, x, exit=exit,
                             selector=self.selector,
                             score_fn=self._score_pairs,
                             update_window=self.update_window)
            else:  # small crops: no selection, same update window
                f = run_pair(self.backbone, x, exit=exit,
                             update_window=self.update_window)
            output.append((f, ))
            start_idx = end_idx
        z = self.neck.head(exit)(output)  # sum(num_crops) * N x C
        return {f'loss_exit{exit}': self.head.loss(z, exit)}
