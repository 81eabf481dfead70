# Accelerated SimCLR of the GPU race, the paper's defaults (uniform exits,
# hard pairs of 3/4 crops after stages 1 and 2, on 56 x 56 and 28 x 28 maps),
# with the baseline's budget, evaluation and schedule rule.
_base_ = [
    ('../../accel_simclr/'
     'accel-simclr_resnet18_1xb64-coslr-8e_fmnist-224px_device-aug.py'),
    'knn_fmnist-224px.py',
]
custom_hooks = [
    dict(type='PartialBackpropHook'), {{_base_.precise_bn_budget}},
    {{_base_.knn_eval_budget}}
]
# one checkpoint, at the end of the budget
default_hooks = dict(checkpoint=dict(interval=10000))
