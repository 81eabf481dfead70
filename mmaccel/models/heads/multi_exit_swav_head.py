from typing import List, Optional, Sequence, Union

import torch
from mmengine.model import BaseModule
from torch import nn

from mmaccel.registry import MODELS


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
class MultiExitSwAVHead(BaseModule):
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
        super().__init__(init_cfg)
        self.exits = tuple(exits)
        if not self.exits:
            raise ValueError('MultiExitSwAVHead: exits must name at least '
                             f'one exit; got {exits!r}')
        self.heads = nn.ModuleDict({
            f'exit{e}': MODELS.build(dict(type='SwAVHead', loss=loss))
            for e in self.exits
        })

    def head(self, exit: int) -> nn.Module:
        """The ``SwAVHead`` of an exit."""
        return self.heads[f'exit{exit}']

    @property
    def loss_module(self) -> ExitLossModules:
        """Every exit's ``SwAVLoss``, for ``SwAVHook``."""
        return ExitLossModules(self)

    def loss(self, pred: torch.Tensor, exit: int) -> torch.Tensor:
        """SwAV's loss of exit ``exit`` for projections ``pred`` (N x C)."""
        return self.head(exit).loss(pred)
