# Accelerated MoCo v2 on Fashion-MNIST at 64 px, half-width ResNet-18: its
# baseline twin ../mocov2/mocov2_resnet18-w32_1xb256-coslr-8e_fmnist-64px.py
# plus the paper's defaults: exits after every stage drawn uniformly, hard
# pairs of crops of 3/4 after stages 1 and 2 (16 x 16 and 8 x 8 maps here),
# M = 2.
_base_ = '../mocov2/mocov2_resnet18-w32_1xb256-coslr-8e_fmnist-64px.py'

model = dict(
    type='AccelMoCo',
    backbone=dict(type='MultiExitResNet', exits=(1, 2, 3, 4)),
    neck=dict(
        _delete_=True,
        type='IntermediateContrastiveNeck',
        in_channels=[32, 64, 128, 256],
        head=dict(
            type='MoCoV2Neck',
            hid_channels=256,
            out_channels=128,
            with_avg_pool=True)),
    selector=dict(
        type='HardPairSelector',
        positions=(1, 2),
        crop_ratio=0.75,
        num_candidates=2,
        mode='hard'))

# precise BN: the backbone's batch-norm statistics re-estimated on whole images
# after every epoch (PreciseBackboneBNHook, from the data set base)
custom_hooks = [
    dict(type='PartialBackpropHook'), {{_base_.precise_bn_hook}}
]
model_wrapper_cfg = dict(
    type='MMDistributedDataParallel', find_unused_parameters=True)
