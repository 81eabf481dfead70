# VOC12 (+aug) segmentation transfer, frozen plain ResNet-18.
_base_ = './fcn_r18-d8_4xb4-20k_voc12aug-512x512.py'

model = dict(backbone=dict(frozen_stages=4))
