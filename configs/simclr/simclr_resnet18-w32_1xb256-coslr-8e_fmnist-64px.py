# SimCLR (upstream MMPretrain) on Fashion-MNIST at 64 px with a full-width
# ResNet-18 (standard stem, one input channel): the SimCLR baseline of the
# quality evidence, in the regime of
# ../mocov2/mocov2_resnet18-w32_1xb256-coslr-8e_fmnist-64px.py (same views, data,
# batch 64 and 8 epochs). LARS as upstream with lr = 0.3 x 64 / 256.
_base_ = [
    '../_base_/datasets/fmnist-64px_bs256_mocov2.py',
    'mmpretrain::_base_/schedules/imagenet_lars_coslr_200e.py',
    'mmpretrain::_base_/default_runtime.py',
]
default_scope = 'mmaccel'
custom_imports = dict(imports=['mmaccel'], allow_failed_imports=False)

model = dict(
    type='SimCLR',
    backbone=dict(
        type='ResNet',
        depth=18,
        in_channels=1,
        stem_channels=32,
        base_channels=32,
        norm_cfg=dict(type='BN'),
        zero_init_residual=True),
    neck=dict(
        type='NonLinearNeck',
        in_channels=256,
        hid_channels=256,
        out_channels=128,
        num_layers=2,
        with_avg_pool=True,
        norm_cfg=dict(type='BN1d')),
    head=dict(
        type='ContrastiveHead',
        loss=dict(type='CrossEntropyLoss'),
        temperature=0.1))

optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='LARS', lr=0.3, momentum=0.9, weight_decay=1e-6),
    paramwise_cfg=dict(
        custom_keys={
            'bn': dict(decay_mult=0, lars_exclude=True),
            'bias': dict(decay_mult=0, lars_exclude=True),
            'downsample.1': dict(decay_mult=0, lars_exclude=True),
        }))
param_scheduler = [
    dict(type='CosineAnnealingLR', T_max=8, by_epoch=True, begin=0, end=8)
]
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=8)
randomness = dict(seed=0)
default_hooks = dict(
    logger=dict(interval=10),
    checkpoint=dict(interval=1, max_keep_ckpts=1))
auto_scale_lr = dict(base_batch_size=256)
