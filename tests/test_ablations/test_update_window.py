"""The update-window option (paper's Table 4): only the last ``w`` stages up
to the exit are updated; the stem and earlier stages still run, without
gradient."""
import pytest
import torch

from mmaccel.registry import MODELS

BACKBONE = dict(depth=18, base_channels=4, stem_channels=4,
                norm_cfg=dict(type='BN'))
NECK = dict(type='NonLinearNeck', hid_channels=16, out_channels=8,
            num_layers=2, with_avg_pool=True, norm_cfg=dict(type='BN1d'))


def simclr_cfg(update_window=None):
    return dict(
        type='AccelSimCLR',
        backbone=dict(type='MultiExitResNet', **BACKBONE),
        neck=dict(type='IntermediateContrastiveNeck',
                  in_channels=[4, 8, 16, 32], head=NECK),
        head=dict(type='ContrastiveHead', loss=dict(type='CrossEntropyLoss'),
                  temperature=0.1),
        selector=dict(type='HardPairSelector', positions=(1, 2)),
        update_window=update_window)


def views(n=4, size=32):
    g = torch.Generator().manual_seed(0)
    return [torch.randn(n, 3, size, size, generator=g) for _ in range(2)]


@pytest.mark.parametrize('window', [1, 2, 3])
@pytest.mark.parametrize('exit', [1, 2, 3, 4])
def test_gradients_reach_exactly_the_window(window, exit):
    model = MODELS.build(simclr_cfg(window))
    model.train()
    ran = []
    for i, name in enumerate(model.backbone.res_layers, start=1):
        getattr(model.backbone, name).register_forward_hook(
            lambda *_, i=i: ran.append(i))
    model.set_active_exit(exit)
    model.loss(views(), None)[f'loss_exit{exit}'].backward()
    assert ran == list(range(1, exit + 1))  # earlier stages still run
    first = max(1, exit - window + 1)
    for name, p in model.named_parameters():
        if name.startswith('backbone.layer'):
            should = first <= int(name[len('backbone.layer')]) <= exit
        elif name.startswith('backbone.'):
            should = first == 1  # the stem
        else:
            should = name.startswith(f'neck.heads.exit{exit}.')
        assert (p.grad is not None) == should, name


def test_window_covering_every_stage_is_the_method():
    def run(window):
        torch.manual_seed(0)
        model = MODELS.build(simclr_cfg(window))
        model.train()
        torch.manual_seed(1)
        loss = model.loss(views(), None)['loss_exit4']
        loss.backward()
        return loss, [p.grad for p in model.backbone.parameters()]

    loss_a, grads_a = run(None)
    loss_b, grads_b = run(4)
    assert torch.equal(loss_a, loss_b)
    assert all(torch.equal(a, b) for a, b in zip(grads_a, grads_b))


@pytest.mark.parametrize('bad', [0, -1, 1.5, '2'])
def test_rejects_bad_window(bad):
    with pytest.raises(ValueError, match=r'update_window must be None or an '
                       r'integer >= 1; got'):
        MODELS.build(simclr_cfg(bad))
