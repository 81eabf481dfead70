# Table 6, partial back-propagation only: exits drawn per step, no crop pair
# selection (every stage runs on the full maps).
_base_ = ('../accel_mocov2/'
          'accel-mocov2_resnet18-tiny_1xb256-coslr-50e_fmnist.py')
model = dict(selector=None)
