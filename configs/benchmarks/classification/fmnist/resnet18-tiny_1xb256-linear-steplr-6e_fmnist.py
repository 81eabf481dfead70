# Linear probe of the final features on Fashion-MNIST: the tiny twin of MoCo
# v2's ImageNet linear benchmark (../imagenet/mocov2_*), for the tiny
# pre-training configs (configs/mocov2/*tiny*: ResNet-18 of widths
# 16/32/64/128, one input channel, 32 px). The backbone frozen (batch norms in
# eval mode), global pooling, one linear layer, SGD with momentum 0.9 and no
# weight decay, steps; 60,000 training images, batch 256, 6 epochs (steps at 4
# and 5), top-1 on the 10,000 test images.
#
# One change to the protocol: the pooled features are standardised by a batch
# norm without affine (MMPretrain's ClsBatchNormNeck, as in MAE's linear probe
# and MMSelfSup's multi-head probe) and the lr is 0.1. On the features of a
# barely trained tiny network (3 epochs of 20,000 images, constant lr), MoCo's
# lr of 30 on the raw features diverged (losses of 34 to 95, top-1 59.9, 58.2,
# 54.5); standardised with lr 0.1: losses 0.86 to 0.74, top-1 70.2, 70.5,
# 71.3. Standardised, the probe does not depend on the scale of the features,
# which differs between checkpoints.
#
#   python tools/benchmarks/linear.py THIS_CONFIG CHECKPOINT
#
# Other backbones by --cfg-options (the tool fits the neck's and head's
# channels to the backbone):
#   model.backbone.depth=34 model.backbone.stem_channels=64
#   model.backbone.base_channels=64 model.backbone.deep_stem=True
#   train_dataloader.dataset.pipeline.0.scale=64
#   val_dataloader.dataset.pipeline.0.scale=64
# (model.backbone.in_channels=3 with --data-root: Fashion-MNIST is gray.)
# The full-width ResNet-18 at 64 px has its own config beside this one.
_base_ = ('mmpretrain::mocov2/benchmarks/'
          'resnet50_8xb32-linear-steplr-100e_in1k.py')
default_scope = 'mmaccel'
custom_imports = dict(imports=['mmaccel'], allow_failed_imports=False)

model = dict(
    backbone=dict(
        depth=18,
        in_channels=1,
        stem_channels=16,
        base_channels=16,
        frozen_stages=4,
        norm_eval=True),
    neck=[
        dict(type='GlobalAveragePooling'),
        dict(type='ClsBatchNormNeck', input_features=128),
    ],
    head=dict(num_classes=10, in_channels=128))
# As the pre-training configs: Fashion-MNIST's mean and std, one channel.
data_preprocessor = dict(
    num_classes=10, mean=[72.94], std=[90.02], to_rgb=False)

# The data set yields decoded arrays: no loading step.
train_pipeline = [
    dict(type='Resize', scale=32, backend='pillow'),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackInputs'),
]
test_pipeline = [
    dict(type='Resize', scale=32, backend='pillow'),
    dict(type='PackInputs'),
]
train_dataloader = dict(
    batch_size=256,
    num_workers=2,
    persistent_workers=True,
    dataset=dict(
        _delete_=True,
        type='LocalFashionMNIST',
        data_root='data/fashion-mnist',
        split='train',
        pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=500,
    num_workers=2,
    persistent_workers=True,
    dataset=dict(
        _delete_=True,
        type='LocalFashionMNIST',
        data_root='data/fashion-mnist',
        split='test',
        pipeline=test_pipeline))
test_dataloader = val_dataloader

optim_wrapper = dict(optimizer=dict(lr=0.1))
param_scheduler = [
    dict(type='MultiStepLR', by_epoch=True, milestones=[4, 5], gamma=0.1)
]
train_cfg = dict(max_epochs=6, val_interval=1)
default_hooks = dict(
    logger=dict(interval=50),
    checkpoint=dict(interval=6, max_keep_ckpts=1))
randomness = dict(seed=0)
