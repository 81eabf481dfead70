# Fashion-MNIST for contrastive pre-training: two 32 px views of each 28x28
# grayscale image, kept at one channel. The images come from local IDX files
# (tools/dataset_converters/prepare_fashion_mnist.sh); nothing is downloaded.
dataset_type = 'LocalFashionMNIST'
data_root = 'data/fashion-mnist'
data_preprocessor = dict(
    type='SelfSupDataPreprocessor',
    mean=[72.94],  # Fashion-MNIST train set, on 0..255
    std=[90.02],
    to_rgb=False)

# MoCo v2's view pipeline, less what needs colour (hue, saturation, grayscale)
# and blur (too strong at 32 px). Contrast jitter is left out too: mmcv's
# adjust_contrast converts to gray with cv2 or to RGB with pillow and fails on
# a one-channel image; brightness (cv2 backend) works on it.
view_pipeline = [
    dict(
        type='RandomResizedCrop',
        scale=32,
        crop_ratio_range=(0.2, 1.),
        backend='pillow'),
    dict(
        type='RandomApply',
        transforms=[
            dict(
                type='ColorJitter',
                brightness=0.4,
                backend='cv2')
        ],
        prob=0.8),
    dict(type='RandomFlip', prob=0.5),
]

# The dataset yields decoded arrays, so the pipeline starts without loading.
train_pipeline = [
    dict(type='MultiView', num_views=2, transforms=[view_pipeline]),
    dict(type='PackInputs')
]

train_dataloader = dict(
    batch_size=256,
    num_workers=2,
    drop_last=True,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    collate_fn=dict(type='default_collate'),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        split='train',
        pipeline=train_pipeline))

# Whole training images (resized, no augmentation) for PreciseBackboneBNHook,
# which the accelerated configs add: their batch-norm statistics come from
# cropped maps in training and are re-estimated on these before every
# evaluation and checkpoint.
whole_image_loader = dict(
    batch_size=256,
    num_workers=0,
    sampler=dict(type='DefaultSampler', shuffle=False),
    collate_fn=dict(type='default_collate'),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        split='train',
        indices=4096,
        pipeline=[
            dict(type='Resize', scale=32, backend='pillow'),
            dict(type='PackInputs')
        ]))
precise_bn_hook = dict(
    type='PreciseBackboneBNHook', dataloader=whole_image_loader,
    num_images=4096)
