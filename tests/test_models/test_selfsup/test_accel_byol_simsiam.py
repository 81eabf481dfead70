"""Accelerated BYOL and SimSiam: exactly upstream with one exit, partial
back-propagation per exit, hard pairs by the regression loss, and a short
tiny run in which every exit's loss falls."""
import pytest
import torch
from helpers import (assert_gradients, count_stage_calls, loss_series,
                     short_run, shrink, views)
from mmengine.logging import MessageHub
from mmengine.runner import Runner

from mmaccel.registry import MODELS
from mmaccel.utils import load_config

BACKBONE = dict(depth=18, base_channels=4, stem_channels=4,
                norm_cfg=dict(type='BN'))
CHANNELS = {1: 4, 2: 8, 3: 16, 4: 32}
PROJECTOR = dict(type='NonLinearNeck', hid_channels=16, out_channels=8,
                 num_layers=2, with_bias=True, with_last_bn=False,
                 with_avg_pool=True, norm_cfg=dict(type='BN1d'))
PREDICTOR = dict(type='NonLinearNeck', in_channels=8, hid_channels=16,
                 out_channels=8, num_layers=2, with_bias=True,
                 with_last_bn=False, with_avg_pool=False,
                 norm_cfg=dict(type='BN1d'))
LOSS = {'BYOL': dict(type='CosineSimilarityLoss', shift_factor=2.0,
                     scale_factor=2.0),
        'SimSiam': dict(type='CosineSimilarityLoss')}
EXTRA = {'BYOL': dict(base_momentum=0.01), 'SimSiam': {}}
FROZEN = {'BYOL': ('target_net.', ), 'SimSiam': ()}
CONFIGS = {
    'BYOL': 'configs/accel_byol/'
    'accel-byol_resnet18-tiny_1xb256-coslr-50e_fmnist.py',
    'SimSiam': 'configs/accel_simsiam/'
    'accel-simsiam_resnet18-tiny_1xb256-coslr-50e_fmnist.py',
}


@pytest.fixture(autouse=True)
def max_iters():
    """BYOL's CosineEMA reads the run's length from the message hub."""
    MessageHub.get_current_instance().update_info('max_iters', 100)


def accel_cfg(algorithm, exits=(1, 2, 3, 4), selector=True):
    cfg = dict(
        type=f'Accel{algorithm}',
        backbone=dict(type='MultiExitResNet', exits=exits, **BACKBONE),
        neck=dict(type='IntermediateContrastiveNeck',
                  in_channels=[CHANNELS[e] for e in exits], head=PROJECTOR),
        head=dict(type='MultiExitLatentPredictHead', predictor=PREDICTOR,
                  loss=LOSS[algorithm]),
        **EXTRA[algorithm])
    if selector:
        cfg['selector'] = dict(type='HardPairSelector', positions=(1, 2))
    return cfg


def upstream_weights_to_accel(state, exit):
    out = {}
    for key, value in state.items():
        for part in ('neck.', 'target_net.module.1.', 'head.'):
            if key.startswith(part):
                key = key.replace(part, f'{part}heads.exit{exit}.', 1)
                break
        out[key] = value
    return out


@pytest.mark.parametrize('algorithm', ['BYOL', 'SimSiam'])
def test_single_exit_no_selector_equals_upstream(algorithm):
    torch.manual_seed(0)
    upstream = MODELS.build(dict(
        type=algorithm, backbone=dict(type='ResNet', **BACKBONE),
        neck=dict(PROJECTOR, in_channels=32),
        head=dict(type='LatentPredictHead', predictor=PREDICTOR,
                  loss=LOSS[algorithm]), **EXTRA[algorithm]))
    accel = MODELS.build(accel_cfg(algorithm, exits=(4, ), selector=False))
    missing, unexpected = accel.load_state_dict(
        upstream_weights_to_accel(upstream.state_dict(), 4), strict=True)
    assert not missing and not unexpected
    upstream.train()
    accel.train()
    for step in range(3):  # several steps: the targets move alike
        x = views(seed=step)
        loss_up = upstream.loss(x, None)['loss']
        loss_acc = accel.loss(x, None)['loss_exit4']
        assert torch.equal(loss_up, loss_acc)
        loss_up.backward()
        loss_acc.backward()
        for (name, p), q in zip(upstream.named_parameters(),
                                accel.parameters()):
            assert p.requires_grad == q.requires_grad, name
            assert (p.grad is None) == (q.grad is None), name
            if p.grad is not None:
                assert torch.equal(p.grad, q.grad), name
            # BYOL's target: the same moving average of the same weights
            assert torch.equal(p, q), name
        with torch.no_grad():  # an update that the next step sees
            for p, q in zip(upstream.parameters(), accel.parameters()):
                if p.grad is not None:
                    p.sub_(0.1 * p.grad)
                    q.sub_(0.1 * q.grad)
                    p.grad, q.grad = None, None


