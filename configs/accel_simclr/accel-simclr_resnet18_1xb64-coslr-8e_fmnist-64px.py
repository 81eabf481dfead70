# Accelerated SimCLR on Fashion-MNIST at 64 px, full-width ResNet-18: its
# baseline twin ../simclr/simclr_resnet18_1xb64-coslr-8e_fmnist-64px.py plus the
# paper's defaults: exits after every stage (uniform), hard pairs of 3/4 crops
# after stages 1 and 2 (16 x 16 and 8 x 8 maps), M = 2.
_base_ = '../simclr/simclr_resnet18_1xb64-coslr-8e_fmnist-64px.py'

model = dict(
    type='AccelSimCLR',
    backbone=dict(type='MultiExitResNet', exits=(1, 2, 3, 4)),
    neck=dict(
        _delete_=True,
        type='IntermediateContrastiveNeck',
        in_channels=[64, 128, 256, 512],
        head=dict(
            type='NonLinearNeck',
            hid_channels=512,
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

custom_hooks = [dict(type='PartialBackpropHook')]
model_wrapper_cfg = dict(
    type='MMDistributedDataParallel', find_unused_parameters=True)
