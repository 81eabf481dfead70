"""Every ablation config builds and trains 5 iterations on the tiny set."""
from pathlib import Path

import pytest
import torch
from mmengine.runner import Runner
from mmpretrain.utils import get_ori_model

from mmaccel.utils import load_config

ROOT = Path(__file__).resolve().parents[2]
ABLATIONS = sorted(p.relative_to(ROOT).as_posix()
                   for p in (ROOT / 'configs/ablations').glob('*.py'))
# Table 9 (SwAV multi-crop) uses the tiny multi-crop twins themselves.
MULTI_CROP = [
    'configs/swav/swav_resnet18-tiny_1xb256-mcrop-2-6-coslr-50e_fmnist-32px-'
    '16px.py',
    'configs/accel_swav/accel-swav_resnet18-tiny_1xb256-mcrop-2-6-coslr-50e_'
    'fmnist-32px-16px.py',
]


def test_ablations_found():
    assert len(ABLATIONS) == 14


def short_run(path, work_dir):
    cfg = load_config(path)
    cfg.work_dir = str(work_dir)
    cfg.train_dataloader.update(batch_size=4, num_workers=0,
                                persistent_workers=False)
    cfg.train_dataloader.dataset.indices = 20
    cfg.train_cfg = dict(type='IterBasedTrainLoop', max_iters=5)
    cfg.param_scheduler = []
    cfg.default_hooks.checkpoint = dict(type='CheckpointHook', interval=100)
    cfg.default_hooks.logger = dict(type='LoggerHook', interval=1)
    cfg.log_processor = dict(by_epoch=False)
    for hook in cfg.get('custom_hooks', []):
        if hook.type == 'SwAVHook':
            hook.batch_size = 4
    runner = Runner.from_cfg(cfg)
    runner.train()
    return runner


@pytest.mark.parametrize('path', ABLATIONS + MULTI_CROP)
def test_ablation_trains_five_iterations(path, tmp_path):
    runner = short_run(path, tmp_path)
    assert runner.iter == 5
    scalars = runner.message_hub.log_scalars
    losses = [k for k in scalars if k.startswith('train/loss')]
    assert losses
    for key in losses:
        assert torch.isfinite(torch.tensor(scalars[key].current())), key
    model = get_ori_model(runner.model)
    name = Path(path).stem
    if 'pbp-only' in name:
        assert model.selector is None
    if 'select-only' in name:  # every step ran to the final exit
        assert scalars['train/active_exit'].data[0].tolist() == [4] * 5
    for tag, attr, value in [('easy-pairs', 'mode', 'easy'),
                             ('random-pairs', 'mode', 'random'),
                             ('_m1', 'num_candidates', 1),
                             ('_m4', 'num_candidates', 4),
                             ('crop-0.5', 'crop_ratio', 0.5),
                             ('crop-0.875', 'crop_ratio', 0.875)]:
        if tag in name:
            assert getattr(model.selector, attr) == value
    if 'hard-examples' in name:
        assert type(model.selector).__name__ == 'HardExampleSelector'
        assert model.selector.keep_ratio == 0.5625
    if 'window-' in name:
        assert model.update_window == int(name[-1])
    if 'res24' in name:
        assert runner.train_dataloader.dataset[0]['inputs'][0].shape[-1] \
            == 24
    if 'mcrop' in name:
        assert runner.train_dataloader.dataset[0]['inputs'][-1].shape[-1] \
            == 16
