# Linear probe of the final features on ImageNet, SimCLR's protocol (paper
# Table 1): MMPretrain's benchmark config unchanged (ResNet-50 frozen; LARS lr
# 1.6, cosine, 90 epochs; batch 8 x 512), with mmaccel imported so that its
# checkpoints load. tools/benchmarks/linear.py sets the checkpoint.
_base_ = ('mmpretrain::simclr/benchmarks/'
          'resnet50_8xb512-linear-coslr-90e_in1k.py')
default_scope = 'mmaccel'
custom_imports = dict(imports=['mmaccel'], allow_failed_imports=False)

model = dict(backbone=dict(norm_eval=True))
