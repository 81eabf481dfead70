# SimCLR (upstream MMPretrain) on Fashion-MNIST at 224 px with a full-width
# ResNet-18 (standard stem, one input channel), in the regime of
# ../mocov2/mocov2_resnet18_1xb64-coslr-8e_fmnist-224px_device-aug.py with
# SimCLR's views (../_base_/datasets/fmnist-224px_bs64_simclr_device-aug.py).
# LARS as upstream, lr 0.3 (this project's 64 px SimCLR configs), temperature
# 0.1, a 2048-128 projection.
_base_ = [
    '../_base_/datasets/fmnist-224px_bs64_simclr_device-aug.py',
    '../_base_/models/simclr_resnet18-tiny.py',
    '../_base_/schedules/lars_coslr_fmnist.py',
    'mmpretrain::_base_/default_runtime.py',
]
default_scope = 'mmaccel'
custom_imports = dict(imports=['mmaccel'], allow_failed_imports=False)

model = dict(
    backbone=dict(stem_channels=64, base_channels=64),
    neck=dict(in_channels=512, hid_channels=2048, out_channels=128))

param_scheduler = [
    dict(type='CosineAnnealingLR', T_max=8, by_epoch=True, begin=0, end=8)
]
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=8)
randomness = dict(seed=0)
default_hooks = dict(
    logger=dict(interval=50),
    checkpoint=dict(interval=1, max_keep_ckpts=1))
