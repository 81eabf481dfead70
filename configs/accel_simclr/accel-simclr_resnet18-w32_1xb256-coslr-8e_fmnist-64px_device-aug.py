# Accelerated SimCLR at 64 px (the paper's defaults) as
# ./accel-simclr_resnet18-w32_1xb256-coslr-8e_fmnist-64px.py, with the views
# made on the model's device from raw images held in memory, as its baseline
# twin ../simclr/simclr_resnet18-w32_1xb256-coslr-8e_fmnist-64px_device-aug.py.
_base_ = './accel-simclr_resnet18-w32_1xb256-coslr-8e_fmnist-64px.py'

data_preprocessor = dict(
    type='MultiViewDataPreprocessor',
    num_views=2,
    transforms=[{{_base_.view_pipeline}}])
train_dataloader = dict(
    num_workers=0,
    persistent_workers=False,
    dataset=dict(type='RawFashionMNIST', pipeline=[]))
