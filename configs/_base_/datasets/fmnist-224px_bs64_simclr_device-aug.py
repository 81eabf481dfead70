# Fashion-MNIST at 224 px with SimCLR's view pipeline (MMPretrain's
# imagenet_bs32_simclr.py) less what needs colour, made on the device; the rest
# as fmnist-224px_bs64_mocov2_device-aug.py.
_base_ = 'fmnist-224px_bs64_mocov2_device-aug.py'

view_pipeline = [
    dict(type='RandomResizedCrop', scale=224),
    dict(type='RandomFlip', prob=0.5),
    dict(
        type='RandomApply',
        transforms=[dict(type='ColorJitter', brightness=0.8, contrast=0.8)],
        prob=0.8),
    dict(
        type='GaussianBlur',
        magnitude_range=(0.1, 2.0),
        magnitude_std='inf',
        prob=0.5),
]
data_preprocessor = dict(transforms=[view_pipeline])
