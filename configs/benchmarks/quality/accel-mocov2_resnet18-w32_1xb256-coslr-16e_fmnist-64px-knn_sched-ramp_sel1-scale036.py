# Issue 20's hypothesis 1 (the ramp schedule, hard pairs after stage 1 only,
# input views at a minimum scale of 0.36) for 16 epochs instead of 8, with
# precise BN and kNN every second epoch: the accelerated twin of
# mocov2_resnet18-w32_1xb256-coslr-16e_fmnist-64px-knn.py. The ramp's points
# are fractions of training, so it stretches over the 16 epochs.
_base_ = ('accel-mocov2_resnet18-w32_1xb256-coslr-8e_fmnist-64px-knn_'
          'sched-ramp_sel1-scale036.py')
param_scheduler = [
    dict(type='CosineAnnealingLR', T_max=16, by_epoch=True, begin=0, end=16)
]
train_cfg = dict(max_epochs=16)
custom_hooks = [
    _base_.ramp_exit_hook,
    dict(_base_.precise_bn_each_epoch, interval=2),
    dict(_base_.knn_eval_hook, interval=2),
]
