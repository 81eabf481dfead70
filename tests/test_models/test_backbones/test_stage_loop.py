"""The backbone's stage loop (``MultiExitResNet.forward_stages``,
``forward_in_lockstep``): the one place where maps are cut between stages,
run by the pair runner in training, by the cost model and by the preflight
check; the cost model's map sizes are those of a real training forward."""
import pytest
import torch

from mmaccel.engine.hooks.preflight_check_hook import check_crop_sizes
from mmaccel.models import MultiExitResNet, forward_in_lockstep
from mmaccel.models.utils.cost_model import map_sizes
from mmaccel.registry import MODELS
from mmaccel.utils import ConfigError

TINY = dict(depth=18, base_channels=4, stem_channels=4)
NECK = dict(type='NonLinearNeck', hid_channels=16, out_channels=8,
            num_layers=2, with_avg_pool=True, norm_cfg=dict(type='BN1d'))


def simclr(crop_ratio=0.75, positions=(1, 2)):
    return MODELS.build(dict(
        type='AccelSimCLR',
        backbone=dict(type='MultiExitResNet', **TINY),
        neck=dict(type='IntermediateContrastiveNeck',
                  in_channels=[4, 8, 16, 32], head=NECK),
        head=dict(type='ContrastiveHead', loss=dict(type='CrossEntropyLoss'),
                  temperature=0.1),
        selector=dict(type='HardPairSelector', positions=positions,
                      crop_ratio=crop_ratio)))


def record_sizes(backbone) -> dict:
    """``{stage: (height, width)}`` of each stage's output, as it runs."""
    sizes = {}
    for stage, name in enumerate(backbone.res_layers, start=1):
        getattr(backbone, name).register_forward_hook(
            lambda m, i, out, stage=stage: sizes.update(
                {stage: tuple(out.shape[-2:])}))
    return sizes


@pytest.mark.parametrize('positions', [(1, 2), (1, 2, 3)])
@pytest.mark.parametrize('crop_ratio', [0.5, 0.75, 1.0])
@pytest.mark.parametrize('size', [(32, 32), (40, 40), (47, 47), (64, 64),
                                  (36, 52)])
def test_cost_model_map_sizes_equal_a_training_forward(
        size, crop_ratio, positions):
    torch.manual_seed(0)
    model = simclr(crop_ratio, positions)
    model.train()
    recorded = record_sizes(model.backbone)
    probe = torch.zeros(1, 3, *size)
    for exit in (1, 2, 3, 4):
        model.set_active_exit(exit)
        recorded.clear()
        model.loss([torch.randn(4, 3, *size) for _ in range(2)], None)
        real = dict(recorded)  # the probe below records its own
        assert sorted(real) == list(range(1, exit + 1))
        model.eval()  # the probe touches no batch statistics
        assert map_sizes(model.backbone, probe, exit,
                         model.selector) == real, exit
        model.train()
    # the crops changed the later maps (so the sizes above could differ)
    model.eval()
    whole = map_sizes(model.backbone, probe, 4)
    changed = {s for s in whole if whole[s] != real[s]}
    assert changed if crop_ratio < 1 else not changed


def test_map_sizes_follow_the_rounding_of_the_crop():
    """32 px, 3/4 crops after stages 1 and 2: 8 x 8 -> 6 x 6, then 3 x 3 ->
    2 x 2 (2.25, rounded half up to 2), then 1 x 1."""
    model = simclr()
    model.eval()
    x = torch.zeros(1, 3, 32, 32)
    assert map_sizes(model.backbone, x, 4, model.selector) == {
        1: (8, 8), 2: (3, 3), 3: (1, 1), 4: (1, 1)}
    # at exit 2 the map after stage 2 is the exit's: not cut after it
    assert map_sizes(model.backbone, x, 2, model.selector) == {
        1: (8, 8), 2: (3, 3)}
    assert map_sizes(model.backbone, x, 4) == {
        1: (8, 8), 2: (4, 4), 3: (2, 2), 4: (1, 1)}


