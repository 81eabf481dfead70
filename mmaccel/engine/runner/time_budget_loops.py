"""Training loops that stop when a wall-clock time budget is spent.

``train_cfg=dict(type='EpochBasedTrainLoop', max_epochs=50,
time_budget='8h')`` (or ``tools/train.py CONFIG --time-budget 8h``) trains
for 8 hours of training time (:mod:`.time_budget`: evaluations are not
counted) instead of 50 epochs; ``use_reliable_runtime`` builds these loops
for such a config.

- **Where it stops.** The clock is read once per iteration, right after its
  training step, on rank 0, and broadcast: every rank sees the same reading
  and stops after the same iteration, the first whose reading reaches the
  budget (so training ends less than one step past the budget). That
  iteration's hooks then see it as the last (``is_last_train_iter``), its
  epoch ends there (``is_last_train_epoch``: end-of-training evaluation and
  checkpoints run once), and validation runs if configured.
- **Schedules.** ``max_epochs`` / ``max_iters`` of the config are the
  *nominal* length on which the parameter schedulers are laid out. A
  scheduler position of ``p`` epochs (or iterations) is reached when the
  share of the budget used is ``p / max_epochs`` (or ``p / max_iters``):
  :class:`TimeBudgetSchedulerHook` steps each scheduler, before each
  iteration, to ``floor(used * nominal_length / budget)`` steps, with the
  reading taken after the previous iteration's step. A cosine schedule thus
  ends with the budget whatever the speed of the model.
- **While running**, ``runner.max_iters`` / ``max_epochs`` are a projection
  of where the budget will end (the mean step time so far), never the
  current iteration or epoch until the budget is spent; logs and ETA use it.
- **Resume.** The training seconds used are saved in every checkpoint
  (``checkpoint['time_budget']``) and ``--resume`` continues the budget.
- A budget spent within the first iteration of a run is a
  :class:`ConfigError`, raised before that iteration's hooks.
"""
import logging
import math
from typing import Callable, Union

import torch
from mmengine.dist import broadcast, get_world_size
from mmengine.logging import print_log

from mmaccel.registry import LOOPS
from mmaccel.utils.errors import ConfigError
from .resumable_loops import (ResumableEpochBasedTrainLoop,
                              ResumableIterBasedTrainLoop)
from .time_budget import (TrainingClock, format_seconds, parse_time_budget,
                          resolve_timer)

__all__ = ['TimeBudgetEpochBasedTrainLoop', 'TimeBudgetIterBasedTrainLoop']

Clock = Union[None, str, Callable[[], float]]


class _TimeBudget:
    """What the two loops share."""

    by_epoch = True  # whether max_epochs follows the budget too

    def _init_budget(self, time_budget, clock: Clock) -> None:
        self.budget_setting = time_budget
        self.time_budget = parse_time_budget(time_budget, 'time_budget')
        self.clock = TrainingClock(resolve_timer(clock))
        # the length that the schedules are laid out on
        self.nominal_iters = self._max_iters
        self.nominal_epochs = self._max_epochs
        self._used = 0.0  # rank 0's seconds after the last step
        self._start = (0, 0.0)  # (iteration, seconds) when this run began
        self.budget_spent = False

    # ---------------------------------------------------------- queries
    def budget_used(self) -> float:
        """Training seconds counted when the current iteration began (rank
        0's clock after the previous step, on every rank)."""
        return self._used

    def budget_fraction(self) -> float:
        """Share of the budget used when the current iteration began."""
        return min(self._used / self.time_budget, 1.0)

    def schedule_step(self, by_epoch: bool) -> int:
        """Scheduler steps (epochs or iterations of the nominal length) that
        the share of the budget used stands for."""
        length = self.nominal_epochs if by_epoch else self.nominal_iters
        return math.floor(self._used * length / self.time_budget)

    # ------------------------------------------------ called by the hook
    def resume_budget(self, used: float, budget: float) -> None:
        """Continue from ``used`` seconds saved in a checkpoint."""
        if not math.isclose(budget, self.time_budget):
            print_log(
                f'the checkpoint was trained to a budget of '
                f'{format_seconds(budget)}; this run continues to '
                f'{format_seconds(self.time_budget)}, and the rest of the '
                'schedule follows the new budget',
                logger='current', level=logging.WARNING)
        self._used = float(used)

    def start_budget(self) -> None:
        """Start the clock (``TimeBudgetSchedulerHook.before_train``)."""
        self.clock.start(self._used)
        self._start = (self._iter, self._used)
        if self._used >= self.time_budget:  # resumed from the last checkpoint
            self.budget_spent = self.stop_training = True
            self._max_iters = self._iter
            if self.by_epoch:
                self._max_epochs = self._epoch
        else:
            self._project()
        length = (f'{self.nominal_epochs} epochs = ' if self.by_epoch else
                  '') + f'{self.nominal_iters} iterations'
        print_log(
            f'training to a time budget of '
            f'{format_seconds(self.time_budget)} ({self.budget_setting!r}), '
            f'{format_seconds(self._used)} used; the schedules, laid out on '
            f'{length}, follow the share of the budget used',
            logger='current')

    # ---------------------------------------------------------- running
    def _check_clock(self) -> None:
        if not self.clock.started:
            raise ConfigError(
                f'time_budget={self.budget_setting!r} needs '
                "default_hooks.param_scheduler=dict(type="
                "'TimeBudgetSchedulerHook') (use_reliable_runtime puts it "
                'in place), which starts the clock and drives the schedulers')

    def _read(self) -> float:
        """Rank 0's training seconds, on every rank."""
        value = torch.tensor([self.clock.elapsed()], dtype=torch.float64)
        if get_world_size() > 1:
            broadcast(value, 0)
        return float(value.item())

    def _train_iter(self, batch_idx: int, data_batch) -> None:
        """MMEngine's ``run_iter``, with the clock read after the step."""
        self._check_clock()
        runner = self.runner
        runner.call_hook(
            'before_train_iter', batch_idx=batch_idx, data_batch=data_batch)
        outputs = runner.model.train_step(
            data_batch, optim_wrapper=runner.optim_wrapper)
        self._used = self._read()
        if self._used >= self.time_budget:
            if self._iter == self._start[0] == 0:
                raise ConfigError(
                    f'time_budget={self.budget_setting!r} is shorter than '
                    'one training iteration (the first took '
                    f'{format_seconds(self._used)}): give a longer budget')
            self._finish()
        else:
            self._project()
        runner.call_hook(
            'after_train_iter',
            batch_idx=batch_idx,
            data_batch=data_batch,
            outputs=outputs)
        self._iter += 1

    def _finish(self) -> None:
        """This iteration is the last; its epoch ends after it."""
        self.budget_spent = self.stop_training = True
        self._max_iters = self._iter + 1
        if self.by_epoch:
            self._max_epochs = self._epoch + 1

    def _project(self) -> None:
        """``max_iters`` / ``max_epochs``: where the budget should end, at
        least one iteration and one epoch on."""
        done = self._iter + 1 - self._start[0]
        spent = self._used - self._start[1]
        left = self.time_budget - self._used
        more = math.ceil(left * done / spent) if spent > 0 and done > 0 \
            else max(self.nominal_iters - self._iter - 1, 1)
        self._max_iters = self._iter + 1 + max(more, 1)
        if self.by_epoch:
            per_epoch = max(len(self.dataloader), 1)
            self._max_epochs = max(self._epoch + 2,
                                   math.ceil(self._max_iters / per_epoch))


