# Accelerated tiny SwAV with multi-crop (2 x 32 px + 6 x 16 px), the twin of
# ../swav/swav_resnet18-tiny_1xb256-mcrop-2-6-coslr-50e_fmnist-32px-16px.py
# (whose pipeline is restated: two bases may not both define the model and the
# data). Selection cuts the two 32 px views only; the small crops run to the
# exit unselected (docs/ablations.md says why).
_base_ = './accel-swav_resnet18-tiny_1xb256-coslr-50e_fmnist.py'

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
