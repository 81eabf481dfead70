# MoCo v1 with intermediate contrastive losses, paper defaults (see
# ../accel_mocov2/accel-mocov2_resnet50_8xb32-coslr-200e_in1k.py): one linear
# projection per exit.
_base_ = [
    '../mocov1/mocov1_resnet50_8xb32-coslr-200e_in1k.py',
    '../_base_/precise_bn_in1k.py'
]
default_scope = 'mmaccel'
custom_imports = dict(imports=['mmaccel'], allow_failed_imports=False)

# Upstream's model dict carries _scope_='mmpretrain'; mmaccel's registry holds
# the new parts and falls back to MMPretrain's for the rest.
model = dict(
    _scope_='mmaccel',
    type='AccelMoCo',
    backbone=dict(type='MultiExitResNet', exits=(1, 2, 3, 4)),
    neck=dict(
        _delete_=True,
        type='IntermediateContrastiveNeck',
        in_channels=[256, 512, 1024, 2048],
        head=dict(
            type='LinearNeck', out_channels=128, gap_dim=2, norm_cfg=None)),
    selector=dict(
        type='HardPairSelector',
        positions=(1, 2),
        crop_ratio=0.75,
        num_candidates=2,
        mode='hard'))

custom_hooks = [
    dict(type='PartialBackpropHook'),
    {{_base_.precise_bn_hook}}  # whole-image BN statistics, each epoch
]
model_wrapper_cfg = dict(
    type='MMDistributedDataParallel', find_unused_parameters=True)
