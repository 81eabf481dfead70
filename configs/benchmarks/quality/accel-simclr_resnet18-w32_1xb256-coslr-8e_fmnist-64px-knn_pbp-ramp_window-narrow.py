# Issue 20, hypothesis 3 for SimCLR, as for MoCo v2 (docs/benchmarks.md 4.8):
# partial back-propagation with the ramp schedule and no crops, and an update
# window that narrows late in training: from 50 % an exit-k step updates only
# stages k-2..k (exit 4: stages 2-4, the stem frozen), from 75 % only k-1..k
# (exit 4: stages 3 and 4).
# Expected cost per step (forward and backward passes, as the hook reports it)
# 0.682, ideal speed-up 1.47x.
_base_ = (
    'accel-simclr_resnet18-w32_1xb256-coslr-8e_fmnist-64px-knn_pbp-ramp.py')
custom_hooks = [
    _base_.window_ramp_exit_hook,
    _base_.precise_bn_each_epoch, _base_.knn_eval_hook
]
