"""Faults for the reliability tests, switched on by environment variables in
the training process (imported through a config's ``custom_imports``).

- ``MMACCEL_KILL_AFTER_ITER=k:delay``: ``KillTimerHook`` starts a timer after
  training iteration ``k`` (1-based) that sends SIGKILL to its own process
  ``delay`` seconds later, wherever the run is by then (in a step, in a
  checkpoint save, ...). A thread, so that a loaded machine slows the run,
  not the kill.
- ``MMACCEL_KILL_IN_WRITE=n``: the ``n``-th write of a ``.pth`` file (or of a
  temporary file beside it) through MMEngine's ``LocalBackend.put`` writes
  half of its bytes, syncs them to disk and sends SIGKILL to its process.
- ``MMACCEL_RECORD_BATCHES=path``: ``RecordBatchesHook`` appends a line
  ``<iteration> <sha1 of the batch's views>`` to ``path`` (``path.<rank>``
  with several processes) before each training iteration (1-based), to
  compare the batches of two runs.
- ``MMACCEL_NAN_LOSS_AT=i,j,...`` (and ``MMACCEL_NAN_LOSS_RANK=r``):
  ``NanLossHook`` makes every loss of those training iterations (1-based)
  NaN, on every process or only on rank ``r``, after the forward pass (the
  model's state stays finite); ``MMACCEL_NAN_BUFFER_AT=i``: it fills the
  model's first floating-point buffer with NaN after iteration ``i``, a
  non-finite state behind finite losses.

Without the variables nothing changes.
"""
import hashlib
import os
import signal
import threading

from mmengine.fileio.backends import LocalBackend
from mmengine.hooks import Hook
from mmpretrain.utils import get_ori_model

from mmaccel.registry import HOOKS


def _kill_self():
    os.kill(os.getpid(), signal.SIGKILL)


@HOOKS.register_module(force=True)
class KillTimerHook(Hook):
    """Kills the process after an iteration, see the module docstring."""

    priority = 'LOWEST'

    def __init__(self):
        spec = os.environ.get('MMACCEL_KILL_AFTER_ITER')
        self.iteration, self.delay = (None, 0.0) if not spec else (
            int(spec.split(':')[0]), float(spec.split(':')[1]))

    def after_train_iter(self, runner, batch_idx, data_batch=None,
                         outputs=None):
        if runner.iter + 1 == self.iteration:
            threading.Timer(self.delay, _kill_self).start()


@HOOKS.register_module(force=True)
class RecordBatchesHook(Hook):
    """Records a digest of each training batch, see the module docstring."""

    def __init__(self):
        self.path = os.environ.get('MMACCEL_RECORD_BATCHES')

    def before_train_iter(self, runner, batch_idx, data_batch=None):
        if not self.path:
            return
        digest = hashlib.sha1()
        for view in data_batch['inputs']:
            digest.update(view.contiguous().numpy().tobytes())
        path = self.path if runner.world_size == 1 else \
            f'{self.path}.{runner.rank}'
        with open(path, 'a') as f:
            f.write(f'{runner.iter + 1} {digest.hexdigest()}\n')


@HOOKS.register_module(force=True)
class NanLossHook(Hook):
    """Makes the losses (or a buffer) of chosen iterations NaN, see the
    module docstring."""

    def before_train(self, runner):
        spec = os.environ.get('MMACCEL_NAN_LOSS_AT')
        rank = os.environ.get('MMACCEL_NAN_LOSS_RANK')
        if not spec or (rank is not None and int(rank) != runner.rank):
            return
        iterations = {int(i) for i in spec.split(',')}
        model = get_ori_model(runner.model)
        parse_losses = model.parse_losses

        def nan_losses(losses):
            if runner.iter + 1 in iterations:
                losses = {k: v * float('nan') if 'loss' in k else v
                          for k, v in losses.items()}
            return parse_losses(losses)

        model.parse_losses = nan_losses

    def after_train_iter(self, runner, batch_idx, data_batch=None,
                         outputs=None):
        spec = os.environ.get('MMACCEL_NAN_BUFFER_AT')
        if spec and runner.iter + 1 == int(spec):
            buffers = get_ori_model(runner.model).buffers()
            next(b for b in buffers if b.is_floating_point()).fill_(
                float('nan'))


_WRITES = [0]
_put = LocalBackend.put


def _put_then_die(self, obj, filepath):
    name = os.path.basename(str(filepath))
    if name.endswith(('.pth', '.pth.part')):
        _WRITES[0] += 1
        if _WRITES[0] == int(os.environ['MMACCEL_KILL_IN_WRITE']):
            with open(filepath, 'wb') as f:
                f.write(obj[:len(obj) // 2])
                f.flush()
                os.fsync(f.fileno())
            _kill_self()
    return _put(self, obj, filepath)


if os.environ.get('MMACCEL_KILL_IN_WRITE'):
    LocalBackend.put = _put_then_die
