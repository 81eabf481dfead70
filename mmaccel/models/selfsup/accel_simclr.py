from typing import Dict, List, Optional, Union

import torch
from mmengine.dist import all_gather
from mmpretrain.models import SimCLR
from mmpretrain.models.selfsup.simclr import GatherLayer
from mmpretrain.structures import DataSample
from torch import nn

from mmaccel.registry import MODELS
from ..utils import info_nce, run_pair
from .multi_exit import MultiExitMixin


@MODELS.register_module()
class AccelSimCLR(MultiExitMixin, SimCLR):
    """SimCLR with intermediate contrastive losses.

    MMPretrain's :class:`SimCLR` with a :class:`MultiExitResNet` backbone and
    an :class:`IntermediateContrastiveNeck` of ``NonLinearNeck`` heads (one
    per exit). Each step runs the stacked views (alternating, as upstream
    stacks them, so batch norm sees the same batch) to the active exit only,
    cutting both views to the chosen crop pair at selector positions, and
    takes SimCLR's loss (in-batch negatives gathered from all ranks) at that
    exit. With a single exit and no selector it computes exactly
    :class:`SimCLR`'s loss.

    Crop pairs are scored by InfoNCE through the exit's head, symmetrised
    over the two views as SimCLR's loss is: the query crop ``a`` of one view
    against the key crop ``b`` of the other, with every candidate crop of
    the other view in the (gathered) batch as negatives. Those include the
    sample's own ``M`` candidates: :func:`info_nce` takes negatives shared by
    all queries, and for a fixed query the choice among key crops is
    unaffected (the score falls as the positive similarity rises).

    Args:
        backbone (dict): Config of a :class:`MultiExitResNet`.
        neck (dict): Config of an :class:`IntermediateContrastiveNeck`.
        head (dict): Config of the head (``ContrastiveHead``).
        selector (dict, optional): Config of a :class:`HardPairSelector`.
        update_window (int, optional): Update only the last this many stages
            up to the active exit (ablation, paper's Table 4). Defaults to
            None: all of them (the method).
        pretrained (str, optional): Checkpoint to initialise from.
        data_preprocessor (dict, optional): As :class:`SimCLR`.
        init_cfg (dict or list[dict], optional): Initialization config.
    """

    # SimCLR's loss takes any (equal per rank) batch: HardExampleSelector works
    supports_example_selection = True

    def __init__(self,
                 backbone: dict,
                 neck: dict,
                 head: dict,
                 selector: Optional[dict] = None,
                 update_window: Optional[int] = None,
                 pretrained: Optional[str] = None,
                 data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[Union[List[dict], dict]] = None) -> None:
        super().__init__(
            self._build(backbone),
            self._build(neck),
            self._build(head),
            pretrained=pretrained,
            data_preprocessor=data_preprocessor,
            init_cfg=init_cfg)
        self._init_exits(selector, update_window)

    @torch.no_grad()
    def _score_pairs(self, stage: int, pooled_q: torch.Tensor,
                     pooled_k: torch.Tensor) -> torch.Tensor:
        """Symmetric InfoNCE of every crop pair, ``N x M x M``.

        Both views' candidates go through exit ``stage``'s head in one batch
        (its batch norm sees both views, as in the loss).
        """
        n, m, c = pooled_q.shape
        pooled = torch.cat((pooled_q, pooled_k)).reshape(2 * n * m, c, 1, 1)
        z = nn.functional.normalize(self.neck.head(stage)((pooled, ))[0], dim=1)
        z_q, z_k = z.view(2, n, m, -1)
        neg_q = torch.cat(all_gather(z_q.flatten(0, 1))).t()  # D x N'M
        neg_k = torch.cat(all_gather(z_k.flatten(0, 1))).t()
        t = self.head.temperature
        q, k = z_q[:, :, None], z_k[:, None]  # query crop a, key crop b
        return (info_nce(q, k, neg_k, t, reduction='none') +
                info_nce(k, q, neg_q, t, reduction='none')) / 2

    def _contrastive_loss(self, z: torch.Tensor) -> torch.Tensor:
        """SimCLR's loss of ``(2n) x d`` projections, as upstream's loss."""
        z = z / (torch.norm(z, p=2, dim=1, keepdim=True) + 1e-10)
        z = torch.cat(GatherLayer.apply(z), dim=0)  # (2N)xd
        assert z.size(0) % 2 == 0
        N = z.size(0) // 2
        s = torch.matmul(z, z.permute(1, 0))  # (2N)x(2N)
        mask, pos_idx, neg_mask = self._create_buffer(N, s.device)
        # remove diagonal, (2N)x(2N-1)
        s = torch.masked_select(s, mask == 1).reshape(s.size(0), -1)
        positive = s[pos_idx].unsqueeze(1)  # (2N)x1
        # select negative, (2N)x(2N-2)
        negative = torch.masked_select(s, neg_mask == 1).reshape(s.size(0), -1)
        return self.head.loss(positive, negative)

    def loss(self, inputs: List[torch.Tensor], data_samples: List[DataSample],
             **kwargs) -> Dict[str, torch.Tensor]:
        """SimCLR's loss at the active exit, logged as ``loss_exit{k}``.

        Args:
            inputs (List[torch.Tensor]): The two views.
            data_samples (List[DataSample]): Unused.
        """
        assert isinstance(inputs, list)
        exit = self.active_exit
        # view 1 and view 2 of each sample alternate, as upstream stacks them
        x = torch.stack(inputs, 1).flatten(0, 1)  # (2n) x C x H x W
        f = run_pair(
            self.backbone,
            x,
            exit=exit,
            selector=self.selector,
            score_fn=self._score_pairs,
            interleaved=True,
            update_window=self.update_window)
        z = self.neck((f, ), exit)[0]  # (2n) x d
        return {f'loss_exit{exit}': self._contrastive_loss(z)}
