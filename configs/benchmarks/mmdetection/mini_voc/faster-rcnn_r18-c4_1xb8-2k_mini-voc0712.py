# Detection transfer on the mini VOC set, trained on VOC2007 trainval and
# VOC2012 trainval (the VOC07+12 setting), fine-tuned backbone.
_base_ = './faster-rcnn_r18-c4_1xb8-2k_mini-voc07.py'

train_dataloader = dict(
    dataset=dict(
        _delete_=True,
        type='ConcatDataset',
        ignore_keys=['dataset_type'],
        datasets=[
            dict(
                type='VOCDataset',
                data_root={{_base_.data_root}},
                metainfo={{_base_.metainfo}},
                ann_file=f'VOC{year}/ImageSets/Main/trainval.txt',
                data_prefix=dict(sub_data_root=f'VOC{year}/'),
                filter_cfg=dict(filter_empty_gt=True, min_size=32),
                pipeline={{_base_.train_pipeline}}) for year in (2007, 2012)
        ]))
