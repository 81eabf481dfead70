# Detection transfer on the mini VOC set (tools/dataset_converters/
# make_mini_voc.py; Fashion-MNIST objects on 128 px canvases): the VOC07
# ResNet-18 C4 config, fine-tuned, sized for a CPU. Differences: the ten
# classes present; images at their own scale (x0.75-1.25 in training) instead
# of 480-800 px; the shared head runs stage 4 once per RoI, which dominates
# the cost, so RoIs are pooled to 7x7 (14x14 upstream; the stride-16 map of
# a 128 px canvas is 8x8), 32 RoIs per training image (512) and 50 proposals
# per test image (1000); batch 8, lr 0.01 (linear scaling of 0.02 at 16);
# 2k iterations, steps at 3/4 and 11/12 as in the 24k schedule.
# tools/benchmarks/run_all.sh scales the schedule with --cfg-options.
_base_ = '../voc0712/faster-rcnn_r18-c4_ms-24k_voc07.py'

data_root = 'data/mini-voc/VOCdevkit/'
# Fashion-MNIST label k carries the name of VOC class k.
metainfo = dict(classes=('aeroplane', 'bicycle', 'bird', 'boat', 'bottle',
                         'bus', 'car', 'cat', 'chair', 'cow'))
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(
        type='RandomChoice',
        transforms=[[dict(type='Resize', scale_factor=f, keep_ratio=True)]
                    for f in (0.75, 1.0, 1.25)]),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackDetInputs')
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale_factor=1.0, keep_ratio=True),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(
        type='PackDetInputs',
        meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape',
                   'scale_factor'))
]
train_dataloader = dict(
    batch_size=8,
    dataset=dict(
        data_root=data_root, metainfo=metainfo, pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=8,
    dataset=dict(
        data_root=data_root, metainfo=metainfo, pipeline=test_pipeline))
test_dataloader = val_dataloader

model = dict(
    roi_head=dict(
        bbox_roi_extractor=dict(roi_layer=dict(output_size=7)),
        # stage 4 (stride 2) turns the 7x7 RoIs into 4x4 maps
        bbox_head=dict(roi_feat_size=4, num_classes=10)),
    train_cfg=dict(
        rpn_proposal=dict(nms_pre=2000, max_per_img=300),
        rcnn=dict(sampler=dict(num=32))),
    test_cfg=dict(rpn=dict(nms_pre=1000, max_per_img=50)))

optim_wrapper = dict(optimizer=dict(lr=0.01))
max_iters = 2000
train_cfg = dict(max_iters=max_iters, val_interval=500)
param_scheduler = [
    dict(type='LinearLR', start_factor=0.001, by_epoch=False, begin=0, end=50),
    dict(
        type='MultiStepLR',
        begin=0,
        end=max_iters,
        by_epoch=False,
        milestones=[1500, 1833],
        gamma=0.1)
]
default_hooks = dict(
    checkpoint=dict(interval=500, max_keep_ckpts=1),
    logger=dict(interval=20))
