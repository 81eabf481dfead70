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
    'mmpretrain::_base_/schedules/imagenet_sgd_coslr_200e.py',
    'mmpretrain::_base_/default_runtime.py',
]
default_scope = 'mmaccel'
custom_imports = dict(imports=['mmaccel'], allow_failed_imports=False)

model = dict(
    type='MoCo',
    queue_len=4096,
    feat_dim=128,
    momentum=0.001,
    backbone=dict(
        type='ResNet',
        depth=18,
        in_channels=1,
        stem_channels=32,
        base_channels=32,
        norm_cfg=dict(type='BN'),
        zero_init_residual=False),
    neck=dict(
        type='MoCoV2Neck',
        in_channels=256,
        hid_channels=256,
        out_channels=128,
        with_avg_pool=True),
    head=dict(
        type='ContrastiveHead',
        loss=dict(type='CrossEntropyLoss'),
        temperature=0.2))

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
