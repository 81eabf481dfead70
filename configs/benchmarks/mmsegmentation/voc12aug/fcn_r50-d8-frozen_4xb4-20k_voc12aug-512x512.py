# VOC12 (+aug) segmentation transfer with a frozen backbone: the stem and all
# four stages keep their pre-trained weights and batch-norm statistics; the
# decode and auxiliary heads train.
_base_ = './fcn_r50-d8_4xb4-20k_voc12aug-512x512.py'

model = dict(backbone=dict(frozen_stages=4))
