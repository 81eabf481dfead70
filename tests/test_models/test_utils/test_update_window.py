"""The update-window option (paper's Table 4): only the last ``w`` stages up
to the exit are updated; the stem and earlier stages still run, without
gradient."""
import pytest
import torch
from helpers import assert_gradients, count_stage_calls, views

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


@pytest.mark.parametrize('window', [1, 2, 3])
@pytest.mark.parametrize('exit', [1, 2, 3, 4])
def test_gradients_reach_exactly_the_window(window, exit):
    model = MODELS.build(simclr_cfg(window))
    model.train()
    ran = count_stage_calls(model.backbone)
    model.set_active_exit(exit)
    model.loss(views(), None)[f'loss_exit{exit}'].backward()
    assert ran == list(range(1, exit + 1))  # earlier stages still run
    assert_gradients(model, exit, first=max(1, exit - window + 1))


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
