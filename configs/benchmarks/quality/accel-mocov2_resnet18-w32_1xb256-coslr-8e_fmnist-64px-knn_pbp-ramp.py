# Accelerated MoCo v2 of the quality evidence, partial back-propagation with
# the "ramp" exit schedule and no pair selection: the setting that kept the
# baseline's accuracy at equal epochs in the 64 px regime, where the crops cost
# accuracy (docs/benchmarks.md section 4.2 has the numbers).
_base_ = (
    'accel-mocov2_resnet18-w32_1xb256-coslr-8e_fmnist-64px-knn_sched-ramp.py'
)
model = dict(selector=None)
