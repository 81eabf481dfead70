"""Evaluation points at shares of a time budget, for evaluation hooks."""
import math
from typing import Optional

from mmaccel.engine.runner.time_budget import time_budget_loop


class BudgetShares:
    """Says when an evaluation hook runs in a run trained to a time budget:
    each time the share of the budget used passes a multiple of
    ``interval`` (0.25: after 25, 50 and 75 %), and at the end (the last
    epoch, which the budget ends). Runs trained to the same budget so
    evaluate at the same training times, whatever their speed.

    :class:`PreciseBackboneBNHook` and :class:`KNNEvalHook` each hold one;
    both read the same share after the same iteration, so precise BN runs
    right before each kNN evaluation. Without a time budget (or with
    ``interval=None``) :attr:`active` is False and the hooks keep their
    epoch interval.

    Args:
        interval (float, optional): Share of the budget between evaluations,
            in (0, 1]. Defaults to None (epoch intervals).
        owner (str): The hook's name, for the error message.
    """

    def __init__(self, interval: Optional[float], owner: str) -> None:
        if interval is not None and not (
                isinstance(interval, (int, float))
                and not isinstance(interval, bool) and 0 < interval <= 1):
            raise ValueError(f'{owner}: budget_interval must be a share of '
                             f'the time budget in (0, 1]; got {interval!r}')
        self.interval = interval
        self.passed = 0

    def active(self, runner) -> bool:
        return self.interval is not None and \
            time_budget_loop(runner) is not None

    def start(self, runner) -> None:
        """Count the shares already passed (a resumed run)."""
        if self.active(runner):
            self.passed = self._shares(time_budget_loop(runner))

    def _shares(self, loop) -> int:
        return math.floor(loop.budget_fraction() / self.interval + 1e-9)

    def due_after_iter(self, runner) -> bool:
        """Whether this iteration passed a share of the budget (not the
        last iteration: the end is evaluated after the last epoch)."""
        if not self.active(runner):
            return False
        loop = time_budget_loop(runner)
        shares = self._shares(loop)
        if loop.budget_spent or shares <= self.passed:
            return False
        self.passed = shares
        return True

    @staticmethod
    def epochs_done(runner) -> float:
        """Epochs of training done, fractional: the label of an evaluation
        at a share of the budget (``runner.iter`` counts the iteration in
        ``after_train_iter`` only after the hooks)."""
        loop = time_budget_loop(runner)
        per_epoch = max(len(loop.dataloader), 1)
        iters = runner.iter + (0 if loop.budget_spent else 1)
        return round(iters / per_epoch, 4)
