# Baseline of the GPU race (docs/benchmarks.md section 6): MMPretrain's
# MoCo v2 with a full-width ResNet-18 on Fashion-MNIST at 224 px, views made
# on the device; trained to a time budget (tools/train.py --time-budget), its
# cosine schedule laid out on the nominal 8 epochs and fitted to the budget;
# precise BN and kNN at every quarter of the budget.
_base_ = [
    '../../mocov2/mocov2_resnet18_1xb64-coslr-8e_fmnist-224px_device-aug.py',
    'knn_fmnist-224px.py',
]
custom_hooks = [{{_base_.precise_bn_budget}}, {{_base_.knn_eval_budget}}]
# one checkpoint, at the end of the budget
default_hooks = dict(checkpoint=dict(interval=10000))
