# Accelerated MoCo v2 on Fashion-MNIST at 32 px with a tiny ResNet-18 (widths
# 16/32/64/128, one input channel), for tests and CPU demos. Same settings as
# its baseline twin ../mocov2/mocov2_resnet18-tiny_1xb256-coslr-50e_fmnist.py,
# plus the paper's defaults (exits after every stage, crops of 3/4, M = 2) with
# one change for 32 px: selection after stage 1 only. At 32 px stage 2 gives
# 3 x 3 maps; a 3/4 crop leaves 2 x 2 and stages 3 and 4 run on 1 x 1 maps,
# where exits 3 and 4 did not learn at all in 300 iterations (in-batch InfoNCE
# on held-out views stayed at chance, 5.53 = log 256 - 0.01; with selection
# after stage 1 only, exit 4 reached 5.10, as without any selection). At 224 px
# the paper's positions (1, 2) leave 16 x 16 maps after stage 2: see the in1k
# configs.
_base_ = '../mocov2/mocov2_resnet18-tiny_1xb256-coslr-50e_fmnist.py'

model = dict(
    type='AccelMoCo',
    backbone=dict(type='MultiExitResNet', exits=(1, 2, 3, 4)),
    neck=dict(
        _delete_=True,
        type='IntermediateContrastiveNeck',
        in_channels=[16, 32, 64, 128],
        head=dict(
            type='MoCoV2Neck',
            hid_channels=128,
            out_channels=64,
            with_avg_pool=True)),
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
