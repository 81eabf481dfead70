# Segmentation transfer on the mini VOC set (tools/dataset_converters/
# make_mini_voc.py; Fashion-MNIST objects on 128 px canvases): the VOC12aug
# ResNet-18 fcn config, fine-tuned, sized for a CPU. Differences: the
# background and the ten classes present; 128 px crops of canvases resized
# x0.5-2 (512 px crops of images resized to a 512 px short side upstream);
# batch 8, lr 0.005 (linear scaling of 0.01 at 16); 2k iterations of the
# same poly schedule. tools/benchmarks/run_all.sh scales the schedule with
# --cfg-options.
_base_ = '../voc12aug/fcn_r18-d8_4xb4-20k_voc12aug-512x512.py'

data_root = 'data/mini-voc/VOCdevkit/VOC2012'
crop_size = (128, 128)
# Fashion-MNIST label k carries the name of VOC class k + 1.
metainfo = dict(
    classes=('background', 'aeroplane', 'bicycle', 'bird', 'boat', 'bottle',
             'bus', 'car', 'cat', 'chair', 'cow'),
    palette=[[0, 0, 0], [128, 0, 0], [0, 128, 0], [128, 128, 0], [0, 0, 128],
             [128, 0, 128], [0, 128, 128], [128, 128, 128], [64, 0, 0],
             [192, 0, 0], [64, 128, 0]])
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations'),
    dict(
        type='RandomResize',
        scale=(512, 128),
        ratio_range=(0.5, 2.0),
        keep_ratio=True),
    dict(type='RandomCrop', crop_size=crop_size, cat_max_ratio=0.75),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PhotoMetricDistortion'),
    dict(type='PackSegInputs')
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(512, 128), keep_ratio=True),
    dict(type='LoadAnnotations'),
    dict(type='PackSegInputs')
]
train_dataloader = dict(
    batch_size=8,
    num_workers=2,
    dataset=dict(
        _delete_=True,
        type='ConcatDataset',
        datasets=[
            dict(
                type='PascalVOCDataset',
                data_root=data_root,
                metainfo=metainfo,
                data_prefix=dict(img_path='JPEGImages', seg_map_path=seg),
                ann_file=f'ImageSets/Segmentation/{split}.txt',
                pipeline=train_pipeline)
            for split, seg in (('train', 'SegmentationClass'),
                               ('aug', 'SegmentationClassAug'))
        ]))
val_dataloader = dict(
    batch_size=8,
    num_workers=2,
    dataset=dict(
        data_root=data_root, metainfo=metainfo, pipeline=test_pipeline))
test_dataloader = val_dataloader

model = dict(
    data_preprocessor=dict(size=crop_size),
    decode_head=dict(num_classes=11),
    auxiliary_head=dict(num_classes=11))

optim_wrapper = dict(optimizer=dict(lr=0.005))
max_iters = 2000
train_cfg = dict(max_iters=max_iters, val_interval=500)
param_scheduler = [
    dict(
        type='PolyLR',
        eta_min=1e-4,
        power=0.9,
        begin=0,
        end=max_iters,
        by_epoch=False)
]
default_hooks = dict(
    checkpoint=dict(interval=500, max_keep_ckpts=1),
    logger=dict(interval=20))
