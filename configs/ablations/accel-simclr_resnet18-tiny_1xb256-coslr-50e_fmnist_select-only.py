# Table 6, hard pair selection only: every step runs to the final exit and
# back-propagates from the final loss alone; pairs are still selected at the
# base config's positions (stage 1 here), scored through those exits' heads,
# which this run never trains (they score at their initialisation: a fixed
# random projection).
_base_ = ('../accel_simclr/'
          'accel-simclr_resnet18-tiny_1xb256-coslr-50e_fmnist.py')
custom_hooks = [
    dict(type='PartialBackpropHook', exit_probs=[0, 0, 0, 1]),
    {{_base_.precise_bn_hook}}
]
