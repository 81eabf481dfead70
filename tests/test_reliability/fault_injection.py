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

Without the variables nothing changes.
"""
import os
import signal
import threading

from mmengine.fileio.backends import LocalBackend
from mmengine.hooks import Hook

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
