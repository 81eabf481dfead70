"""A fast linear probe of frozen features, for curves during training.

The full linear evaluation (MMPretrain's benchmark configs, augmented images,
many epochs) is a separate run per checkpoint. To draw accuracy against time
for every epoch, this probe fits a linear classifier on features already
extracted (e.g. by :class:`KNNEvalHook`): features standardised with the
training set's mean and standard deviation (a normalisation without affine,
as MMSelfSup's linear heads), softmax regression with a small L2 penalty,
full-batch L-BFGS. Deterministic for given features.
"""
import torch
from torch import nn

__all__ = ['linear_probe_top1']


def linear_probe_top1(train_feats: torch.Tensor,
                      train_labels: torch.Tensor,
                      test_feats: torch.Tensor,
                      test_labels: torch.Tensor,
                      num_classes: int,
                      weight_decay: float = 1e-4,
                      max_iter: int = 200) -> float:
    """Top-1 accuracy (percent) of a linear classifier fitted on features.

    Args:
        train_feats (Tensor): ``(N, C)`` features of the labelled set.
        train_labels (Tensor): ``(N,)`` labels in ``[0, num_classes)``.
        test_feats (Tensor): ``(T, C)`` features to classify.
        test_labels (Tensor): ``(T,)`` their labels.
        num_classes (int): Number of classes.
        weight_decay (float): L2 penalty on the weights. Defaults to 1e-4.
        max_iter (int): L-BFGS iterations. Defaults to 200.
    """
    x = train_feats.double()
    mean, std = x.mean(0), x.std(0).clamp_min(1e-6)
    x = (x - mean) / std
    y = train_labels.long()
    with torch.enable_grad():
        linear = nn.Linear(x.shape[1], num_classes).double()
        nn.init.zeros_(linear.weight)
        nn.init.zeros_(linear.bias)
        opt = torch.optim.LBFGS(linear.parameters(), max_iter=max_iter,
                                line_search_fn='strong_wolfe')

        def closure():
            opt.zero_grad()
            loss = nn.functional.cross_entropy(linear(x), y) + \
                weight_decay * linear.weight.pow(2).sum()
            loss.backward()
            return loss

        opt.step(closure)
    with torch.no_grad():
        pred = linear((test_feats.double() - mean) / std).argmax(1)
    return 100.0 * (pred == test_labels.long()).double().mean().item()
