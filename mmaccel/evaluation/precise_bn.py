"""Batch-norm running statistics re-estimated on whole images.

An accelerated model collects its running statistics in training on what the
method feeds each stage: after a selector's position only the cropped maps,
and at the last stage only on the steps that reach it. Evaluation (kNN, linear
probes, transfer) feeds whole images. :func:`precise_bn` re-estimates the
statistics of every batch-norm layer of a module as the exact average over
whole images (batch means, and unbiased batch variances, averaged with equal
weight per batch: torch's cumulative average, ``momentum=None``), weights
untouched. "Rethinking 'Batch' in BatchNorm" (Wu and Johnson, 2021) calls it
precise BN; MMPretrain's ``update_bn_stats`` does the same on the training
loader's augmented inputs through the whole model, which a self-supervised
model's two-view batches cannot go through (see docs/method.md).
"""
from typing import Iterable

import torch
from mmengine.dist import all_reduce, get_world_size
from torch import nn
from torch.nn.modules.batchnorm import _BatchNorm

__all__ = ['precise_bn']


@torch.no_grad()
def precise_bn(module: nn.Module, batches: Iterable[torch.Tensor],
               num_images: int) -> int:
    """Re-estimate the running statistics of ``module``'s batch norms.

    Args:
        module (nn.Module): e.g. a backbone; called as ``module(x)``.
        batches (Iterable[Tensor]): Preprocessed input batches ``N x C x H x
            W`` of whole images; consumed until ``num_images`` are seen.
        num_images (int): Images to use (on this rank).

    Returns:
        int: Images used on this rank. Under distributed training every rank
        calls this, and the statistics are averaged over the ranks.
    """
    if num_images < 1:
        raise ValueError(f'precise_bn: num_images must be >= 1; got '
                         f'{num_images!r}')
    bns = [m for m in module.modules() if isinstance(m, _BatchNorm)]
    if not bns:
        return 0
    modes = [m.training for m in bns]
    momenta = [m.momentum for m in bns]
    was_training = module.training
    module.eval()  # dropout and the like off; batch norms below on
    for m in bns:
        m.reset_running_stats()
        m.momentum = None  # cumulative average over the batches
        m.train()
    seen = 0
    try:
        for x in batches:
            x = x[:num_images - seen]
            module(x)
            seen += x.shape[0]
            if seen >= num_images:
                break
    finally:
        module.train(was_training)
        for m, mode, momentum in zip(bns, modes, momenta):
            m.momentum = momentum
            m.train(mode)
    if seen == 0:
        raise ValueError('precise_bn: the loader gave no images')
    if get_world_size() > 1:
        for m in bns:
            for buf in (m.running_mean, m.running_var):
                all_reduce(buf, op='mean')
    return seen
