# Accelerated MoCo v2 (the tiny config's defaults: exits after every stage,
# hard pair selection after stage 1) on Fashion-MNIST, tiny ResNet-18, 50
# epochs, with kNN top-1 on the test split after every epoch and a fixed seed;
# its baseline twin is mocov2_resnet18-tiny_1xb256-coslr-50e_fmnist-knn.py.
_base_ = [
    '../accel_mocov2/accel-mocov2_resnet18-tiny_1xb256-coslr-50e_fmnist.py',
    'knn_fmnist.py',
]
randomness = dict(seed=0)
default_hooks = dict(checkpoint=dict(interval=10, max_keep_ckpts=1))
custom_hooks = [dict(type='PartialBackpropHook'), {{_base_.knn_eval_hook}}]
