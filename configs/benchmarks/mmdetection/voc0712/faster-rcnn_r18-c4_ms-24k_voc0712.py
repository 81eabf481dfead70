# The VOC07+12 benchmark on a ResNet-18: the same C4 split (stem and stages
# 1-3 in the backbone, stage 4 in the shared head), with ResNet-18's widths
# (stage 3 gives 256 channels, stage 4 512). MMDetection's ResLayer builds
# 64-wide stages: the backbone must be a full-width ResNet-18.
_base_ = './faster-rcnn_r50-c4_ms-24k_voc0712.py'

model = dict(
    backbone=dict(depth=18),
    rpn_head=dict(in_channels=256, feat_channels=256),
    roi_head=dict(
        shared_head=dict(depth=18),
        bbox_roi_extractor=dict(out_channels=256),
        bbox_head=dict(in_channels=512)))