def expected_refusal(view: int, selector):
    """The first selection position whose map the crop covers, and that
    map's side, by hand: the stem and stages 2 to 4 halve the side (rounding
    up), and the stage after a position gets the crop; None if there is
    none."""
    side = -(-view // 4)  # two stride-2 steps in the stem
    for stage in range(1, max(selector.positions) + 1):
        if stage > 1:
            side = -(-side // 2)
        if stage in selector.positions:
            crop = selector.crop_size(side, side)[0]
            if crop == side:
                return stage, side
            side = crop
    return None


def test_preflight_refuses_exactly_a_crop_as_large_as_the_map():
    outcomes = set()
    for view in (4, 8, 11, 16, 23, 32, 47, 64):
        for crop_ratio in (0.5, 0.75, 1.0):
            for positions in ((1, 2), (1, 2, 3)):
                model = simclr(crop_ratio, positions)
                model.train()
                refusal = expected_refusal(view, model.selector)
                outcomes.add(refusal is None)
                if refusal is None:
                    check_crop_sizes(model, (3, view, view))
                else:
                    stage, side = refusal
                    with pytest.raises(ConfigError, match=(
                            f'views of {view} x {view} px leave {side} x '
                            f'{side} maps after stage {stage},')):
                        check_crop_sizes(model, (3, view, view))
                assert model.training and model.backbone.training
    assert outcomes == {True, False}  # both refused and accepted views


def test_forward_stages_without_cut_is_the_forward():
    torch.manual_seed(0)
    backbone = MultiExitResNet(**TINY)
    backbone.eval()
    x = torch.randn(2, 3, 32, 32)
    assert torch.equal(backbone.forward_stages(x, 0),
                       backbone.forward_stem(x))
    for last in (1, 2, 3, 4):
        assert torch.equal(backbone.forward_stages(x, last),
                           backbone(x, exit=last)[-1])
    # cut_after without a cut, and a cut with no stage to cut after
    assert torch.equal(backbone.forward_stages(x, 4, cut_after=(1, 2)),
                       backbone(x)[-1])
    never = backbone.forward_stages(x, 4, lambda s, h: h[..., :1, :1])
    assert torch.equal(never, backbone(x)[-1])


@pytest.mark.parametrize('cut_after, last, cuts', [
    ((1, 2), 4, [1, 2]),
    ((1, 2, 3), 4, [1, 2, 3]),
    ((2, ), 4, [2]),
    ((1, 2, 3), 2, [1]),  # never after the last stage run
    ((1, 2), 1, []),
])
def test_forward_stages_cuts_after_the_given_stages(cut_after, last, cuts):
    torch.manual_seed(0)
    backbone = MultiExitResNet(**TINY)
    backbone.eval()
    x = torch.randn(2, 3, 40, 40)
    seen = []

    def cut(stage, h):
        seen.append(stage)
        return h[..., 1:, :-1]  # one row and one column fewer

    out = backbone.forward_stages(x, last, cut, cut_after)
    assert seen == cuts
    # the same by hand: the next stage gets the cut map
    h = backbone.forward_stem(x)
    for stage in range(1, last + 1):
        h = backbone.forward_stage(stage, h)
        if stage in cuts:
            h = h[..., 1:, :-1]
    assert torch.equal(out, h)


def test_lockstep_steps_every_pass_at_each_stage_and_cuts_them_together():
    torch.manual_seed(0)
    a, b = MultiExitResNet(**TINY), MultiExitResNet(**TINY)
    order = []
    for name, backbone in (('a', a), ('b', b)):
        for stage, layer in enumerate(backbone.res_layers, start=1):
            getattr(backbone, layer).register_forward_hook(
                lambda *_, n=name, s=stage: order.append((n, s)))
    cuts = []

    def cut(stage, maps):
        cuts.append((stage, [tuple(m.shape) for m in maps]))
        return [m[..., :2, :2] for m in maps]

    xs = [torch.randn(2, 3, 32, 32), torch.randn(3, 3, 32, 32)]
    outs = forward_in_lockstep([a, b], xs, 3, cut, (1, ),
                               grad_from=[2, 4])
    assert order == [('a', 1), ('b', 1), ('a', 2), ('b', 2), ('a', 3),
                     ('b', 3)]
    assert cuts == [(1, [(2, 4, 8, 8), (3, 4, 8, 8)])]
    assert [tuple(o.shape) for o in outs] == [(2, 16, 1, 1), (3, 16, 1, 1)]
    # grad_from: pass a trains stages 2 and 3 only, pass b nothing
    assert not outs[1].requires_grad
    outs[0].sum().backward()
    assert a.layer1[0].conv1.weight.grad is None and a.conv1.weight.grad \
        is None
    assert a.layer2[0].conv1.weight.grad is not None
    assert all(p.grad is None for p in b.parameters())


def test_lockstep_rejects_bad_arguments():
    backbone = MultiExitResNet(**TINY)
    x = torch.randn(1, 3, 32, 32)
    with pytest.raises(ValueError, match=r'last must be .* 0\.\.4; got 5'):
        backbone.forward_stages(x, 5)
    with pytest.raises(ValueError, match='2 backbones for 1 inputs'):
        forward_in_lockstep([backbone, backbone], [x], 1)
