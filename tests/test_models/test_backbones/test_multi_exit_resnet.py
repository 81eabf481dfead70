import pytest
import torch
from mmpretrain.models import ResNet

from mmaccel.models import MultiExitResNet

TINY = dict(depth=18, base_channels=4, stem_channels=4, in_channels=3)


def stage_calls(model):
    calls = []
    for i, name in enumerate(model.res_layers, start=1):
        getattr(model, name).register_forward_hook(
            lambda *_, i=i: calls.append(i))
    return calls


@pytest.mark.parametrize('exit', [1, 2, 3, 4])
def test_stops_at_exit(exit):
    model = MultiExitResNet(**TINY)
    calls = stage_calls(model)
    outs = model(torch.randn(2, 3, 32, 32), exit=exit)
    assert calls == list(range(1, exit + 1))
    assert len(outs) == exit
    assert [o.shape[1] for o in outs] == [4, 8, 16, 32][:exit]


def test_equals_resnet_and_loads_its_checkpoint():
    torch.manual_seed(0)
    ref = ResNet(out_indices=(0, 1, 2, 3), **TINY)
    model = MultiExitResNet(**TINY)
    # strict: every key of a standard ResNet checkpoint, and no other
    missing, unexpected = model.load_state_dict(ref.state_dict(), strict=True)
    assert not missing and not unexpected
    ref.eval()
    model.eval()
    x = torch.randn(2, 3, 32, 32)
    for a, b in zip(ref(x), model(x)):
        assert torch.equal(a, b)
    # subset of exits: the exits' maps, never the later stages
    sub = MultiExitResNet(exits=(2, 3), **TINY)
    sub.load_state_dict(ref.state_dict())
    sub.eval()
    calls = stage_calls(sub)
    outs = sub(x)
    assert calls == [1, 2, 3]
    assert torch.equal(outs[0], ref(x)[1]) and torch.equal(outs[1], ref(x)[2])


def test_can_be_stepped():
    model = MultiExitResNet(**TINY)
    model.eval()
    x = torch.randn(2, 3, 32, 32)
    h = model.forward_stem(x)
    steps = []
    for stage in range(1, 5):
        h = model.forward_stage(stage, h)
        steps.append(h)
    for a, b in zip(steps, model(x)):
        assert torch.equal(a, b)
    assert [model.stage_channels(s) for s in range(1, 5)] == [4, 8, 16, 32]


@pytest.mark.parametrize('exits', [(5, ), (0, 1), (2, 1), (1, 1), ()])
def test_rejects_bad_exits(exits):
    with pytest.raises(ValueError, match=r'exits.*1\.\.4'):
        MultiExitResNet(exits=exits, **TINY)


def test_rejects_out_indices_and_unknown_exit():
    with pytest.raises(ValueError, match='out_indices'):
        MultiExitResNet(out_indices=(3, ), **TINY)
    with pytest.raises(ValueError, match=r'exit must be one of.*\(2, 4\)'):
        MultiExitResNet(exits=(2, 4), **TINY)(
            torch.randn(1, 3, 32, 32), exit=3)
