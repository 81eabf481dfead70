# SimCLR (upstream MMPretrain) on Fashion-MNIST at 32 px with a tiny ResNet-18
# (stage widths 16/32/64/128, one input channel): the baseline twin of
# configs/accel_simclr/ for tests and demos on CPU.
#
# The model is upstream's SimCLR, narrowed (../_base_/models/
# simclr_resnet18-tiny.py); the two 32 px views are those of the MoCo v2 twin.
# As there, upstream's SimCLR config cannot be a _base_ beside the data set
# file (both define train_dataloader), so the LARS schedule and the runtime
# come from upstream.
_base_ = [
    '../_base_/datasets/fmnist_bs256_mocov2.py',
    '../_base_/models/simclr_resnet18-tiny.py',
    '../_base_/schedules/lars_coslr_fmnist.py',
    'mmpretrain::_base_/default_runtime.py',
]
default_scope = 'mmaccel'
custom_imports = dict(imports=['mmaccel'], allow_failed_imports=False)

param_scheduler = [
    dict(type='CosineAnnealingLR', T_max=50, by_epoch=True, begin=0, end=50)
]
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=50)

default_hooks = dict(
    logger=dict(interval=10),
    checkpoint=dict(interval=5, max_keep_ckpts=3))
auto_scale_lr = dict(base_batch_size=256)
