# Accelerated SimCLR on Fashion-MNIST at 32 px with a tiny ResNet-18 (widths
# 16/32/64/128, one input channel), for tests and CPU demos. Same settings as
# its baseline twin ../simclr/simclr_resnet18-tiny_1xb256-coslr-50e_fmnist.py,
# plus the paper's defaults (exits after every stage, 3/4 crops, M = 2), except
# for selection after stage 1 only. At 32 px stage 2 gives 3 x 3 maps; a 3/4
# crop there leaves 2 x 2 and stages 3 and 4 run on 1 x 1 maps, where exits 3
# and 4 stayed at chance level (see
# ../accel_mocov2/accel-mocov2_resnet18-tiny_1xb256-coslr-50e_fmnist.py). The
# ImageNet configs keep the paper's positions (1, 2).
_base_ = '../simclr/simclr_resnet18-tiny_1xb256-coslr-50e_fmnist.py'

model = dict(
    type='AccelSimCLR',
    backbone=dict(type='MultiExitResNet', exits=(1, 2, 3, 4)),
    neck=dict(
        _delete_=True,
        type='IntermediateContrastiveNeck',
        in_channels=[16, 32, 64, 128],
        head=dict(
            type='NonLinearNeck',
            hid_channels=128,
            out_channels=64,
            num_layers=2,
            with_avg_pool=True,
            norm_cfg=dict(type='BN1d'))),
    selector=dict(
        type='HardPairSelector',
        positions=(1, ),
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
