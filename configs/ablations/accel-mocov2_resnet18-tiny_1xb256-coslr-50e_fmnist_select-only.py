# Table 6, hard pair selection only: every step runs to the final exit and
# back-propagates from the final loss alone; pairs are still selected at the
# base config's positions (stage 1 here), scored through those exits' heads,
# which learn on the whole maps detached from the backbone
# (model.train_scoring_heads), so that "hard" is ranked by a trained head.
_base_ = ('../accel_mocov2/'
          'accel-mocov2_resnet18-tiny_1xb256-coslr-50e_fmnist.py')
model = dict(train_scoring_heads=True)
custom_hooks = [
    dict(type='PartialBackpropHook', exit_probs=[0, 0, 0, 1]),
    {{_base_.precise_bn_hook}}
]
