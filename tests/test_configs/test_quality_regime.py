"""The quality regime (half-width ResNet-18 at 64 px): the maps at the
selection positions are 16 x 16 and 8 x 8, as the issue asks (the paper at
224 px: 56 x 56 and 28 x 28), and a short run lowers every exit's loss."""
import copy

import pytest
import torch
import torch.nn.functional as F
from helpers import short_run, shrink
from mmengine.runner import Runner

from mmaccel.datasets import LocalFashionMNIST
from mmaccel.utils import load_config

Q = 'configs/benchmarks/quality/'
ACCEL = {
    'mocov2':
    Q + 'accel-mocov2_resnet18-w32_1xb256-coslr-8e_fmnist-64px-knn.py',
    'simclr':
    Q + 'accel-simclr_resnet18-w32_1xb256-coslr-8e_fmnist-64px-knn.py',
}


def build(path, tmp_path, **overrides):
    cfg = load_config(path)
    cfg.work_dir = str(tmp_path)
    cfg.custom_hooks = [dict(type='PartialBackpropHook')]
    cfg.merge_from_dict(overrides)
    return cfg


@pytest.mark.parametrize('method', sorted(ACCEL))
def test_maps_at_the_selection_positions(method, tmp_path):
    cfg = build(ACCEL[method], tmp_path)
    first = cfg.train_dataloader.dataset.pipeline[0].transforms[0][0]
    assert first.scale == 64
    runner = Runner.from_cfg(cfg)
    model = runner.model
    assert model.selector.positions == (1, 2)
    sizes = {}
    x = model.backbone.forward_stem(torch.zeros(2, 1, 64, 64))
    for stage in (1, 2, 3, 4):
        x = model.backbone.forward_stage(stage, x)
        sizes[stage] = tuple(x.shape[-2:])
    assert sizes == {1: (16, 16), 2: (8, 8), 3: (4, 4), 4: (2, 2)}
    # the crops are smaller than the maps they cut
    assert model.selector.crop_size(16, 16) == (12, 12)
    assert model.selector.crop_size(8, 8) == (6, 6)


def fixed_views(n=128):
    """Two deterministic 64 px views of held-out test images, normalised."""
    data = LocalFashionMNIST(data_root='data/fashion-mnist', split='test')
    imgs = torch.stack([torch.from_numpy(data.get_data_info(i)['img'])
                        for i in range(n)]).float()[:, None]
    imgs = (imgs - 72.94) / 90.02
    full = F.interpolate(imgs, size=64, mode='bilinear', align_corners=False)
    crop = F.interpolate(imgs[:, :, 3:25, 4:26].flip(-1), size=64,
                         mode='bilinear', align_corners=False)
    return full, crop


@torch.no_grad()
def exit_losses(model, views):
    """In-batch InfoNCE (t = 0.2) of each exit's projections."""
    model = copy.deepcopy(model)
    model.train()  # batch statistics: comparable before and after training
    out = {}
    for exit in model.exits:
        z = [F.normalize(model.neck((model.backbone(v, exit=exit)[-1], ),
                                    exit)[0], dim=1) for v in views]
        logits = z[0] @ z[1].t() / 0.2
        out[exit] = F.cross_entropy(logits, torch.arange(len(logits))).item()
    return out


def test_short_mocov2_run_lowers_every_exit_loss(tmp_path):
    """The regime's best setting (the deep exit schedule, docs/benchmarks.md
    section 5): with uniform exits exit 4's held-out loss did not fall in 300
    iterations of batch 32 (4.71 -> 4.83; exits 1-3 fell), as its kNN stayed
    flat over the 8-epoch run."""
    cfg = build(ACCEL['mocov2'], tmp_path)
    cfg.custom_hooks = [dict(type='PartialBackpropHook',
                             exit_probs=(0.1, 0.1, 0.2, 0.6))]
    shrink(cfg, short_run(300, 32, samples=9600, cosine=True, seed=0))
    cfg.model.queue_len = 1024
    cfg.optim_wrapper.optimizer.lr = 0.06
    cfg.default_hooks.checkpoint = None
    runner = Runner.from_cfg(cfg)
    runner.model.init_weights()
    views = fixed_views()
    start = exit_losses(runner.model, views)
    runner.train()
    end = exit_losses(runner.model, views)
    for exit in (1, 2, 3, 4):
        assert end[exit] < start[exit], (start, end)
