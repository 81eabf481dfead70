import inspect
from typing import List, Optional, Union

import torch
from torch import nn

from mmaccel.registry import MODELS
from mmaccel.utils.errors import ConfigError
from ..selectors import KeyOrder
from ..utils import Stream, run_pair
from .extra_state import ExtraStateMixin


def check_neck_channels(name: str, backbone, neck, exits) -> None:
    """The neck's ``in_channels`` must be the backbone's widths at the exits
    (a mismatch would fail only inside the first iteration); a head's input
    width is that of its first linear layer."""
    widths = [backbone.stage_channels(e) for e in exits]
    got = [next((m.in_features for m in neck.head(e).modules()
                 if isinstance(m, nn.Linear)), w)
           for e, w in zip(exits, widths)]
    if got != widths:
        raise ConfigError(
            f'{name}: model.neck.in_channels must be the backbone\'s output '
            f'channels at the exits {tuple(exits)}, i.e. {widths}; got {got}')


def _build(cfg, exits=None):
    """Build a part from mmaccel's registry (which falls back to
    MMPretrain's), so that the algorithm builds in any default scope. A
    multi-exit part (one that takes ``exits``) gets the backbone's exits
    when its config leaves them out."""
    if not isinstance(cfg, dict):
        return cfg
    cls = MODELS.get(cfg['type']) if isinstance(cfg['type'], str) \
        else cfg['type']
    if exits is not None and 'exits' not in cfg and cls is not None and \
            'exits' in inspect.signature(cls).parameters:
        cfg = dict(cfg, exits=exits)
    return MODELS.build(cfg)


