# Issue 20, hypothesis 1 for SimCLR, as for MoCo v2: the ramp schedule with
# hard pairs after stage 1 only, and the accelerated model's input views cut by
# RandomResizedCrop at a minimum scale of 0.36 instead of the baseline's 0.2
# (0.2 / 0.75^2: a 3/4 feature crop of a view at scale 0.36 keeps the area that
# the baseline's smallest view has).
_base_ = (
    'accel-simclr_resnet18-w32_1xb256-coslr-8e_fmnist-64px-knn_sched-ramp.py')
model = dict(selector=dict(positions=(1, )))
train_pipeline = _base_.train_pipeline
train_pipeline[0].transforms[0][0].crop_ratio_range = (0.36, 1.)
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
