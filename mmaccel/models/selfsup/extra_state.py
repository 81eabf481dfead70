"""State an algorithm keeps outside its ``state_dict`` that an exact resume
needs.

``AtomicCheckpointHook`` saves it into every rank's resume state and gives it
back on ``--resume``, through :func:`extra_state_of` and
:func:`load_extra_state_into`: it knows no algorithm. Each algorithm says what
its extra state is with :meth:`ExtraStateMixin.extra_state` and
:meth:`ExtraStateMixin.load_extra_state`; MoCo's queue, for one, is a buffer
and needs none. MMPretrain's own algorithms lack the methods; SwAV's is
supplied here, so that its baseline resumes as its accelerated version does.
"""
from typing import Dict

import torch
from mmpretrain.models import SwAV

__all__ = [
    'ExtraStateMixin', 'extra_state_of', 'load_extra_state_into',
    'swav_queue_state', 'load_swav_queue_state'
]


class ExtraStateMixin:
    """An algorithm's state beyond its ``state_dict``: none by default."""

    def extra_state(self) -> Dict[str, object]:
        """What to save beside the weights, by key (CPU tensors or plain
        values); the keys go into each rank's resume state, beside
        ``random``, ``position`` and ``sampler_seed``."""
        return {}

    def load_extra_state(self, state: Dict[str, object]) -> None:
        """Take back what :meth:`extra_state` gave (``state`` may hold other
        keys too). Called once a resumed run is about to train, after the
        other hooks' ``before_train_epoch``."""


def swav_queue_state(model: SwAV) -> Dict[str, object]:
    """SwAV's feature queue (``head.loss_module.queue``, None before it
    starts), which ``SwAVHook`` saves only at the end of an epoch."""
    queue = model.head.loss_module.queue
    return {'swav_queue': None if queue is None else queue.cpu()}


def load_swav_queue_state(model: SwAV, state: Dict[str, object]) -> None:
    """Put a saved SwAV queue back, on the model's device. A queue saved as
    None (not started yet) leaves the one that ``SwAVHook`` gave the epoch
    (a new zero queue from ``epoch_queue_starts`` on)."""
    queue = state.get('swav_queue')
    if isinstance(queue, torch.Tensor):
        device = next(model.parameters()).device
        model.head.loss_module.queue = queue.to(device)


def extra_state_of(model: torch.nn.Module) -> Dict[str, object]:
    """The extra state of an unwrapped model: its :meth:`extra_state`, that
    of MMPretrain's SwAV, or nothing."""
    if hasattr(model, 'extra_state'):
        return model.extra_state()
    if isinstance(model, SwAV):
        return swav_queue_state(model)
    return {}


def load_extra_state_into(model: torch.nn.Module,
                          state: Dict[str, object]) -> None:
    """Give an unwrapped model back what :func:`extra_state_of` saved."""
    if hasattr(model, 'load_extra_state'):
        model.load_extra_state(state)
    elif isinstance(model, SwAV):
        load_swav_queue_state(model, state)
