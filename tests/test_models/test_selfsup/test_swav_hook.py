"""MMPretrain's SwAVHook with AccelSwAV, under a real Runner on the tiny
set."""
import torch
from helpers import short_run, shrink
from mmengine.hooks import Hook
from mmengine.runner import Runner
from mmpretrain.utils import get_ori_model

from mmaccel.registry import HOOKS
from mmaccel.utils import load_config

CONFIG = ('configs/accel_swav/'
          'accel-swav_resnet18-tiny_1xb256-coslr-50e_fmnist.py')
FROZEN = 3


@HOOKS.register_module(force=True)
class PrototypeProbeHook(Hook):
    """Records, per iteration, the active exit, which exits' prototypes
    required grad, and which were updated in the step: the active exit's
    loss first L2-normalises its prototypes in place (as upstream), so an
    update is a change beyond that normalisation."""

    priority = 'LOWEST'

    def __init__(self):
        self.records = []

    def before_train_iter(self, runner, batch_idx, data_batch=None):
        model = get_ori_model(runner.model)
        self.before = {e: self._weight(model, e).detach().clone()
                       for e in model.exits}

    def after_train_iter(self, runner, batch_idx, data_batch=None,
                         outputs=None):
        model = get_ori_model(runner.model)
        self.records.append(dict(
            iter=runner.iter,
            exit=model.active_exit,
            requires_grad={e: self._weight(model, e).requires_grad
                           for e in model.exits},
            moved={e: not torch.equal(self._weight(model, e),
                                      self._expected(model, e))
                   for e in model.exits}))

    def _expected(self, model, exit):
        """The prototypes if the step did not update them."""
        if exit != model.active_exit:
            return self.before[exit]
        return torch.nn.functional.normalize(self.before[exit], dim=1, p=2)

    @staticmethod
    def _weight(model, exit):
        return model.head.head(exit).loss_module.prototypes.weight


def test_swav_hook_freezes_and_queues_every_exit(tmp_path):
    cfg = shrink(load_config(CONFIG), short_run(
        8, 8, samples=64, log_interval=1, checkpoint_interval=1000))
    cfg.work_dir = str(tmp_path)
    swav_hook = cfg.custom_hooks[0]
    assert swav_hook.type == 'SwAVHook'
    swav_hook.update(batch_size=8, epoch_queue_starts=0, queue_length=16,
                     frozen_layers_cfg=dict(prototypes=FROZEN))
    cfg.custom_hooks.append(dict(type='PrototypeProbeHook'))
    runner = Runner.from_cfg(cfg)
    runner.train()

    probe = [h for h in runner.hooks if isinstance(h, PrototypeProbeHook)][0]
    records = probe.records
    assert [r['iter'] for r in records] == list(range(8))
    for r in records:
        frozen = r['iter'] < FROZEN
        # every exit's prototypes frozen, then every exit's trainable
        assert set(r['requires_grad'].values()) == {not frozen}, r
        # only the active exit's prototypes move, and only once unfrozen
        assert r['moved'] == {e: (not frozen and e == r['exit'])
                              for e in r['moved']}, r
    assert any(r['moved'][r['exit']] for r in records)

    model = get_ori_model(runner.model)
    queues = model.head.loss_module.queue
    assert queues.shape == (4, 2, 16, 64)
    drawn = {r['exit'] for r in records}
    for i, e in enumerate(model.exits):
        assert bool(queues[i].ne(0).any()) == (e in drawn), e
    # the hook saved every exit's queue after the epoch
    saved = torch.load(tmp_path / 'queue.pth')['queue']
    assert torch.equal(saved, queues)