class MultiExitMixin(ExtraStateMixin):
    """The plumbing of every accelerated algorithm.

    Mixed in before the upstream algorithm (``class AccelMoCo(
    MultiExitMixin, MoCo)``), it builds the parts, checks them against each
    other and runs a training step's passes to the active exit; the
    algorithm keeps only what differs from upstream: its ``loss()``, which
    runs the backbone passes with :meth:`run` and reads :attr:`active_exit`,
    and :meth:`score_pairs`, its loss of every candidate crop pair, and,
    if it keeps state beyond its ``state_dict`` that an exact resume needs,
    :meth:`extra_state` and :meth:`load_extra_state`.
    ``PartialBackpropHook`` sets the exit before every training iteration
    with :meth:`set_active_exit`; without the hook, the last exit is used.

    Args:
        backbone (dict): Config of a :class:`MultiExitResNet`.
        neck (dict): Config of an :class:`IntermediateContrastiveNeck` (one
            projection head per exit; ``exits`` default to the backbone's).
        head (dict): Config of the upstream head, or of a multi-exit head
            (``exits`` default to the backbone's).
        selector (dict, optional): Config of a selector
            (``HardPairSelector``, ...). Defaults to None: no selection.
        update_window (int, optional): Update only the last this many stages
            up to the active exit (ablation, paper's Table 4). Defaults to
            None: all of them (the method).
        train_scoring_heads (bool): Beyond the paper: in a step whose active
            exit lies past a selection position, that position's exit head
            (which scores the crop pairs) also learns, from its contrastive
            loss on the whole map before the cut, detached from the backbone
            (logged as ``loss_score{k}``). Without it an exit's head learns
            only in steps that stop at that exit, so with a schedule that
            rarely draws early exits, or none (selection without partial
            back-propagation, the paper's Table 6), pairs are ranked by a
            stale or untrained projection. Only algorithms with
            :meth:`scoring_head_losses` support it. Defaults to False.
        **kwargs: The upstream algorithm's other arguments.
    """

    # whether the loss works with a batch that shrinks between stages
    # (a selector with selects_examples, e.g. HardExampleSelector)
    supports_example_selection = False
    # the multi-exit head type the algorithm needs, if any
    exit_head: Optional[str] = None

    def __init__(self,
                 backbone: dict,
                 neck: dict,
                 head: dict,
                 selector: Optional[Union[dict, nn.Module]] = None,
                 update_window: Optional[int] = None,
                 train_scoring_heads: bool = False,
                 **kwargs) -> None:
        name = type(self).__name__
        backbone = _build(backbone)
        exits = getattr(backbone, 'exits', None)
        if exits is None or not hasattr(backbone, 'forward_stage'):
            raise TypeError(
                f'{name}: the backbone must be a MultiExitResNet (a backbone '
                f'with `exits` that can be stepped stage by stage); got '
                f'{type(backbone).__name__}')
        exits = tuple(exits)
        super().__init__(backbone, _build(neck, exits), _build(head, exits),
                         **kwargs)
        neck_exits = getattr(self.neck, 'exits', None)
        if neck_exits != exits:
            raise ValueError(
                f'{name}: the neck must be an IntermediateContrastiveNeck '
                f'with one head per backbone exit {exits}; got '
                f'{type(self.neck).__name__} with exits {neck_exits}')
        check_neck_channels(name, self.backbone, self.neck, exits)
        head_exits = getattr(self.head, 'exits', None)
        if (self.exit_head or head_exits is not None) and head_exits != exits:
            raise ValueError(
                f'{name}: the head must be a {self.exit_head or "head"} with '
                f'one head per backbone exit {exits}; got '
                f'{type(self.head).__name__} with exits {head_exits}')
        self.selector = self._build_selector(_build(selector), exits)
        self.set_update_window(update_window)
        self.train_scoring_heads = self._check_train_scoring_heads(
            train_scoring_heads)
        self.exits = exits
        self.active_exit = exits[-1]

    def _build_selector(self, selector, exits):
        name = type(self).__name__
        if selector is None:
            return None
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
        return selector

    def _check_train_scoring_heads(self, value) -> bool:
        name = type(self).__name__
        if not isinstance(value, bool):
            raise ConfigError(f'{name}: model.train_scoring_heads must be '
                              f'True or False; got {value!r}')
        if not value:
            return False
        if type(self).scoring_head_losses is \
                MultiExitMixin.scoring_head_losses:
            raise ConfigError(
                f'{name}: model.train_scoring_heads=True is not supported '
                'by this algorithm (it has no scoring_head_losses); allowed: '
                'False')
        if self.selector is None or not getattr(self.selector,
                                                'needs_scores', False):
            raise ConfigError(
                f'{name}: model.train_scoring_heads=True needs a selector '
                'that scores crop pairs (HardPairSelector with mode hard or '
                'easy and num_candidates > 1); got selector '
                f'{self.selector!r}')
        return True

    def set_active_exit(self, exit: int) -> None:
        """Choose the exit that the next training step runs to."""
        self.active_exit = self.backbone.check_exit(exit)

    def set_update_window(self, window: Optional[int]) -> None:
        """Update only the last ``window`` stages up to the active exit from
        the next step on (None: all of them); see ``update_window``.
        ``PartialBackpropHook``'s ``window_schedule`` calls it."""
        if window is not None and (isinstance(window, bool)
                                   or not isinstance(window, int)
                                   or window < 1):
            raise ValueError(f'{type(self).__name__}: update_window must be '
                             f'None or an integer >= 1; got {window!r}')
        self.update_window = window

    def set_crop_ratio(self, ratio: float) -> None:
        """Set the selector's crop ratio from the next step on (1: no crop,
        selection off); ``PartialBackpropHook``'s ``crop_schedule`` calls
        it. Needs a selector that crops (:class:`HardPairSelector`)."""
        if not hasattr(self.selector, 'set_crop_ratio'):
            raise ConfigError(
                f'{type(self).__name__}: a crop ratio needs a selector that '
                'crops maps (HardPairSelector); got selector '
                f'{type(self.selector).__name__}')
        self.selector.set_crop_ratio(ratio)

    def check_train_batch_size(self, batch_size: int) -> None:
        """Check settings that depend on the total training batch size;
        raise with a clear message if they do not fit. Nothing by default."""

    def run(self,
            *streams: Stream,
            key_order: Optional[KeyOrder] = None,
            select: bool = True,
            tap: Optional[dict] = None) -> List[torch.Tensor]:
        """Run the passes of a step to the active exit (see ``run_pair``),
        with this algorithm's backbone (where a pass names no encoder),
        selector (unless ``select`` is False), :meth:`score_pairs` and
        update window. Returns each pass's feature map at the exit; ``tap``
        collects the whole maps at the selections (see ``run_pair``)."""
        streams = [s if s.encoder is not None else
                   s._replace(encoder=self.backbone) for s in streams]
        return run_pair(
            streams,
            exit=self.active_exit,
            selector=self.selector if select else None,
            score_fn=self.score_pairs,
            key_order=key_order,
            update_window=self.update_window,
            tap=tap)

    def scoring_head_losses(self, tap: dict, **kwargs) -> dict:
        """The losses that train the scoring heads (``train_scoring_heads``)
        from ``tap`` (stage: each pass's whole map at that selection), the
        maps detached, as ``{'loss_score{k}': loss}``."""
        raise NotImplementedError

    def score_pairs(self, stage: int, pooled_q: torch.Tensor,
                    pooled_k: torch.Tensor) -> torch.Tensor:
        """The loss of every candidate crop pair, ``N x M x M`` (see
        ``mmaccel.models.selectors.ScoreFn``), through exit ``stage``'s
        heads, as the algorithm's loss would score that pair."""
        raise NotImplementedError(
            f'{type(self).__name__} does not score crop pairs, so it cannot '
            'use a scoring selector')
