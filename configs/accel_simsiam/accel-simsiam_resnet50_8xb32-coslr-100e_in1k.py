# SimSiam with intermediate losses, paper defaults: MMPretrain's SimSiam
# (ResNet-50, 8 x 32, SGD with the predictor's learning rate fixed, 100
# epochs, ImageNet) with exits after stages 1, 2, 3 and 4 (uniform draws,
# partial back-propagation) and hard crop pair selection after stages 1 and 2
# (crops of 3/4, M = 2). SimSiam has no negatives: a crop pair is scored by its
# regression loss (docs/method.md). Per exit, a projector of upstream's shape
# and upstream's predictor and loss.
_base_ = 'mmpretrain::simsiam/simsiam_resnet50_8xb32-coslr-100e_in1k.py'
default_scope = 'mmaccel'
custom_imports = dict(imports=['mmaccel'], allow_failed_imports=False)

model = dict(
    _scope_='mmaccel',
    type='AccelSimSiam',
    backbone=dict(type='MultiExitResNet', exits=(1, 2, 3, 4)),
    neck=dict(
        _delete_=True,
        type='IntermediateContrastiveNeck',
        in_channels=[256, 512, 1024, 2048],
        head=dict(
            type='NonLinearNeck',
            hid_channels=2048,
            out_channels=2048,
            num_layers=3,
            with_last_bn_affine=False,
            with_avg_pool=True)),
    head=dict(type='MultiExitLatentPredictHead'),
    selector=dict(
        type='HardPairSelector',
        positions=(1, 2),
        crop_ratio=0.75,
        num_candidates=2,
        mode='hard'))

# upstream's SimSiamHook, then the exit draws
custom_hooks = [
    dict(type='SimSiamHook', priority='HIGH', fix_pred_lr=True, lr=0.05),
    dict(type='PartialBackpropHook', exit_probs=None, seed=0)
]

# Stages after the drawn exit get no gradient in a step.
model_wrapper_cfg = dict(
    type='MMDistributedDataParallel', find_unused_parameters=True)
