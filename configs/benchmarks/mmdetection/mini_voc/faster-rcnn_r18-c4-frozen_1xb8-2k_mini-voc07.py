# Detection transfer on the mini VOC set, frozen backbone (stem, stages 1-3
# and the shared head's stage 4: weights and batch-norm statistics).
_base_ = './faster-rcnn_r18-c4_1xb8-2k_mini-voc07.py'

model = dict(
    backbone=dict(frozen_stages=3),
    roi_head=dict(shared_head=dict(frozen=True)))
