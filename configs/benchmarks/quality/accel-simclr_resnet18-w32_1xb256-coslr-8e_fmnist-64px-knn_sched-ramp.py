# Accelerated SimCLR of the quality evidence with the "ramp" exit schedule (the
# best MoCo v2 setting): uniform exits at the start, moving linearly to
# (0.05, 0.05, 0.1, 0.8) at the end of training.
_base_ = 'accel-simclr_resnet18-w32_1xb256-coslr-8e_fmnist-64px-knn.py'
custom_hooks = [
    {{_base_.ramp_exit_hook}}, {{_base_.precise_bn_each_epoch}},
    {{_base_.knn_eval_hook}}
]
