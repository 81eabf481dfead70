# Baseline MoCo v2 (upstream MMPretrain) on Fashion-MNIST, tiny ResNet-18, 3
# epochs, with kNN top-1 on the test split after every epoch: the baseline of
# the accuracy-vs-time comparison in docs/benchmarks.md.
_base_ = [
    '../mocov2/mocov2_resnet18-tiny_1xb256-coslr-50e_fmnist.py',
    'knn_fmnist.py',
]
param_scheduler = [
    dict(type='CosineAnnealingLR', T_max=3, by_epoch=True, begin=0, end=3)
]
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=3)
default_hooks = dict(checkpoint=dict(interval=3, max_keep_ckpts=1))
custom_hooks = [{{_base_.knn_eval_hook}}]
