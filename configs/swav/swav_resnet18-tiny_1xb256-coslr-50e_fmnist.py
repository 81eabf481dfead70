# SwAV (upstream MMPretrain) on Fashion-MNIST with a tiny ResNet-18 (widths
# 16/32/64/128, one input channel), two 32 px views and no multi-crop (the
# paper's main SwAV setting): the baseline twin of configs/accel_swav/ for
# tests and demos on CPU.
#
# The model is upstream's
# swav_resnet50_8xb32-mcrop-coslr-200e_in1k-224px-96px.py, narrowed, with plain
# batch norm (SyncBN needs a GPU), 100 prototypes of 64 dimensions, and a queue
# from epoch 15. That file defines the data too, so the LARS schedule and the
# runtime come from upstream and the model is restated.
_base_ = [
    '../_base_/datasets/fmnist_bs256_mocov2.py',
    '../_base_/models/resnet18-tiny.py',
    'mmpretrain::_base_/schedules/imagenet_lars_coslr_200e.py',
    'mmpretrain::_base_/default_runtime.py',
]
default_scope = 'mmaccel'
custom_imports = dict(imports=['mmaccel'], allow_failed_imports=False)

num_crops = [2]
batch_size = 256
train_dataloader = dict(batch_size=batch_size)

model = dict(
    type='SwAV',
    neck=dict(
        type='SwAVNeck',
        in_channels=128,
        hid_channels=128,
        out_channels=64,
        with_avg_pool=True,
        norm_cfg=dict(type='BN1d')),
    head=dict(
        type='SwAVHead',
        loss=dict(
            type='SwAVLoss',
            feat_dim=64,  # equal to neck['out_channels']
            epsilon=0.05,
            temperature=0.1,
            num_crops=num_crops,
            num_prototypes=100)))

optim_wrapper = dict(type='OptimWrapper', optimizer=dict(type='LARS', lr=0.6))
param_scheduler = [
    dict(type='CosineAnnealingLR', T_max=50, eta_min=6e-4, by_epoch=True,
         begin=0, end=50)
]
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=50)

# Prototypes frozen for the first epoch (234 iterations), as upstream's 5005.
custom_hooks = [
    dict(
        type='SwAVHook',
        priority='VERY_HIGH',
        batch_size=batch_size,
        epoch_queue_starts=15,
        crops_for_assign=[0, 1],
        feat_dim=64,
        queue_length=1024,
        frozen_layers_cfg=dict(prototypes=234))
]

default_hooks = dict(
    logger=dict(interval=10),
    checkpoint=dict(interval=5, max_keep_ckpts=3))
auto_scale_lr = dict(base_batch_size=256)
