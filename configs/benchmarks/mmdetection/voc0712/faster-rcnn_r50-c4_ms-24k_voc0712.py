# VOC07+12 detection transfer, fine-tuned backbone (paper Table 3): MMSelfSup's
# benchmark config (configs/benchmarks/mmdetection/voc0712/
# faster-rcnn_r50-c4_ms-24k_voc0712.py in MMSelfSup 1.0) on MMDetection 3.3:
# RGB mean/std, PyTorch-style ResNet, SyncBN, norm_eval=False, the shared head
# with an extra norm (mmaccel.ResLayerExtraNorm), 24k iterations with steps at
# 18k and 22k; AP50 and COCO-style AP. The backbone is a file written by
# tools/model_converters/extract_backbone.py; the launchers in
# tools/benchmarks/mmdetection/ set it on the backbone and the shared head
# (model.backbone.init_cfg.checkpoint and
# model.roi_head.shared_head.init_cfg.checkpoint).
_base_ = 'mmdet::pascal_voc/faster-rcnn_r50-caffe-c4_ms-18k_voc0712.py'

custom_imports = dict(
    imports=['mmaccel.models.transfer'], allow_failed_imports=False)

norm_cfg = dict(type='SyncBN', requires_grad=True)
model = dict(
    # MMSelfSup wrote these as a top-level `data_preprocessor`, which
    # MMDetection 3 does not read; here they reach the model.
    data_preprocessor=dict(
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        bgr_to_rgb=True),
    backbone=dict(
        frozen_stages=-1,
        norm_cfg=norm_cfg,
        norm_eval=False,
        style='pytorch',
        init_cfg=dict(
            type='Pretrained', checkpoint='work_dirs/backbone.pth')),
    roi_head=dict(
        shared_head=dict(
            type='mmaccel.ResLayerExtraNorm',
            norm_cfg=norm_cfg,
            norm_eval=False,
            style='pytorch',
            init_cfg=dict(
                type='Pretrained', checkpoint='work_dirs/backbone.pth')),
        bbox_head=dict(num_classes=20)))

# The two VOC datasets differ in metainfo['dataset_type']; without ignore_keys
# MMEngine's ConcatDataset refuses them (the upstream 18k config omits it).
train_dataloader = dict(dataset=dict(ignore_keys=['dataset_type']))

max_iters = 24000
train_cfg = dict(max_iters=max_iters, val_interval=2000)
param_scheduler = [
    dict(
        type='LinearLR', start_factor=0.001, by_epoch=False, begin=0,
        end=100),
    dict(
        type='MultiStepLR',
        begin=0,
        end=max_iters,
        by_epoch=False,
        milestones=[18000, 22000],
        gamma=0.1)
]

# VOC07 11-point AP at IoU 0.50 (pascal_voc/AP50) and at 0.50:0.05:0.95;
# pascal_voc/mAP is their mean, the COCO-style AP.
val_evaluator = dict(
    type='VOCMetric',
    metric='mAP',
    eval_mode='11points',
    iou_thrs=[0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95])
test_evaluator = val_evaluator

default_hooks = dict(checkpoint=dict(by_epoch=False, interval=2000))
