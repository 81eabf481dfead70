# Segmentation transfer on the mini VOC set with MMSelfSup's FCN head: the
# mini VOC PSPNet config (its data, sizes and schedule; see there) with the
# decode head of ../voc12aug/fcn_r18-d8_4xb4-20k_voc12aug-512x512.py (FCN,
# ResNet-18 widths), fine-tuned.
_base_ = './pspnet_r18-d8_1xb8-2k_mini-voc12aug-128x128.py'

model = dict(
    decode_head=dict(
        _delete_=True,
        type='FCNHead',
        in_channels=512,
        in_index=3,
        channels=128,
        num_convs=2,
        concat_input=True,
        dropout_ratio=0.1,
        num_classes=11,
        norm_cfg=dict(type='SyncBN', requires_grad=True),
        align_corners=False,
        loss_decode=dict(
            type='CrossEntropyLoss', use_sigmoid=False, loss_weight=1.0)))
