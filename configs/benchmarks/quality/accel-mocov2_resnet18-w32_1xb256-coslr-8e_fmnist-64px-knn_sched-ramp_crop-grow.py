# Issue 20, hypothesis 2, the progressive variant: the ramp schedule with the
# paper's hard pairs after stages 1 and 2, the crop ratio held at 3/4 for the
# first half of training and rising linearly to 1 (whole maps, no selection) by
# its end, as progressive resizing finishes at full size.
# Expected cost per step 0.673, ideal speed-up 1.49x (1.59x with the crops
# throughout).
_base_ = (
    'accel-mocov2_resnet18-w32_1xb256-coslr-8e_fmnist-64px-knn_sched-ramp.py'
)
custom_hooks = [
    dict(_base_.ramp_exit_hook,
         crop_schedule=[(0, 0.75), (0.5, 0.75), (1, 1.)]),
    _base_.precise_bn_each_epoch, _base_.knn_eval_hook
]
