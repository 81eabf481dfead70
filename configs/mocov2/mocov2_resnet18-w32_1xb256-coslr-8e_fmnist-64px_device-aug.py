# MoCo v2 at 64 px as ./mocov2_resnet18-w32_1xb256-coslr-8e_fmnist-64px.py,
# with the views made on the model's device: the data set yields the raw
# 28 x 28 images held in memory (RawFashionMNIST) and MultiViewDataPreprocessor
# runs the same view pipeline with kornia, seeded per sample
# (docs/benchmarks.md, "Augmentation on the device").
_base_ = './mocov2_resnet18-w32_1xb256-coslr-8e_fmnist-64px.py'

data_preprocessor = dict(
    type='MultiViewDataPreprocessor',
    num_views=2,
    transforms=[{{_base_.view_pipeline}}])
train_dataloader = dict(
    num_workers=0,
    persistent_workers=False,
    dataset=dict(type='RawFashionMNIST', pipeline=[]))
