# VOC12 (+aug) segmentation transfer, fine-tuned backbone: FCN, the decoder
# of MMSelfSup's benchmark (its configs/benchmarks/mmsegmentation/voc12aug/
# fcn_r50-d8_4xb4-20k_voc12aug-512x512.py),
# on MMSegmentation's 20k VOC12aug config, with the plain ResNet that
# self-supervised checkpoints match (MMSegmentation's default ResNetV1c has a
# deep stem whose 18 keys would stay random) and no ImageNet weights
# (pretrained=None). The backbone is a file written by
# tools/model_converters/extract_backbone.py; the launchers in
# tools/benchmarks/mmsegmentation/ set model.backbone.init_cfg.checkpoint.
# Reports aAcc, mIoU and mAcc.
_base_ = 'mmseg::fcn/fcn_r50-d8_4xb4-20k_voc12aug-512x512.py'

model = dict(
    pretrained=None,
    backbone=dict(
        type='ResNet',
        init_cfg=dict(
            type='Pretrained', checkpoint='work_dirs/backbone.pth')))
