"""The tiny Fashion-MNIST baseline config: data pipeline and model agree."""
import torch
from mmengine.registry import init_default_scope

from mmaccel.registry import DATASETS, MODELS
from mmaccel.utils import load_config

CONFIG = 'configs/mocov2/mocov2_resnet18-tiny_1xb256-coslr-50e_fmnist.py'


def test_tiny_config_views_and_model():
    cfg = load_config(CONFIG)
    assert cfg.default_scope == 'mmaccel'
    assert cfg.train_dataloader.batch_size == 256
    assert cfg.train_cfg.max_epochs == 50
    assert cfg.param_scheduler[0].T_max == 50
    init_default_scope('mmaccel')

    dataset_cfg = dict(cfg.train_dataloader.dataset, indices=8)
    dataset = DATASETS.build(dataset_cfg)
    assert len(dataset) == 8
    item = dataset[0]
    assert len(item['inputs']) == 2
    for view in item['inputs']:
        assert view.shape == (1, 32, 32) and view.dtype == torch.uint8
    # Two random crops of one image differ.
    assert not torch.equal(item['inputs'][0], item['inputs'][1])

    model = MODELS.build(
        dict(cfg.model, data_preprocessor=cfg.data_preprocessor))
    assert model.backbone.conv1.in_channels == 1
    widths = [layer[-1].conv2.out_channels for layer in
              (model.backbone.layer1, model.backbone.layer2,
               model.backbone.layer3, model.backbone.layer4)]
    assert widths == [16, 32, 64, 128]
    assert model.queue.shape == (64, 4096)

    batch = [dataset[i] for i in range(4)]
    data = model.data_preprocessor(
        dict(inputs=[torch.stack([b['inputs'][v] for b in batch])
                     for v in range(2)],
             data_samples=[b['data_samples'] for b in batch]),
        training=True)
    # Normalised with the one-channel Fashion-MNIST statistics.
    assert data['inputs'][0].shape == (4, 1, 32, 32)
    assert abs(float(data['inputs'][0].mean())) < 1.5
    losses = model(data['inputs'], data['data_samples'], mode='loss')
    assert torch.isfinite(losses['loss'])
