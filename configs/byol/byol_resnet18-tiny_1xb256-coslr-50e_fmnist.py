# BYOL (upstream MMPretrain) on Fashion-MNIST at 32 px with a tiny ResNet-18
# (stage widths 16/32/64/128, one input channel): the baseline twin of
# configs/accel_byol/ for tests and demos on CPU.
#
# The model is upstream's byol_resnet50_16xb256-coslr-200e_in1k.py, narrowed
# (projector and predictor 256 -> 64 instead of 4096 -> 256), with plain batch
# norm (SyncBN needs a GPU), on the two 32 px views of the MoCo v2 twin. As
# there, upstream's config cannot be a _base_ beside the data set file (both
# define train_dataloader), so the model is restated here.
_base_ = [
    '../_base_/datasets/fmnist_bs256_mocov2.py',
    '../_base_/models/resnet18-tiny.py',
    '../_base_/schedules/lars_coslr_fmnist.py',
    'mmpretrain::_base_/default_runtime.py',
]
default_scope = 'mmaccel'
custom_imports = dict(imports=['mmaccel'], allow_failed_imports=False)

model = dict(
    type='BYOL',
    base_momentum=0.01,
    backbone=dict(zero_init_residual=False),
    neck=dict(
        type='NonLinearNeck',
        in_channels=128,
        hid_channels=256,
        out_channels=64,
        num_layers=2,
        with_bias=True,
        with_last_bn=False,
        with_avg_pool=True,
        norm_cfg=dict(type='BN1d')),
    head=dict(
        type='LatentPredictHead',
        predictor=dict(
            type='NonLinearNeck',
            in_channels=64,
            hid_channels=256,
            out_channels=64,
            num_layers=2,
            with_bias=True,
            with_last_bn=False,
            with_avg_pool=False,
            norm_cfg=dict(type='BN1d')),
        loss=dict(type='CosineSimilarityLoss')))

# LARS as upstream (../_base_/schedules/lars_coslr_fmnist.py): lr = 4.8 x
# batch / 4096 = 0.3 with batch 256 on one device.
param_scheduler = [
    dict(type='CosineAnnealingLR', T_max=50, by_epoch=True, begin=0, end=50)
]
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=50)

default_hooks = dict(
    logger=dict(interval=10),
    checkpoint=dict(interval=5, max_keep_ckpts=3))
auto_scale_lr = dict(base_batch_size=256)
