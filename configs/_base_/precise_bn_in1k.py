# PreciseBackboneBNHook for the accelerated ImageNet configs: after every epoch
# the backbone's batch-norm statistics, which training collects on cropped maps
# (and for the last stage only on the steps that reach it), are re-estimated on
# 8,192 whole training images per process (resized to 256, centre 224 crop, no
# augmentation), before evaluation and the checkpoint. About 2 % of an epoch's
# forward passes at batch 256 per GPU.
precise_bn_hook = dict(
    type='PreciseBackboneBNHook',
    num_images=8192,
    dataloader=dict(
        batch_size=64,
        num_workers=4,
        sampler=dict(type='DefaultSampler', shuffle=True),
        collate_fn=dict(type='default_collate'),
        dataset=dict(
            type='ImageNet',
            data_root='data/imagenet',
            split='train',
            pipeline=[
                dict(type='LoadImageFromFile'),
                dict(type='ResizeEdge', scale=256, edge='short'),
                dict(type='CenterCrop', crop_size=224),
                dict(type='PackInputs')
            ])))
