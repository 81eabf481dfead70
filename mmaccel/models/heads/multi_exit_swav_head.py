from typing import List, Optional, Sequence, Union

import torch
from mmpretrain.models.losses.swav_loss import distributed_sinkhorn
from torch import nn

from mmaccel.registry import MODELS
from .multi_exit_head import MultiExitHead


class ExitLossModules:
    """What ``SwAVHook`` sees as ``head.loss_module``: every exit's loss.

    MMPretrain's ``SwAVHook`` sets ``head.loss_module.queue`` (None, or a new
    zero queue ``crops x L x D``) and ``use_queue`` before each epoch, reads
    ``queue`` back after it to save it, and loads a saved one before the run.
    Here a new queue gives each exit a zero queue of its own; reading gives the
    exits' queues stacked, ``exits x crops x L x D``, which sets them back.
    """

    def __init__(self, head: 'MultiExitSwAVHead') -> None:
        object.__setattr__(self, '_losses',
                           [head.head(e).loss_module for e in head.exits])

    def __getattr__(self, name):
        losses = object.__getattribute__(self, '_losses')
        if name == 'queue':
            queues = [loss.queue for loss in losses]
            return None if queues[0] is None else torch.stack(queues)
        if name == 'use_queue':
            return any(loss.use_queue for loss in losses)
        raise AttributeError(f'per-exit SwAV losses have no {name!r}')

    def __setattr__(self, name, value) -> None:
        losses = self._losses
        if name == 'use_queue':
            for loss in losses:
                loss.use_queue = value
        elif name != 'queue':
            raise AttributeError(f'cannot set {name!r} on per-exit SwAV '
                                 'losses; only queue and use_queue')
        elif value is None or value.dim() == 3:  # none, or a new queue
            for loss in losses:
                loss.queue = None if value is None else value.clone()
        elif value.dim() == 4 and len(value) == len(losses):  # per exit
            for loss, queue in zip(losses, value):
                loss.queue = queue.clone()
        else:
            raise ValueError(
                'queue must be None, crops x L x D (a new queue for every '
                f'exit) or {len(losses)} x crops x L x D (one per exit); got '
                f'shape {tuple(value.shape)}')


@MODELS.register_module()
class MultiExitSwAVHead(MultiExitHead):
    """One ``SwAVHead`` per exit: its own prototypes, queue and Sinkhorn.

    Prototypes are named ``heads.exit{k}.loss_module.prototypes``, so the
    ``frozen_layers_cfg=dict(prototypes=...)`` of ``SwAVHook`` freezes every
    exit's; :attr:`loss_module` lets the hook manage every exit's queue.

    Args:
        exits (Sequence[int]): The stage number of each exit. ``AccelSwAV``
            fills in the backbone's exits when left out of its config.
        loss (dict): Config of the ``SwAVLoss`` of every exit.
        init_cfg (dict or list[dict], optional): Initialization config.
    """

    def __init__(self,
                 exits: Sequence[int],
                 loss: dict,
                 init_cfg: Optional[Union[dict, List[dict]]] = None) -> None:
        super().__init__(exits, dict(type='SwAVHead', loss=loss), init_cfg)

    @property
    def loss_module(self) -> ExitLossModules:
        """Every exit's ``SwAVLoss``, for ``SwAVHook``."""
        return ExitLossModules(self)

    @torch.no_grad()
    def score_pairs(self, exit: int, z_q: torch.Tensor,
                    z_k: torch.Tensor) -> torch.Tensor:
        """SwAV's loss of every crop pair of exit ``exit``, ``N x M x M``.

        The per-sample swapped prediction ``-(q_b . log p_a + q_a . log
        p_b) / 2`` of query crop ``a`` and key crop ``b``, from projections
        ``z_q``, ``z_k`` (``N x M x D``) through the exit's prototypes, with
        codes ``q`` from Sinkhorn over each view's ``N x M`` candidates (no
        queue).
        """
        loss = self.head(exit).loss_module
        n, m, _ = z_q.shape
        w = nn.functional.normalize(loss.prototypes.weight, dim=1)
        z = torch.cat((z_q, z_k)).flatten(0, 1)  # 2NM x D
        scores = (z @ w.t()).view(2, n * m, -1)  # view, candidates, K
        codes = torch.stack([
            distributed_sinkhorn(s, loss.sinkhorn_iterations,
                                 loss.world_size, loss.epsilon)
            for s in scores
        ]).view(2, n, m, -1)
        logp = scores.div(loss.temperature).log_softmax(-1).view(2, n, m, -1)
        return -(torch.einsum('nbk,nak->nab', codes[1], logp[0]) +
                 torch.einsum('nak,nbk->nab', codes[0], logp[1])) / 2
