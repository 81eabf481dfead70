# VOC07 (trainval only) detection transfer with a frozen backbone, shared
# head's stage 4 included (weights and batch-norm statistics).
_base_ = './faster-rcnn_r50-c4_ms-24k_voc07.py'

model = dict(
    backbone=dict(frozen_stages=3),
    roi_head=dict(shared_head=dict(frozen=True)))
