import torch
from mmengine.dist import all_gather, get_rank
from mmpretrain.models.utils import batch_unshuffle_ddp


class KeyOrder:
    """Maps per-sample tensors between the query's and the key's sample order.

    The identity: both views are in the same order.
    """

    def to_query(self, x: torch.Tensor) -> torch.Tensor:
        """From the key view's sample order to the query's."""
        return x

    def to_key(self, x: torch.Tensor) -> torch.Tensor:
        """From the query's sample order to the key view's."""
        return x


class ShuffledKeyOrder(KeyOrder):
    """The key batch was shuffled across ranks by ``batch_shuffle_ddp``
    (MoCo's shuffle-BN).

    Only small per-sample tensors (pooled crops, crop indices) cross ranks.

    Args:
        idx_unshuffle (Tensor): As returned by ``batch_shuffle_ddp``.
    """

    def __init__(self, idx_unshuffle: torch.Tensor) -> None:
        self.idx_unshuffle = idx_unshuffle

    def to_query(self, x: torch.Tensor) -> torch.Tensor:
        return batch_unshuffle_ddp(x, self.idx_unshuffle)

    def to_key(self, x: torch.Tensor) -> torch.Tensor:
        x_all = torch.cat(all_gather(x))
        idx_shuffle = torch.argsort(self.idx_unshuffle)
        idx_this = idx_shuffle.view(-1, x.shape[0])[get_rank()]
        return x_all[idx_this.to(x.device)]
