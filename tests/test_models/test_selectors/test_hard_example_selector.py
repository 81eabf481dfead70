"""HardExampleSelector (Table 5's hard-example baseline) on AccelSimCLR."""
import pytest
import torch

from mmaccel.models import HardExampleSelector
from mmaccel.registry import MODELS

BACKBONE = dict(type='MultiExitResNet', depth=18, base_channels=4,
                stem_channels=4, norm_cfg=dict(type='BN'))
NECK = dict(type='IntermediateContrastiveNeck', in_channels=[4, 8, 16, 32],
            head=dict(type='NonLinearNeck', hid_channels=8, out_channels=4,
                      norm_cfg=dict(type='BN1d')))
HEAD = dict(type='ContrastiveHead', loss=dict(type='CrossEntropyLoss'),
            temperature=0.1)


def simclr(selector):
    return MODELS.build(dict(type='AccelSimCLR', backbone=BACKBONE,
                             neck=NECK, head=HEAD, selector=selector))


def test_keeps_the_hardest_samples_of_both_views():
    torch.manual_seed(0)
    model = simclr(dict(type='HardExampleSelector', positions=(1, ),
                        keep_ratio=0.5))
    model.train()
    seen = {}
    model.backbone.layer1.register_forward_hook(
        lambda m, i, o: seen.__setitem__('after1', o.detach()))
    model.backbone.layer2.register_forward_pre_hook(
        lambda m, i: seen.__setitem__('into2', i[0].detach()))
    model.set_active_exit(3)
    x = [torch.randn(8, 3, 32, 32), torch.randn(8, 3, 32, 32)]
    loss = model.loss(x, None)['loss_exit3']
    assert torch.isfinite(loss)
    loss.backward()
    # brute force: score every sample's whole maps, keep the top half
    q, k = seen['after1'][0::2], seen['after1'][1::2]  # views alternate
    scores = model.score_pairs(1, q.mean((2, 3))[:, None],
                               k.mean((2, 3))[:, None]).flatten()
    keep = scores.topk(4).indices
    expected = torch.stack((q[keep], k[keep]), 1).flatten(0, 1)
    assert torch.equal(seen['into2'], expected)
    assert model.backbone.layer3[0].conv1.weight.grad is not None


@pytest.mark.parametrize('algorithm', ['AccelMoCo', 'AccelSwAV'])
def test_algorithms_with_a_fixed_batch_reject_it(algorithm):
    if algorithm == 'AccelMoCo':
        neck = dict(NECK, head=dict(type='MoCoV2Neck', hid_channels=8,
                                    out_channels=4))
        cfg = dict(type='AccelMoCo', backbone=BACKBONE, neck=neck, head=HEAD,
                   queue_len=16, feat_dim=4)
    else:
        neck = dict(NECK, head=dict(type='SwAVNeck', hid_channels=8,
                                    out_channels=4,
                                    norm_cfg=dict(type='BN1d')))
        head = dict(type='MultiExitSwAVHead', loss=dict(
            type='SwAVLoss', feat_dim=4, num_prototypes=5))
        cfg = dict(type='AccelSwAV', backbone=BACKBONE, neck=neck, head=head)
    cfg['selector'] = dict(type='HardExampleSelector', positions=(1, ))
    with pytest.raises(ValueError, match='drops samples'):
        MODELS.build(cfg)


@pytest.mark.parametrize('ratio', [0, 1.5, -0.1])
def test_rejects_bad_keep_ratio(ratio):
    with pytest.raises(ValueError, match='keep_ratio'):
        HardExampleSelector(keep_ratio=ratio)


def test_keeps_at_least_one_and_rounds_half_up():
    sel = HardExampleSelector(keep_ratio=0.5625)
    assert [sel.num_kept(n) for n in (1, 2, 8, 16, 256)] == [1, 1, 5, 9, 144]
