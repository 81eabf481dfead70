"""A test-only hook that records, per iteration, which exit the model ran to
(read from the loss names it returned) and writes them per rank."""
import json
import os.path as osp

from mmengine.dist import get_rank
from mmengine.hooks import Hook

from mmaccel.registry import HOOKS


@HOOKS.register_module()
class ExitRecorderHook(Hook):
    priority = 'LOWEST'

    def __init__(self):
        self.exits = {}

    def after_train_iter(self, runner, batch_idx, data_batch=None,
                         outputs=None):
        names = [k for k in outputs if k.startswith('loss_exit')]
        assert len(names) == 1, names
        exit = int(names[0][len('loss_exit'):])
        self.exits[runner.iter] = (exit, float(outputs[names[0]]))

    def after_run(self, runner):
        path = osp.join(runner.work_dir, f'exits_rank{get_rank()}.json')
        with open(path, 'w') as f:
            json.dump(self.exits, f)
