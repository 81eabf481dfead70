# Baseline SimCLR (upstream MMPretrain) on Fashion-MNIST, tiny ResNet-18, its
# 50-epoch schedule, with kNN top-1 on the test split after every epoch and a
# fixed seed, as its accelerated twin
# accel-simclr_resnet18-tiny_1xb256-coslr-50e_fmnist-knn.py. (The same seed
# does not give the two the same initial weights: the accelerated model builds
# four necks, which draw from the generator before the backbone is
# initialised.)
_base_ = [
    '../simclr/simclr_resnet18-tiny_1xb256-coslr-50e_fmnist.py',
    'knn_fmnist.py',
]
randomness = dict(seed=0)
default_hooks = dict(checkpoint=dict(interval=10, max_keep_ckpts=1))
custom_hooks = [{{_base_.knn_eval_hook}}]
