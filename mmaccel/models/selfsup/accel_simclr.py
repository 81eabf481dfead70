from typing import Dict, List

import torch
from mmengine.dist import all_gather
from mmpretrain.models import SimCLR
from mmpretrain.models.selfsup.simclr import GatherLayer
from mmpretrain.structures import DataSample
from torch import nn

from mmaccel.registry import MODELS
from ..utils import Stream, info_nce
from .multi_exit import MultiExitMixin


@MODELS.register_module()
class AccelSimCLR(MultiExitMixin, SimCLR):
    """SimCLR with intermediate contrastive losses.

    MMPretrain's :class:`SimCLR` with a :class:`MultiExitResNet` backbone and
    an :class:`IntermediateContrastiveNeck` of ``NonLinearNeck`` heads. Each
    step runs the stacked views (alternating, as upstream stacks them, so
    batch norm sees the same batch) to the active exit only and takes
    SimCLR's loss (in-batch negatives gathered from all ranks) there. With a
    single exit and no selector it computes exactly :class:`SimCLR`'s loss.

    Crop pairs are scored by InfoNCE through the exit's head, symmetrised
    over the two views as SimCLR's loss is: the query crop ``a`` of one view
    against the key crop ``b`` of the other, with every candidate crop of
    the other view in the (gathered) batch as negatives. Those include the
    sample's own ``M`` candidates: :func:`info_nce` takes negatives shared by
    all queries, and for a fixed query the choice among key crops is
    unaffected (the score falls as the positive similarity rises).

    Args: as :class:`MultiExitMixin` (``backbone``, ``neck``, ``head``,
    ``selector``, ``update_window``) and :class:`SimCLR`.
    """

    # SimCLR's loss takes any (equal per rank) batch: HardExampleSelector works
    supports_example_selection = True

    @torch.no_grad()
    def score_pairs(self, stage: int, pooled_q: torch.Tensor,
                    pooled_k: torch.Tensor) -> torch.Tensor:
        """Symmetric InfoNCE of every crop pair, ``N x M x M``.

        Both views' candidates go through exit ``stage``'s head in one batch
        (its batch norm sees both views, as in the loss).
        """
        pooled = torch.cat((pooled_q, pooled_k))
        z = self.neck.project_pooled(stage, pooled)
        z_q, z_k = nn.functional.normalize(z, dim=-1).chunk(2)  # N x M x D
        neg_q = torch.cat(all_gather(z_q.flatten(0, 1))).t()  # D x N'M
        neg_k = torch.cat(all_gather(z_k.flatten(0, 1))).t()
        t = self.head.temperature
        q, k = z_q[:, :, None], z_k[:, None]  # query crop a, key crop b
        return (info_nce(q, k, neg_k, t, reduction='none') +
                info_nce(k, q, neg_q, t, reduction='none')) / 2

    def loss(self, inputs: List[torch.Tensor], data_samples: List[DataSample],
             **kwargs) -> Dict[str, torch.Tensor]:
        """SimCLR's loss at the active exit, logged as ``loss_exit{k}``.

        Upstream computes its loss inline after its own backbone call, so its
        steps after the projection are restated here, op for op.

        Args:
            inputs (List[torch.Tensor]): The two views.
            data_samples (List[DataSample]): Unused.
        """
        assert isinstance(inputs, list)
        # view 1 and view 2 of each sample alternate, as upstream stacks them
        x = torch.stack(inputs, 1).flatten(0, 1)  # (2n) x C x H x W
        f, = self.run(Stream(x, 'interleaved'))
        z = self.neck((f, ), self.active_exit)[0]  # (2n) x d
        z = z / (torch.norm(z, p=2, dim=1, keepdim=True) + 1e-10)
        z = torch.cat(GatherLayer.apply(z), dim=0)  # (2N)xd
        n = z.size(0) // 2
        s = torch.matmul(z, z.permute(1, 0))  # (2N)x(2N)
        mask, pos_idx, neg_mask = self._create_buffer(n, s.device)
        # remove diagonal, (2N)x(2N-1)
        s = torch.masked_select(s, mask == 1).reshape(s.size(0), -1)
        positive = s[pos_idx].unsqueeze(1)  # (2N)x1
        # select negative, (2N)x(2N-2)
        negative = torch.masked_select(s, neg_mask == 1).reshape(s.size(0), -1)
        return {f'loss_exit{self.active_exit}':
                self.head.loss(positive, negative)}
