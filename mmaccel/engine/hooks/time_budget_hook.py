import statistics
import time
from collections import deque
from typing import Optional

from mmengine.hooks import ParamSchedulerHook

from mmaccel.engine.runner.time_budget import format_seconds, time_budget_loop
from mmaccel.registry import HOOKS
from mmaccel.utils import compat
from mmaccel.utils.errors import CheckpointError, ConfigError


def _schedulers(runner) -> list:
    schedulers = runner.param_schedulers or []
    if isinstance(schedulers, dict):
        return [s for group in schedulers.values() for s in group]
    return list(schedulers)


@HOOKS.register_module()
class TimeBudgetSchedulerHook(ParamSchedulerHook):
    """MMEngine's :class:`ParamSchedulerHook`, driven by a time budget.

    With a train loop of a time budget (``TimeBudget*TrainLoop``), before
    every iteration each parameter scheduler (learning rate, momentum, ...)
    is stepped to ``floor(used * length / budget)`` steps, where ``used`` is
    the training time counted when the iteration began and ``length`` the
    config's ``max_epochs`` (schedulers by epoch) or ``max_iters`` (by
    iteration, including those converted from epochs): a schedule position
    of ``p`` epochs out of ``max_epochs`` is reached at the share
    ``p / max_epochs`` of the budget. MMEngine's schedulers compute the
    values, as without a budget. The hook also starts the budget's clock
    (``before_train``), pauses it during validation, saves the training time
    used in every checkpoint (``checkpoint['time_budget']``) and restores it
    on ``--resume``, and logs the budget used and left at every tenth of the
    budget and at the end.

    A budget counts wall-clock time, so time in which the process got no
    CPU (a machine paused or suspended, a process swapped out or starved)
    is spent from it. An iteration that takes more than
    :attr:`stall_factor` times the median of the last
    :attr:`stall_window` iterations and more than :attr:`stall_seconds`
    (data loading, the step and the hooks, evaluations not counted) is
    logged as a warning with the CPU time the process had in it, and the
    time above the median is summed in the budget's last line.

    Without a time budget it is :class:`ParamSchedulerHook`.
    ``use_reliable_runtime`` puts it in place of ``ParamSchedulerHook`` for
    a config with ``train_cfg.time_budget``.
    """

    # before RuntimeInfoHook (VERY_HIGH) reads the learning rate to log
    priority = 'HIGHEST'
    stall_factor = 10.0
    stall_seconds = 30.0
    stall_window = 50

    def __init__(self) -> None:
        self._logged_tenths = 0
        self._durations = deque(maxlen=self.stall_window)
        self._mark = None  # (training seconds, CPU seconds) after an iteration
        self._stalled = [0, 0.0]  # stalls, seconds above the median

    def before_train(self, runner) -> None:
        loop = time_budget_loop(runner)
        if loop is None:
            return
        for scheduler in _schedulers(runner):
            if getattr(scheduler, 'need_val_args', False):
                raise ConfigError(
                    f'param_scheduler: {type(scheduler).__name__} steps on '
                    'validation metrics, which a time budget cannot lay out '
                    'on its time; use a schedule over epochs or iterations')
        loop.start_budget()
        self._logged_tenths = int(10 * loop.budget_fraction())
        self._mark = (loop.clock.elapsed(), time.process_time())

    def before_train_iter(self,
                          runner,
                          batch_idx: int,
                          data_batch: Optional[dict] = None) -> None:
        loop = time_budget_loop(runner)
        if loop is None:
            return
        for scheduler in _schedulers(runner):
            target = loop.schedule_step(scheduler.by_epoch)
            while compat.scheduler_steps(scheduler) < target:
                scheduler.step()

    def after_train_iter(self, runner, batch_idx: int, data_batch=None,
                         outputs=None) -> None:
        loop = time_budget_loop(runner)
        if loop is None:
            super().after_train_iter(runner, batch_idx, data_batch, outputs)
            return
        self._check_stall(runner, loop)
        tenths = int(10 * loop.budget_fraction())
        if tenths > self._logged_tenths and not loop.budget_spent:
            self._logged_tenths = tenths
            self._log_budget(runner, loop)

    def after_train_epoch(self, runner) -> None:
        if time_budget_loop(runner) is None:
            super().after_train_epoch(runner)

    def after_train(self, runner) -> None:
        loop = time_budget_loop(runner)
        if loop is not None:
            self._log_budget(runner, loop)

    def _check_stall(self, runner, loop) -> None:
        """Warn about an iteration far slower than the recent ones."""
        now = (loop.clock.elapsed(), time.process_time())
        if self._mark is None:
            self._mark = now
            return
        seconds, cpu = now[0] - self._mark[0], now[1] - self._mark[1]
        self._mark = now
        if len(self._durations) >= 5:
            median = statistics.median(self._durations)
            if seconds > max(self.stall_factor * median, self.stall_seconds):
                self._stalled[0] += 1
                self._stalled[1] += seconds - median
                runner.logger.warning(
                    f'time budget: iteration {runner.iter} took '
                    f'{format_seconds(seconds)}, {seconds / median:.0f}x the '
                    f'median {median:.2f}s of the last '
                    f'{len(self._durations)}, with {cpu:.1f}s of CPU in this '
                    'process: the process stalled (machine paused or '
                    'suspended, swapping, another job?), and the budget '
                    'counts wall-clock time, so the stall was spent from it')
                return  # a stall does not move the median
        self._durations.append(seconds)

    def _log_budget(self, runner, loop) -> None:
        used, budget = loop.budget_used(), loop.time_budget
        state = (f'spent after {runner.iter} iterations' if loop.budget_spent
                 else f'{format_seconds(max(budget - used, 0))} left')
        stalls, stalled = self._stalled
        stalled = (f'; {format_seconds(stalled)} in {stalls} stalled '
                   f'iteration{"s" if stalls > 1 else ""} (warned above)'
                   if stalls else '')
        runner.logger.info(
            f'time budget: {format_seconds(used)} of '
            f'{format_seconds(budget)} used ({used / budget:.0%}), {state}; '
            f'{format_seconds(loop.clock.paused_seconds)} of evaluation not '
            f'counted{stalled}')
        runner.message_hub.update_info('time_budget_used', used)

    # ---------------------------------------------- validation is not counted
    def before_val(self, runner) -> None:
        loop = time_budget_loop(runner)
        if loop is not None:
            loop.clock.pause()

    def after_val(self, runner) -> None:
        loop = time_budget_loop(runner)
        if loop is not None:
            loop.clock.resume()

    # ----------------------------------------------------------- checkpoints
    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        loop = time_budget_loop(runner)
        if loop is not None:
            checkpoint['time_budget'] = dict(
                budget=loop.time_budget, used=loop.clock.elapsed())

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        loop = time_budget_loop(runner)
        if loop is None or not compat.runner_resume(runner):
            return
        state = checkpoint.get('time_budget', None)
        if state is None:
            raise CheckpointError(
                'the checkpoint to resume was not trained to a time budget '
                '(it has no time_budget entry): resume it without '
                '--time-budget / train_cfg.time_budget, or start over')
        loop.resume_budget(state['used'], state['budget'])
