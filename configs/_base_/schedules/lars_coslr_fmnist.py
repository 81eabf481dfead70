# MMPretrain's LARS schedule for SimCLR (cosine over 200 epochs; the configs
# fit it to theirs) with its optimizer for one device.
_base_ = 'mmpretrain::_base_/schedules/imagenet_lars_coslr_200e.py'

# lr = 0.3 x batch / 256, batch 256 on one device; no LARS adaptation and no
# weight decay for norm layers and biases.
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='LARS', lr=0.3, momentum=0.9, weight_decay=1e-6),
    paramwise_cfg=dict(
        custom_keys={
            'bn': dict(decay_mult=0, lars_exclude=True),
            'bias': dict(decay_mult=0, lars_exclude=True),
            'downsample.1': dict(decay_mult=0, lars_exclude=True),
        }))
