# MMPretrain's SimCLR model (simclr_resnet50_16xb256-coslr-200e_in1k.py)
# narrowed for Fashion-MNIST on a CPU: a tiny ResNet-18 (stem and stage widths
# 16/32/64/128, one input channel, plain BN: SyncBN needs a GPU), a 64-d
# projection. The 32 px and 64 px configs in configs/simclr/ build on it.
_base_ = 'resnet18-tiny.py'

model = dict(
    type='SimCLR',
    neck=dict(
        type='NonLinearNeck',
        in_channels=128,
        hid_channels=128,
        out_channels=64,
        num_layers=2,
        with_avg_pool=True,
        norm_cfg=dict(type='BN1d')),
    head=dict(
        type='ContrastiveHead',
        loss=dict(type='CrossEntropyLoss'),
        temperature=0.1))
