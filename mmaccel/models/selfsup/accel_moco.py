from typing import Dict, List

import torch
from mmengine.dist import all_gather, get_world_size
from mmpretrain.models import MoCo
from mmpretrain.models.utils import batch_shuffle_ddp, batch_unshuffle_ddp
from mmpretrain.structures import DataSample
from torch import nn

from mmaccel.registry import MODELS
from ..selectors import ShuffledKeyOrder
from ..utils import Stream, contrastive_logits, info_nce
from .multi_exit import MultiExitMixin


@MODELS.register_module()
class AccelMoCo(MultiExitMixin, MoCo):
    """MoCo (v1 or v2) with intermediate contrastive losses.

    MMPretrain's :class:`MoCo` with a :class:`MultiExitResNet` backbone and an
    :class:`IntermediateContrastiveNeck` (``LinearNeck`` heads for v1,
    ``MoCoV2Neck`` for v2): each step runs the query encoder and the momentum
    encoder in lockstep to the active exit only; each exit has its own queue
    of keys. With a single exit and no selector it computes exactly
    :class:`MoCo`'s loss. Crop pairs are scored by InfoNCE against the
    exit's queue (query crops through the query head, key crops through the
    momentum head).

    Args:
        queue_len (int): Keys in each exit's queue; the total training batch
            must divide it. Defaults to 65536.
        feat_dim (int): Dimension of the projections. Defaults to 128.
        momentum (float): Momentum of the key encoder, MMPretrain's convention
            (the key encoder moves by this fraction). Defaults to 0.001.
        **kwargs: ``backbone``, ``neck``, ``head``, ``selector``,
            ``update_window`` (see :class:`MultiExitMixin`) and the other
            arguments of :class:`MoCo`.
    """

    def __init__(self, *args, queue_len: int = 65536, feat_dim: int = 128,
                 **kwargs) -> None:
        if not isinstance(queue_len, int) or queue_len < 1:
            raise ValueError('AccelMoCo: queue_len must be a positive '
                             f'integer; got {queue_len!r}')
        super().__init__(
            *args, queue_len=queue_len, feat_dim=feat_dim, **kwargs)
        # one queue of keys per exit
        queue = torch.randn(len(self.exits), feat_dim, queue_len)
        self.register_buffer('queue', nn.functional.normalize(queue, dim=1))
        self.register_buffer('queue_ptr',
                             torch.zeros(len(self.exits), dtype=torch.long))

    def check_train_batch_size(self, batch_size: int) -> None:
        if self.queue_len % batch_size:
            raise ValueError(
                f'AccelMoCo: queue_len ({self.queue_len}) must be divisible '
                f'by the total training batch size ({batch_size})')

    @torch.no_grad()
    def _dequeue_and_enqueue_exit(self, i: int, keys: torch.Tensor) -> None:
        """Replace the oldest keys of exit ``i``'s queue."""
        keys = torch.cat(all_gather(keys), dim=0)
        batch_size = keys.shape[0]
        ptr = int(self.queue_ptr[i])
        self.queue[i, :, ptr:ptr + batch_size] = keys.transpose(0, 1)
        self.queue_ptr[i] = (ptr + batch_size) % self.queue_len

    @torch.no_grad()
    def score_pairs(self, stage: int, pooled_q: torch.Tensor,
                    pooled_k: torch.Tensor) -> torch.Tensor:
        """InfoNCE of every query crop against every key crop, ``N x M x M``,
        through exit ``stage``'s heads and against its queue."""
        q = self.neck.project_pooled(stage, pooled_q)
        k = self.encoder_k.module[1].project_pooled(stage, pooled_k)
        q = nn.functional.normalize(q, dim=-1)[:, :, None]  # query crop a
        k = nn.functional.normalize(k, dim=-1)[:, None]  # key crop b
        queue = self.queue[self.exits.index(stage)]
        return info_nce(q, k, queue, self.head.temperature, reduction='none')

    def loss(self, inputs: List[torch.Tensor], data_samples: List[DataSample],
             **kwargs) -> Dict[str, torch.Tensor]:
        """Contrastive loss at the active exit, logged as ``loss_exit{k}``.

        Args:
            inputs (List[torch.Tensor]): The two views.
            data_samples (List[DataSample]): Unused.
        """
        assert isinstance(inputs, list)
        self.check_train_batch_size(len(inputs[0]) * get_world_size())
        exit = self.active_exit
        backbone_k, neck_k = self.encoder_k.module
        with torch.no_grad():
            self.encoder_k.update_parameters(
                nn.Sequential(self.backbone, self.neck))
            # shuffle for making use of BN
            im_k, idx_unshuffle = batch_shuffle_ddp(inputs[1])

        tap = {} if self.train_scoring_heads else None
        f_q, f_k = self.run(
            Stream(inputs[0], 'query'),
            Stream(im_k, 'key', backbone_k, grad=False),
            key_order=ShuffledKeyOrder(idx_unshuffle),
            tap=tap)

        q = self.neck((f_q, ), exit)[0]  # N x C
        q = nn.functional.normalize(q, dim=1)
        with torch.no_grad():
            k = nn.functional.normalize(neck_k((f_k, ), exit)[0], dim=1)
            k = batch_unshuffle_ddp(k, idx_unshuffle)

        losses = {f'loss_exit{exit}': self._exit_loss(exit, q, k)}
        if tap:
            losses.update(self.scoring_head_losses(tap, idx_unshuffle))
        return losses

    def _exit_loss(self, exit: int, q: torch.Tensor,
                   k: torch.Tensor) -> torch.Tensor:
        """InfoNCE of normalized queries and keys against exit ``exit``'s
        queue, which then takes the keys."""
        i = self.exits.index(exit)
        l_pos, l_neg = contrastive_logits(q, k,
                                          self.queue[i].clone().detach())
        loss = self.head.loss(l_pos, l_neg)
        self._dequeue_and_enqueue_exit(i, k)
        return loss

    def scoring_head_losses(self, tap: dict,
                            idx_unshuffle: torch.Tensor) -> dict:
        """Exit ``k``'s loss on the whole maps at each selection ``k``,
        queries detached from the backbone (only the exit's head learns);
        the keys go to exit ``k``'s queue as in a step that stops there."""
        neck_k = self.encoder_k.module[1]
        losses = {}
        for stage, (m_q, m_k) in tap.items():
            q = nn.functional.normalize(
                self.neck((m_q.detach(), ), stage)[0], dim=1)
            with torch.no_grad():
                k = nn.functional.normalize(neck_k((m_k, ), stage)[0], dim=1)
                k = batch_unshuffle_ddp(k, idx_unshuffle)
            losses[f'loss_score{stage}'] = self._exit_loss(stage, q, k)
        return losses
