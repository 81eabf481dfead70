# Table 4, update a window of nearby stages: a step at exit k updates only
# stages k-0..k (and head k); the stem and earlier stages run without
# gradient. The method (update_window=None) updates everything before the exit.
_base_ = ('../accel_simclr/'
          'accel-simclr_resnet18-tiny_1xb256-coslr-50e_fmnist.py')
model = dict(update_window=1)
