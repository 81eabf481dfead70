# Issue 20, hypothesis 2 ("a train/test mismatch at the end"): the ramp
# schedule with the paper's hard pairs after stages 1 and 2 until 70 % of
# training, then no selection (crop ratio 1): the deep stages finish on whole
# maps, as they are evaluated. Expected cost per step 0.683, ideal speed-up
# 1.46x (1.59x with the crops throughout).
_base_ = (
    'accel-mocov2_resnet18-w32_1xb256-coslr-8e_fmnist-64px-knn_sched-ramp.py'
)
custom_hooks = [
    dict(_base_.ramp_exit_hook,
         crop_schedule=[(0, 0.75), (0.7, 0.75), (0.7, 1.)]),
    _base_.precise_bn_each_epoch, _base_.knn_eval_hook
]
