"""The tiny accelerated MoCo v2 trains through the real Runner with its views
made by MultiViewDataPreprocessor, and a resumed run gets the same views as
an uninterrupted one."""
import pytest
import torch
from mmengine.runner import Runner

from mmaccel.utils import load_config
from mmaccel.utils.config import use_reliable_runtime

CONFIG = ('configs/accel_mocov2/'
          'accel-mocov2_resnet18-tiny_1xb256-coslr-50e_fmnist.py')


def device_aug_config(work_dir, epochs, resume_from=None):
    cfg = load_config(CONFIG)
    cfg.work_dir = str(work_dir)
    cfg.data_preprocessor.merge(dict(
        type='MultiViewDataPreprocessor', num_views=2,
        transforms=[cfg.view_pipeline]))  # the 32 px pipeline of the config
    cfg.train_dataloader.merge(dict(
        batch_size=8, num_workers=0, persistent_workers=False,
        dataset=dict(type='RawFashionMNIST', pipeline=[], indices=24)))
    cfg.model.queue_len = 64
    cfg.train_cfg.max_epochs = epochs
    cfg.default_hooks.logger.interval = 1
    cfg.default_hooks.checkpoint.merge(dict(interval=1, max_keep_ckpts=2))
    cfg.randomness = dict(seed=0)
    cfg.custom_hooks = [dict(type='PartialBackpropHook')]
    if resume_from:
        cfg.resume, cfg.load_from = True, str(resume_from)
    return use_reliable_runtime(cfg)


def train(cfg):
    """Train; return the views of every iteration and the runner."""
    runner = Runner.from_cfg(cfg)
    seen = []

    def record(module, args, out):
        if args[1]:  # training
            seen.append([v.clone() for v in out['inputs']])

    runner.model.data_preprocessor.register_forward_hook(record)
    runner.train()
    return seen, runner


@pytest.fixture(scope='module')
def runs(tmp_path_factory):
    tmp = tmp_path_factory.mktemp('device_aug')
    whole, runner = train(device_aug_config(tmp / 'whole', 2))
    first, _ = train(device_aug_config(tmp / 'first', 1))
    resumed, _ = train(device_aug_config(
        tmp / 'resumed', 2, resume_from=tmp / 'first' / 'epoch_1.pth'))
    return whole, first, resumed, runner


def test_trains_through_the_runner(runs):
    whole, _, _, runner = runs
    assert len(whole) == 6  # 2 epochs of 3 batches
    for views in whole:
        assert [v.shape for v in views] == [(8, 1, 32, 32)] * 2
    scalars = runner.message_hub.log_scalars
    losses = [k for k in scalars if k.startswith('train/loss_exit')]
    assert losses
    for key in losses:
        assert all(torch.isfinite(torch.tensor(v))
                   for v in scalars[key].data[0])
    # the second epoch's views are new ones
    assert not torch.equal(whole[0][0], whole[3][0])


def test_same_seed_same_views_and_resume_continues_them(runs):
    whole, first, resumed, _ = runs
    assert len(first) == 3 and len(resumed) == 3
    for a, b in zip(whole[:3], first):
        assert all(torch.equal(x, y) for x, y in zip(a, b))
    for a, b in zip(whole[3:], resumed):
        assert all(torch.equal(x, y) for x, y in zip(a, b))
