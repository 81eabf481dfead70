# Accelerated SimCLR of the quality evidence (paper defaults), with precise BN
# and kNN every epoch; the exit schedule is set by --cfg-options in the runs.
_base_ = [
    ('../../accel_simclr/'
     'accel-simclr_resnet18-w32_1xb256-coslr-8e_fmnist-64px.py'),
    'knn_fmnist-64px.py',
]
custom_hooks = [
    dict(type='PartialBackpropHook'), {{_base_.precise_bn_each_epoch}},
    {{_base_.knn_eval_hook}}
]
