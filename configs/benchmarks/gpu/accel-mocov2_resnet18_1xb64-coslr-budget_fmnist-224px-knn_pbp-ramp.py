# Accelerated MoCo v2 of the GPU race, partial back-propagation with the
# ramp exit schedule (over the budget) and no pair selection: the setting that
# kept MoCo v2's accuracy at 64 px (docs/benchmarks.md section 4.2).
_base_ = 'accel-mocov2_resnet18_1xb64-coslr-budget_fmnist-224px-knn.py'
model = dict(selector=None)
custom_hooks = [
    {{_base_.ramp_exit_hook}}, {{_base_.precise_bn_budget}},
    {{_base_.knn_eval_budget}}
]
