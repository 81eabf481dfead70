# VOC07+12 detection transfer with a frozen backbone: the stem, stages 1-3 and
# the shared head's stage 4 keep their pre-trained weights and batch-norm
# statistics; the RPN, the extra norm and the box head train.
_base_ = './faster-rcnn_r50-c4_ms-24k_voc0712.py'

model = dict(
    backbone=dict(frozen_stages=3),
    roi_head=dict(shared_head=dict(frozen=True)))
