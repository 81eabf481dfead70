# Table 6, hard pair selection only: every step runs to the final exit and
# back-propagates from the final loss alone; pairs are still selected after
# stages 1 and 2, scored through the exit-1 and exit-2 heads, which this run
# never trains (they score at their initialisation: a fixed random projection).
_base_ = '../accel_mocov2/accel-mocov2_resnet18-tiny_1xb256-coslr-50e_fmnist.py'
custom_hooks = [dict(type='PartialBackpropHook', exit_probs=[0, 0, 0, 1])]
