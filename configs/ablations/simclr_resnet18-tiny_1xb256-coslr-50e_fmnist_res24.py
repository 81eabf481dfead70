# Table 10, reduced input resolution: the upstream SimCLR twin on 24 px views
# (56% of the 32 px cost) instead of the method's intermediate crops. Does
# shrinking the input match the method at a similar cost?
_base_ = '../simclr/simclr_resnet18-tiny_1xb256-coslr-50e_fmnist.py'
view_pipeline = [
    dict(
        type='RandomResizedCrop',
        scale=24,
        crop_ratio_range=(0.2, 1.),
        backend='pillow'),
    dict(
        type='RandomApply',
        transforms=[dict(type='ColorJitter', brightness=0.4, backend='cv2')],
        prob=0.8),
    dict(type='RandomFlip', prob=0.5),
]
train_dataloader = dict(
    dataset=dict(pipeline=[
        dict(type='MultiView', num_views=2, transforms=[view_pipeline]),
        dict(type='PackInputs')
    ]))
