import difflib
import glob
import inspect
import logging
import os
import os.path as osp

from mmengine.dist import all_gather_object, get_rank, is_main_process
from mmengine.fileio.backends import LocalBackend
from mmengine.hooks import CheckpointHook
from mmengine.logging import print_log
from mmengine.optim import OptimWrapper
from mmengine.runner.checkpoint import find_latest_checkpoint
from mmpretrain.utils import get_ori_model

from mmaccel.engine.hooks.divergence_guard_hook import DivergenceGuardHook
from mmaccel.engine.runner.time_budget import time_budget_loop
from mmaccel.models.selfsup.extra_state import (extra_state_of,
                                                load_extra_state_into)
from mmaccel.registry import HOOKS
from mmaccel.utils.atomic_file import publish_file, write_text_atomic
from mmaccel.utils.checkpoint_fit import check_checkpoint_fits
from mmaccel.utils.compat import runner_load_from, runner_resume
from mmaccel.utils.errors import CheckpointError, ConfigError
from mmaccel.utils.random_state import get_random_state, set_random_state

SETTINGS = tuple(p for p in inspect.signature(CheckpointHook).parameters
                 if p != 'kwargs')
_INTS = ('interval', 'max_keep_ckpts', 'save_begin')
_BOOLS = ('by_epoch', 'save_optimizer', 'save_param_scheduler', 'save_last')


def check_settings(settings: dict) -> None:
    """Raise :class:`ConfigError` for a setting that CheckpointHook would
    take silently and trip over at its first checkpoint."""
    where = 'default_hooks.checkpoint'
    for key in settings:
        if key not in SETTINGS:
            close = difflib.get_close_matches(key, SETTINGS, 1)
            raise ConfigError(
                f'{where}: unknown setting {key!r}'
                f'{f" (did you mean {close[0]!r}?)" if close else ""}; the '
                f'checkpoint hook takes {", ".join(SETTINGS)}')
    for key in _INTS:
        value = settings.get(key, 0)
        if not isinstance(value, int) or isinstance(value, bool):
            raise ConfigError(f'{where}.{key} must be an integer; got '
                              f'{value!r}')
    for key in _BOOLS:
        if not isinstance(settings.get(key, True), bool):
            raise ConfigError(f'{where}.{key} must be True or False; got '
                              f'{settings[key]!r}')
    if settings.get('save_begin', 0) < 0:
        raise ConfigError(f'{where}.save_begin must be >= 0; got '
                          f'{settings["save_begin"]!r}')
    tmpl = settings.get('filename_tmpl', None)
    if tmpl is not None and (not isinstance(tmpl, str) or '{}' not in tmpl
                             or '/' in tmpl):
        raise ConfigError(
            f'{where}.filename_tmpl must be a file name with one {{}} for '
            f"the epoch or iteration, such as 'iter_{{}}.pth'; got {tmpl!r}")


