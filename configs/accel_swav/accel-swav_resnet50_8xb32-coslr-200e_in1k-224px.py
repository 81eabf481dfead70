# SwAV with intermediate contrastive losses, paper defaults (Table 1):
# ResNet-50, two 224 px views (no multi-crop), exits after stages 1, 2, 3 and 4
# (uniform draws, partial back-propagation), each with its own prototypes and
# queue, hard crop pair selection after stages 1 and 2 (crops of 3/4, M = 2).
# 200 epochs.
_base_ = [
    '../swav/swav_resnet50_8xb32-coslr-200e_in1k-224px.py',
    '../_base_/precise_bn_in1k.py'
]

model = dict(
    _scope_='mmaccel',
    type='AccelSwAV',
    backbone=dict(type='MultiExitResNet', exits=(1, 2, 3, 4)),
    neck=dict(
        _delete_=True,
        type='IntermediateContrastiveNeck',
        in_channels=[256, 512, 1024, 2048],
        head=dict(
            type='SwAVNeck',
            hid_channels=2048,
            out_channels=128,
            with_avg_pool=True)),
    head=dict(type='MultiExitSwAVHead'),  # one SwAV loss per exit
    selector=dict(
        type='HardPairSelector',
        positions=(1, 2),
        crop_ratio=0.75,
        num_candidates=2,
        mode='hard'))

# Upstream's SwAVHook (freezes every exit's prototypes for 5005 iterations and
# gives every exit a queue from epoch 15), then the exit draws.
custom_hooks = [
    dict(
        type='SwAVHook',
        priority='VERY_HIGH',
        batch_size={{_base_.batch_size}},
        epoch_queue_starts=15,
        crops_for_assign=[0, 1],
        feat_dim=128,
        queue_length=3840,
        frozen_layers_cfg=dict(prototypes=5005)),
    dict(type='PartialBackpropHook', exit_probs=None, seed=0),
    {{_base_.precise_bn_hook}},  # whole-image BN statistics, each epoch
]
model_wrapper_cfg = dict(
    type='MMDistributedDataParallel', find_unused_parameters=True)
