import pytest
import torch
from helpers import assert_gradients, count_stage_calls

from mmaccel.registry import MODELS

BACKBONE = dict(depth=18, base_channels=4, stem_channels=4,
                norm_cfg=dict(type='BN'))
CHANNELS = {1: 4, 2: 8, 3: 16, 4: 32}
NECK = dict(type='SwAVNeck', hid_channels=16, out_channels=8,
            with_avg_pool=True, norm_cfg=dict(type='BN1d'))


def loss_cfg(num_crops=(2, )):
    return dict(type='SwAVLoss', feat_dim=8, epsilon=0.05, temperature=0.1,
                num_crops=list(num_crops), num_prototypes=10)


def accel_cfg(exits=(1, 2, 3, 4), selector=True, num_crops=(2, )):
    cfg = dict(
        type='AccelSwAV',
        backbone=dict(type='MultiExitResNet', exits=exits, **BACKBONE),
        neck=dict(type='IntermediateContrastiveNeck', exits=exits,
                  in_channels=[CHANNELS[e] for e in exits], head=NECK),
        head=dict(type='MultiExitSwAVHead', loss=loss_cfg(num_crops)))
    if selector:
        cfg['selector'] = dict(type='HardPairSelector', positions=(1, 2))
    return cfg


def crops(n=4, num_crops=(2, ), sizes=(32, 16), seed=0):
    g = torch.Generator().manual_seed(seed)
    return [torch.randn(n, 3, size, size, generator=g)
            for count, size in zip(num_crops, sizes) for _ in range(count)]


def prototypes(model, exit):
    return model.head.head(exit).loss_module.prototypes.weight


@pytest.mark.parametrize('exit', [1, 2, 3, 4])
def test_partial_backprop_reaches_exactly_stages_up_to_exit(exit):
    model = MODELS.build(accel_cfg(num_crops=(2, 2)))
    model.train()
    calls = count_stage_calls(model.backbone)
    model.set_active_exit(exit)
    losses = model.loss(crops(num_crops=(2, 2)), None)
    assert list(losses) == [f'loss_exit{exit}']
    assert torch.isfinite(losses[f'loss_exit{exit}'])
    losses[f'loss_exit{exit}'].backward()
    # two resolution groups, each run to the exit only
    assert calls == list(range(1, exit + 1)) * 2
    # prototypes: exit k's only (gets_gradient's per-exit rule)
    assert_gradients(model, exit)


def test_selection_cuts_large_views_only():
    model = MODELS.build(accel_cfg(num_crops=(2, 2)))
    model.train()
    sizes = []
    model.backbone.layer4.register_forward_hook(
        lambda m, i, o: sizes.append(tuple(i[0].shape)))
    model.set_active_exit(4)
    model.loss(crops(num_crops=(2, 2), sizes=(64, 32)), None)
    # large views: 16 -> 12 after stage 1, 6 -> 5 after stage 2, 3 at
    # stage 3; small crops unselected: 32 px gives 2 x 2 at stage 3.
    assert sizes == [(8, 16, 3, 3), (8, 16, 2, 2)]


def upstream_weights_to_accel(state, exit):
    out = {}
    for key, value in state.items():
        if key.startswith('neck.'):
            key = key.replace('neck.', f'neck.heads.exit{exit}.', 1)
        elif key.startswith('head.'):
            key = key.replace('head.', f'head.heads.exit{exit}.', 1)
        out[key] = value
    return out


@pytest.mark.parametrize('num_crops', [(2, ), (2, 2)])
def test_single_exit_no_selector_equals_upstream_swav(num_crops):
    torch.manual_seed(0)
    upstream = MODELS.build(
        dict(type='SwAV', backbone=dict(type='ResNet', **BACKBONE),
             neck=dict(NECK, in_channels=32),
             head=dict(type='SwAVHead', loss=loss_cfg(num_crops))))
    accel = MODELS.build(accel_cfg(exits=(4, ), selector=False,
                                   num_crops=num_crops))
    missing, unexpected = accel.load_state_dict(
        upstream_weights_to_accel(upstream.state_dict(), 4), strict=True)
    assert not missing and not unexpected
    # a queue of two batches, as SwAVHook would set it: used from step 3 on
    upstream.head.loss_module.queue = torch.zeros(2, 8, 8)
    accel.head.loss_module.queue = torch.zeros(2, 8, 8)
    upstream.train()
    accel.train()
    for step in range(3):
        x = crops(num_crops=num_crops, seed=step)
        loss_up = upstream.loss(x, None)['loss']
        loss_acc = accel.loss(x, None)['loss_exit4']
        assert torch.equal(loss_up, loss_acc)
        loss_up.backward()
        loss_acc.backward()
        for p, q in zip(upstream.parameters(), accel.parameters()):
            assert torch.equal(p.grad, q.grad)
        assert torch.equal(upstream.head.loss_module.queue,
                           accel.head.loss_module.queue[0])
    assert upstream.head.loss_module.use_queue
    assert accel.head.loss_module.use_queue


