# Accelerated SwAV on Fashion-MNIST at 32 px with a tiny ResNet-18 (widths
# 16/32/64/128, one input channel), no multi-crop, for tests and CPU demos.
# Same settings as its baseline twin
# ../swav/swav_resnet18-tiny_1xb256-coslr-50e_fmnist.py plus the paper's
# defaults: exits after every stage, each with its own prototypes and queue
# (SwAVHook freezes and fills every exit's), selection after stage 1 only. At
# 32 px stage 2 gives 3 x 3 maps; a 3/4 crop there leaves 2 x 2 and stages 3
# and 4 run on 1 x 1 maps, where exits 3 and 4 stayed at chance level (see
# ../accel_mocov2/accel-mocov2_resnet18-tiny_1xb256-coslr-50e_fmnist.py). The
# ImageNet configs keep the paper's positions (1, 2).
_base_ = '../swav/swav_resnet18-tiny_1xb256-coslr-50e_fmnist.py'

model = dict(
    type='AccelSwAV',
    backbone=dict(type='MultiExitResNet', exits=(1, 2, 3, 4)),
    neck=dict(
        _delete_=True,
        type='IntermediateContrastiveNeck',
        in_channels=[16, 32, 64, 128],
        head=dict(
            type='SwAVNeck',
            hid_channels=128,
            out_channels=64,
            with_avg_pool=True,
            norm_cfg=dict(type='BN1d'))),
    head=dict(type='MultiExitSwAVHead'),  # one SwAV loss per exit
    selector=dict(
        type='HardPairSelector',
        positions=(1, ),
        crop_ratio=0.75,
        num_candidates=2,
        mode='hard'))

custom_hooks = [
    dict(
        type='SwAVHook',
        priority='VERY_HIGH',
        batch_size={{_base_.batch_size}},
        epoch_queue_starts=15,
        crops_for_assign=[0, 1],
        feat_dim=64,
        queue_length=1024,
        frozen_layers_cfg=dict(prototypes=234)),
    dict(type='PartialBackpropHook'),
    {{_base_.precise_bn_hook}},  # whole-image batch-norm statistics
]
model_wrapper_cfg = dict(
    type='MMDistributedDataParallel', find_unused_parameters=True)
