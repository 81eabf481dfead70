# Accelerated SimSiam on Fashion-MNIST at 32 px with a tiny ResNet-18, for
# tests and CPU demos: the settings of its baseline twin
# ../simsiam/simsiam_resnet18-tiny_1xb256-coslr-50e_fmnist.py plus the paper's
# defaults (exits after every stage, crops of 3/4, M = 2), with selection after
# stage 1 only, as the other tiny configs. Per exit: a projector (the neck's
# head) and a predictor (the head's).
_base_ = '../simsiam/simsiam_resnet18-tiny_1xb256-coslr-50e_fmnist.py'

model = dict(
    type='AccelSimSiam',
    backbone=dict(type='MultiExitResNet', exits=(1, 2, 3, 4)),
    neck=dict(
        _delete_=True,
        type='IntermediateContrastiveNeck',
        in_channels=[16, 32, 64, 128],
        head=dict(
            type='NonLinearNeck',
            hid_channels=128,
            out_channels=128,
            num_layers=3,
            with_last_bn_affine=False,
            with_avg_pool=True,
            norm_cfg=dict(type='BN1d'))),
    # upstream's predictor and loss, one per exit
    head=dict(type='MultiExitLatentPredictHead'),
    selector=dict(
        type='HardPairSelector',
        positions=(1, ),
        crop_ratio=0.75,
        num_candidates=2,
        mode='hard'))

custom_hooks = [
    dict(type='SimSiamHook', priority='HIGH', fix_pred_lr=True, lr=0.05),
    dict(type='PartialBackpropHook')
]
model_wrapper_cfg = dict(
    type='MMDistributedDataParallel', find_unused_parameters=True)
