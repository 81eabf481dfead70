"""BudgetShares: when the evaluation hooks (precise BN, kNN) run under a time
budget with ``budget_interval``, at shares of the budget."""
from types import SimpleNamespace

import pytest

from mmaccel.engine.hooks import KNNEvalHook, PreciseBackboneBNHook
from mmaccel.engine.hooks.budget_shares import BudgetShares


class _Loop:
    """What BudgetShares reads of a time-budget train loop."""

    def __init__(self):
        self.fraction, self.budget_spent = 0.0, False
        self.dataloader = range(8)  # 8 iterations per epoch

    def budget_fraction(self):
        return self.fraction


def test_budget_shares_fire_once_per_share_and_not_at_the_end():
    loop = _Loop()
    runner = SimpleNamespace(_train_loop=loop, iter=0)
    shares = BudgetShares(0.25, 'KNNEvalHook')
    shares.start(runner)
    due = []
    for i, f in enumerate([0.1, 0.2, 0.3, 0.45, 0.55, 0.9, 1.0]):
        runner.iter, loop.fraction = i, f
        loop.budget_spent = f >= 1.0
        due.append(shares.due_after_iter(runner))
    # 0.3 passes a quarter, 0.55 a half, 0.9 three quarters; 1.0 is the
    # end, which the epoch's end evaluates
    assert due == [False, False, True, False, True, True, False]
    runner.iter, loop.budget_spent = 4, False
    assert shares.epochs_done(runner) == 5 / 8  # after iteration 4
    resumed = BudgetShares(0.25, 'KNNEvalHook')
    loop.fraction = 0.6
    resumed.start(runner)  # a resumed run counts the shares already passed
    loop.fraction = 0.7
    assert not resumed.due_after_iter(runner)
    assert not BudgetShares(None, 'x').active(runner)  # epoch intervals
    assert not BudgetShares(0.25, 'x').active(SimpleNamespace(iter=0))
    with pytest.raises(ValueError, match='budget_interval'):
        BudgetShares(0, 'KNNEvalHook')


def test_hooks_check_budget_interval():
    loader = dict(dataset=dict(type='X'))
    with pytest.raises(ValueError, match='KNNEvalHook: budget_interval'):
        KNNEvalHook(loader, loader, 10, budget_interval=1.5)
    with pytest.raises(ValueError,
                       match='PreciseBackboneBNHook: budget_interval'):
        PreciseBackboneBNHook(loader, budget_interval=-0.1)
    hook = KNNEvalHook(loader, loader, 10, budget_interval=0.25)
    assert hook.shares.interval == 0.25
