"""Augmentations drawn from ``(seed, epoch, sample index)``, not from the
random state of whichever process runs them.

A loader worker draws the random numbers of the augmentations from its own
generators, which are not in a checkpoint and depend on how the samples fall
to the workers; so the views of a sample depend on the number of workers and
a resumed run's views differ from an uninterrupted run's. With
:class:`SeededAugmentSampler` (the sampler yields ``(seed, epoch, index)``
keys instead of indices) and :class:`SeededAugmentDataset` (seeds the
generators from the key before the sample's pipeline runs), the views of a
sample are a function of the run's seed, the epoch and the sample's index:
the same with 0, 1 or 8 workers, on any number of processes, and after a
resume. ``use_reliable_runtime`` puts both in every mmaccel training config.
"""
import contextlib
import random
from typing import Optional

import numpy as np
import torch
from mmengine.dist import sync_random_seed
from torch.utils.data import Dataset, Sampler, get_worker_info

from mmaccel.registry import DATA_SAMPLERS, DATASETS
from mmaccel.utils.random_state import derive_seed

__all__ = ['SeededAugmentDataset', 'SeededAugmentSampler', 'seed_generators']


def seed_generators(seed: int) -> None:
    """Seed Python's, NumPy's and torch's CPU global generators (CUDA's
    are left alone: a data pipeline runs on the CPU)."""
    random.seed(seed)
    np.random.seed(seed)
    torch.default_generator.manual_seed(seed)


class _Forward:
    """Attributes that the wrapper lacks are read from the wrapped object."""

    _wrapped = ''

    def __getattr__(self, name):
        # only for names not found on the wrapper; the guard keeps unpickling
        # (which looks names up before __init__ ran) from recursing
        if name.startswith('__') or name == self._wrapped:
            raise AttributeError(name)
        return getattr(getattr(self, self._wrapped), name)


@DATASETS.register_module()
class SeededAugmentDataset(_Forward, Dataset):
    """A data set whose pipeline draws from ``(seed, epoch, index)``.

    Read with a key ``(seed, epoch, index)`` (as
    :class:`SeededAugmentSampler` yields them), it seeds Python's, NumPy's
    and torch's CPU generators with ``derive_seed(seed, epoch, index)`` and
    returns ``dataset[index]``. In a loader worker the generators stay as
    seeded (the worker's own; nothing else draws from them); in the main
    process (``num_workers=0``) they are put back afterwards (once a batch
    when the DataLoader reads a batch), so the main process's random stream
    (crop offsets, MoCo's shuffle, ...) is the same with and without
    workers. Read with a plain index, it is the wrapped data
    set. Other attributes (``metainfo``, ``pipeline``, ...) are the wrapped
    data set's.

    Args:
        dataset (dict | Dataset): The data set, or its config.
    """

    _wrapped = 'dataset'

    def __init__(self, dataset) -> None:
        if isinstance(dataset, dict):
            dataset = DATASETS.build(dataset)
        self.dataset = dataset

    def full_init(self) -> None:
        if hasattr(self.dataset, 'full_init'):
            self.dataset.full_init()

    def __len__(self) -> int:
        return len(self.dataset)

    def _read(self, key):
        seed, epoch, index = key
        seed_generators(derive_seed(seed, epoch, index))
        return self.dataset[index]

    def __getitem__(self, key):
        if not isinstance(key, tuple):
            return self.dataset[key]
        if get_worker_info() is not None:
            return self._read(key)
        with _random_state_kept():
            return self._read(key)

    def __getitems__(self, keys: list) -> list:
        """A batch of samples, as the DataLoader reads them: in the main
        process the generators are put back once a batch, not once a
        sample (saving NumPy's state costs more than seeding it)."""
        if get_worker_info() is not None or not all(
                isinstance(key, tuple) for key in keys):
            return [self[key] for key in keys]
        with _random_state_kept():
            return [self._read(key) for key in keys]


@contextlib.contextmanager
def _random_state_kept():
    """Python's, NumPy's and torch's CPU generators as they were, after."""
    state = random.getstate(), np.random.get_state(), torch.get_rng_state()
    try:
        yield
    finally:
        random.setstate(state[0])
        np.random.set_state(state[1])
        torch.set_rng_state(state[2])


@DATA_SAMPLERS.register_module()
class SeededAugmentSampler(_Forward, Sampler):
    """A sampler whose indices carry the seed and the epoch to the workers.

    Yields ``(seed, epoch, index)`` for each ``index`` of the wrapped
    sampler, to be read by :class:`SeededAugmentDataset`. ``seed`` is the
    wrapped sampler's (MMEngine's samplers take the run's seed,
    ``randomness.seed``, or draw one at start; a checkpoint saves it), and
    ``epoch`` the one set by ``set_epoch``. For a sampler without epochs
    (MMEngine's ``InfiniteSampler``) the epoch is the pass over the data:
    the position in its stream divided by its length. ``set_epoch``, ``seed``
    and other attributes are the wrapped sampler's.

    Args:
        sampler (dict | Sampler): The sampler, or its config (built with
            ``dataset`` and ``seed``, as the Runner builds samplers).
        dataset (Dataset): The data set. The Runner passes it.
        seed (int, optional): The run's seed, passed on to the sampler. The
            Runner passes it. Defaults to None.
    """

    _wrapped = 'sampler'

    def __init__(self, sampler, dataset=None,
                 seed: Optional[int] = None) -> None:
        if isinstance(sampler, dict):
            sampler = DATA_SAMPLERS.build(
                sampler, default_args=dict(dataset=dataset, seed=seed))
        self.sampler = sampler
        if not hasattr(sampler, 'seed'):
            self._seed = sync_random_seed() if seed is None else seed

    @property
    def seed(self) -> int:
        if hasattr(self.sampler, 'seed'):
            return self.sampler.seed
        return self._seed

    @seed.setter
    def seed(self, value: int) -> None:
        if hasattr(self.sampler, 'seed'):
            self.sampler.seed = value
        else:
            self._seed = value

    def set_epoch(self, epoch: int) -> None:
        if hasattr(self.sampler, 'set_epoch'):
            self.sampler.set_epoch(epoch)

    def __len__(self) -> int:
        return len(self.sampler)

    def __iter__(self):
        seed = self.seed
        epoch = getattr(self.sampler, 'epoch', None)
        if epoch is not None:
            for index in self.sampler:
                yield seed, epoch, index
        else:
            length = max(len(self.sampler), 1)
            for position, index in enumerate(self.sampler):
                yield seed, position // length, index
