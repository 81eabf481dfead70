# VOC07+12 detection transfer, frozen full-width ResNet-18 (stage 4 included).
_base_ = './faster-rcnn_r18-c4_ms-24k_voc0712.py'

model = dict(
    backbone=dict(frozen_stages=3),
    roi_head=dict(shared_head=dict(frozen=True)))
