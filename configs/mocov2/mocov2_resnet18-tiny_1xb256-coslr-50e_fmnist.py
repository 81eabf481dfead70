# MoCo v2 (upstream MMPretrain) on Fashion-MNIST at 32 px with a tiny ResNet-18
# (stage widths 16/32/64/128, one input channel): the baseline twin of
# configs/accel_mocov2/ for tests and demos on CPU.
#
# The model is upstream's mocov2_resnet50_8xb32-coslr-200e_in1k.py, narrowed
# (../_base_/models/mocov2_resnet18-tiny.py). That file cannot be a _base_
# beside the data set file: both define train_dataloader, and MMEngine rejects
# keys defined by two bases. So the schedule and runtime come from upstream.
_base_ = [
    '../_base_/datasets/fmnist_bs256_mocov2.py',
    '../_base_/models/mocov2_resnet18-tiny.py',
    'mmpretrain::_base_/schedules/imagenet_sgd_coslr_200e.py',
    'mmpretrain::_base_/default_runtime.py',
]
default_scope = 'mmaccel'
custom_imports = dict(imports=['mmaccel'], allow_failed_imports=False)

# lr = 0.03 x batch / 256, batch 256 on one device.
optim_wrapper = dict(optimizer=dict(lr=0.03))
param_scheduler = [
    dict(type='CosineAnnealingLR', T_max=50, by_epoch=True, begin=0, end=50)
]
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=50)

default_hooks = dict(
    logger=dict(interval=10),
    checkpoint=dict(interval=5, max_keep_ckpts=3))
auto_scale_lr = dict(base_batch_size=256)
