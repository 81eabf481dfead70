# Issue 20, hypothesis 3 ("deep stages with too few updates"), FreezeOut-like:
# partial back-propagation with the ramp schedule and no crops, and an update
# window that narrows late in training: from 50 % an exit-k step updates only
# stages k-2..k (exit 4: stages 2-4, the stem frozen), from 75 % only k-1..k
# (exit 4: stages 3 and 4). The deep stages keep the ramp's late updates while
# the early stages, which converge first, stop paying for them.
# Expected cost per step (forward and backward passes, MoCo's momentum encoder
# included) 0.708, ideal speed-up 1.41x; pbp-ramp alone 0.786, 1.27x.
_base_ = (
    'accel-mocov2_resnet18-w32_1xb256-coslr-8e_fmnist-64px-knn_pbp-ramp.py'
)
custom_hooks = [
    _base_.window_ramp_exit_hook,
    _base_.precise_bn_each_epoch, _base_.knn_eval_hook
]
