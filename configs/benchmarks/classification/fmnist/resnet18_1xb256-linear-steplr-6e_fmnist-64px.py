# Linear probe of the final features on Fashion-MNIST for the 64 px regime:
# the full-width ResNet-18 (stem and base width 64, standard stem, one input
# channel) of configs/mocov2/mocov2_resnet18_1xb64-coslr-8e_fmnist-64px.py and
# its accelerated twin, on 64 px images. Otherwise as the tiny probe beside
# this file (standardised features, one linear layer, SGD lr 0.1, 6 epochs,
# steps at 4 and 5, batch 256, 60,000 training and 10,000 test images).
#
#   python tools/benchmarks/linear.py THIS_CONFIG CHECKPOINT
_base_ = 'resnet18-tiny_1xb256-linear-steplr-6e_fmnist.py'

model = dict(
    backbone=dict(stem_channels=64, base_channels=64),
    neck=[
        dict(type='GlobalAveragePooling'),
        dict(type='ClsBatchNormNeck', input_features=512),
    ],
    head=dict(in_channels=512))

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
