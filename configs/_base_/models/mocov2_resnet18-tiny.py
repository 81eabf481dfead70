# MMPretrain's MoCo v2 model (mocov2_resnet50_8xb32-coslr-200e_in1k.py)
# narrowed for Fashion-MNIST on a CPU: a tiny ResNet-18 (stem and stage widths
# 16/32/64/128, one input channel, plain BN), a 64-d projection, queue 4096,
# momentum 0.001. The 32 px and 64 px configs in configs/mocov2/ build on it.
_base_ = 'resnet18-tiny.py'

model = dict(
    type='MoCo',
    queue_len=4096,
    feat_dim=64,
    momentum=0.001,
    backbone=dict(zero_init_residual=False),
    neck=dict(
        type='MoCoV2Neck',
        in_channels=128,
        hid_channels=128,
        out_channels=64,
        with_avg_pool=True),
    head=dict(
        type='ContrastiveHead',
        loss=dict(type='CrossEntropyLoss'),
        temperature=0.2))
