# Accelerated MoCo v2 at 224 px with a full-width ResNet-18: its baseline twin
# ../mocov2/mocov2_resnet18_1xb64-coslr-8e_fmnist-224px_device-aug.py plus the
# paper's defaults: exits after every stage drawn uniformly, hard pairs of
# crops of 3/4 after stages 1 and 2 (56 x 56 and 28 x 28 maps, as in the
# paper), M = 2.
_base_ = '../mocov2/mocov2_resnet18_1xb64-coslr-8e_fmnist-224px_device-aug.py'

model = dict(
    type='AccelMoCo',
    backbone=dict(type='MultiExitResNet', exits=(1, 2, 3, 4)),
    neck=dict(
        _delete_=True,
        type='IntermediateContrastiveNeck',
        in_channels=[64, 128, 256, 512],
        head=dict(
            type='MoCoV2Neck',
            hid_channels=2048,
            out_channels=128,
            with_avg_pool=True)),
    selector=dict(
        type='HardPairSelector',
        positions=(1, 2),
        crop_ratio=0.75,
        num_candidates=2,
        mode='hard'))

# precise BN on whole images after every epoch (from the data set base)
custom_hooks = [
    dict(type='PartialBackpropHook'), {{_base_.precise_bn_hook}}
]
model_wrapper_cfg = dict(
    type='MMDistributedDataParallel', find_unused_parameters=True)
