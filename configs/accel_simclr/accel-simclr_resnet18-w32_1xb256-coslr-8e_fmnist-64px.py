# Accelerated SimCLR on Fashion-MNIST at 64 px, half-width ResNet-18: its
# baseline twin ../simclr/simclr_resnet18-w32_1xb256-coslr-8e_fmnist-64px.py
# plus the paper's defaults: exits after every stage (uniform), hard pairs of
# 3/4 crops after stages 1 and 2 (16 x 16 and 8 x 8 maps), M = 2.
_base_ = '../simclr/simclr_resnet18-w32_1xb256-coslr-8e_fmnist-64px.py'

model = dict(
    type='AccelSimCLR',
    backbone=dict(type='MultiExitResNet', exits=(1, 2, 3, 4)),
    neck=dict(
        _delete_=True,
        type='IntermediateContrastiveNeck',
        in_channels=[32, 64, 128, 256],
        head=dict(
            type='NonLinearNeck',
            hid_channels=256,
            out_channels=128,
            num_layers=2,
            with_avg_pool=True,
            norm_cfg=dict(type='BN1d'))),
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
