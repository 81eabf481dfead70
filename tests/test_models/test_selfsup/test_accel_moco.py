import copy

import pytest
import torch
from helpers import assert_gradients, count_stage_calls, gets_gradient, views
from mmpretrain.models.utils import batch_shuffle_ddp

from mmaccel.models.selectors import ShuffledKeyOrder
from mmaccel.registry import MODELS
from mmaccel.utils import ConfigError

BACKBONE = dict(depth=18, base_channels=4, stem_channels=4,
                norm_cfg=dict(type='BN'))
HEADS = {
    'v1': dict(type='LinearNeck', out_channels=8, gap_dim=2, norm_cfg=None),
    'v2': dict(type='MoCoV2Neck', hid_channels=16, out_channels=8),
}
HEAD = dict(type='ContrastiveHead', loss=dict(type='CrossEntropyLoss'),
            temperature=0.2)


def accel_cfg(exits=(1, 2, 3, 4), version='v2', selector=True, **kwargs):
    channels = {1: 4, 2: 8, 3: 16, 4: 32}
    cfg = dict(
        type='AccelMoCo',
        backbone=dict(type='MultiExitResNet', exits=exits, **BACKBONE),
        neck=dict(type='IntermediateContrastiveNeck', exits=exits,
                  in_channels=[channels[e] for e in exits],
                  head=HEADS[version]),
        head=HEAD, queue_len=32, feat_dim=8)
    if selector:
        cfg['selector'] = dict(type='HardPairSelector', positions=(1, 2))
    cfg.update(kwargs)
    return cfg


@pytest.mark.parametrize('exit', [1, 2, 3, 4])
def test_partial_backprop_reaches_exactly_stages_up_to_exit(exit):
    model = MODELS.build(accel_cfg())
    model.train()
    calls_q = count_stage_calls(model.backbone)
    calls_k = count_stage_calls(model.encoder_k.module[0])
    model.set_active_exit(exit)
    losses = model.loss(views(), None)
    assert list(losses) == [f'loss_exit{exit}']
    assert torch.isfinite(losses[f'loss_exit{exit}'])
    losses[f'loss_exit{exit}'].backward()
    # later stages never ran, in either encoder
    assert calls_q == list(range(1, exit + 1))
    assert calls_k == list(range(1, exit + 1))
    assert_gradients(model, exit, frozen=('encoder_k.', ))


def test_each_exit_has_its_own_queue():
    model = MODELS.build(accel_cfg())
    model.train()
    before = model.queue.clone()
    model.set_active_exit(3)
    model.loss(views(), None)
    assert model.queue_ptr.tolist() == [0, 0, 4, 0]
    changed = (model.queue != before).any(1).any(1).tolist()
    assert changed == [False, False, True, False]
    assert not torch.equal(model.queue[2, :, :4], before[2, :, :4])
    assert torch.equal(model.queue[2, :, 4:], before[2, :, 4:])


def test_momentum_follows_mmpretrain_convention():
    """momentum=0.001: the key encoder moves 0.1% of the way each step
    (after the first step, which copies the query encoder, as upstream)."""
    model = MODELS.build(accel_cfg(momentum=0.001))
    model.train()
    model.loss(views(), None)
    w = model.backbone.conv1.weight
    with torch.no_grad():
        w.add_(1.0)  # make query and key encoders differ
    k_before = model.encoder_k.module[0].conv1.weight.clone()
    model.loss(views(), None)
    expected = 0.999 * k_before + 0.001 * w.detach()
    torch.testing.assert_close(model.encoder_k.module[0].conv1.weight,
                               expected)


def upstream_weights_to_accel(state, exit):
    out = {}
    for key, value in state.items():
        key = key.replace('encoder_k.module.1.',
                          f'encoder_k.module.1.heads.exit{exit}.')
        if key.startswith('neck.'):
            key = key.replace('neck.', f'neck.heads.exit{exit}.', 1)
        out[key] = value
    out['queue'] = state['queue'][None].clone()
    return out


