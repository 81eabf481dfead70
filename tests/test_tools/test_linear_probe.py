"""tools/benchmarks/linear.py with the tiny Fashion-MNIST probe configs: a few
real training iterations on a frozen backbone from a real checkpoint."""
import pytest
import torch
from cls_utils import (ACCEL, LINEAR, MULTI_STAGE, cached_checkpoint,
                       fashion_mnist_images, write_png)

# tools/model_converters/extract_backbone.py, tools/benchmarks/linear.py
from mmaccel.apis import extract_backbone as extract_tool
from mmaccel.apis import linear_benchmark as linear_tool
from mmaccel.registry import MODELS
from mmaccel.utils import load_config

STAGES = ('stem', 'stage1', 'stage2', 'stage3', 'stage4')
# 48 training images, batch 16: three iterations; 64 test images.
SMALL = [
    'train_cfg.max_epochs=1', 'train_dataloader.batch_size=16',
    'train_dataloader.dataset.indices=48', 'train_dataloader.num_workers=0',
    'train_dataloader.persistent_workers=False',
    'val_dataloader.dataset.indices=64', 'val_dataloader.batch_size=32',
    'val_dataloader.num_workers=0', 'val_dataloader.persistent_workers=False',
    'default_hooks.logger.interval=1'
]


@pytest.fixture(scope='module')
def checkpoints(tmp_path_factory):
    raw = cached_checkpoint(ACCEL, tmp_path_factory)
    exported = str(tmp_path_factory.mktemp('export') / 'backbone.pth')
    extract_tool.main([raw, exported])
    rgb = exported.replace('backbone.pth', 'backbone_rgb.pth')
    extract_tool.main([raw, rgb, '--in-channels', '3'])
    return dict(raw=raw, exported=exported, rgb=rgb)


def run_probe(config, checkpoint, work_dir, *extra):
    args = linear_tool.parse_args(
        [config, checkpoint, '--work-dir', str(work_dir), *extra])
    runner = linear_tool.build_runner(args)
    runner.train()
    return runner


def pretrained_backbone(raw_checkpoint):
    state = torch.load(raw_checkpoint, map_location='cpu',
                       weights_only=False)['state_dict']
    return {k[len('backbone.'):]: v for k, v in state.items()
            if k.startswith('backbone.')}


def assert_backbone_unchanged(runner, expected):
    own = runner.model.backbone.state_dict()
    assert set(own) == set(expected)
    for k, v in own.items():  # weights and batch-norm buffers
        assert torch.equal(v, expected[k]), f'{k} changed'


def test_frozen_linear_probe_leaves_the_backbone_unchanged(
        checkpoints, tmp_path):
    runner = run_probe(LINEAR, checkpoints['exported'], tmp_path,
                       '--cfg-options', *SMALL)
    # MMEngine asserts when an unprefixed file is loaded with a prefix.
    assert runner.cfg.model.backbone.init_cfg.prefix is None
    assert runner.iter == 3
    assert_backbone_unchanged(runner, pretrained_backbone(checkpoints['raw']))
    # The head trained: SGD has momentum for its two tensors only (the
    # backbone got no gradient).
    state = runner.optim_wrapper.optimizer.state
    head = list(runner.model.head.parameters())
    assert len(state) == 2
    assert all(state[p]['momentum_buffer'].abs().sum() > 0 for p in head)
    metrics = runner.val()
    assert set(metrics) == {'accuracy/top1', 'accuracy/top5'}
    assert 0 <= metrics['accuracy/top1'] <= 100


def test_multi_stage_probe_reports_top1_per_stage(checkpoints, tmp_path):
    runner = run_probe(MULTI_STAGE, checkpoints['raw'], tmp_path,
                       '--cfg-options', *SMALL)
    assert runner.cfg.model.backbone.init_cfg.prefix == 'backbone.'
    assert runner.iter == 3
    assert_backbone_unchanged(runner, pretrained_backbone(checkpoints['raw']))
    logged = runner.message_hub.log_scalars
    assert all(f'train/loss_{s}' in logged for s in STAGES)
    # one classifier per stage, on 16, 16, 32, 64, 128 pooled features
    assert [fc[1].in_features for fc in runner.model.head.classifiers] == \
        [16, 16, 32, 64, 128]
    metrics = runner.val()
    assert list(metrics) == [f'{s}/top1' for s in STAGES]
    # 64 queries: every accuracy is a multiple of 1/64
    for value in metrics.values():
        assert 0 <= value <= 100
        assert value * 64 / 100 == pytest.approx(round(value * 64 / 100))
    # the stage-4 probe is the model's own prediction
    assert runner.model.head.predict(
        runner.model.extract_feat(torch.zeros(2, 1, 32, 32)))[0].pred_score \
        .shape == (10, )


