"""A fake clock for the time-budget tests (imported through a config's
``custom_imports``, in the test process or in a training process).

``train_cfg.clock='fake_clock.now'`` makes a time-budget loop read
:func:`now`, which only :class:`FakeClockHook` moves: by a fixed number of
seconds per training step (cycling through ``durations``, indexed by the
iteration, so that a resumed run sees the same durations). The durations
are dyadic fractions, so sums of them are exact in floating point and a run
can be compared bit for bit with a resumed one. :class:`BudgetRecorderHook`
records what each iteration saw (after the other hooks' before_train_iter).
"""
import time

from mmengine.dist import get_rank
from mmengine.hooks import Hook
from mmpretrain.utils import get_ori_model

from mmaccel.engine.runner.time_budget import training_progress
from mmaccel.registry import HOOKS

NOW = [0.0]
RECORD = []  # (iteration, budget used, progress, learning rate)
EXITS = []  # the active exit of every iteration (accelerated models)


def now() -> float:
    return NOW[0]


def advance(seconds: float) -> None:
    NOW[0] += seconds


TICK = 1 / 16  # dyadic: sums are exact


def ticking() -> float:
    """A clock that moves by :data:`TICK` seconds each time it is read and
    by nothing else: a run's budget then runs out after the same iterations
    whatever the machine's speed (``train_cfg.clock='fake_clock.ticking'``,
    for tools that cannot add :class:`FakeClockHook`, such as the demo)."""
    NOW[0] += TICK
    return NOW[0]


@HOOKS.register_module(force=True)
class FakeClockHook(Hook):
    """Moves the fake clock by ``durations[iter % len]`` seconds in every
    training step (``rank_scale[rank]`` times that on the ranks named, which
    also sleep ``rank_sleep`` real seconds a step: a slower process)."""

    priority = 'HIGHEST'

    def __init__(self, durations=(1.0, ), rank_scale=None, rank_sleep=0.0):
        self.durations = tuple(durations)
        self.rank_scale = dict(rank_scale or {})
        self.rank_sleep = rank_sleep

    def before_run(self, runner) -> None:
        NOW[0] = 0.0  # a process starts its clock anywhere

    def before_train_iter(self, runner, batch_idx, data_batch=None) -> None:
        scale = self.rank_scale.get(get_rank(), 1.0)
        advance(self.durations[runner.iter % len(self.durations)] * scale)
        if scale != 1.0 and self.rank_sleep:
            time.sleep(self.rank_sleep)


@HOOKS.register_module(force=True)
class BudgetRecorderHook(Hook):
    """Appends ``(iteration, used, progress, lr)`` to :data:`RECORD` before
    every iteration (after the schedulers were stepped)."""

    priority = 'LOWEST'

    def before_run(self, runner) -> None:
        RECORD.clear()
        EXITS.clear()

    def before_train_iter(self, runner, batch_idx, data_batch=None) -> None:
        lr = runner.optim_wrapper.optimizer.param_groups[0]['lr']
        RECORD.append((runner.iter, runner.train_loop.budget_used(),
                       training_progress(runner), lr))
        exit = getattr(get_ori_model(runner.model), 'active_exit', None)
        if exit is not None:
            EXITS.append(exit)
