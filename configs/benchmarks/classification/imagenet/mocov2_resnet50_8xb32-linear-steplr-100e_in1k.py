# Linear probe of the final features on ImageNet, MoCo v2's protocol (paper
# Table 1): MMPretrain's benchmark config unchanged (ResNet-50 frozen, global
# pooling, one linear layer; SGD lr 30, no weight decay, 100 epochs, steps at
# 60 and 80; batch 8 x 32), with mmaccel imported so that its checkpoints
# load. tools/benchmarks/linear.py sets the checkpoint (and the prefix its keys
# need); tools/benchmarks/classification/*.sh launch it.
_base_ = ('mmpretrain::mocov2/benchmarks/'
          'resnet50_8xb32-linear-steplr-100e_in1k.py')
default_scope = 'mmaccel'
custom_imports = dict(imports=['mmaccel'], allow_failed_imports=False)

# frozen_stages=4 already keeps every batch norm in eval mode; said outright.
model = dict(backbone=dict(norm_eval=True))
