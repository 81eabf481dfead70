# SimCLR (upstream MMPretrain) on Fashion-MNIST at 64 px with a half-width
# ResNet-18 (standard stem, widths 32/64/128/256, one input channel): the
# SimCLR baseline of the quality evidence, in the regime of
# ../mocov2/mocov2_resnet18-w32_1xb256-coslr-8e_fmnist-64px.py (same views,
# data, batch 256 and 8 epochs). LARS as upstream with lr = 0.3 x 256 / 256.
_base_ = [
    '../_base_/datasets/fmnist-64px_bs256_mocov2.py',
    '../_base_/models/simclr_resnet18-tiny.py',
    '../_base_/schedules/lars_coslr_fmnist.py',
    'mmpretrain::_base_/default_runtime.py',
]
default_scope = 'mmaccel'
custom_imports = dict(imports=['mmaccel'], allow_failed_imports=False)

# the tiny model at half ResNet-18 width, with a 128-d projection
model = dict(
    backbone=dict(stem_channels=32, base_channels=32),
    neck=dict(in_channels=256, hid_channels=256, out_channels=128))

param_scheduler = [
    dict(type='CosineAnnealingLR', T_max=8, by_epoch=True, begin=0, end=8)
]
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=8)
randomness = dict(seed=0)
default_hooks = dict(
    logger=dict(interval=10),
    checkpoint=dict(interval=1, max_keep_ckpts=1))
auto_scale_lr = dict(base_batch_size=256)
