# MoCo v2 with intermediate contrastive losses, paper defaults: ResNet-50,
# exits after stages 1, 2, 3 and 4 (uniform draws, partial back-propagation),
# hard crop pair selection after stages 1 and 2 (crops of 3/4, M = 2). 200
# epochs, ImageNet.
_base_ = [
    'mmpretrain::mocov2/mocov2_resnet50_8xb32-coslr-200e_in1k.py',
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
            type='MoCoV2Neck',
            hid_channels=2048,
            out_channels=128,
            with_avg_pool=True)),
    selector=dict(
        type='HardPairSelector',
        positions=(1, 2),
        crop_ratio=0.75,
        num_candidates=2,
        mode='hard'))

custom_hooks = [
    dict(type='PartialBackpropHook', exit_probs=None, seed=0),
    {{_base_.precise_bn_hook}}  # whole-image BN statistics, each epoch
]

# Stages after the drawn exit get no gradient in a step.
model_wrapper_cfg = dict(
    type='MMDistributedDataParallel', find_unused_parameters=True)
