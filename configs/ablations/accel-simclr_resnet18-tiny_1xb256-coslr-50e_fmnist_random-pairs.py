# Table 5, random pairs: keep a uniformly random crop pair (same cost, no
# scoring): is it the choice or just the cropping that matters?
_base_ = ('../accel_simclr/'
          'accel-simclr_resnet18-tiny_1xb256-coslr-50e_fmnist.py')
model = dict(selector=dict(mode='random'))
