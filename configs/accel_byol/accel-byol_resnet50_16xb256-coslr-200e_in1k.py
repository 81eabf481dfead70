# BYOL with intermediate losses, paper defaults: MMPretrain's BYOL (ResNet-50,
# 16 x 256, LARS, 200 epochs, ImageNet) with exits after stages 1, 2, 3 and 4
# (uniform draws, partial back-propagation) and hard crop pair selection after
# stages 1 and 2 (crops of 3/4, M = 2). BYOL has no negatives: a crop pair is
# scored by its regression loss (docs/method.md). Per exit, a projector of
# upstream's shape and upstream's predictor and loss.
_base_ = 'mmpretrain::byol/byol_resnet50_16xb256-coslr-200e_in1k.py'
default_scope = 'mmaccel'
custom_imports = dict(imports=['mmaccel'], allow_failed_imports=False)

# Upstream's model dict carries _scope_='mmpretrain'; mmaccel's registry holds
# the new parts and falls back to MMPretrain's for the rest.
model = dict(
    _scope_='mmaccel',
    type='AccelBYOL',
    backbone=dict(type='MultiExitResNet', exits=(1, 2, 3, 4)),
    neck=dict(
        _delete_=True,
        type='IntermediateContrastiveNeck',
        in_channels=[256, 512, 1024, 2048],
        head=dict(
            type='NonLinearNeck',
            hid_channels=4096,
            out_channels=256,
            num_layers=2,
            with_bias=True,
            with_last_bn=False,
            with_avg_pool=True)),
    head=dict(type='MultiExitLatentPredictHead'),
    selector=dict(
        type='HardPairSelector',
        positions=(1, 2),
        crop_ratio=0.75,
        num_candidates=2,
        mode='hard'))

custom_hooks = [dict(type='PartialBackpropHook', exit_probs=None, seed=0)]

# Stages after the drawn exit get no gradient in a step.
model_wrapper_cfg = dict(
    type='MMDistributedDataParallel', find_unused_parameters=True)
