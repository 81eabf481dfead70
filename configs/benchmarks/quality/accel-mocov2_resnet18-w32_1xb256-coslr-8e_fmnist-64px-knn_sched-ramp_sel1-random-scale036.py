# Issue 20, hypothesis 1 with random pairs: as *_sched-ramp_sel1-scale036.py
# (crops after stage 1 only, input minimum scale 0.36), but the crop pair that
# goes on is drawn at random instead of the hardest one.
# Expected cost per step 0.629, ideal speed-up 1.59x.
_base_ = 'accel-mocov2_resnet18-w32_1xb256-coslr-8e_fmnist-64px-knn_sched-ramp_sel1-scale036.py'  # noqa: E501
model = dict(selector=dict(mode='random'))
