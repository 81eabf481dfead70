"""Globally pooled backbone features of a labelled data set, for kNN."""
from typing import Iterable, List, Optional, Sequence, Tuple

import torch
from torch import nn

__all__ = ['extract_features']


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
