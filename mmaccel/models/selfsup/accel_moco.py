from typing import Dict, List, Optional, Union

import torch
from mmengine.dist import all_gather
from mmpretrain.models import MoCo
from mmpretrain.models.utils import batch_shuffle_ddp, batch_unshuffle_ddp
from mmpretrain.structures import DataSample
from torch import nn

from mmaccel.registry import MODELS
from ..utils import ShuffledKeyOrder, contrastive_logits, info_nce, run_pair
from .multi_exit import MultiExitMixin


@MODELS.register_module()
class AccelMoCo(MultiExitMixin, MoCo):
    """MoCo (v1 or v2) with intermediate contrastive losses.

    MMPretrain's :class:`MoCo` with a :class:`MultiExitResNet` backbone and an
    :class:`IntermediateContrastiveNeck`: each step runs both encoders to the
    active exit only, and at selector positions cuts the query's and the
    key's feature maps to the chosen crop pair. Each exit has its own queue
    of keys. MoCo v1 or v2 is chosen by the neck's head (``LinearNeck`` or
    ``MoCoV2Neck``). With a single exit and no selector it computes exactly
    :class:`MoCo`'s loss.

    Args:
        backbone (dict): Config of a :class:`MultiExitResNet`.
        neck (dict): Config of an :class:`IntermediateContrastiveNeck`.
        head (dict): Config of the head (``ContrastiveHead``).
        queue_len (int): Keys in each exit's queue. Defaults to 65536.
        feat_dim (int): Dimension of the projections. Defaults to 128.
        momentum (float): Momentum of the key encoder, MMPretrain's convention
            (the key encoder moves by this fraction). Defaults to 0.001.
        selector (dict, optional): Config of a :class:`HardPairSelector`.
        update_window (int, optional): Update only the last this many stages
            up to the exit (Table 4 ablation). Defaults to None: all of them.
        pretrained (str, optional): Checkpoint to initialise from.
        data_preprocessor (dict, optional): As :class:`MoCo`.
        init_cfg (dict or list[dict], optional): Initialization config.
    """

    def __init__(self,
                 backbone: dict,
                 neck: dict,
                 head: dict,
                 queue_len: int = 65536,
                 feat_dim: int = 128,
                 momentum: float = 0.001,
                 selector: Optional[dict] = None,
                 update_window: Optional[int] = None,
                 pretrained: Optional[str] = None,
                 data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[Union[List[dict], dict]] = None) -> None:
        if not isinstance(queue_len, int) or queue_len < 1:
            raise ValueError('AccelMoCo: queue_len must be a positive '
                             f'integer; got {queue_len!r}')
        super().__init__(
            self._build(backbone),
            self._build(neck),
            self._build(head),
            queue_len=queue_len,
            feat_dim=feat_dim,
            momentum=momentum,
            pretrained=pretrained,
            data_preprocessor=data_preprocessor,
            init_cfg=init_cfg)
        self._init_exits(selector, update_window)
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
    def _score_pairs(self, stage: int, pooled_q: torch.Tensor,
                     pooled_k: torch.Tensor) -> torch.Tensor:
        """InfoNCE of every query crop against every key crop, ``N x M x M``,
        through exit ``stage``'s heads and against its queue."""
        neck_k = self.encoder_k.module[1]
        n, m, c = pooled_q.shape
        q = self.neck.head(stage)((pooled_q.reshape(n * m, c, 1, 1), ))[0]
        k = neck_k.head(stage)((pooled_k.reshape(n * m, c, 1, 1), ))[0]
        q = nn.functional.normalize(q, dim=1).view(n, m, 1, -1)
        k = nn.functional.normalize(k, dim=1).view(n, 1, m, -1)
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
        exit = self.active_exit
        backbone_k, neck_k = self.encoder_k.module
        with torch.no_grad():
            self.encoder_k.update_parameters(
                nn.Sequential(self.backbone, self.neck))
            # shuffle for making use of BN
            im_k, idx_unshuffle = batch_shuffle_ddp(inputs[1])

        f_q, f_k = run_pair(
            self.backbone,
            inputs[0],
            im_k,
            exit=exit,
            encoder_k=backbone_k,
            selector=self.selector,
            score_fn=self._score_pairs,
            key_order=ShuffledKeyOrder(idx_unshuffle),
            update_window=self.update_window)

        q = self.neck((f_q, ), exit)[0]  # N x C
        q = nn.functional.normalize(q, dim=1)
        with torch.no_grad():
            k = nn.functional.normalize(neck_k((f_k, ), exit)[0], dim=1)
            k = batch_unshuffle_ddp(k, idx_unshuffle)

        i = self.exits.index(exit)
        l_pos, l_neg = contrastive_logits(q, k,
                                          self.queue[i].clone().detach())
        loss = self.head.loss(l_pos, l_neg)
        self._dequeue_and_enqueue_exit(i, k)
        return {f'loss_exit{exit}': loss}
