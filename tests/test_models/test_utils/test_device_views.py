"""The view transforms made on the device: each sample's parameters follow
the distribution of MMPretrain's transform as configured (MoCo v2's, SimCLR's
and BYOL's view pipelines), and kornia applies exactly those parameters."""
import math
import os.path as osp

import mmpretrain
import numpy as np
import pytest
import torch
import torch.nn.functional as F
from mmengine.config import Config
from mmpretrain.datasets.transforms import RandomResizedCrop

from mmaccel.models.utils import MultiViewDataPreprocessor
from mmaccel.models.utils.device_views import build_view_ops
from mmaccel.utils.errors import ConfigError

UPSTREAM = osp.join(osp.dirname(mmpretrain.__file__), '.mim', 'configs')
N = 4000  # samples; each transform's rate is checked over N (or 2 N) draws
SIZE = (40, 56)  # H x W of the raw images: not square, so the ratio matters
RGB = dict(mean=[123.675, 116.28, 103.53], std=[58.395, 57.12, 57.375],
           to_rgb=True)


def upstream_views(name: str):
    """(num_views, view pipelines) of an MMPretrain data set config, with
    32 px crops."""
    cfg = Config.fromfile(
        osp.join(UPSTREAM, f'_base_/datasets/imagenet_bs32_{name}.py'))
    multi_view = cfg.train_pipeline[1]
    assert multi_view['type'] == 'MultiView'
    pipelines = [[dict(t, scale=32) if t['type'] == 'RandomResizedCrop' else t
                  for t in p] for p in multi_view['transforms']]
    return multi_view['num_views'], pipelines


def drawn(name: str):
    """Every view's parameters for N samples, and the preprocessor."""
    num_views, pipelines = upstream_views(name)
    pre = MultiViewDataPreprocessor(num_views, pipelines, **RGB)
    return pre.draw_views(range(N), SIZE, seed=3, epoch=1), pre


def within_binomial(hits: torch.Tensor, p: float):
    n, rate = hits.numel(), hits.float().mean().item()
    assert abs(rate - p) <= 4.5 * math.sqrt(p * (1 - p) / n) + 1e-12, (rate, p)


def ks_distance(a, b) -> float:
    """Two-sample Kolmogorov-Smirnov statistic."""
    a, b = np.sort(np.asarray(a)), np.sort(np.asarray(b))
    grid = np.concatenate([a, b])
    return float(np.abs(np.searchsorted(a, grid, 'right') / len(a) -
                        np.searchsorted(b, grid, 'right') / len(b)).max())


def crop_stats(boxes):
    x, y, w, h = np.asarray(boxes, dtype=float).T
    H, W = SIZE
    return dict(area=w * h / (H * W), ratio=w / h, w=w, h=h,
                x=x / np.maximum(W - w, 1), y=y / np.maximum(H - h, 1))


@pytest.mark.parametrize('name, scale', [('mocov2', (0.2, 1.)),
                                         ('simclr', (0.08, 1.))])
def test_crop_follows_mmpretrain(name, scale):
    views, _ = drawn(name)
    ours = crop_stats(torch.cat([v[0]['box'] for v in views]))
    assert ours['area'].min() >= scale[0] - 0.02 and ours['area'].max() <= 1
    # the widest crop within the ratio range covers 0.95 of a 40 x 56 image
    assert ours['area'].min() < scale[0] + 0.02 and ours['area'].max() > 0.93
    # each crop's width / height is a ratio in [3/4, 4/3] after rounding
    w, h = ours['w'], ours['h']
    assert ((w - .5) / (h + .5) <= 4 / 3).all()
    assert ((w + .5) / (h - .5) >= 3 / 4).all()
    assert ours['ratio'].min() < 0.8 and ours['ratio'].max() > 1.25
    # the same distributions as MMPretrain's own RandomResizedCrop
    np.random.seed(0)
    crop = RandomResizedCrop(32, crop_ratio_range=scale)
    img = np.zeros((*SIZE, 3), np.uint8)
    theirs = crop_stats([(ox, oy, w, h) for oy, ox, h, w in (
        crop.rand_crop_params(img) for _ in range(2 * N))])
    for key in ('area', 'ratio', 'x', 'y'):  # critical at p = 0.001: 0.044
        assert ks_distance(ours[key], theirs[key]) < 0.044, key


def apply_rates(view):
    """{transform: which samples it changes} of one view's parameters."""
    rates = {}
    for p in view[1:]:
        if 'inner' in p:  # RandomApply of ColorJitter
            rates['ColorJitter'] = p['inner'][0]['apply']
        elif 'sigma' in p:
            rates['GaussianBlur'] = p['apply']
        elif 'thresholds' in p:
            rates['Solarize'] = p['apply']
        else:
            rates.setdefault('flip/gray', []).append(p['apply'])
    return rates


