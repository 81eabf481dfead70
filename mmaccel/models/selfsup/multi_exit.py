from typing import Optional, Union

from torch import nn

from mmaccel.registry import MODELS


class MultiExitMixin:
    """Exit handling shared by the accelerated algorithms.

    Mixed in before the upstream algorithm class (``class AccelMoCo(
    MultiExitMixin, MoCo)``); the algorithm calls :meth:`_init_exits` at the
    end of its ``__init__`` and reads :attr:`active_exit` in ``loss()``.
    ``PartialBackpropHook`` sets the exit before every training iteration with
    :meth:`set_active_exit`; without the hook, the last exit is used.
    """

    @staticmethod
    def _build(cfg):
        """Build a part from mmaccel's registry (which falls back to
        MMPretrain's), so that the algorithm builds in any default scope."""
        return MODELS.build(cfg) if isinstance(cfg, dict) else cfg

    # whether the loss works with a batch that shrinks between stages
    # (HardExampleSelector)
    supports_example_selection = False

    def _init_exits(self,
                    selector: Optional[Union[dict, nn.Module]],
                    update_window: Optional[int] = None) -> None:
        """Check backbone, neck and selector against each other.

        ``update_window`` (optional): update only the last this many stages
        up to the active exit (see ``run_pair``); None updates them all.
        """
        name = type(self).__name__
        if update_window is not None and (
                not isinstance(update_window, int) or update_window < 1):
            raise ValueError(f'{name}: update_window must be None or an '
                             f'integer >= 1; got {update_window!r}')
        self.update_window = update_window
        exits = getattr(self.backbone, 'exits', None)
        if exits is None or not hasattr(self.backbone, 'forward_stage'):
            raise TypeError(
                f'{name}: the backbone must be a MultiExitResNet (a backbone '
                f'with `exits` that can be stepped stage by stage); got '
                f'{type(self.backbone).__name__}')
        neck_exits = getattr(self.neck, 'exits', None)
        if neck_exits != exits:
            raise ValueError(
                f'{name}: the neck must be an IntermediateContrastiveNeck '
                f'with one head per backbone exit {exits}; got '
                f'{type(self.neck).__name__} with exits {neck_exits}')
        if isinstance(selector, dict):
            selector = MODELS.build(selector)
        if selector is not None:
            bad = [p for p in selector.positions
                   if p not in exits or p >= exits[-1]]
            if bad:
                raise ValueError(
                    f'{name}: selector positions must be exits before the '
                    f'last one, i.e. in {exits[:-1]}; got positions '
                    f'{selector.positions}')
        if getattr(selector, 'selects_examples', False) and \
                not self.supports_example_selection:
            raise ValueError(
                f'{name}: selector {type(selector).__name__} drops samples '
                'between stages, which this algorithm does not support (its '
                'loss needs a fixed batch); use HardPairSelector, or '
                'HardExampleSelector with AccelSimCLR')
        self.selector = selector
        self.exits = tuple(exits)
        self.active_exit = self.exits[-1]

    def set_active_exit(self, exit: int) -> None:
        """Choose the exit that the next training step runs to."""
        self.active_exit = self.backbone.check_exit(exit)

    def check_train_batch_size(self, batch_size: int) -> None:
        """Check settings that depend on the total training batch size.

        Called by ``PartialBackpropHook`` before training starts.
        """
