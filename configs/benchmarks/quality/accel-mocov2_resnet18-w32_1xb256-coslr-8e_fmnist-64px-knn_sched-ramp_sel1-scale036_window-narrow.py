# Issue 20, a combination of hypotheses 1 and 3: hard pairs after stage 1 only
# with the input views' minimum scale at 0.36 (*_sched-ramp_sel1-scale036.py),
# the ramp schedule, and the FreezeOut-like update window of
# *_pbp-ramp_window-narrow.py (from 50 % an exit-k step updates stages k-2..k,
# from 75 % k-1..k): the crop that cost least accuracy in the one-seed probe,
# with the late exit-4 steps made cheap by not updating the early stages.
# Expected cost per step 0.561, ideal speed-up 1.78x (1.59x without the
# window).
_base_ = 'accel-mocov2_resnet18-w32_1xb256-coslr-8e_fmnist-64px-knn_sched-ramp_sel1-scale036.py'  # noqa: E501
custom_hooks = [
    _base_.window_ramp_exit_hook,
    _base_.precise_bn_each_epoch, _base_.knn_eval_hook
]
