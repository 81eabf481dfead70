# Linear probes of every stage's features (paper Table 8) on Fashion-MNIST for
# the 64 px regime: the full-width ResNet-18 (stem and base width 64, standard
# stem, one input channel) of configs/mocov2/*_fmnist-64px.py, on 64 px
# images. Otherwise as the tiny per-stage probe beside this file. Metrics:
# stem/top1, stage1/top1, ..., stage4/top1.
#
#   python tools/benchmarks/linear.py THIS_CONFIG CHECKPOINT
_base_ = 'resnet18-tiny_1xb256-multi-stage-linear-steplr-6e_fmnist.py'

model = dict(
    backbone=dict(stem_channels=64, base_channels=64),
    head=dict(in_channels=[64, 64, 128, 256, 512]))

train_dataloader = dict(
    dataset=dict(pipeline=[
        dict(type='Resize', scale=64, backend='pillow'),
        dict(type='RandomFlip', prob=0.5, direction='horizontal'),
        dict(type='PackInputs'),
    ]))
val_dataloader = dict(
    dataset=dict(pipeline=[
        dict(type='Resize', scale=64, backend='pillow'),
        dict(type='PackInputs'),
    ]))
test_dataloader = val_dataloader
