# MoCo v2 (upstream MMPretrain) on Fashion-MNIST at 64 px with a half-width
# ResNet-18 (standard stem, widths 32/64/128/256, one input channel): the
# baseline of the quality evidence (docs/benchmarks.md, section 5), a regime
# whose maps at the selection positions are 16 x 16 and 8 x 8 (the paper at
# 224 px: 56 x 56 and 28 x 28) and whose step is compute-bound on CPU.
# Schedule: 8 epochs of the first 20,000 training images, batch 256, MoCo v2's
# lr 0.03 for batch 256 with cosine decay, momentum 0.001, queue 4096,
# temperature 0.2 (the tiny configs' settings, with which learning shows in
# minutes on a CPU).
_base_ = [
    '../_base_/datasets/fmnist-64px_bs256_mocov2.py',
    '../_base_/models/mocov2_resnet18-tiny.py',
    'mmpretrain::_base_/schedules/imagenet_sgd_coslr_200e.py',
    'mmpretrain::_base_/default_runtime.py',
]
default_scope = 'mmaccel'
custom_imports = dict(imports=['mmaccel'], allow_failed_imports=False)

# the tiny model at half ResNet-18 width, with a 128-d projection
model = dict(
    feat_dim=128,
    backbone=dict(stem_channels=32, base_channels=32),
    neck=dict(in_channels=256, hid_channels=256, out_channels=128))

optim_wrapper = dict(optimizer=dict(lr=0.03))
param_scheduler = [
    dict(type='CosineAnnealingLR', T_max=8, by_epoch=True, begin=0, end=8)
]
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=8)
randomness = dict(seed=0)
default_hooks = dict(
    logger=dict(interval=10),
    checkpoint=dict(interval=1, max_keep_ckpts=1))
auto_scale_lr = dict(base_batch_size=256)
