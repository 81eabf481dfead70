# Issue 20's hypothesis 3 (partial back-propagation with the ramp schedule, no
# crops, the update window narrowing to the last three stages at 50 % and the
# last two at 75 % of training) for 16 epochs instead of 8, with precise BN
# and kNN every second epoch: the accelerated twin of
# mocov2_resnet18-w32_1xb256-coslr-16e_fmnist-64px-knn.py. The schedules'
# points are fractions of training, so they stretch over the 16 epochs.
_base_ = ('accel-mocov2_resnet18-w32_1xb256-coslr-8e_fmnist-64px-knn_'
          'pbp-ramp_window-narrow.py')
param_scheduler = [
    dict(type='CosineAnnealingLR', T_max=16, by_epoch=True, begin=0, end=16)
]
train_cfg = dict(max_epochs=16)
custom_hooks = [
    _base_.window_ramp_exit_hook,
    dict(_base_.precise_bn_each_epoch, interval=2),
    dict(_base_.knn_eval_hook, interval=2),
]