@pytest.mark.parametrize('name', ['mocov2', 'simclr'])
def test_probabilities_and_ranges_moco_simclr(name):
    views, pre = drawn(name)
    ops = pre.views[0]
    kinds = [type(op).__name__ for op in ops]
    gray, flip = kinds.index('_Grayscale'), kinds.index('_Flip')
    jitter = views[0][kinds.index('_RandomApply')]['inner'][0]
    both = [torch.cat([v[i]['apply'] for v in views]) for i in range(len(ops))]
    within_binomial(both[gray], 0.2)
    within_binomial(both[flip], 0.5)
    within_binomial(both[kinds.index('_GaussianBlur')], 0.5)
    within_binomial(
        torch.cat([v[kinds.index('_RandomApply')]['inner'][0]['apply']
                   for v in views]), 0.8)
    # the views are drawn independently of each other
    agree = (views[0][flip]['apply'] == views[1][flip]['apply']).float().mean()
    assert abs(agree - 0.5) < 0.05
    # jitter factors over MMPretrain's ranges, orders uniform over all 24
    b, c, s, h = {'mocov2': (0.4, 0.4, 0.4, 0.1),
                  'simclr': (0.8, 0.8, 0.8, 0.2)}[name]
    f = jitter['factors']
    for col, (lo, hi) in enumerate([(1 - b, 1 + b), (1 - c, 1 + c),
                                    (1 - s, 1 + s), (-h, h)]):
        assert lo <= f[:, col].min() < lo + 0.01, col
        assert hi - 0.01 < f[:, col].max() <= hi, col
        assert abs(f[:, col].mean() - (lo + hi) / 2) < 0.02 * (hi - lo)
    orders, counts = torch.unique(jitter['order'], dim=0, return_counts=True)
    assert len(orders) == 24 and sorted(orders[0].tolist()) == [0, 1, 2, 3]
    for count in counts:
        within_binomial(torch.arange(N) < count, 1 / 24)
    sigma = views[0][kinds.index('_GaussianBlur')]['sigma']
    assert 0.1 <= sigma.min() < 0.11 and 1.99 < sigma.max() <= 2.0


def test_byol_views_differ_as_configured():
    views, pre = drawn('byol')
    assert len(pre.views) == 2
    first, second = apply_rates(views[0]), apply_rates(views[1])
    assert first['GaussianBlur'].all()  # prob 1.0
    assert not first['Solarize'].any()  # prob 0.0
    within_binomial(second['GaussianBlur'], 0.1)
    within_binomial(second['Solarize'], 0.2)
    for rates in (first, second):
        within_binomial(rates['ColorJitter'], 0.8)
        flip, gray = rates['flip/gray']
        within_binomial(flip, 0.5)
        within_binomial(gray, 0.2)


def test_kornia_applies_the_drawn_parameters():
    """Each op's output is what its drawn parameters prescribe."""
    torch.manual_seed(0)
    x = torch.rand(64, 3, 28, 28)
    u = torch.rand(64, 32, dtype=torch.float64)

    def run(cfg):
        op = build_view_ops([cfg])[0]
        p = op.draw(u[:, :op.num_draws], x.shape[-2:])
        return op.apply(x, p), p

    out, p = run(dict(type='RandomFlip', prob=0.5))
    a = p['apply']
    assert 0 < a.sum() < 64
    assert torch.equal(out[a], x[a].flip(-1)) and torch.equal(out[~a], x[~a])
    out, p = run(dict(type='RandomGrayscale', prob=0.5, keep_channels=True,
                      channel_weights=(1., 2., 1.)))
    a = p['apply']
    gray = (x[a] * torch.tensor([.25, .5, .25])[:, None, None]).sum(1, True)
    torch.testing.assert_close(out[a], gray.expand(-1, 3, -1, -1))
    assert torch.equal(out[~a], x[~a])
    out, p = run(dict(type='Solarize', thr=128, prob=0.5))
    a = p['apply']
    assert torch.equal(out[a], torch.where(x[a] < 128 / 255, x[a], 1 - x[a]))
    assert torch.equal(out[~a], x[~a])
    out, p = run(dict(type='RandomApply', prob=0.5, transforms=[
        dict(type='ColorJitter', brightness=0.4)]))
    a, f = p['apply'], p['inner'][0]['factors'][:, 0].float()
    torch.testing.assert_close(
        out[a], (x[a] * f[a, None, None, None]).clamp(0, 1))
    assert torch.equal(out[~a], x[~a])
    out, p = run(dict(type='GaussianBlur', radius=1.0, prob=0.5))
    a = p['apply']
    assert not torch.allclose(out[a], x[a]) and torch.equal(out[~a], x[~a])
    # a crop enlarged with half-pixel centres, where its source lies inside it
    out, p = run(dict(type='RandomResizedCrop', scale=(48, 40)))
    assert out.shape == (64, 3, 48, 40)
    for i, (x0, y0, w, h) in enumerate(p['box'].long().tolist()):
        ref = F.interpolate(x[i:i + 1, :, y0:y0 + h, x0:x0 + w], (48, 40),
                            mode='bilinear', align_corners=False)[0]
        sx = (torch.arange(40) + 0.5) * w / 40 - 0.5
        sy = (torch.arange(48) + 0.5) * h / 48 - 0.5
        inside = (((sy >= 0) & (sy <= h - 1))[:, None]
                  & ((sx >= 0) & (sx <= w - 1))[None])
        torch.testing.assert_close(out[i][:, inside], ref[:, inside],
                                   atol=1e-5, rtol=0)


@pytest.mark.parametrize('cfg, where', [
    (dict(type='RandomErasing'), "type='RandomErasing' is not supported"),
    (dict(type='RandomResizedCrop', scale=32, interpolation='lanczos'),
     "interpolation='lanczos'"),
    (dict(type='RandomGrayscale', prob=0.2), 'keep_channels=False'),
    (dict(type='RandomFlip', prob=[0.3, 0.2],
          direction=['horizontal', 'vertical']), 'RandomFlip: prob='),
    (dict(type='GaussianBlur', magnitude_range=(0.1, 2.), magnitude_std=1.),
     'magnitude_std'),
    (dict(type='RandomApply', transforms=[
        dict(type='ColorJitter', hue=0.1)]), 'on one-channel images'),
    (dict(type='ColorJitter', brightness=0.4, gamma=2), 'gamma'),
])
def test_unsupported_settings_fail_at_build(cfg, where):
    with pytest.raises(ConfigError) as e:
        MultiViewDataPreprocessor(
            2, [[dict(type='RandomFlip', prob=0.5), cfg]], mean=[0.], std=[1.])
    assert where in str(e.value) and 'transforms[0][1]' in str(e.value)
