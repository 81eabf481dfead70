# Accelerated MoCo v2 (exits after every stage, hard pair selection after stage
# 1, as its base explains for 32 px) on Fashion-MNIST, tiny ResNet-18, 3
# epochs, with kNN top-1 on the test split after every epoch; its baseline twin
# is mocov2_resnet18-tiny_1xb256-coslr-3e_fmnist-knn.py beside this file.
_base_ = [
    '../accel_mocov2/accel-mocov2_resnet18-tiny_1xb256-coslr-50e_fmnist.py',
    'knn_fmnist.py',
]
param_scheduler = [
    dict(type='CosineAnnealingLR', T_max=3, by_epoch=True, begin=0, end=3)
]
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=3)
default_hooks = dict(checkpoint=dict(interval=3, max_keep_ckpts=1))
custom_hooks = [dict(type='PartialBackpropHook'), {{_base_.knn_eval_hook}}]
