"""Weighted k-nearest-neighbour classification of frozen features.

The protocol of InstDisc (Wu et al., "Unsupervised feature learning via
non-parametric instance discrimination", CVPR 2018) that MMSelfSup's kNN
benchmark follows: features are L2-normalised, the k training features with
the highest cosine similarity vote for their labels with weight
``exp(similarity / temperature)``, and the class with the largest total vote
is the prediction.
"""
import torch
from torch import nn

__all__ = ['weighted_knn_predict', 'knn_top1']


@torch.no_grad()
def weighted_knn_predict(train_feats: torch.Tensor,
                         train_labels: torch.Tensor,
                         test_feats: torch.Tensor,
                         num_classes: int,
                         k: int = 200,
                         temperature: float = 0.07,
                         chunk_size: int = 1024) -> torch.Tensor:
    """Predicted class of each test feature.

    Args:
        train_feats (Tensor): ``(N, C)`` features of the labelled set.
        train_labels (Tensor): ``(N,)`` integer labels in ``[0, num_classes)``.
        test_feats (Tensor): ``(T, C)`` features to classify.
        num_classes (int): Number of classes.
        k (int): Neighbours that vote; at most ``N``. Defaults to 200.
        temperature (float): Temperature of the vote weights. Defaults to
            0.07.
        chunk_size (int): Test features scored at once (bounds memory at
            ``chunk_size x N`` similarities). Defaults to 1024.

    Returns:
        Tensor: ``(T,)`` predicted labels.
    """
    if not 1 <= k <= train_feats.shape[0]:
        raise ValueError(f'knn: k must be in 1..{train_feats.shape[0]} (the '
                         f'number of training features); got {k!r}')
    if temperature <= 0:
        raise ValueError(f'knn: temperature must be > 0; got {temperature!r}')
    train = nn.functional.normalize(train_feats.float(), dim=1)
    labels = train_labels.long()
    preds = []
    for test in torch.split(test_feats.float(), chunk_size):
        sim = nn.functional.normalize(test, dim=1) @ train.t()  # T x N
        top_sim, top_idx = sim.topk(k, dim=1)  # T x k
        weights = (top_sim / temperature).exp()
        votes = torch.zeros(test.shape[0], num_classes, device=test.device)
        votes.scatter_add_(1, labels[top_idx], weights)  # T x classes
        preds.append(votes.argmax(1))
    return torch.cat(preds)


def knn_top1(train_feats: torch.Tensor, train_labels: torch.Tensor,
             test_feats: torch.Tensor, test_labels: torch.Tensor,
             num_classes: int, **kwargs) -> float:
    """Top-1 accuracy (percent) of :func:`weighted_knn_predict`."""
    preds = weighted_knn_predict(train_feats, train_labels, test_feats,
                                 num_classes, **kwargs)
    return 100.0 * (preds == test_labels.long()).float().mean().item()