@HOOKS.register_module()
class AtomicCheckpointHook(CheckpointHook):
    """MMEngine's :class:`CheckpointHook`, safe against kills and complete
    for an exact resume. ``tools/train.py`` uses it in place of
    ``CheckpointHook`` for every config.

    Differences from ``CheckpointHook``:

    - Settings are checked when the hook is built: an unknown setting (which
      ``CheckpointHook`` passes on to the save, failing at the first
      checkpoint) or a value of the wrong type is a :class:`ConfigError`.
    - A checkpoint is written to a hidden temporary file in the same folder,
      synced to disk, and renamed into place; only then is ``last_checkpoint``
      replaced (also by a rename) and are checkpoints beyond
      ``max_keep_ckpts`` deleted. At every instant the newest complete
      checkpoint exists and ``last_checkpoint`` names it.
    - Every rank's resume state goes into the checkpoint, gathered to rank 0
      (one file, published by one rename, so that it cannot disagree with
      the weights): the random states (Python, NumPy, torch CPU and CUDA),
      the sampler's seed, the position in the data, and the algorithm's
      state beyond its weights (its ``extra_state()``, e.g. SwAV's queue,
      which ``SwAVHook`` saves only per epoch). On ``--resume`` each rank
      takes its own; the ``Resumable*TrainLoop`` restore them at the point
      of the loop where they were saved, the algorithm's state (its
      ``load_extra_state()``) is given back when training starts, after the
      other hooks' ``before_train_epoch``.
    - A checkpoint that is loaded (``--resume``, ``load_from``) is checked
      against the model first: missing or extra keys and shapes that differ
      are a :class:`CheckpointError`, as are, to resume, a checkpoint without
      training state and an optimizer state of other parameter groups.
    - With a :class:`DivergenceGuardHook` in the run (``tools/train.py``
      adds one), a weight, buffer or optimizer state that is not finite
      stops the run before the checkpoint is written or an old one deleted.

    Remote storage (``backend_args`` or an ``out_dir`` URL) keeps the
    behaviour of ``CheckpointHook`` apart from the checks and resume state.

    Args:
        **kwargs: The settings of :class:`CheckpointHook` (``interval``,
            ``by_epoch``, ``max_keep_ckpts``, ...), nothing else.
    """

    def __init__(self, **kwargs) -> None:
        check_settings(kwargs)
        super().__init__(**kwargs)
        self._rank_states = None
        self._load_path = None
        self._extra_state = None  # to give back to the model, on resume

    # ----------------------------------------------------------- loading
    def before_run(self, runner) -> None:
        # what the Runner will load
        resume, load_from = runner_resume(runner), runner_load_from(runner)
        path = load_from
        if resume and load_from is None:
            path = find_latest_checkpoint(runner.work_dir)
            if path is not None and not osp.isfile(path):
                raise CheckpointError(
                    f'{osp.join(runner.work_dir, "last_checkpoint")} names '
                    f'{path}, which does not exist: give a checkpoint with '
                    '--resume PATH, or delete last_checkpoint to start over')
        elif path is not None and '://' not in path and not osp.isfile(path):
            what = '--resume' if resume else 'load_from'
            raise CheckpointError(f'{what}: checkpoint {path} does not exist')
        self._load_path = path

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        resume = runner_resume(runner)
        optimizer = runner.optim_wrapper.optimizer if isinstance(
            runner.optim_wrapper, OptimWrapper) else None
        check_checkpoint_fits(checkpoint, get_ori_model(runner.model),
                              self._load_path or 'the checkpoint', resume,
                              optimizer)
        if resume:
            self._check_budget(runner, checkpoint.get('time_budget'))
            self._resume_rank_state(runner, checkpoint.get('rank_states'))

    @staticmethod
    def _check_budget(runner, state) -> None:
        # resumed without its budget, a budget run would silently train to
        # its config's nominal epochs instead of the time it has left
        if state is not None and time_budget_loop(runner) is None:
            raise CheckpointError(
                'the checkpoint to resume was trained to a time budget of '
                f'{state["budget"]:g} s ({state["used"]:.1f} s used): resume '
                f'it with --time-budget {state["budget"]:g}s (or '
                'train_cfg.time_budget), or start over')

    def _resume_rank_state(self, runner, states) -> None:
        if states is None or len(states) != runner.world_size:
            why = ('it has no resume state (not written by '
                   'AtomicCheckpointHook)' if states is None else
                   f'it holds the state of {len(states)} processes, this run '
                   f'has {runner.world_size}')
            print_log(
                f'{self._load_path}: {why}; the run goes on from its weights, '
                'optimizer and iteration, but not bit-exactly (random state '
                'and data position are not restored)',
                logger='current', level=logging.WARNING)
            return
        state = states[get_rank()]
        if hasattr(runner.train_loop, 'resume_from'):
            runner.train_loop.resume_from(state)
        else:  # MMEngine's loop: exact at epoch boundaries only
            set_random_state(state['random'])
        self._extra_state = state

    def before_train_epoch(self, runner) -> None:
        # after the other hooks': SwAVHook, for one, sets up its queue here
        if self._extra_state is not None:
            state, self._extra_state = self._extra_state, None
            load_extra_state_into(get_ori_model(runner.model), state)

    # ------------------------------------------------------------ saving
    def _rank_state(self, runner) -> dict:
        loop = runner.train_loop
        if self.by_epoch:  # after an epoch: at the start of the next one
            position = (runner.epoch + 1, 0)
        else:
            position = loop.position() if hasattr(loop, 'position') else None
        sampler = getattr(runner.train_dataloader, 'sampler', None)
        state = dict(
            random=get_random_state(),
            position=position,
            sampler_seed=getattr(sampler, 'seed', None))
        state.update(extra_state_of(get_ori_model(runner.model)))
        return state

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        if self._rank_states is not None:
            checkpoint['rank_states'] = self._rank_states

    def before_train(self, runner) -> None:
        super().before_train(runner)
        if is_main_process() and isinstance(self.file_backend, LocalBackend):
            # temporary files of a save that a kill interrupted
            for path in glob.glob(osp.join(self.out_dir, '.*.part')):
                os.remove(path)

    def _save_checkpoint_with_step(self, runner, step, meta) -> None:
        for hook in runner.hooks:  # a non-finite state is never written
            if isinstance(hook, DivergenceGuardHook):
                hook.check_state(runner)
        # a collective: every rank saves at the same step
        self._rank_states = all_gather_object(self._rank_state(runner))
        try:
            if isinstance(self.file_backend, LocalBackend):
                self._save_atomically(runner, step, meta)
            else:
                super()._save_checkpoint_with_step(runner, step, meta)
        finally:
            self._rank_states = None

    def _save_atomically(self, runner, step, meta) -> None:
        stale = []
        again = self.max_keep_ckpts > 0 and self.keep_ckpt_ids \
            and self.keep_ckpt_ids[-1] == step
        if self.max_keep_ckpts > 0 and not again:
            if len(self.keep_ckpt_ids) == self.max_keep_ckpts:
                stale.append(self.keep_ckpt_ids.popleft())
            self.keep_ckpt_ids.append(step)
            runner.message_hub.update_info('keep_ckpt_ids',
                                           list(self.keep_ckpt_ids))
        filename = self.filename_tmpl.format(step)
        self.last_ckpt = osp.join(self.out_dir, filename)
        runner.message_hub.update_info('last_ckpt', self.last_ckpt)
        part = f'.{filename}.part'
        runner.save_checkpoint(  # rank 0 writes, the others return
            self.out_dir,
            part,
            self.file_client_args,
            save_optimizer=self.save_optimizer,
            save_param_scheduler=self.save_param_scheduler,
            meta=meta,
            by_epoch=self.by_epoch,
            backend_args=self.backend_args)
        if not is_main_process():
            return
        publish_file(osp.join(self.out_dir, part), self.last_ckpt)
        write_text_atomic(
            osp.join(runner.work_dir, 'last_checkpoint'), self.last_ckpt)
        for old in stale:
            path = osp.join(self.out_dir, self.filename_tmpl.format(old))
            if osp.isfile(path):
                os.remove(path)
