# VOC07 (trainval only) detection transfer, frozen full-width ResNet-18.
_base_ = './faster-rcnn_r18-c4_ms-24k_voc07.py'

model = dict(
    backbone=dict(frozen_stages=3),
    roi_head=dict(shared_head=dict(frozen=True)))
