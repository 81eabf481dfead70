import bisect
import math
from collections import Counter
from typing import Dict, Optional, Sequence, Tuple

import numpy as np
import torch
from mmengine.hooks import Hook
from mmengine.model import BaseAveragedModel
from mmpretrain.utils import get_ori_model

from mmaccel.engine.runner.time_budget import training_progress
from mmaccel.models.utils.cost_model import (backbone_macs_to_exit,
                                             cumulative_macs, step_cost)
from mmaccel.registry import HOOKS
from mmaccel.utils.errors import ConfigError
from .keypoints import (check_crop_ratio, check_keypoints, check_window,
                        linear_at, step_at)


def _check_probs(name: str, value) -> Tuple[float, ...]:
    try:
        probs = tuple(float(p) for p in value)
    except (TypeError, ValueError):
        raise ValueError(f'PartialBackpropHook: {name} must be a sequence of '
                         f'probabilities; got {value!r}') from None
    if not probs or any(p < 0 for p in probs) or not math.isclose(
            sum(probs), 1.0, abs_tol=1e-6):
        raise ValueError(
            f'PartialBackpropHook: {name} must be non-negative and sum to 1; '
            f'got {tuple(value)!r} (sum {sum(probs):.6g})')
    return probs


@HOOKS.register_module()
class PartialBackpropHook(Hook):
    """Draws the active exit before every training iteration.

    The draw uses a generator seeded by ``(seed, iteration)`` alone (and the
    schedule, a function of ``iteration / max_iters``), so every rank draws
    the same exit with no communication, and a resumed run draws the same
    sequence. The exit is set with ``model.set_active_exit(k)`` on the
    unwrapped model and logged as ``active_exit``; validation and testing
    use the last exit.

    Exit probabilities are fixed (``exit_probs``, default uniform as in the
    paper) or follow a ``schedule`` over training: keypoints
    ``[(progress, probs), ...]`` with ``progress`` in ``[0, 1]`` the share of
    training done (``iteration / max_iters``), linearly interpolated between
    keypoints and constant outside them. For example
    ``[(0, [.25, .25, .25, .25]), (1, [.05, .05, .1, .8])]`` starts uniform
    and moves the draws to the last exit as training ends.

    Before the first iteration the hook measures each exit's cost (MACs of
    one image's forward pass up to the exit, the selector's crops included,
    on the shape of the first batch) relative to the whole network, and logs
    the expected cost per step ``sum_k p_k * cost_k`` averaged over the
    schedule, so that a schedule's ideal speed-up is known before training.

    Two more schedules act on the model before every iteration, both
    functions of the same progress (so every rank gets the same values and a
    resumed run continues them):

    - ``crop_schedule``: the selector's crop ratio
      (``model.set_crop_ratio``, on a :class:`HardPairSelector`), keypoints
      ``[(progress, crop_ratio), ...]`` linearly interpolated; a progress
      given twice in a row is a jump, and a ratio of 1 switches selection
      off. ``[(0, .75), (.7, .75), (.7, 1.)]``: the paper's crops until 70 %
      of training, none after; ``[(0, .75), (.5, .75), (1, 1.)]``: crops
      growing to the whole map over the second half.
    - ``window_schedule``: the update window (``model.set_update_window``:
      an exit-k step updates only stages ``k - w + 1 .. k``, the stem only
      when that reaches stage 1; None: all), keypoints
      ``[(progress, window), ...]`` in steps: each window holds from its
      progress to the next keypoint. ``[(0, None), (.75, 2)]``: from 75 %
      of training an exit-4 step updates stages 3 and 4 only (FreezeOut-like).

    With these schedules (or a fixed ``update_window``) an exit's cost is
    that of a whole training step (``cost_model.step_cost``): the forward
    passes to the exit on the maps that the crops leave (a momentum
    encoder's included) and the backward pass, twice the forward MACs of the
    updated stages; without them it is the forward cost, the same ratio.
    Scoring the crop pairs, the loss and the optimizer step are not
    counted.

    Args:
        exit_probs (Sequence[float], optional): Fixed probability of each of
            the model's exits, in the order of the backbone's ``exits``.
            Defaults to uniform.
        schedule (Sequence[tuple], optional): Keypoints ``(progress, probs)``
            of a schedule, progress increasing. Excludes ``exit_probs``.
        seed (int): Seed of the draws. Defaults to 0.
        crop_schedule (Sequence[tuple], optional): Keypoints
            ``(progress, crop_ratio)`` of the selector's crop ratio, ratios
            in (0, 1]. Defaults to None: the selector's own.
        window_schedule (Sequence[tuple], optional): Keypoints
            ``(progress, window)`` of the update window, windows None or
            integers >= 1. Defaults to None: the model's ``update_window``.
    """

    priority = 'NORMAL'

    def __init__(self,
                 exit_probs: Optional[Sequence[float]] = None,
                 schedule: Optional[Sequence[tuple]] = None,
                 seed: int = 0,
                 crop_schedule: Optional[Sequence[tuple]] = None,
                 window_schedule: Optional[Sequence[tuple]] = None) -> None:
        if exit_probs is not None and schedule is not None:
            raise ValueError('PartialBackpropHook: give exit_probs (fixed) or '
                             'schedule (keypoints), not both')
        if exit_probs is not None:
            schedule = [(0.0, _check_probs('exit_probs', exit_probs))]
        elif schedule is not None:
            schedule = self._check_schedule(schedule)
        if not isinstance(seed, int) or seed < 0:
            raise ValueError('PartialBackpropHook: seed must be a '
                             f'non-negative integer; got {seed!r}')
        self.schedule = schedule
        self.seed = seed
        self.crop_schedule = None if crop_schedule is None else \
            check_keypoints('crop_schedule', crop_schedule, check_crop_ratio,
                            'crop ratios in (0, 1] (1: no crop)', jumps=True)
        self.window_schedule = None if window_schedule is None else \
            check_keypoints('window_schedule', window_schedule, check_window,
                            'None or integers >= 1')
        self.exits = None
        self.probs = None
        self.max_iters = None
        self.costs: Optional[Dict[int, float]] = None
        self.counts = Counter()

    @staticmethod
    def _check_schedule(schedule) -> list:
        points = []
        try:
            for progress, probs in schedule:
                points.append((float(progress),
                               _check_probs(f'schedule at {progress}', probs)))
        except (TypeError, ValueError) as e:
            if 'PartialBackpropHook' in str(e):
                raise
            raise ValueError(
                'PartialBackpropHook: schedule must be a non-empty list of '
                f'(progress, probs) keypoints; got {schedule!r}') from None
        progress = [p for p, _ in points]
        if (not points or progress != sorted(set(progress))
                or progress[0] < 0 or progress[-1] > 1):
            raise ValueError(
                'PartialBackpropHook: schedule keypoints need distinct '
                'progress values in [0, 1], increasing; got '
                f'{tuple(progress)!r}')
        if len({len(p) for _, p in points}) != 1:
            raise ValueError('PartialBackpropHook: every schedule keypoint '
                             'needs one probability per exit; got lengths '
                             f'{[len(p) for _, p in points]}')
        return points

    def before_run(self, runner) -> None:
        model = get_ori_model(runner.model)
        if not hasattr(model, 'set_active_exit'):
            raise TypeError(
                'PartialBackpropHook needs a model with set_active_exit() '
                f'(an accelerated algorithm); got {type(model).__name__}')
        self.exits = tuple(model.exits)
        if self.schedule is None:
            self.schedule = [(0.0, (1 / len(self.exits), ) * len(self.exits))]
        n = len(self.schedule[0][1])
        if n != len(self.exits):
            name = 'exit_probs' if len(self.schedule) == 1 else 'schedule'
            raise ValueError(
                f'PartialBackpropHook: {name} has {n} entries but the model '
                f'has {len(self.exits)} exits {self.exits}; give one '
                'probability per exit')
        self._check_model(model)
        self.runner = runner  # progress() asks it
        self.max_iters = getattr(runner, 'max_iters', None)
        self.probs = self.probs_at(0.0)
        model.set_active_exit(self.exits[-1])

    def _check_model(self, model) -> None:
        if self.crop_schedule is not None and not hasattr(
                getattr(model, 'selector', None), 'set_crop_ratio'):
            raise ConfigError(
                'PartialBackpropHook: crop_schedule needs a model whose '
                'selector crops maps (HardPairSelector); got selector '
                f'{type(getattr(model, "selector", None)).__name__}')
        if self.window_schedule is not None and not hasattr(
                model, 'set_update_window'):
            raise ConfigError(
                'PartialBackpropHook: window_schedule needs a model with '
                'set_update_window() (an accelerated algorithm); got '
                f'{type(model).__name__}')

    def probs_at(self, progress: float) -> np.ndarray:
        """Exit probabilities at a share ``progress`` of training."""
        keys = [p for p, _ in self.schedule]
        i = bisect.bisect_right(keys, progress)
        if i == 0:
            probs = self.schedule[0][1]
        elif i == len(keys):
            probs = self.schedule[-1][1]
        else:
            (p0, a), (p1, b) = self.schedule[i - 1], self.schedule[i]
            t = (progress - p0) / (p1 - p0)
            probs = [(1 - t) * x + t * y for x, y in zip(a, b)]
        probs = np.asarray(probs, dtype=np.float64)
        return probs / probs.sum()

    def crop_at(self, progress: float) -> Optional[float]:
        """The crop ratio at ``progress`` (None without a crop schedule)."""
        if self.crop_schedule is None:
            return None
        return float(linear_at(self.crop_schedule, progress))

    def window_at(self, progress: float, default=None) -> Optional[int]:
        """The update window at ``progress`` (``default`` without a window
        schedule)."""
        if self.window_schedule is None:
            return default
        return step_at(self.window_schedule, progress)

    def progress(self, iteration: int) -> float:
        """Share of training done at ``iteration``: for the current one,
        :func:`~mmaccel.engine.runner.training_progress` (the share of a time
        budget used, or ``iteration / max_iters``)."""
        runner = getattr(self, 'runner', None)
        if iteration == getattr(runner, 'iter', None):
            return training_progress(runner)
        return iteration / self.max_iters if self.max_iters else 0.0

    def draw(self, iteration: int) -> int:
        """The exit of an iteration: a function of (seed, iteration) only."""
        probs = self.probs_at(self.progress(iteration))
        rng = np.random.default_rng([self.seed, iteration])
        return self.exits[int(rng.choice(len(self.exits), p=probs))]

    def expected_cost(self, costs, num_points: int = 101) -> float:
        """``sum_k p_k * cost_k``, averaged over the schedule's progress;
        ``costs`` maps each exit to its cost, or is a function of progress
        that returns such a map (costs that follow a schedule)."""
        grid = np.linspace(0.0, 1.0, num_points)
        at = costs if callable(costs) else (lambda t: costs)
        return float(np.mean([
            self.probs_at(t) @ np.array([at(t)[k] for k in self.exits])
            for t in grid
        ]))

    @torch.no_grad()
    def measure_stage_costs(self, model, inputs: torch.Tensor,
                            crop_ratio: Optional[float] = None) -> list:
        """Forward MACs up to the stem (entry 0) and up to each stage to the
        last exit, relative to a whole forward pass, with the selector's
        crops (at ``crop_ratio``; None: the selector's own)."""
        was_training = model.training
        model.eval()  # batch norm must not learn from the probe
        # crops shrink the maps; a selector without crops (hard examples)
        # keeps whole maps of fewer samples: not counted
        selector = getattr(model, 'selector', None)
        if not hasattr(selector, 'crop_size'):
            selector = None
        ratio = getattr(selector, 'crop_ratio', None)
        try:
            if crop_ratio is not None:
                selector.set_crop_ratio(crop_ratio)
            x = inputs[:1].float()
            stages = cumulative_macs(model.backbone, x, self.exits[-1],
                                     selector)
            full = backbone_macs_to_exit(model.backbone, x)
            return [m / full for m in stages]
        finally:
            if crop_ratio is not None:
                selector.set_crop_ratio(ratio)
            model.train(was_training)

    def measure_costs(self, model, inputs: torch.Tensor) -> Dict[int, float]:
        """Forward cost of each exit relative to a whole forward pass
        (MACs), with the selector's crops at its current ratio."""
        stages = self.measure_stage_costs(model, inputs)
        return {k: stages[k] for k in self.exits}

    def _step_costs(self, model, inputs: torch.Tensor):
        """Each exit's step cost (:func:`step_cost`) as a function of
        progress, for the crop and window schedules."""
        forward_only = float(any(
            isinstance(m, BaseAveragedModel) for m in model.children()))
        window = getattr(model, 'update_window', None)
        tables = {}

        def costs_at(t: float) -> Dict[int, float]:
            ratio = self.crop_at(t)
            if ratio not in tables:
                tables[ratio] = self.measure_stage_costs(model, inputs, ratio)
            return {k: step_cost(tables[ratio], k, self.window_at(t, window),
                                 forward_only) for k in self.exits}

        return costs_at

    def _report_costs(self, runner, data_batch) -> None:
        model = get_ori_model(runner.model)
        inputs = data_batch['inputs'] if data_batch else None
        if not hasattr(model, 'backbone') or inputs is None:
            return
        views = getattr(model.data_preprocessor, 'view_shapes', None)
        if views is not None and isinstance(inputs, torch.Tensor):
            # raw images (MultiViewDataPreprocessor makes the views): costs
            # depend on the views' shape only
            inputs = inputs.new_zeros(1, *views(inputs.shape)[0],
                                      dtype=torch.float)
        else:
            inputs = inputs[0]
        if isinstance(inputs, (list, tuple)):
            inputs = torch.stack(list(inputs))
        inputs = inputs.to(next(model.backbone.parameters()).device)
        self.costs = self.measure_costs(model, inputs)
        scheduled = self.crop_schedule is not None or \
            self.window_schedule is not None or \
            getattr(model, 'update_window', None) is not None
        costs = self._step_costs(model, inputs) if scheduled else self.costs
        expected = self.expected_cost(costs)

        def show(c):
            return ', '.join(f'exit {k}: {v:.3f}' for k, v in c.items())

        if scheduled:
            what = (f'at the start {show(costs(0.0))}; at the end '
                    f'{show(costs(1.0))}; a step counts its forward passes '
                    'to the exit on the cropped maps and its backward pass '
                    '(2x forward MACs) through the update window')
        else:
            what = show(costs)
        runner.logger.info(
            f'exit schedule: expected cost per step {expected:.3f} of the '
            f'whole network (sum_k p_k * cost_k; {what}), ideal speed-up '
            f'{1 / expected:.2f}x')
        runner.message_hub.update_info('exit_expected_cost', expected)

    def before_train_iter(self, runner, batch_idx: int,
                          data_batch=None) -> None:
        if self.costs is None:
            self._report_costs(runner, data_batch)
        exit = self.draw(runner.iter)
        model = get_ori_model(runner.model)
        model.set_active_exit(exit)
        runner.message_hub.update_scalar('train/active_exit', exit)
        self.counts[exit] += 1
        self._apply_schedules(runner, model, self.progress(runner.iter))

    def _apply_schedules(self, runner, model, progress: float) -> None:
        """Set the crop ratio and the update window of this iteration."""
        if self.crop_schedule is not None:
            ratio = self.crop_at(progress)
            model.set_crop_ratio(ratio)
            runner.message_hub.update_scalar('train/crop_ratio', ratio)
        if self.window_schedule is not None:
            window = self.window_at(progress)
            model.set_update_window(window)
            # 0: no window, every stage up to the exit is updated
            runner.message_hub.update_scalar('train/update_window',
                                             window or 0)

    def after_train_epoch(self, runner) -> None:
        total = sum(self.counts.values())
        if total:
            shares = ', '.join(f'exit {e}: {self.counts[e] / total:.1%}'
                               for e in self.exits)
            runner.logger.info(f'exits drawn this epoch: {shares}')
        self.counts.clear()
        self._use_last_exit(runner)

    def _use_last_exit(self, runner) -> None:
        if self.exits is not None:
            get_ori_model(runner.model).set_active_exit(self.exits[-1])

    def before_val_epoch(self, runner) -> None:
        self._use_last_exit(runner)

    def before_test_epoch(self, runner) -> None:
        self._use_last_exit(runner)
