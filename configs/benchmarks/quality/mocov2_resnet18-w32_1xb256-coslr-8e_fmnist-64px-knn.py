# Baseline MoCo v2 of the quality evidence, with precise BN and kNN every
# epoch.
_base_ = [
    '../../mocov2/mocov2_resnet18-w32_1xb256-coslr-8e_fmnist-64px.py',
    'knn_fmnist-64px.py',
]
custom_hooks = [{{_base_.precise_bn_each_epoch}}, {{_base_.knn_eval_hook}}]
