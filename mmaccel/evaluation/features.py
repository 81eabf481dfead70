"""Globally pooled backbone features of a labelled data set, for kNN."""
from typing import Iterable, List, Optional, Sequence, Tuple

import torch
from mmengine.dist import all_gather, get_world_size
from torch import nn

__all__ = ['extract_features', 'gather_features']


@torch.no_grad()
def extract_features(
        model: nn.Module,
        loader: Iterable,
        indices: Optional[Sequence[int]] = None,
        backbone: Optional[nn.Module] = None
) -> Tuple[List[torch.Tensor], torch.Tensor]:
    """Pooled features of the backbone's feature maps, and the labels.

    Each batch goes through ``model.data_preprocessor`` (``training=False``)
    and the backbone; every map the backbone returns (or those at
    ``indices``) is averaged over its spatial positions. The caller puts the
    model in eval mode (and may wrap the loader in
    :func:`mmaccel.utils.progress.progress`). Used by :class:`KNNEvalHook`
    and ``tools/benchmarks/knn.py``.

    Args:
        model (nn.Module): Has ``data_preprocessor`` and, unless ``backbone``
            is given, ``backbone``.
        loader (Iterable): Batches of packed inputs with ``gt_label``.
        indices (Sequence[int], optional): Which of the backbone's outputs to
            keep (negative indices count from the end). Defaults to all.
        backbone (nn.Module, optional): Used instead of ``model.backbone``.

    Returns:
        tuple: A list of ``(N, C_i)`` features, one per kept output, and the
        ``(N,)`` labels.
    """
    backbone = model.backbone if backbone is None else backbone
    feats, labels = [], []
    for data in loader:
        data = model.data_preprocessor(data, training=False)
        maps = backbone(data['inputs'])
        if indices is not None:
            maps = [maps[i] for i in indices]
        feats.append(
            [nn.functional.adaptive_avg_pool2d(x, 1).flatten(1) for x in maps])
        labels.extend(s.gt_label for s in data['data_samples'])
    return [torch.cat(f) for f in zip(*feats)], torch.cat(labels)


def gather_features(
        feats: List[torch.Tensor], labels: torch.Tensor, num_samples: int
) -> Tuple[List[torch.Tensor], torch.Tensor]:
    """Every rank's share of :func:`extract_features` put together.

    Under a distributed run MMEngine's ``DefaultSampler`` (``shuffle=False``)
    gives rank ``r`` the samples ``r, r + W, r + 2W, ...`` of the data set,
    padded with its first samples to equal shares. This gathers the shares
    from all ``W`` ranks, puts the samples back in data-set order and drops
    the padding, so that every rank holds the features of the whole set, as
    a single process would (a kNN on one rank's share would use a bank of
    1/W of the images and report another number). Without a process group,
    or with one process, it returns its input.

    Args:
        feats (list[Tensor]): ``(n, C_i)`` features of this rank's share.
        labels (Tensor): ``(n,)`` labels of the share.
        num_samples (int): Size of the whole data set.
    """
    if get_world_size() == 1:
        return feats, labels

    def gather(x):
        # rank-major shares -> sample-major (the sampler's interleaving)
        return torch.stack(all_gather(x), 1).flatten(0, 1)[:num_samples]

    return [gather(f) for f in feats], gather(labels)
