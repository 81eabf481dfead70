# Tiny SwAV with multi-crop: two 32 px views and six 16 px crops of each image,
# the tiny twin of upstream's 2 x 224 + 6 x 96.
_base_ = './swav_resnet18-tiny_1xb256-coslr-50e_fmnist.py'

num_crops = [2, 6]
small_view_pipeline = [
    dict(
        type='RandomResizedCrop',
        scale=16,
        crop_ratio_range=(0.05, 0.14),
        backend='pillow'),
    dict(
        type='RandomApply',
        transforms=[dict(type='ColorJitter', brightness=0.4, backend='cv2')],
        prob=0.8),
    dict(type='RandomFlip', prob=0.5),
]
train_dataloader = dict(
    dataset=dict(pipeline=[
        dict(
            type='MultiView',
            num_views=num_crops,
            transforms=[{{_base_.view_pipeline}}, small_view_pipeline]),
        dict(type='PackInputs')
    ]))
model = dict(head=dict(loss=dict(num_crops=num_crops)))
