"""Training loops that resume where a checkpoint stopped, to the batch.

MMEngine's loops resume at the right iteration count but not at the right
place in the data or in the random streams: ``EpochBasedTrainLoop`` replays a
partly trained epoch from its first batch, and ``IterBasedTrainLoop`` loads
and throws away every batch already trained, which also draws the random
numbers of their augmentations. These loops take a resume state from
:class:`AtomicCheckpointHook` (where in the data the run stopped, this rank's
random state) and continue from exactly that point: the batches of the
epoch already trained are skipped in the sampler, without loading them, and
the random state is restored at the point of the loop where it was saved.
Without a resume state they run as MMEngine's loops do. The MMEngine code
they repeat with a change and the private names they need are listed in
:mod:`mmaccel.utils.compat`, whose test fails when MMEngine changes them.
"""
import itertools
import logging
import time
from typing import Optional, Tuple

import torch
from mmengine.logging import print_log
from mmengine.runner import EpochBasedTrainLoop, IterBasedTrainLoop

from mmaccel.registry import LOOPS
from mmaccel.utils.compat import first_loader_iterator
from mmaccel.utils.errors import CheckpointError
from mmaccel.utils.random_state import set_random_state

__all__ = ['ResumableEpochBasedTrainLoop', 'ResumableIterBasedTrainLoop']


class _SkipOnce:
    """Stands in for a batch sampler's sampler for one pass: the first pass
    drops the first ``num`` indices, then the original sampler is back."""

    def __init__(self, batch_sampler, num: int) -> None:
        self.batch_sampler = batch_sampler
        self.sampler = batch_sampler.sampler
        self.num = num
        batch_sampler.sampler = self

    def __iter__(self):
        self.batch_sampler.sampler = self.sampler
        return itertools.islice(iter(self.sampler), self.num, None)

    def __len__(self) -> int:
        return len(self.sampler)


def _skip_batches(dataloader, num_batches: int) -> None:
    """Make the next pass over ``dataloader`` start after ``num_batches``."""
    if num_batches:
        batch_sampler = dataloader.batch_sampler
        _SkipOnce(batch_sampler, num_batches * batch_sampler.batch_size)


def _set_epoch(dataloader, epoch: int) -> None:
    sampler = getattr(dataloader, 'sampler', None)
    if hasattr(sampler, 'set_epoch'):
        sampler.set_epoch(epoch)


def _own_generator(dataloader) -> None:
    # Each new iterator of a DataLoader draws its workers' base seed from the
    # loader's generator, by default torch's global one: every epoch without
    # persistent workers (with num_workers=0 too), only the first with them.
    # The main process's random stream (crops, MoCo's shuffle) would then
    # depend on the loader's settings, and a resumed run, which makes a new
    # iterator where the uninterrupted run reuses its persistent one, would
    # draw once more. A generator of the loader's own leaves the stream alone.
    if getattr(dataloader, 'generator', False) is None:
        dataloader.generator = torch.Generator()


def _check_position(state: dict, batches_per_epoch: int) -> Tuple[int, int]:
    epoch, done = state['position']
    if not 0 <= done <= batches_per_epoch:
        raise CheckpointError(
            f'the checkpoint stopped after batch {done} of epoch {epoch + 1}, '
            f'but this config gives {batches_per_epoch} batches an epoch: '
            'resume with the data set, batch size and number of processes '
            'that wrote it')
    return epoch, done


def _position_or_restore(state: dict) -> Optional[dict]:
    """The state, if it has a data position; without one (written by another
    loop), the random state is restored now and no position is used."""
    if state.get('position') is None:
        set_random_state(state['random'])
        return None
    return state


def _restore_sampler_seed(dataloader, state: dict) -> None:
    # DefaultSampler shuffles with (seed + epoch); an unseeded run draws its
    # seed at start, so a resumed one would shuffle differently without this
    sampler = getattr(dataloader, 'sampler', None)
    if state.get('sampler_seed') is not None and hasattr(sampler, 'seed'):
        sampler.seed = state['sampler_seed']


