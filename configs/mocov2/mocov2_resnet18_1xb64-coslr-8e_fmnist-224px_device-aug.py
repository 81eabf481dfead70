# MoCo v2 (upstream MMPretrain) on Fashion-MNIST at 224 px with a full-width
# ResNet-18 (standard stem, widths 64/128/256/512, one input channel): the
# paper's map sizes (56 x 56 after stage 1, 28 x 28 after stage 2) for the GPU
# race. All 60,000 training images, batch 64, views made on the device
# (../_base_/datasets/fmnist-224px_bs64_mocov2_device-aug.py). lr 0.03 at batch
# 64, as the full-width 64 px probe ran (docs/benchmarks.md); queue 4096,
# momentum 0.001, temperature 0.2, a 2048-128 projection as upstream's.
_base_ = [
    '../_base_/datasets/fmnist-224px_bs64_mocov2_device-aug.py',
    '../_base_/models/mocov2_resnet18-tiny.py',
    'mmpretrain::_base_/schedules/imagenet_sgd_coslr_200e.py',
    'mmpretrain::_base_/default_runtime.py',
]
default_scope = 'mmaccel'
custom_imports = dict(imports=['mmaccel'], allow_failed_imports=False)

model = dict(
    feat_dim=128,
    backbone=dict(stem_channels=64, base_channels=64),
    neck=dict(in_channels=512, hid_channels=2048, out_channels=128))

optim_wrapper = dict(optimizer=dict(lr=0.03))
param_scheduler = [
    dict(type='CosineAnnealingLR', T_max=8, by_epoch=True, begin=0, end=8)
]
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=8)
randomness = dict(seed=0)
default_hooks = dict(
    logger=dict(interval=50),
    checkpoint=dict(interval=1, max_keep_ckpts=1))