@pytest.mark.parametrize('version', ['v1', 'v2'])
def test_single_exit_no_selector_equals_upstream_moco(version):
    torch.manual_seed(0)
    upstream = MODELS.build(
        dict(type='MoCo',
             backbone=dict(type='ResNet', **BACKBONE),
             neck=dict(HEADS[version], in_channels=32),
             head=HEAD, queue_len=32, feat_dim=8))
    accel = MODELS.build(accel_cfg(exits=(4, ), version=version,
                                   selector=False))
    missing, unexpected = accel.load_state_dict(
        upstream_weights_to_accel(upstream.state_dict(), 4), strict=True)
    assert not missing and not unexpected
    upstream.train()
    accel.train()
    for step in range(3):  # several steps: queues and key encoders agree
        x = views()
        torch.manual_seed(step)
        loss_up = upstream.loss(x, None)['loss']
        torch.manual_seed(step)
        loss_acc = accel.loss(x, None)['loss_exit4']
        assert torch.equal(loss_up, loss_acc)
        loss_up.backward()
        loss_acc.backward()
        for p, q in zip(upstream.backbone.parameters(),
                        accel.backbone.parameters()):
            assert torch.equal(p.grad, q.grad)
        assert torch.equal(upstream.queue, accel.queue[0])


def test_shuffled_key_order_round_trip():
    x = torch.arange(8.)[:, None]
    torch.manual_seed(3)
    shuffled, idx_unshuffle = batch_shuffle_ddp(x)
    order = ShuffledKeyOrder(idx_unshuffle)
    assert not torch.equal(shuffled, x)
    assert torch.equal(order.to_query(shuffled), x)
    assert torch.equal(order.to_key(x), shuffled)