def make_image_folder(root):
    """Three Fashion-MNIST classes as PNGs: gray 28 px, RGB, 40 px."""
    names = ['t-shirt', 'trouser', 'pullover']
    images = fashion_mnist_images(9, classes=range(3))
    for label, name in enumerate(names):
        for i, img in enumerate(images[label]):
            split = 'train' if i < 6 else 'val'
            write_png(root / split / name / f'{i}.png', img, rgb=i % 2 == 1,
                      size=40 if i % 3 == 0 else None)
    return names


def test_linear_probe_on_an_image_folder(checkpoints, tmp_path):
    names = make_image_folder(tmp_path / 'data')
    runner = run_probe(
        LINEAR, checkpoints['raw'], tmp_path / 'work', '--data-root',
        str(tmp_path / 'data'), '--cfg-options', 'train_cfg.max_epochs=1',
        'train_dataloader.batch_size=6', 'train_dataloader.num_workers=0',
        'train_dataloader.persistent_workers=False',
        'val_dataloader.num_workers=0',
        'val_dataloader.persistent_workers=False')
    assert runner.iter == 3  # 18 images, batch 6
    train_set = runner.train_dataloader.dataset
    assert type(train_set).__name__ == 'CustomDataset'
    assert train_set.metainfo['classes'] == tuple(sorted(names))
    assert [train_set[i]['inputs'].shape for i in (0, 1)] == \
        [(1, 32, 32)] * 2  # RGB and 40 px files: one channel, 32 px
    assert runner.model.head.fc.out_features == 3
    metrics = runner.val()
    assert set(metrics) == {'accuracy/top1'}  # top-5 of 3 classes dropped
    assert metrics['accuracy/top1'] * 9 / 100 == pytest.approx(
        round(metrics['accuracy/top1'] * 9 / 100))


def test_neck_and_head_channels_follow_the_backbone_options():
    for config, expected in ((LINEAR, 64), (MULTI_STAGE, [8, 8, 16, 32, 64])):
        cfg = load_config(config)
        cfg.model.backbone.merge(dict(stem_channels=8, base_channels=8))
        backbone = MODELS.build(cfg.model.backbone)
        linear_tool.fit_channels(cfg, backbone)
        assert cfg.model.head.in_channels == expected
        if config == LINEAR:  # the batch norm before the linear layer
            assert cfg.model.neck[1].input_features == 64


@pytest.mark.parametrize('kind,options,message', [
    ('exported', ['model.backbone.base_channels=8'],
     '{}: backbone weights do not fit the configured ResNet: 6 missing '
     '(layer1.0.downsample.0.weight, layer1.0.downsample.1.weight, '
     'layer1.0.downsample.1.bias and 3 more); 95 of another shape '
     '(layer1.0.conv1.weight: (16, 16, 3, 3) in the file, (8, 16, 3, 3) in '
     'the model)\n'),
    ('rgb', [], '{}: backbone weights do not fit the configured ResNet: 1 of '
     'another shape (conv1.weight: (16, 3, 7, 7) in the file, (16, 1, 7, 7) '
     'in the model); set the input channels'),
    ('rgb', ['model.backbone.in_channels=3'],
     'Fashion-MNIST is grayscale and model.backbone.in_channels=3'),
])
def test_settings_that_do_not_fit_give_one_line(checkpoints, tmp_path, capsys,
                                                kind, options, message):
    with pytest.raises(SystemExit) as exit_info:
        linear_tool.main([LINEAR, checkpoints[kind], '--work-dir',
                          str(tmp_path)] + ['--cfg-options', *options] *
                         bool(options))
    assert exit_info.value.code == 1
    err = capsys.readouterr().err
    assert err.count('\n') == 1
    assert err.startswith('error: ' + message.format(checkpoints[kind]))


def test_multi_stage_pooling_sizes_of_mmselfsup():
    neck = MODELS.build(
        dict(type='MultiStagePooling', output_sizes=(12, 6, 4, 3, 2)))
    maps = [torch.randn(1, c, s, s) for c, s in
            ((64, 56), (256, 56), (512, 28), (1024, 14), (2048, 7))]
    assert [f.shape[1] for f in neck(maps)] == [9216, 9216, 8192, 9216, 8192]
    with pytest.raises(ValueError, match='2 output_sizes for 5 feature maps'):
        MODELS.build(dict(type='MultiStagePooling', output_sizes=(1, 2)))(
            maps)
    with pytest.raises(ValueError, match=r'got \(0,\)'):
        MODELS.build(dict(type='MultiStagePooling', output_sizes=(0, )))