@LOOPS.register_module()
class TimeBudgetEpochBasedTrainLoop(_TimeBudget, ResumableEpochBasedTrainLoop):
    """:class:`ResumableEpochBasedTrainLoop` that trains to a time budget.

    See the module docstring for the rules.

    Args:
        runner (Runner): The runner.
        dataloader (DataLoader | dict): The training data.
        max_epochs (int): The nominal length of training: the schedules are
            laid out on ``max_epochs`` epochs, which the budget stretches or
            shrinks to its length.
        time_budget (str | float): Training seconds, or a duration such as
            ``'90s'``, ``'45m'``, ``'8h'``, ``'1h30m'``.
        clock (callable | str, optional): The timer (seconds), or its import
            path ``'module.name'``. Defaults to ``time.perf_counter``; tests
            pass a fake one.
        **kwargs: Other arguments of ``EpochBasedTrainLoop``.
    """

    def __init__(self,
                 runner,
                 dataloader,
                 max_epochs: int,
                 time_budget: Union[str, float],
                 clock: Clock = None,
                 **kwargs) -> None:
        super().__init__(runner, dataloader, max_epochs, **kwargs)
        self._init_budget(time_budget, clock)

    def run_iter(self, idx, data_batch) -> None:
        self._batches_done = idx + 1  # as ResumableEpochBasedTrainLoop
        self._train_iter(idx, data_batch)


@LOOPS.register_module()
class TimeBudgetIterBasedTrainLoop(_TimeBudget, ResumableIterBasedTrainLoop):
    """:class:`ResumableIterBasedTrainLoop` that trains to a time budget.

    See the module docstring for the rules.

    Args:
        runner (Runner): The runner.
        dataloader (DataLoader | dict): The training data.
        max_iters (int): The nominal length of training: the schedules are
            laid out on ``max_iters`` iterations, which the budget stretches
            or shrinks to its length.
        time_budget (str | float): Training seconds, or a duration such as
            ``'90s'``, ``'45m'``, ``'8h'``, ``'1h30m'``.
        clock (callable | str, optional): The timer, as for
            :class:`TimeBudgetEpochBasedTrainLoop`.
        **kwargs: Other arguments of ``IterBasedTrainLoop``.
    """

    by_epoch = False

    def __init__(self,
                 runner,
                 dataloader,
                 max_iters: int,
                 time_budget: Union[str, float],
                 clock: Clock = None,
                 **kwargs) -> None:
        super().__init__(runner, dataloader, max_iters, **kwargs)
        self._init_budget(time_budget, clock)

    def run_iter(self, data_batch) -> None:
        self._train_iter(self._iter, data_batch)
