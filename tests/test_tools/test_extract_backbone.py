"""tools/model_converters/extract_backbone.py on real training checkpoints of
the tiny accelerated and upstream MoCo v2 configs: what it keeps, that the
result and the raw checkpoint load with exactly the expected keys into
MMPretrain's ResNet, the RGB conversion, and one-line errors."""
import pytest
import torch
from cls_utils import ACCEL, TINY_RESNET, UPSTREAM, cached_checkpoint
from mmpretrain.models import ResNet

# tools/model_converters/extract_backbone.py
from mmaccel.apis import extract_backbone as extract_tool
from mmaccel.registry import MODELS


@pytest.fixture(scope='module')
def checkpoints(tmp_path_factory):
    return {
        name: cached_checkpoint(config, tmp_path_factory)
        for name, config in (('accel', ACCEL), ('upstream', UPSTREAM))
    }


def training_state(path):
    return torch.load(path, map_location='cpu', weights_only=False)[
        'state_dict']


def backbone_of(state):
    return {k[len('backbone.'):]: v for k, v in state.items()
            if k.startswith('backbone.')}


def assert_same_tensors(module, expected):
    own = module.state_dict()
    assert set(own) == set(expected)
    for k, v in own.items():
        assert torch.equal(v, expected[k]), k


@pytest.mark.parametrize('name,dropped', [
    ('accel', {'encoder_k', 'neck', 'queue', 'queue_ptr'}),
    ('upstream', {'encoder_k', 'neck', 'queue', 'queue_ptr'}),
])
def test_export_keeps_the_query_backbone_only(checkpoints, tmp_path, name,
                                              dropped, capsys):
    src, out = checkpoints[name], tmp_path / 'backbone.pth'
    extract_tool.main([src, str(out)])
    assert 'saved 120 backbone tensors' in capsys.readouterr().out
    state = training_state(src)
    saved = torch.load(out, map_location='cpu')  # plain tensors: weights_only
    assert set(saved) == {'state_dict', 'meta'}
    expected = backbone_of(state)
    assert len(expected) == 120  # ResNet-18: 62 parameters, 58 BN buffers
    assert set(saved['state_dict']) == set(expected)
    for k, v in expected.items():
        assert torch.equal(saved['state_dict'][k], v), k
    # Nothing of the rest of the model: the momentum encoder holds a second
    # copy of the backbone, under another prefix.
    assert set(saved['meta']['keys_dropped']) == dropped
    assert sum(saved['meta']['keys_dropped'].values()) == \
        len(state) - len(expected)
    assert saved['meta']['source'] == str(src)
    assert saved['meta']['keys_kept'] == 120
    assert saved['meta']['source_meta']['epoch'] == 1


def test_exported_backbone_loads_exactly_into_resnet(checkpoints, tmp_path):
    out = tmp_path / 'backbone.pth'
    extract_tool.main([checkpoints['accel'], str(out)])
    exported = torch.load(out, map_location='cpu')['state_dict']

    report = ResNet(**{k: v for k, v in TINY_RESNET.items() if k != 'type'}
                    ).load_state_dict(exported, strict=False)
    assert report.missing_keys == [] and report.unexpected_keys == []

    # MMEngine's Pretrained init without a prefix: it never raises on
    # missing keys, so compare every tensor it left in the model.
    model = MODELS.build(
        dict(TINY_RESNET, init_cfg=dict(type='Pretrained',
                                        checkpoint=str(out))))
    model.init_weights()
    assert_same_tensors(model, exported)


def test_raw_checkpoint_loads_with_the_backbone_prefix(checkpoints):
    raw = backbone_of(training_state(checkpoints['accel']))
    model = MODELS.build(
        dict(TINY_RESNET, init_cfg=dict(type='Pretrained',
                                        checkpoint=checkpoints['accel'],
                                        prefix='backbone.')))
    model.init_weights()
    assert_same_tensors(model, raw)


def test_in_channels_3_gives_the_same_features_on_gray_rgb(
        checkpoints, tmp_path):
    out = tmp_path / 'rgb.pth'
    extract_tool.main([checkpoints['accel'], str(out), '--in-channels', '3'])
    saved = torch.load(out, map_location='cpu')
    gray = backbone_of(training_state(checkpoints['accel']))
    assert saved['state_dict']['conv1.weight'].shape == (16, 3, 7, 7)
    assert 'conv1.weight: 1 -> 3' in saved['meta']['in_channels']

    one = MODELS.build(TINY_RESNET)
    one.load_state_dict(gray)
    three = MODELS.build(dict(TINY_RESNET, in_channels=3))
    report = three.load_state_dict(saved['state_dict'], strict=False)
    assert report.missing_keys == [] and report.unexpected_keys == []
    # the three channels' weights sum to the gray one (float32 rounding)
    torch.testing.assert_close(
        saved['state_dict']['conv1.weight'].double().sum(1, keepdim=True),
        gray['conv1.weight'].double(), rtol=1e-6, atol=1e-8)
    # features in float64: what is left is the rounding of the stored
    # float32 weights (about 6e-7 at stage 4), not that of the arithmetic
    # (in float32 up to about 2e-5, which once exceeded a 1e-5 tolerance)
    one.double().eval(), three.double().eval()
    x = torch.randn(2, 1, 32, 32, dtype=torch.float64,
                    generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        torch.testing.assert_close(
            three(x.repeat(1, 3, 1, 1))[-1], one(x)[-1], rtol=1e-5,
            atol=2e-6)


@pytest.mark.parametrize('make,message', [
    (lambda p, ck: p.write_text('not a checkpoint\n'),
     'not a PyTorch checkpoint'),
    (lambda p, ck: torch.save(torch.zeros(3), p),
     'not a checkpoint: it holds a Tensor, not a dict'),
    (lambda p, ck: torch.save({'epoch': 3}, p),
     'not a checkpoint: no state_dict and no tensors'),
    # an exported backbone: nothing left to strip
    (lambda p, ck: torch.save(
        {'state_dict': backbone_of(training_state(ck))}, p),
     "no 'backbone.' keys in its state_dict"),
])
def test_bad_input_gives_one_line(checkpoints, tmp_path, capsys, make,
                                  message):
    bad = tmp_path / 'bad.pth'
    make(bad, checkpoints['accel'])
    with pytest.raises(SystemExit) as exit_info:
        extract_tool.main([str(bad), str(tmp_path / 'out.pth')])
    assert exit_info.value.code == 1
    err = capsys.readouterr().err
    assert err.count('\n') == 1
    assert err.startswith(f'error: {bad}: {message}')
    assert not (tmp_path / 'out.pth').exists()
