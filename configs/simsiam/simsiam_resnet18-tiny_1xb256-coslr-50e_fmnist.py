# SimSiam (upstream MMPretrain) on Fashion-MNIST at 32 px with a tiny ResNet-18
# (stage widths 16/32/64/128, one input channel): the baseline twin of
# configs/accel_simsiam/ for tests and demos on CPU.
#
# The model is upstream's simsiam_resnet50_8xb32-coslr-100e_in1k.py, narrowed
# (projector 128 -> 128, predictor 128 -> 32 -> 128), with plain batch norm,
# on the two 32 px views of the MoCo v2 twin; SGD with lr = 0.05 x batch / 256
# and the predictor's learning rate fixed (SimSiamHook), as upstream.
_base_ = [
    '../_base_/datasets/fmnist_bs256_mocov2.py',
    '../_base_/models/resnet18-tiny.py',
    'mmpretrain::_base_/schedules/imagenet_sgd_coslr_200e.py',
    'mmpretrain::_base_/default_runtime.py',
]
default_scope = 'mmaccel'
custom_imports = dict(imports=['mmaccel'], allow_failed_imports=False)

model = dict(
    type='SimSiam',
    neck=dict(
        type='NonLinearNeck',
        in_channels=128,
        hid_channels=128,
        out_channels=128,
        num_layers=3,
        with_last_bn_affine=False,
        with_avg_pool=True,
        norm_cfg=dict(type='BN1d')),
    head=dict(
        type='LatentPredictHead',
        loss=dict(type='CosineSimilarityLoss'),
        predictor=dict(
            type='NonLinearNeck',
            in_channels=128,
            hid_channels=32,
            out_channels=128,
            with_avg_pool=False,
            with_last_bn=False,
            with_last_bias=True,
            norm_cfg=dict(type='BN1d'))))

lr = 0.05
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='SGD', lr=lr, weight_decay=1e-4, momentum=0.9),
    paramwise_cfg=dict(custom_keys={'predictor': dict(fix_lr=True)}))
param_scheduler = [
    dict(type='CosineAnnealingLR', T_max=50, by_epoch=True, begin=0, end=50)
]
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=50)

default_hooks = dict(
    logger=dict(interval=10),
    checkpoint=dict(interval=5, max_keep_ckpts=3))
custom_hooks = [
    dict(type='SimSiamHook', priority='HIGH', fix_pred_lr=True, lr=lr)
]
auto_scale_lr = dict(base_batch_size=256)
