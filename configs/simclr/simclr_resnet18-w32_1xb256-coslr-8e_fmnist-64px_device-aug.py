# SimCLR at 64 px as ./simclr_resnet18-w32_1xb256-coslr-8e_fmnist-64px.py, with
# the views made on the model's device from raw images held in memory
# (RawFashionMNIST, MultiViewDataPreprocessor: the same view pipeline, run by
# kornia and seeded per sample).
_base_ = './simclr_resnet18-w32_1xb256-coslr-8e_fmnist-64px.py'

data_preprocessor = dict(
    type='MultiViewDataPreprocessor',
    num_views=2,
    transforms=[{{_base_.view_pipeline}}])
train_dataloader = dict(
    num_workers=0,
    persistent_workers=False,
    dataset=dict(type='RawFashionMNIST', pipeline=[]))
