# Accelerated MoCo v2 of the quality evidence (paper defaults: uniform exits,
# hard pairs after stages 1 and 2), with precise BN and kNN every epoch.
_base_ = [
    '../../accel_mocov2/accel-mocov2_resnet18_1xb64-coslr-8e_fmnist-64px.py',
    'knn_fmnist-64px.py',
]
custom_hooks = [
    dict(type='PartialBackpropHook'), {{_base_.precise_bn_hook}},
    {{_base_.knn_eval_hook}}
]