def test_each_exit_has_its_own_queue():
    model = MODELS.build(accel_cfg())
    model.train()
    model.head.loss_module.queue = torch.zeros(2, 8, 8)  # as SwAVHook does
    queues = model.head.loss_module.queue
    assert queues.shape == (4, 2, 8, 8)
    model.set_active_exit(2)
    model.loss(crops(), None)
    filled = model.head.loss_module.queue.flatten(1).ne(0).any(1).tolist()
    assert filled == [False, True, False, False]
    # round trip, as the hook saves and sets queues between epochs
    saved = model.head.loss_module.queue
    model.head.loss_module.queue = saved
    assert torch.equal(model.head.loss_module.queue, saved)
    with pytest.raises(ValueError, match=r'one per exit.*\(3, 2, 8, 8\)'):
        model.head.loss_module.queue = torch.zeros(3, 2, 8, 8)


def test_pair_scores_are_swapped_prediction_losses():
    """A candidate pair's score equals upstream SwAVLoss on that pair alone,
    when Sinkhorn sees the same crops (M = 1: one candidate per view)."""
    torch.manual_seed(0)
    model = MODELS.build(accel_cfg())
    model.eval()
    pooled_q, pooled_k = torch.randn(2, 6, 1, 4).unbind(0)
    scores = model.score_pairs(1, pooled_q, pooled_k)
    assert scores.shape == (6, 1, 1)
    loss = model.head.head(1).loss_module
    z = model.neck.head(1).forward_projection(
        torch.cat((pooled_q[:, 0], pooled_k[:, 0])))
    with torch.no_grad():
        loss.prototypes.weight.copy_(torch.nn.functional.normalize(
            loss.prototypes.weight, dim=1))
        expected = loss(z)  # mean over the batch of the per-pair losses
    torch.testing.assert_close(scores.mean(), expected)


def test_prototypes_stay_normalised():
    """Each exit's prototypes are unit rows whenever its loss uses them, and
    a step at one exit leaves every other exit's prototypes untouched."""
    model = MODELS.build(accel_cfg())
    model.train()
    optim = torch.optim.SGD(model.parameters(), lr=0.5, momentum=0.9)
    used = {}
    for e in model.exits:
        model.head.head(e).loss_module.prototypes.register_forward_hook(
            lambda m, i, o, e=e: used.__setitem__(e, m.weight.detach()
                                                  .clone()))
    for step, exit in enumerate([4, 2, 1, 3, 2, 4, 1, 3]):
        before = {e: prototypes(model, e).detach().clone()
                  for e in model.exits}
        model.set_active_exit(exit)
        optim.zero_grad()
        model.loss(crops(seed=step), None)[f'loss_exit{exit}'].backward()
        optim.step()
        norms = used[exit].norm(dim=1)
        torch.testing.assert_close(norms, torch.ones_like(norms))
        for e in model.exits:
            moved = not torch.equal(prototypes(model, e), before[e])
            assert moved == (e == exit), (step, e)


def test_rejects_mismatched_head_and_selection_without_pair():
    cfg = accel_cfg()
    cfg['head'] = dict(type='MultiExitSwAVHead', exits=(4, ), loss=loss_cfg())
    with pytest.raises(ValueError, match='MultiExitSwAVHead with one head per '
                       'backbone exit'):
        MODELS.build(cfg)
    cfg = accel_cfg()
    cfg['head']['loss']['num_crops'] = [1, 2]
    with pytest.raises(ValueError, match=r'num_crops=\[1, 2\]'):
        MODELS.build(cfg)
