# Fashion-MNIST for contrastive pre-training at 64 px: two 64 px views of each
# 28x28 grayscale image, one channel, batch 256, the first 20,000 training
# images. With the standard ResNet stem (stride 4) this leaves 16 x 16 maps
# after stage 1 and 8 x 8 after stage 2, where the selector crops (the paper at
# 224 px: 56 x 56 and 28 x 28); see docs/benchmarks.md, "quality".
_base_ = 'fmnist_bs256_mocov2.py'

view_pipeline = [
    dict(
        type='RandomResizedCrop',
        scale=64,
        crop_ratio_range=(0.2, 1.),
        backend='pillow'),
    dict(
        type='RandomApply',
        transforms=[dict(type='ColorJitter', brightness=0.4, backend='cv2')],
        prob=0.8),
    dict(type='RandomFlip', prob=0.5),
]
train_pipeline = [
    dict(type='MultiView', num_views=2, transforms=[view_pipeline]),
    dict(type='PackInputs')
]
train_dataloader = dict(
    batch_size=256,
    num_workers=1,
    dataset=dict(indices=20000, pipeline=train_pipeline))
whole_image_loader = dict(
    dataset=dict(pipeline=[
        dict(type='Resize', scale=64, backend='pillow'),
        dict(type='PackInputs')
    ]))
precise_bn_hook = dict(dataloader=whole_image_loader)
