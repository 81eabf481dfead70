"""Compatibility with upstream packages on the pinned stack.

Imported first by ``mmaccel/__init__.py``. Two kinds of entries, each with a
comment saying what it stands for:

- shims that change an upstream behaviour, each with a test in
  ``tests/test_utils/test_compat_shims.py`` that fails without it;
- the private names of MMEngine that mmaccel still needs (for an exact
  resume and a time budget): every use goes through this module, and
  ``tests/test_utils/test_compat.py`` fails loudly when the installed
  MMEngine changes one of them.
"""
import hashlib
import inspect
from typing import Optional

import torch
from mmengine.runner.checkpoint import CheckpointLoader
from mmengine.utils import digit_version

from .checkpoint_reader import load_checkpoint_file

__all__ = [
    'load_from_local', 'runner_resume', 'runner_load_from',
    'first_loader_iterator', 'scheduler_steps', 'LOOP_STATE',
    'PRIVATE_METHODS', 'COPIED_SOURCES', 'source_digest'
]


# torch >= 2.6 made ``torch.load`` default to ``weights_only=True``. MMEngine
# 0.10.7 calls ``torch.load(filename, map_location=...)`` without the argument,
# and its checkpoints hold the message hub: ``HistoryBuffer`` objects whose
# ``statistics_methods`` pickle as ``builtins.getattr`` on bound methods, and
# numpy arrays. So ``--resume`` (and ``load_checkpoint`` of any mmengine
# checkpoint) fails with "Weights only load failed". Allow-listing those
# globals would mean allowing ``getattr``, which defeats ``weights_only``;
# instead local checkpoints, which these runs wrote themselves, load as they
# did on torch < 2.6, through mmaccel's one checkpoint reader. Remote schemes
# (http, open-mmlab://, ...) keep torch's default.
def load_from_local(filename, map_location):
    """Load a checkpoint from a local path with ``weights_only=False``.

    A missing file, or one that ``torch.load`` cannot read (truncated, or
    not written by ``torch.save``), raises :class:`CheckpointError` naming it
    (:func:`mmaccel.utils.checkpoint_reader.load_checkpoint_file`).

    Args:
        filename (str): Local checkpoint file path.
        map_location (str, optional): Same as :func:`torch.load`.

    Returns:
        dict or OrderedDict: The loaded checkpoint.
    """
    return load_checkpoint_file(filename, map_location)


if digit_version(torch.__version__) >= digit_version('2.6.0'):
    CheckpointLoader.register_scheme(prefixes='', loader=load_from_local,
                                     force=True)


# ------------------------------------------------- MMEngine's private names
# Runner(resume=...): whether the run resumes (``--resume``). MMEngine keeps
# the argument only as ``Runner._resume``, read in ``load_or_resume``; hooks
# need it before the checkpoint is loaded (``before_run``) and when it is.
def runner_resume(runner) -> bool:
    """Whether ``runner`` resumes training from a checkpoint."""
    return runner._resume


# Runner(load_from=...): the checkpoint to load or resume from (``--resume
# PATH``, ``load_from=``), None to find the latest one in the work dir when
# resuming. Kept only as ``Runner._load_from``.
def runner_load_from(runner) -> Optional[str]:
    """The checkpoint ``runner`` will load, as configured (or None)."""
    return runner._load_from


# IterBasedTrainLoop wraps its dataloader in ``_InfiniteDataloaderIterator``
# (``loop.dataloader_iterator``), which makes the DataLoader's first iterator
# when the loop is built and keeps it as ``_iterator``. The resumable loop
# takes that iterator over, so that a run draws the random numbers it draws
# with MMEngine's loop.
def first_loader_iterator(loop):
    """The DataLoader iterator that ``IterBasedTrainLoop`` made when built."""
    return loop.dataloader_iterator._iterator


# A parameter scheduler's ``_global_step``: how many times ``step()`` has
# run (from 0 after the first step done at construction). The time budget's
# scheduler hook steps each scheduler until it reaches a target count.
def scheduler_steps(scheduler) -> int:
    """The steps a parameter scheduler has taken."""
    return scheduler._global_step


# Attributes of MMEngine's training loops that the mmaccel loops read and
# set as the loops' own state (their public ``epoch``, ``iter``,
# ``max_epochs``, ``max_iters`` are read-only properties over them): the
# resumable loops count with them, the time budget loops move the ends.
LOOP_STATE = ('_epoch', '_iter', '_max_epochs', '_max_iters')

# Private methods that mmaccel overrides or calls, with their signatures:
# AtomicCheckpointHook overrides CheckpointHook's one writer of a checkpoint;
# ResumableIterBasedTrainLoop.run calls the loop's validation interval step.
PRIVATE_METHODS = {
    'mmengine.hooks.CheckpointHook._save_checkpoint_with_step':
    '(self, runner, step, meta)',
    'mmengine.runner.IterBasedTrainLoop._decide_current_val_interval':
    '(self) -> None',
}

# MMEngine code that an mmaccel method repeats with a change, by the digest
# of its source (:func:`source_digest`) in MMEngine 0.10.7. When MMEngine
# changes one, re-read it and carry the change over to the copy.
COPIED_SOURCES = {
    # ResumableIterBasedTrainLoop.run: resumes at the saved data position
    'mmengine.runner.IterBasedTrainLoop.run': 'f5de0b5cf6e25e3b',
    # ResumableEpochBasedTrainLoop.run_epoch: starts after the saved batch
    'mmengine.runner.EpochBasedTrainLoop.run_epoch': '5a9b993c3e9727d4',
    # TimeBudget*TrainLoop._train_iter: reads the clock after the step
    'mmengine.runner.EpochBasedTrainLoop.run_iter': '407a13390ddeff6d',
    'mmengine.runner.IterBasedTrainLoop.run_iter': '16915bb18ebb5f90',
    # resumable_loops._EndlessBatches.__next__: knows its epoch and batch
    'mmengine.runner.loops._InfiniteDataloaderIterator.__next__':
    '51b394dfa538cf7e',
}


def source_digest(obj) -> str:
    """The first 16 hex digits of the SHA-256 of ``obj``'s source."""
    return hashlib.sha256(inspect.getsource(obj).encode()).hexdigest()[:16]
