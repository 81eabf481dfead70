# Table 5, easy pairs: of the M x M crop pairs keep the lowest-loss one
# (same cost as hard pairs).
_base_ = ('../accel_simclr/'
          'accel-simclr_resnet18-tiny_1xb256-coslr-50e_fmnist.py')
model = dict(selector=dict(mode='easy'))