@LOOPS.register_module()
class ResumableEpochBasedTrainLoop(EpochBasedTrainLoop):
    """MMEngine's :class:`EpochBasedTrainLoop` that resumes mid-epoch.

    Resumed from a checkpoint taken after batch ``b`` of an epoch, it runs
    that epoch's batches ``b + 1 ..`` (the sampler skips the first ``b``
    without loading them) with the random state of the moment the checkpoint
    was taken. Arguments as :class:`EpochBasedTrainLoop`.
    """

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        _own_generator(self.dataloader)
        self._batches_done = 0
        self._resume_state: Optional[dict] = None

    def position(self) -> Tuple[int, int]:
        """``(epoch, batches of it trained)``, for a checkpoint."""
        return self._epoch, self._batches_done

    def resume_from(self, state: dict) -> None:
        """Continue from a rank state saved by ``AtomicCheckpointHook``."""
        _restore_sampler_seed(self.dataloader, state)
        self._resume_state = _position_or_restore(state)

    def run_epoch(self) -> None:
        state, self._resume_state = self._resume_state, None
        done = 0
        if state is not None:
            epoch, done = _check_position(state, len(self.dataloader))
            if epoch != self._epoch:
                raise CheckpointError(
                    f'the checkpoint says epoch {self._epoch + 1} in its meta '
                    f'but its data position is in epoch {epoch + 1}')
            if not done:  # saved after an epoch: before the next one begins
                set_random_state(state['random'])
        self._batches_done = done
        self.runner.call_hook('before_train_epoch')
        self.runner.model.train()
        _skip_batches(self.dataloader, done)
        batches = iter(self.dataloader)
        if done:  # saved after a batch: the epoch's iterator existed already
            set_random_state(state['random'])
        for idx, data_batch in enumerate(batches, start=done):
            self.run_iter(idx, data_batch)
            if self.stop_training:  # a time budget spent: the epoch ends
                break

        self.runner.call_hook('after_train_epoch')
        self._epoch += 1

    def run_iter(self, idx, data_batch) -> None:
        # read by a checkpoint taken in after_train_iter
        self._batches_done = idx + 1
        super().run_iter(idx, data_batch)


class _EndlessBatches:
    """Batches of a dataloader epoch after epoch, knowing where it is.

    As MMEngine's ``_InfiniteDataloaderIterator``, from a given position.
    """

    def __init__(self, dataloader, epoch: int = 0, done: int = 0,
                 iterator=None) -> None:
        self.dataloader = dataloader
        self.epoch = epoch
        self.done = done
        if iterator is None:
            _set_epoch(dataloader, epoch)
            _skip_batches(dataloader, done)
            iterator = iter(dataloader)
        self._iterator = iterator

    def __iter__(self):
        return self

    def __next__(self):
        try:
            data = next(self._iterator)
        except StopIteration:
            self.epoch += 1
            self.done = 0
            _set_epoch(self.dataloader, self.epoch)
            if self.dataloader.num_workers > 0:
                time.sleep(2)  # as MMEngine: workers at an epoch change
            self._iterator = iter(self.dataloader)
            data = next(self._iterator)
        self.done += 1
        return data


@LOOPS.register_module()
class ResumableIterBasedTrainLoop(IterBasedTrainLoop):
    """MMEngine's :class:`IterBasedTrainLoop` that resumes without replaying.

    Resumed, it positions the data at the batch after the checkpoint's (the
    sampler skips the batches of that epoch already trained, without loading
    them) instead of loading every batch trained before, and restores the
    random state of the moment the checkpoint was taken. Arguments as
    :class:`IterBasedTrainLoop`.
    """

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # take over the iterator that MMEngine's loop made at epoch 0, so that
        # a run draws the random numbers that it draws with MMEngine's loop
        self.dataloader_iterator = _EndlessBatches(
            self.dataloader, iterator=first_loader_iterator(self))
        _own_generator(self.dataloader)
        self._resume_state: Optional[dict] = None

    def position(self) -> Tuple[int, int]:
        """``(epoch of the data, batches of it trained)``, for a checkpoint."""
        return self.dataloader_iterator.epoch, self.dataloader_iterator.done

    def resume_from(self, state: dict) -> None:
        """Continue from a rank state saved by ``AtomicCheckpointHook``."""
        _restore_sampler_seed(self.dataloader, state)
        self._resume_state = _position_or_restore(state)

    def run(self):
        self.runner.call_hook('before_train')
        # the whole run is one big epoch for the hooks, as MMEngine's
        self.runner.call_hook('before_train_epoch')
        state, self._resume_state = self._resume_state, None
        if state is not None:
            epoch, done = _check_position(state, len(self.dataloader))
            self.dataloader_iterator = _EndlessBatches(self.dataloader, epoch,
                                                       done)
            set_random_state(state['random'])
        elif self._iter > 0:
            print_log(
                f'Advance dataloader {self._iter} steps to skip data that '
                'has already been trained (the checkpoint has no data '
                'position)',
                logger='current',
                level=logging.WARNING)
            for _ in range(self._iter):
                next(self.dataloader_iterator)
        while self._iter < self._max_iters and not self.stop_training:
            self.runner.model.train()
            data_batch = next(self.dataloader_iterator)
            self.run_iter(data_batch)
            self._decide_current_val_interval()
            if (self.runner.val_loop is not None
                    and self._iter >= self.val_begin
                    and (self._iter % self.val_interval == 0
                         or self._iter == self._max_iters)):
                self.runner.val_loop.run()

        self.runner.call_hook('after_train_epoch')
        self.runner.call_hook('after_train')
        return self.runner.model