def test_selected_pairs_stay_aligned_under_shuffle_bn(monkeypatch):
    """Shuffle-BN permutes the key batch; the crop pair chosen for a sample
    must still be scored and cut from that sample's query and key. Crop
    offsets are made a function of each sample's own content, so a run with
    the shuffle and one without must give the same loss (eval mode: batch
    norm does not depend on the order)."""
    from mmaccel.models.selfsup import accel_moco

    def offsets_from_content(x):
        n, _, h, w = x.shape
        ch, cw = model.selector.crop_size(h, w)
        code = (x.detach().abs().sum((1, 2, 3)) * 1e3).long()  # N
        cand = torch.arange(model.selector.num_candidates)
        return torch.stack(((code[:, None] + 3 * cand) % (h - ch + 1),
                            (code[:, None] // 7 + cand) % (w - cw + 1)), -1)

    def run(shuffle):
        if not shuffle:
            monkeypatch.setattr(accel_moco, 'batch_shuffle_ddp',
                                lambda x: (x, torch.arange(x.shape[0])))
        torch.manual_seed(0)
        return model.loss(x, None)['loss_exit4'], model.queue.clone()

    torch.manual_seed(0)
    model = MODELS.build(accel_cfg())
    model.selector.num_candidates = 3
    model.selector.sample_offsets = offsets_from_content
    state = copy.deepcopy(model.state_dict())
    model.eval()
    model.set_active_exit(4)
    x = views(n=8, size=64)
    loss_shuffled, queue_shuffled = run(shuffle=True)
    model.load_state_dict(state)
    loss_plain, queue_plain = run(shuffle=False)
    torch.testing.assert_close(loss_shuffled, loss_plain)
    torch.testing.assert_close(queue_shuffled, queue_plain)


@pytest.mark.parametrize('positions,match', [((3, ), 'positions'),
                                             ((4, ), 'positions'),
                                             ((2, 5), 'positions')])
def test_rejects_selector_positions(positions, match):
    cfg = accel_cfg(exits=(1, 2, 4))
    cfg['selector'] = dict(type='HardPairSelector', positions=positions)
    with pytest.raises(ValueError, match=r'positions must be exits before '
                       r'the last one, i.e. in \(1, 2\)'):
        MODELS.build(cfg)


def test_rejects_mismatched_neck_and_backbone():
    cfg = accel_cfg()
    cfg['neck'] = dict(type='IntermediateContrastiveNeck', in_channels=[32],
                       exits=(4, ), head=HEADS['v2'])
    with pytest.raises(ValueError, match='one head per backbone exit'):
        MODELS.build(cfg)
    cfg = accel_cfg()
    cfg['backbone'] = dict(type='ResNet', **BACKBONE)
    with pytest.raises(TypeError, match='MultiExitResNet'):
        MODELS.build(cfg)


def test_rejects_queue_not_divisible_by_batch():
    model = MODELS.build(accel_cfg(queue_len=30))
    with pytest.raises(ValueError,
                       match=r'queue_len \(30\).*batch size \(4\)'):
        model.check_train_batch_size(4)
    model.check_train_batch_size(5)
    with pytest.raises(ValueError, match='queue_len'):
        MODELS.build(accel_cfg(queue_len=0))


def test_rejects_unknown_active_exit():
    model = MODELS.build(accel_cfg(exits=(2, 4), selector=False))
    with pytest.raises(ValueError, match=r'exit must be one of.*\(2, 4\)'):
        model.set_active_exit(3)


@pytest.mark.parametrize('window', [1, 2])
def test_update_window_limits_gradients(window):
    model = MODELS.build(accel_cfg(update_window=window))
    model.train()
    model.set_active_exit(3)
    model.loss(views(), None)['loss_exit3'].backward()
    first = 3 - window + 1
    for name, p in model.backbone.named_parameters():
        name = 'backbone.' + name
        assert (p.grad is not None) == gets_gradient(name, 3, first), name
    with pytest.raises(ValueError, match='update_window'):
        MODELS.build(accel_cfg(update_window=0))


def _step(model, exit, seed=0):
    model.set_active_exit(exit)
    torch.manual_seed(seed)  # the same crops in both models
    losses = model.loss(views(), None)
    sum(losses.values()).backward()
    return losses


@pytest.mark.parametrize('exit', [3, 4])
def test_train_scoring_heads_teaches_only_the_scoring_heads(exit):
    """Past both selections, exits 1 and 2's heads learn from their loss on
    the whole maps and their queues take the keys, while the backbone's
    gradients are exactly those of the step without the option."""
    plain = MODELS.build(accel_cfg())
    scoring = MODELS.build(accel_cfg(train_scoring_heads=True))
    scoring.load_state_dict(plain.state_dict())
    plain.train()
    scoring.train()
    _step(plain, exit)
    losses = _step(scoring, exit)
    assert sorted(losses) == sorted(
        [f'loss_exit{exit}', 'loss_score1', 'loss_score2'])
    assert all(torch.isfinite(v) for v in losses.values())
    grads = dict(plain.named_parameters())
    for name, p in scoring.named_parameters():
        if name.startswith('backbone.'):
            torch.testing.assert_close(p.grad, grads[name].grad,
                                       rtol=0, atol=0, msg=name)
        elif name.startswith('neck.heads.exit'):
            k = int(name[len('neck.heads.exit')])
            assert (p.grad is not None) == (k in (1, 2, exit)), name
    assert scoring.queue_ptr.tolist() == [
        4, 4] + [4 if e == exit else 0 for e in (3, 4)]


def test_train_scoring_heads_adds_nothing_before_a_selection():
    model = MODELS.build(accel_cfg(train_scoring_heads=True))
    model.train()
    assert list(_step(model, 1)) == ['loss_exit1']
    assert sorted(_step(model, 2)) == ['loss_exit2', 'loss_score1']


@pytest.mark.parametrize('cfg,match', [
    (dict(selector=False), 'needs a selector that scores'),
    (dict(selector=dict(type='HardPairSelector', positions=(1, 2),
                        mode='random')), 'needs a selector that scores'),
    (dict(train_scoring_heads='yes'), 'True or False'),
])
def test_rejects_train_scoring_heads_without_scores(cfg, match):
    cfg = dict(cfg)
    selector = cfg.pop('selector', True)
    built = accel_cfg(selector=selector is not False, **cfg)
    if isinstance(selector, dict):
        built['selector'] = selector
    built.setdefault('train_scoring_heads', True)
    with pytest.raises(ConfigError,
                       match=f'model.train_scoring_heads.*{match}'):
        MODELS.build(built)


def test_rejects_train_scoring_heads_where_unsupported():
    cfg = accel_cfg(train_scoring_heads=True)
    cfg.update(type='AccelSimCLR',
               neck=dict(cfg['neck'], head=dict(
                   type='NonLinearNeck', hid_channels=16, out_channels=8,
                   num_layers=2, with_avg_pool=True)),
               head=dict(type='ContrastiveHead',
                         loss=dict(type='CrossEntropyLoss'),
                         temperature=0.1))
    for key in ('queue_len', 'feat_dim'):
        cfg.pop(key)
    with pytest.raises(ConfigError, match='train_scoring_heads=True is not '
                       'supported by this algorithm'):
        MODELS.build(cfg)
