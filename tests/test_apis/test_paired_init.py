"""Paired runs: tools/analysis/make_init.py saves the backbone a run of a
config starts from, and an accelerated run given it through
``+model.backbone.init_cfg`` starts from the very same backbone."""
import pytest
import torch
from mmengine.hooks import Hook

from mmaccel.apis import build_runner, train_args, untrained_backbone

Q = 'configs/benchmarks/quality/'
BASE = Q + 'mocov2_resnet18-w32_1xb256-coslr-8e_fmnist-64px-knn.py'
ACCEL = (Q + 'accel-mocov2_resnet18-w32_1xb256-coslr-8e_fmnist-64px-knn'
         '_sched-ramp.py')


class _Stop(Exception):
    pass


class _Capture(Hook):
    """Keeps the backbone's state at before_train, then stops the run."""

    def __init__(self):
        self.state = {}

    def before_train(self, runner):
        model = getattr(runner.model, 'module', runner.model)
        self.state = {f'backbone.{k}': v.clone()
                      for k, v in model.backbone.state_dict().items()}
        raise _Stop


def start_of_training(config, work_dir, cfg_options):
    """The backbone's state when ``tools/train.py``'s Runner starts its first
    epoch (captured by the first hook of before_train, which then stops)."""
    runner = build_runner(train_args(config, str(work_dir), cfg_options))
    capture = _Capture()
    runner.register_hook(capture, priority='HIGHEST')
    with pytest.raises(_Stop):
        runner.train()
    return capture.state


def assert_same(a, b):
    assert sorted(a) == sorted(b)
    for k in a:
        assert torch.equal(a[k], b[k]), k


def test_make_init_saves_the_backbone_a_run_starts_from(tmp_path):
    init = untrained_backbone(BASE, seed=1)
    started = start_of_training(BASE, tmp_path / 'base',
                                {'randomness.seed': 1})
    assert_same(init, started)
    # another seed, other weights
    other = untrained_backbone(BASE, seed=2)
    assert not torch.equal(other['backbone.conv1.weight'],
                           init['backbone.conv1.weight'])


def test_accelerated_run_starts_from_the_saved_backbone(tmp_path):
    init = untrained_backbone(BASE, seed=1)
    path = tmp_path / 'init.pth'
    torch.save({'state_dict': init}, path)
    # alone, the same seed gives the accelerated model another backbone
    # (its exit heads are built first): why paired runs need the file
    unpaired = start_of_training(ACCEL, tmp_path / 'a0',
                                 {'randomness.seed': 1})
    assert sorted(unpaired) == sorted(init)
    assert not torch.equal(unpaired['backbone.conv1.weight'],
                           init['backbone.conv1.weight'])
    paired = start_of_training(
        ACCEL, tmp_path / 'a1', {
            'randomness.seed': 1,
            '+model.backbone.init_cfg.type': 'Pretrained',
            '+model.backbone.init_cfg.checkpoint': str(path),
            '+model.backbone.init_cfg.prefix': 'backbone.',
        })
    assert_same(init, paired)
