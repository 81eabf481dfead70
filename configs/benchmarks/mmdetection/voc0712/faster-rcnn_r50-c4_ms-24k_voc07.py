# VOC07 detection transfer on VOC2007 trainval only (the paper's text),
# fine-tuned backbone; otherwise as the VOC07+12 config.
_base_ = './faster-rcnn_r50-c4_ms-24k_voc0712.py'

data_root = 'data/VOCdevkit/'
train_dataloader = dict(
    dataset=dict(
        _delete_=True,
        type='VOCDataset',
        data_root=data_root,
        ann_file='VOC2007/ImageSets/Main/trainval.txt',
        data_prefix=dict(sub_data_root='VOC2007/'),
        filter_cfg=dict(filter_empty_gt=True, min_size=32),
        pipeline={{_base_.train_pipeline}}))
