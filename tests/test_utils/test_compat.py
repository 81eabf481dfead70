"""The MMEngine private names that mmaccel reaches through
``mmaccel/utils/compat.py`` still exist, mean what they meant, and the MMEngine
code that mmaccel copies is unchanged: each test fails loudly, naming what
to re-read, when the installed MMEngine changes one of them."""
import importlib
import inspect

import pytest
import torch
from mmengine.hooks import CheckpointHook
from mmengine.optim.scheduler import LinearLR
from mmengine.runner import EpochBasedTrainLoop, IterBasedTrainLoop, Runner
from mmengine.runner.loops import _InfiniteDataloaderIterator
from mmengine.testing import RunnerTestCase

from mmaccel.engine.hooks import AtomicCheckpointHook
from mmaccel.utils import compat


def resolve(name: str):
    """The object of a dotted name: a module's attribute, maybe nested."""
    parts = name.split('.')
    for i in range(len(parts) - 1, 0, -1):
        try:
            obj = importlib.import_module('.'.join(parts[:i]))
        except ImportError:
            continue
        for part in parts[i:]:
            obj = getattr(obj, part)
        return obj
    raise ImportError(name)


class TestRunnerAndLoops(RunnerTestCase):
    """On MMEngine's real Runner and loops, with its toy model."""

    def test_runner_resume_and_load_from(self):
        assert {'resume', 'load_from'} <= set(
            inspect.signature(Runner.__init__).parameters)
        cfg = self.epoch_based_cfg.copy()
        cfg.resume, cfg.load_from = True, 'some/epoch_1.pth'
        runner = self.build_runner(cfg)
        assert compat.runner_resume(runner) is True
        assert compat.runner_load_from(runner) == 'some/epoch_1.pth'
        runner = self.build_runner(self.epoch_based_cfg.copy())
        assert compat.runner_resume(runner) is False
        assert compat.runner_load_from(runner) is None

    def test_first_loader_iterator_of_the_iter_based_loop(self):
        loop = self.build_runner(self.iter_based_cfg.copy()).train_loop
        assert type(loop) is IterBasedTrainLoop
        assert isinstance(loop.dataloader_iterator,
                          _InfiniteDataloaderIterator)
        batches = compat.first_loader_iterator(loop)
        assert batches is not loop.dataloader_iterator
        batch = next(batches)  # one batch of the loop's DataLoader
        assert len(batch['inputs']) == loop.dataloader.batch_size

    def test_loop_state_attributes(self):
        for cfg, cls in ((self.epoch_based_cfg, EpochBasedTrainLoop),
                         (self.iter_based_cfg, IterBasedTrainLoop)):
            loop = self.build_runner(cfg.copy()).train_loop
            assert type(loop) is cls
            for name in compat.LOOP_STATE:
                public = name[1:]  # the read-only property over it
                assert isinstance(getattr(loop, name), int), (cls, name)
                setattr(loop, name, 7)
                assert getattr(loop, public) == 7, (cls, name)


def test_scheduler_steps_counts_steps():
    optimizer = torch.optim.SGD([torch.nn.Parameter(torch.ones(1))], lr=1.)
    scheduler = LinearLR(optimizer, start_factor=0.5, end=4, by_epoch=False)
    before = compat.scheduler_steps(scheduler)
    scheduler.step()
    scheduler.step()
    assert compat.scheduler_steps(scheduler) == before + 2


@pytest.mark.parametrize('name', sorted(compat.PRIVATE_METHODS))
def test_private_methods_keep_their_signature(name):
    method = resolve(name)
    assert str(inspect.signature(method)) == compat.PRIVATE_METHODS[name], (
        f'MMEngine changed {name}, which mmaccel overrides or calls: re-read '
        'it and update mmaccel/utils/compat.py and its users')


def test_checkpoint_hook_still_saves_through_the_overridden_method():
    # AtomicCheckpointHook writes atomically by overriding it
    assert '_save_checkpoint_with_step' in vars(AtomicCheckpointHook)
    for caller in (CheckpointHook._save_checkpoint,
                   CheckpointHook._save_best_checkpoint):
        assert 'self._save_checkpoint_with_step(' in inspect.getsource(
            caller), caller.__qualname__


@pytest.mark.parametrize('name', sorted(compat.COPIED_SOURCES))
def test_copied_mmengine_code_is_unchanged(name):
    assert compat.source_digest(resolve(name)) == \
        compat.COPIED_SOURCES[name], (
            f'MMEngine changed {name}, which mmaccel repeats with a change '
            '(see the comment in mmaccel/utils/compat.py): carry the change '
            'over, then update the digest')