@pytest.mark.parametrize('algorithm', ['BYOL', 'SimSiam'])
@pytest.mark.parametrize('exit', [1, 2, 3, 4])
def test_partial_backprop_reaches_exactly_stages_up_to_exit(algorithm, exit):
    model = MODELS.build(accel_cfg(algorithm))
    model.train()
    calls = count_stage_calls(model.backbone)
    # both views in lockstep, stage by stage, no later stage
    expected = [stage for stage in range(1, exit + 1) for _ in range(2)]
    calls_t = count_stage_calls(model.target_net.module[0]) \
        if algorithm == 'BYOL' else expected
    model.set_active_exit(exit)
    losses = model.loss(views(), None)
    assert list(losses) == [f'loss_exit{exit}']
    assert torch.isfinite(losses[f'loss_exit{exit}'])
    losses[f'loss_exit{exit}'].backward()
    assert calls == expected
    assert calls_t == expected  # BYOL's target likewise
    assert_gradients(model, exit, frozen=FROZEN[algorithm])


def constructed_offsets(n, m, side):
    """Offsets ``N x M x 2`` that differ between samples and candidates:
    query crops on one diagonal, key crops on the other."""
    i = torch.arange(n)[:, None] + torch.arange(m)

    def offsets(x):
        nonlocal calls
        calls += 1
        rows = (i * 2) % side
        cols = rows if calls % 2 else (side - 1 - rows)
        return torch.stack((rows, cols), -1)

    calls = 0
    return offsets


@pytest.mark.parametrize('algorithm', ['BYOL', 'SimSiam'])
def test_selection_keeps_the_pair_with_the_largest_regression_loss(
        algorithm):
    """Exit 2, selection after stage 1, M = 3 constructed crops per view:
    the crops that stage 2 receives (online and target alike) are those of
    the pair whose upstream loss, taken on that pair alone, is largest."""
    torch.manual_seed(0)
    model = MODELS.build(accel_cfg(algorithm))
    model.eval()  # batch norm: fixed statistics, a pair's loss is its own
    sel = model.selector
    sel.num_candidates = 3
    n, side = 4, 16 - sel.crop_size(16, 16)[0] + 1  # 64 px: 16 x 16 maps
    sel.sample_offsets = constructed_offsets(n, 3, side)
    nets = [(model.backbone, model.neck)]
    if algorithm == 'BYOL':
        nets.append(tuple(model.target_net.module))
    maps, cut = {}, {}
    for j, (backbone, _) in enumerate(nets):
        backbone.layer1.register_forward_hook(
            lambda m, i, o, j=j: maps.setdefault(j, []).append(o.detach()))
        backbone.layer2.register_forward_pre_hook(
            lambda m, i, j=j: cut.setdefault(j, []).append(i[0].detach()))
    model.set_active_exit(2)
    model.loss(views(n=n, size=64), None)
    size = sel.crop_size(16, 16)
    offsets = constructed_offsets(n, 3, side)  # again, a fresh counter
    off = offsets(None), offsets(None)  # query view, key view
    head = model.head.head(1)

    def crop(x, i, v, a):
        y, x0 = off[v][i, a].tolist()
        return x[i:i + 1, :, y:y + size[0], x0:x0 + size[1]]

    def project(j, x):
        return nets[j][1]((x, ), 1)[0]

    target = 1 if algorithm == 'BYOL' else 0
    with torch.no_grad():
        for i in range(n):
            losses = {}
            for a in range(3):
                for b in range(3):
                    z1, z2 = (project(0, crop(maps[0][v], i, v, c))
                              for v, c in ((0, a), (1, b)))
                    y1, y2 = (project(target, crop(maps[target][v], i, v, c))
                              for v, c in ((0, a), (1, b)))
                    pair = head.loss(z1, y2) + head.loss(z2, y1)
                    losses[a, b] = float(pair)
            a, b = max(losses, key=losses.get)
            assert sorted(losses.values())[-2] < losses[a, b]  # no tie
            for j in range(len(nets)):
                assert torch.equal(cut[j][0][i:i + 1],
                                   crop(maps[j][0], i, 0, a))
                assert torch.equal(cut[j][1][i:i + 1],
                                   crop(maps[j][1], i, 1, b))


@pytest.mark.parametrize('algorithm', ['BYOL', 'SimSiam'])
def test_tiny_run_every_exit_loss_falls(algorithm, tmp_path):
    """The tiny Fashion-MNIST config, 120 seeded iterations of batch 32."""
    cfg = shrink(load_config(CONFIGS[algorithm]), short_run(
        120, 32, cosine=True, seed=0, checkpoint_interval=1000))
    cfg.work_dir = str(tmp_path)
    runner = Runner.from_cfg(cfg)
    runner.train()
    series = loss_series(runner)
    assert sorted(series) == [f'loss_exit{k}' for k in (1, 2, 3, 4)]
    for key, values in series.items():
        assert len(values) >= 10, key
        assert all(torch.isfinite(torch.tensor(values))), key
        first, last = sum(values[:5]) / 5, sum(values[-5:]) / 5
        print(f'{algorithm} {key}: {first:.3f} -> {last:.3f}')
        assert last < first, (key, values)
