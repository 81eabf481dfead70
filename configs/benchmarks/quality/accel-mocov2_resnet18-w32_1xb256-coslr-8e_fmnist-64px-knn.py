# Accelerated MoCo v2 of the quality evidence (paper defaults: uniform exits,
# hard pairs after stages 1 and 2), with precise BN and kNN every epoch.
_base_ = [
    ('../../accel_mocov2/'
     'accel-mocov2_resnet18-w32_1xb256-coslr-8e_fmnist-64px.py'),
    'knn_fmnist-64px.py',
]
custom_hooks = [
    dict(type='PartialBackpropHook'), {{_base_.precise_bn_each_epoch}},
    {{_base_.knn_eval_hook}}
]
