# The quality baseline MoCo v2 for 16 epochs instead of 8 (cosine decay over
# 16), with precise BN and kNN every second epoch: the 16-epoch pairs of
# issue 20 (docs/benchmarks.md 4.7).
_base_ = 'mocov2_resnet18-w32_1xb256-coslr-8e_fmnist-64px-knn.py'
param_scheduler = [
    dict(type='CosineAnnealingLR', T_max=16, by_epoch=True, begin=0, end=16)
]
train_cfg = dict(max_epochs=16)
custom_hooks = [
    dict(_base_.precise_bn_each_epoch, interval=2),
    dict(_base_.knn_eval_hook, interval=2),
]
