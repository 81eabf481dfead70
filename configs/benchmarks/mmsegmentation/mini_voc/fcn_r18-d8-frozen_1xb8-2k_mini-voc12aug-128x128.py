# Segmentation transfer on the mini VOC set, frozen backbone (stem and all
# four stages: weights and batch-norm statistics).
_base_ = './fcn_r18-d8_1xb8-2k_mini-voc12aug-128x128.py'

model = dict(backbone=dict(frozen_stages=4))
