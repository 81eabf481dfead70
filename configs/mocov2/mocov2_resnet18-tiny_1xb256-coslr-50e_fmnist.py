# MoCo v2 (upstream MMPretrain) on Fashion-MNIST at 32 px with a tiny ResNet-18
# (stage widths 16/32/64/128, one input channel): the baseline twin of
# configs/accel_mocov2/ for tests and demos on CPU.
#
# The model is upstream's mocov2_resnet50_8xb32-coslr-200e_in1k.py, narrowed. That
# file cannot be a _base_ beside the data set file: both define train_dataloader,
# and MMEngine rejects keys defined by two bases. So the schedule and runtime come
# from upstream and the model is restated here.
_base_ = [
    '../_base_/datasets/fmnist_bs256_mocov2.py',
    'mmpretrain::_base_/schedules/imagenet_sgd_coslr_200e.py',
    'mmpretrain::_base_/default_runtime.py',
]
default_scope = 'mmaccel'
custom_imports = dict(imports=['mmaccel'], allow_failed_imports=False)

model = dict(
    type='MoCo',
    queue_len=4096,
    feat_dim=64,
    momentum=0.001,
    backbone=dict(
        type='ResNet',
        depth=18,
        in_channels=1,
        stem_channels=16,
        base_channels=16,
        norm_cfg=dict(type='BN'),
        zero_init_residual=False),
    neck=dict(
        type='MoCoV2Neck',
        in_channels=128,
        hid_channels=128,
        out_channels=64,
        with_avg_pool=True),
    head=dict(
        type='ContrastiveHead',
        loss=dict(type='CrossEntropyLoss'),
        temperature=0.2))

# lr = 0.03 x batch / 256, batch 256 on one device.
optim_wrapper = dict(optimizer=dict(lr=0.03))
param_scheduler = [
    dict(type='CosineAnnealingLR', T_max=50, by_epoch=True, begin=0, end=50)
]
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=50)

default_hooks = dict(
    logger=dict(interval=10),
    checkpoint=dict(interval=5, max_keep_ckpts=3))
auto_scale_lr = dict(base_batch_size=256)
