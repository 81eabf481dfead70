"""MultiViewDataPreprocessor: registered, upstream's output format, and each
sample's views a function of (seed, epoch, sample index) alone."""
import pytest
import torch
from mmengine.config import Config
from mmengine.logging import MessageHub
from mmengine.registry import init_default_scope
from mmpretrain.models.utils import SelfSupDataPreprocessor
from mmpretrain.structures import DataSample

from mmaccel.models.utils import MultiViewDataPreprocessor
from mmaccel.registry import MODELS
from mmaccel.utils.errors import ConfigError, DataError

CONFIG = ('configs/mocov2/'
          'mocov2_resnet18-w32_1xb256-coslr-8e_fmnist-64px_device-aug.py')
MEAN, STD = [72.94], [90.02]
# the 64 px pipeline at 32 px, as in the tiny configs
VIEW = [
    dict(type='RandomResizedCrop', scale=32, crop_ratio_range=(0.2, 1.)),
    dict(type='RandomApply', prob=0.8,
         transforms=[dict(type='ColorJitter', brightness=0.4, contrast=0.4)]),
    dict(type='GaussianBlur', magnitude_range=(0.1, 2.0),
         magnitude_std='inf', prob=0.5),
    dict(type='RandomFlip', prob=0.5),
]


def batch(n=8, indices=None, seed=0):
    g = torch.Generator().manual_seed(seed)
    images = torch.randint(0, 256, (n, 1, 28, 28), dtype=torch.uint8,
                           generator=g)
    indices = range(n) if indices is None else indices
    return dict(inputs=images, data_samples=[
        DataSample(metainfo=dict(sample_idx=i)) for i in indices])


def views(pre, data, seed=0, epoch=0):
    hub = MessageHub.get_current_instance()
    hub.update_info('seed', seed)
    hub.update_info('epoch', epoch)
    return pre(data, training=True)['inputs']


@pytest.fixture
def pre():
    return MultiViewDataPreprocessor(2, [VIEW], mean=MEAN, std=STD)


def test_built_from_the_device_aug_config():
    cfg = Config.fromfile(CONFIG)
    init_default_scope('mmaccel')
    pre = MODELS.build(cfg.data_preprocessor)
    assert isinstance(pre, MultiViewDataPreprocessor)
    assert isinstance(pre, SelfSupDataPreprocessor)
    # the same view pipeline as the PIL config's MultiView
    assert cfg.data_preprocessor.transforms == [cfg.view_pipeline]
    out = views(pre, batch())
    assert [v.shape for v in out] == [(8, 1, 64, 64)] * 2


def test_output_shape_dtype_and_normalisation(pre):
    out = views(pre, batch())
    assert isinstance(out, list) and len(out) == 2
    for v in out:
        assert v.shape == (8, 1, 32, 32) and v.dtype == torch.float32
    # a constant image stays constant under every transform but the jitter,
    # which scales it: without jitter each view is (c - mean) / std
    plain = MultiViewDataPreprocessor(
        2, [[VIEW[0], VIEW[2], VIEW[3]]], mean=MEAN, std=STD)
    data = batch()
    data['inputs'][:] = 200
    for v in views(plain, data):
        torch.testing.assert_close(
            v, torch.full_like(v, (200 - MEAN[0]) / STD[0]))
    # no transforms: upstream's preprocessor on the same images, per view
    ident = MultiViewDataPreprocessor(2, [[]], mean=MEAN, std=STD)
    upstream = SelfSupDataPreprocessor(mean=MEAN, std=STD)
    data = batch()
    expect = upstream(dict(inputs=[data['inputs']] * 2,
                           data_samples=data['data_samples']), training=True)
    for ours, theirs in zip(views(ident, data), expect['inputs']):
        torch.testing.assert_close(ours, theirs)


def test_same_seed_same_views_and_each_key_matters(pre):
    first = views(pre, batch())
    again = views(pre, batch())
    assert all(torch.equal(a, b) for a, b in zip(first, again))
    assert not torch.equal(first[0], first[1])  # two different views
    for other in (views(pre, batch(), seed=1), views(pre, batch(), epoch=1),
                  views(pre, batch(indices=range(100, 108)))):
        for a, b in zip(first, other):
            assert all(not torch.equal(a[i], b[i]) for i in range(8))


def test_views_do_not_depend_on_the_batch(pre):
    """A sample's views are the same alone, in another batch and in another
    position: they depend on its index, not on its neighbours."""
    data = batch()
    full = views(pre, data)
    order = [5, 2, 7]
    part = dict(inputs=data['inputs'][order],
                data_samples=[data['data_samples'][i] for i in order])
    for a, b in zip(full, views(pre, part)):
        assert torch.equal(a[order], b)
    # the same image under two indices gets different views
    twice = dict(inputs=data['inputs'][[0, 0]],
                 data_samples=[DataSample(metainfo=dict(sample_idx=i))
                               for i in (0, 1)])
    a, _ = views(pre, twice)
    assert torch.equal(a[0], full[0][0]) and not torch.equal(a[0], a[1])


def test_view_shapes_for_checks_before_training():
    """PreflightCheckHook and PartialBackpropHook size their probes by the
    views, not by the raw images."""
    byol_like = MultiViewDataPreprocessor(
        [1, 1], [VIEW, [dict(VIEW[0], scale=(24, 20))]], mean=MEAN, std=STD)
    assert byol_like.view_shapes((8, 1, 28, 28)) == [(1, 32, 32), (1, 24, 20)]
    out = views(byol_like, batch())
    assert [tuple(v.shape[1:]) for v in out] == [(1, 32, 32), (1, 24, 20)]


def test_evaluation_is_upstream_normalisation_and_test_size():
    data = batch()
    pre = MultiViewDataPreprocessor(2, [VIEW], mean=MEAN, std=STD)
    out = pre(data, training=False)['inputs']
    torch.testing.assert_close(
        out, (data['inputs'].float() - MEAN[0]) / STD[0])
    sized = MultiViewDataPreprocessor(2, [VIEW], test_size=56, mean=MEAN,
                                      std=STD)
    out = sized(data, training=False)['inputs']
    assert out.shape == (8, 1, 56, 56) and out.dtype == torch.float32


def test_bad_batches_and_settings_raise_one_line_errors(pre):
    data = batch()
    with pytest.raises(DataError, match='drop MultiView'):
        pre(dict(inputs=[data['inputs']] * 2,
                 data_samples=data['data_samples']), training=True)
    with pytest.raises(DataError, match="'sample_idx'"):
        pre(dict(inputs=data['inputs'],
                 data_samples=[DataSample()] * 8), training=True)
    with pytest.raises(ConfigError, match=r'num_views=\[1, 1\]'):
        MultiViewDataPreprocessor([1, 1], [VIEW], mean=MEAN, std=STD)
