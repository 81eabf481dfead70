# The VOC12 (+aug) benchmark on a plain ResNet-18 (fine-tuned); the heads'
# widths follow MMSegmentation's own ResNet-18 configs.
_base_ = './pspnet_r50-d8_4xb4-20k_voc12aug-512x512.py'

model = dict(
    backbone=dict(depth=18),
    decode_head=dict(in_channels=512, channels=128),
    auxiliary_head=dict(in_channels=256, channels=64))
