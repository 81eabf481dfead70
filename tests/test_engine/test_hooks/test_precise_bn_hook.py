"""Precise batch-norm statistics: accelerated training (cropped maps after
stage 1) leaves running statistics unlike those of whole images, and
PreciseBackboneBNHook brings them to the whole-image values, weights
untouched."""
import copy

import pytest
import torch
from mmengine.runner import Runner
from torch import nn

from mmaccel.engine import PreciseBackboneBNHook
from mmaccel.evaluation import precise_bn
from mmaccel.utils import load_config

CONFIG = ('configs/accel_mocov2/'
          'accel-mocov2_resnet18-tiny_1xb256-coslr-50e_fmnist.py')
N = 48  # whole images for the statistics


def whole_image_stats(backbone, x):
    """Per batch norm: mean and unbiased variance of its input over a
    train-mode forward of ``x`` (batch, height and width), from hooks."""
    backbone = copy.deepcopy(backbone)
    backbone.train()  # (ResNet.train returns None)
    stats, handles = {}, []
    for name, m in backbone.named_modules():
        if isinstance(m, nn.BatchNorm2d):
            def hook(m, inputs, out, name=name):
                t = inputs[0].transpose(0, 1).flatten(1).double()
                stats[name] = (t.mean(1), t.var(1, unbiased=True))
            handles.append(m.register_forward_hook(hook))
    with torch.no_grad():
        backbone(x)
    for h in handles:
        h.remove()
    return stats


def rel_err(a, b):
    err = (a.double() - b).abs().max() / b.abs().max().clamp_min(1e-8)
    return err.item()


def test_precise_bn_hook_restores_whole_image_statistics(tmp_path):
    cfg = load_config(CONFIG)
    cfg.work_dir = str(tmp_path)
    cfg.train_dataloader.merge(
        dict(batch_size=16, num_workers=0, persistent_workers=False))
    cfg.train_dataloader.dataset.indices = 160
    cfg.model.queue_len = 64
    cfg.train_cfg.max_epochs = 1
    cfg.param_scheduler = []
    cfg.default_hooks.checkpoint = None
    cfg.randomness = dict(seed=0)
    whole = dict(
        batch_size=N,
        num_workers=0,
        sampler=dict(type='DefaultSampler', shuffle=False),
        collate_fn=dict(type='default_collate'),
        dataset=dict(type='LocalFashionMNIST', data_root='data/fashion-mnist',
                     split='train', indices=N,
                     pipeline=[dict(type='Resize', scale=32, backend='pillow'),
                               dict(type='PackInputs')]))
    # exits 3 and 4 only: the stages after the crop learn on cropped maps
    cfg.custom_hooks = [dict(type='PartialBackpropHook',
                             exit_probs=(0.0, 0.0, 0.5, 0.5))]
    runner = Runner.from_cfg(cfg)
    runner.train()  # 10 iterations, crops of 3/4 after stage 1
    model = runner.model
    backbone = model.backbone

    loader = runner.build_dataloader(whole)
    x = model.data_preprocessor(next(iter(loader)), training=False)['inputs']
    reference = whole_image_stats(backbone, x)
    bns = dict((n, m) for n, m in backbone.named_modules()
               if isinstance(m, nn.BatchNorm2d))
    assert set(bns) == set(reference)

    # after stage 1 the statistics from training are far from whole images'
    late = [n for n in bns if n.startswith(('layer3', 'layer4'))]
    assert late
    assert max(rel_err(bns[n].running_var, reference[n][1])
               for n in late) > 0.05

    params = {k: v.clone() for k, v in backbone.named_parameters()}
    hook = PreciseBackboneBNHook(dataloader=whole, num_images=N)
    hook.after_train_epoch(runner)  # the last epoch: it runs

    for name, m in bns.items():
        mean, var = reference[name]
        assert rel_err(m.running_mean, mean) < 1e-4, name
        assert rel_err(m.running_var, var) < 1e-4, name
        assert m.momentum == 0.1  # restored
    for k, v in backbone.named_parameters():
        assert torch.equal(v, params[k]), k
    assert model.training and backbone.layer4[0].bn1.training
    # the statistics from training are kept for the kNN hook's raw report
    assert hook.raw_epoch == runner.epoch + 1  # (called after the loop)
    assert not torch.equal(hook.raw_stats['layer4.0.bn1.running_var'],
                           bns['layer4.0.bn1'].running_var)


def test_precise_bn_averages_batches_and_checks_input():
    bn = nn.Sequential(nn.Conv2d(1, 3, 1), nn.BatchNorm2d(3))
    x = torch.randn(8, 1, 4, 4) * 3 + 1
    used = precise_bn(bn, iter([x[:4], x[4:], x]), num_images=8)
    assert used == 8  # stops once 8 images were seen
    feats = bn[0](x).detach()
    halves = [feats[:4], feats[4:]]
    mean = torch.stack([h.mean((0, 2, 3)) for h in halves]).mean(0)
    var = torch.stack([h.transpose(0, 1).flatten(1).var(1)
                       for h in halves]).mean(0)
    torch.testing.assert_close(bn[1].running_mean, mean)
    torch.testing.assert_close(bn[1].running_var, var)
    with pytest.raises(ValueError, match='num_images must be >= 1'):
        precise_bn(bn, iter([x]), num_images=0)
    with pytest.raises(ValueError, match='gave no images'):
        precise_bn(bn, iter([]), num_images=4)
    with pytest.raises(ValueError, match='num_images must be a positive'):
        PreciseBackboneBNHook(dataloader={}, num_images=0)
