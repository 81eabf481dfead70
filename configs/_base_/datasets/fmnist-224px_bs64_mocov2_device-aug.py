# Fashion-MNIST for contrastive pre-training at 224 px, the paper's input size:
# all 60,000 training images held in memory as raw 28 x 28 images
# (RawFashionMNIST), batch 64. MultiViewDataPreprocessor makes two views of
# each on the model's device with kornia, upsampling in the crop: MoCo v2's
# view pipeline (MMPretrain's imagenet_bs32_mocov2.py) less what needs colour
# (saturation, hue, grayscale), as the images have one channel. With the
# standard ResNet stem the maps are 56 x 56 after stage 1 and 28 x 28 after
# stage 2, as in the paper.
dataset_type = 'RawFashionMNIST'
data_root = 'data/fashion-mnist'
view_pipeline = [
    dict(type='RandomResizedCrop', scale=224, crop_ratio_range=(0.2, 1.)),
    dict(
        type='RandomApply',
        transforms=[dict(type='ColorJitter', brightness=0.4, contrast=0.4)],
        prob=0.8),
    dict(
        type='GaussianBlur',
        magnitude_range=(0.1, 2.0),
        magnitude_std='inf',
        prob=0.5),
    dict(type='RandomFlip', prob=0.5),
]
# test_size: evaluation loaders (precise BN, kNN) also yield raw images,
# resized to 224 px on the device
data_preprocessor = dict(
    type='MultiViewDataPreprocessor',
    num_views=2,
    transforms=[view_pipeline],
    test_size=224,
    mean=[72.94],  # Fashion-MNIST train set, on 0..255
    std=[90.02],
    to_rgb=False)

train_dataloader = dict(
    batch_size=64,
    num_workers=2,
    drop_last=True,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    collate_fn=dict(type='default_collate'),
    dataset=dict(type=dataset_type, data_root=data_root, split='train'))

# Whole training images for PreciseBackboneBNHook, which the accelerated
# configs add (their batch-norm statistics come from cropped maps).
whole_image_loader = dict(
    batch_size=256,
    num_workers=0,
    sampler=dict(type='DefaultSampler', shuffle=False),
    collate_fn=dict(type='default_collate'),
    dataset=dict(
        type=dataset_type, data_root=data_root, split='train', indices=4096))
precise_bn_hook = dict(
    type='PreciseBackboneBNHook', dataloader=whole_image_loader,
    num_images=4096)
