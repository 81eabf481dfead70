# Linear probes of every stage's features on ImageNet (paper Table 8: the
# stem's output and stages 1 to 4 of a frozen ResNet-50), trained together in
# one run, with MMSelfSup's multi-head protocol (its
# resnet50_mhead_linear-8xb32-steplr-90e_in1k.py, which cannot run under
# MMPretrain 1.x): each map average-pooled to 12, 6, 4, 3 and 2 positions a
# side (9216, 9216, 8192, 9216 and 8192 features), a batch norm without affine,
# a linear layer; SGD lr 0.01, Nesterov momentum 0.9, weight decay 1e-4, 90
# epochs with steps at 30 and 60; batch 8 x 32. Data and runtime come from
# MMPretrain's MoCo v2 linear benchmark. Metrics: stem/top1, stage1/top1, ...
# (and top5). tools/benchmarks/linear.py sets the checkpoint.
#
# The stem's output here is the input of stage 1 (after max pooling, 56 x 56 at
# 224 px); MMSelfSup took it before max pooling (112 x 112). Both are pooled to
# 12 x 12.
_base_ = ('mmpretrain::mocov2/benchmarks/'
          'resnet50_8xb32-linear-steplr-100e_in1k.py')
default_scope = 'mmaccel'
custom_imports = dict(imports=['mmaccel'], allow_failed_imports=False)

model = dict(
    backbone=dict(
        _delete_=True,
        type='MultiExitResNet',
        depth=50,
        out_stem=True,
        frozen_stages=4,
        norm_eval=True,
        init_cfg=dict(type='Pretrained', checkpoint='', prefix='backbone.')),
    neck=dict(
        _delete_=True,
        type='MultiStagePooling',
        output_sizes=(12, 6, 4, 3, 2)),
    head=dict(
        _delete_=True,
        type='MultiStageClsHead',
        num_classes=1000,
        in_channels=[9216, 9216, 8192, 9216, 8192]))

optim_wrapper = dict(
    optimizer=dict(
        type='SGD', lr=0.01, momentum=0.9, weight_decay=1e-4, nesterov=True))
param_scheduler = [
    dict(type='MultiStepLR', by_epoch=True, milestones=[30, 60], gamma=0.1)
]
train_cfg = dict(max_epochs=90)

val_evaluator = dict(_delete_=True, type='MultiStageAccuracy', topk=(1, 5))
test_evaluator = val_evaluator
