# Detection transfer on the mini VOC set (VOC07+12), frozen backbone.
_base_ = './faster-rcnn_r18-c4_1xb8-2k_mini-voc0712.py'

model = dict(
    backbone=dict(frozen_stages=3),
    roi_head=dict(shared_head=dict(frozen=True)))
