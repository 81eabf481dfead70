# Linear probes of every stage's features on Fashion-MNIST (paper Table 8 on
# the tiny regime): the stem's output and stages 1 to 4 of the frozen tiny
# ResNet-18 (widths 16/32/64/128, one channel, 32 px), each map globally
# pooled, a batch norm without affine, a linear layer; the five probes train
# together in one run. Data and schedule as the final-feature probe beside
# this file (6 epochs, steps at 4 and 5, lr 0.1), with the optimizer of
# MMSelfSup's multi-head benchmark (SGD, Nesterov momentum 0.9, weight decay
# 1e-4). Metrics: stem/top1, stage1/top1, ..., stage4/top1.
#
#   python tools/benchmarks/linear.py THIS_CONFIG CHECKPOINT
#
# The backbone takes the same --cfg-options as the final-feature probe.
_base_ = 'resnet18-tiny_1xb256-linear-steplr-6e_fmnist.py'

model = dict(
    backbone=dict(
        _delete_=True,
        type='MultiExitResNet',
        depth=18,
        in_channels=1,
        stem_channels=16,
        base_channels=16,
        out_stem=True,
        frozen_stages=4,
        norm_eval=True,
        init_cfg=dict(type='Pretrained', checkpoint='', prefix='backbone.')),
    neck=dict(_delete_=True, type='MultiStagePooling', output_sizes=1),
    head=dict(
        _delete_=True,
        type='MultiStageClsHead',
        num_classes=10,
        in_channels=[16, 16, 32, 64, 128]))

optim_wrapper = dict(
    optimizer=dict(
        type='SGD', lr=0.1, momentum=0.9, weight_decay=1e-4, nesterov=True))

val_evaluator = dict(_delete_=True, type='MultiStageAccuracy', topk=(1, ))
test_evaluator = val_evaluator
