import pytest
import torch
from helpers import assert_gradients, count_stage_calls, gets_gradient, views
from mmengine.optim import build_optim_wrapper
from mmengine.registry import DefaultScope

from mmaccel.registry import MODELS

BACKBONE = dict(depth=18, base_channels=4, stem_channels=4,
                norm_cfg=dict(type='BN'))
CHANNELS = {1: 4, 2: 8, 3: 16, 4: 32}
NECK = dict(type='NonLinearNeck', hid_channels=16, out_channels=8,
            num_layers=2, with_avg_pool=True, norm_cfg=dict(type='BN1d'))
HEAD = dict(type='ContrastiveHead', loss=dict(type='CrossEntropyLoss'),
            temperature=0.1)


def accel_cfg(exits=(1, 2, 3, 4), selector=True):
    cfg = dict(
        type='AccelSimCLR',
        backbone=dict(type='MultiExitResNet', exits=exits, **BACKBONE),
        neck=dict(type='IntermediateContrastiveNeck', exits=exits,
                  in_channels=[CHANNELS[e] for e in exits], head=NECK),
        head=HEAD)
    if selector:
        cfg['selector'] = dict(type='HardPairSelector', positions=(1, 2))
    return cfg


@pytest.mark.parametrize('exit', [1, 2, 3, 4])
def test_partial_backprop_reaches_exactly_stages_up_to_exit(exit):
    model = MODELS.build(accel_cfg())
    model.train()
    calls = count_stage_calls(model.backbone)
    model.set_active_exit(exit)
    losses = model.loss(views(), None)
    assert list(losses) == [f'loss_exit{exit}']
    assert torch.isfinite(losses[f'loss_exit{exit}'])
    losses[f'loss_exit{exit}'].backward()
    assert calls == list(range(1, exit + 1))  # later stages never ran
    assert_gradients(model, exit)


def test_selection_cuts_later_maps():
    model = MODELS.build(accel_cfg())
    model.train()
    sizes = []
    model.backbone.layer4.register_forward_hook(
        lambda m, i, o: sizes.append(tuple(i[0].shape)))
    model.set_active_exit(4)
    model.loss(views(n=4, size=64), None)
    # 64 px: stage 1 gives 16 x 16 -> 12 x 12, stage 2 6 x 6 -> 5 x 5 (3/4,
    # rounded half up), stage 3 halves it to 3 x 3; both views of 4 samples.
    assert sizes == [(8, 16, 3, 3)]


def upstream_weights_to_accel(state, exit):
    return {(k.replace('neck.', f'neck.heads.exit{exit}.', 1)
             if k.startswith('neck.') else k): v for k, v in state.items()}


def test_single_exit_no_selector_equals_upstream_simclr():
    torch.manual_seed(0)
    upstream = MODELS.build(
        dict(type='SimCLR', backbone=dict(type='ResNet', **BACKBONE),
             neck=dict(NECK, in_channels=32), head=HEAD))
    accel = MODELS.build(accel_cfg(exits=(4, ), selector=False))
    missing, unexpected = accel.load_state_dict(
        upstream_weights_to_accel(upstream.state_dict(), 4), strict=True)
    assert not missing and not unexpected
    upstream.train()
    accel.train()
    for step in range(2):
        x = views(seed=step)
        loss_up = upstream.loss(x, None)['loss']
        loss_acc = accel.loss(x, None)['loss_exit4']
        assert torch.equal(loss_up, loss_acc)
        loss_up.backward()
        loss_acc.backward()
        for p, q in zip(upstream.parameters(), accel.parameters()):
            assert torch.equal(p.grad, q.grad)
        # batch norm saw the same batches
        assert torch.equal(upstream.backbone.norm1.running_mean,
                           accel.backbone.norm1.running_mean)


def reference_scores(model, stage, pooled_q, pooled_k):
    """Slow SimCLR-style score from the formula, one pair at a time."""
    n, m, c = pooled_q.shape
    head = model.neck.head(stage)
    pooled = torch.cat((pooled_q, pooled_k)).reshape(2 * n * m, c, 1, 1)
    z = torch.nn.functional.normalize(head((pooled, ))[0], dim=1)
    z_q, z_k = z.view(2, n, m, -1)
    t = model.head.temperature
    all_q, all_k = z_q.reshape(n * m, -1), z_k.reshape(n * m, -1)
    out = torch.zeros(n, m, m, dtype=torch.float64)
    for i in range(n):
        for a in range(m):
            for b in range(m):
                q, k = z_q[i, a].double(), z_k[i, b].double()
                pos = q @ k / t
                l1 = -pos + torch.logsumexp(
                    torch.cat((pos[None], all_k.double() @ q / t)), 0)
                l2 = -pos + torch.logsumexp(
                    torch.cat((pos[None], all_q.double() @ k / t)), 0)
                out[i, a, b] = (l1 + l2) / 2
    return out


def test_pair_scores_match_reference():
    torch.manual_seed(0)
    model = MODELS.build(accel_cfg())
    model.eval()  # the head's batch norm: fixed statistics for both runs
    pooled_q, pooled_k = torch.randn(2, 3, 3, 4).unbind(0)
    scores = model.score_pairs(1, pooled_q, pooled_k)
    assert scores.shape == (3, 3, 3)
    ref = reference_scores(model, 1, pooled_q, pooled_k)
    torch.testing.assert_close(scores.double(), ref, rtol=1e-5, atol=1e-5)
    # swapping the views transposes the pair scores (symmetric loss)
    swapped = model.score_pairs(1, pooled_k, pooled_q)
    torch.testing.assert_close(swapped, scores.transpose(1, 2))


LARS_CFG = dict(
    type='OptimWrapper',
    optimizer=dict(type='LARS', lr=0.3, momentum=0.9, weight_decay=1e-6),
    paramwise_cfg=dict(custom_keys={
        'bn': dict(decay_mult=0, lars_exclude=True),
        'bias': dict(decay_mult=0, lars_exclude=True),
        'downsample.1': dict(decay_mult=0, lars_exclude=True)}))


def test_lars_skips_stages_without_gradient():
    """Upstream's LARS (as SimCLR's config sets it up) leaves the stages
    after the exit, which get no gradient, and their heads untouched."""
    model = MODELS.build(accel_cfg())
    model.train()
    with DefaultScope.overwrite_default_scope('mmaccel'):
        optim = build_optim_wrapper(model, LARS_CFG)
    before = {k: v.detach().clone() for k, v in model.named_parameters()}
    for step in range(2):
        model.set_active_exit(2)
        optim.update_params(model.loss(views(seed=step), None)['loss_exit2'])
    for name, p in model.named_parameters():
        changed = not torch.equal(p, before[name])
        assert changed == gets_gradient(name, 2), name
        if not changed:
            assert p not in optim.optimizer.state or \
                not optim.optimizer.state[p], name
