import math
from collections import Counter
from typing import Optional, Sequence

import numpy as np
from mmengine.hooks import Hook
from mmpretrain.utils import get_ori_model

from mmaccel.registry import HOOKS


@HOOKS.register_module()
class PartialBackpropHook(Hook):
    """Draws the active exit before every training iteration.

    The draw uses a generator seeded by ``(seed, iteration)`` alone, so every
    rank draws the same exit with no communication, and a resumed run draws
    the same sequence. The exit is set with ``model.set_active_exit(k)`` on
    the unwrapped model and logged as ``active_exit``; validation and testing
    use the last exit.

    Args:
        exit_probs (Sequence[float], optional): Probability of each of the
            model's exits, in the order of the backbone's ``exits``. Defaults
            to uniform.
        seed (int): Seed of the draws. Defaults to 0.
    """

    priority = 'NORMAL'

    def __init__(self,
                 exit_probs: Optional[Sequence[float]] = None,
                 seed: int = 0) -> None:
        if exit_probs is not None:
            probs = [float(p) for p in exit_probs]
            if not probs or any(p < 0 for p in probs) or not math.isclose(
                    sum(probs), 1.0, abs_tol=1e-6):
                raise ValueError(
                    'PartialBackpropHook: exit_probs must be non-negative '
                    f'and sum to 1; got {tuple(exit_probs)!r} (sum '
                    f'{sum(probs):.6g})')
            exit_probs = probs
        if not isinstance(seed, int) or seed < 0:
            raise ValueError('PartialBackpropHook: seed must be a '
                             f'non-negative integer; got {seed!r}')
        self.exit_probs = exit_probs
        self.seed = seed
        self.exits = None
        self.counts = Counter()

    def before_run(self, runner) -> None:
        model = get_ori_model(runner.model)
        if not hasattr(model, 'set_active_exit'):
            raise TypeError(
                'PartialBackpropHook needs a model with set_active_exit() '
                f'(an accelerated algorithm); got {type(model).__name__}')
        self.exits = tuple(model.exits)
        if self.exit_probs is None:
            self.probs = np.full(len(self.exits), 1 / len(self.exits))
        elif len(self.exit_probs) != len(self.exits):
            raise ValueError(
                f'PartialBackpropHook: exit_probs has {len(self.exit_probs)} '
                f'entries but the model has {len(self.exits)} exits '
                f'{self.exits}; give one probability per exit')
        else:
            self.probs = np.asarray(self.exit_probs, dtype=np.float64)
            self.probs /= self.probs.sum()
        model.set_active_exit(self.exits[-1])

    def before_train(self, runner) -> None:
        # before the first iteration; the train dataloader exists by now
        get_ori_model(runner.model).check_train_batch_size(
            runner.train_dataloader.batch_size * runner.world_size)

    def draw(self, iteration: int) -> int:
        """The exit of an iteration: a function of (seed, iteration) only."""
        rng = np.random.default_rng([self.seed, iteration])
        return self.exits[int(rng.choice(len(self.exits), p=self.probs))]

    def before_train_iter(self, runner, batch_idx: int,
                          data_batch=None) -> None:
        exit = self.draw(runner.iter)
        get_ori_model(runner.model).set_active_exit(exit)
        runner.message_hub.update_scalar('train/active_exit', exit)
        self.counts[exit] += 1

    def after_train_epoch(self, runner) -> None:
        total = sum(self.counts.values())
        if total:
            shares = ', '.join(f'exit {e}: {self.counts[e] / total:.1%}'
                               for e in self.exits)
            runner.logger.info(f'exits drawn this epoch: {shares}')
        self.counts.clear()
        self._use_last_exit(runner)

    def _use_last_exit(self, runner) -> None:
        get_ori_model(runner.model).set_active_exit(self.exits[-1])

    def before_val_epoch(self, runner) -> None:
        self._use_last_exit(runner)

    def before_test_epoch(self, runner) -> None:
        if self.exits is not None:
            self._use_last_exit(runner)
