# Table 7, number of candidates M = 4 (crops per view; M x M pairs scored).
_base_ = ('../accel_simclr/'
          'accel-simclr_resnet18-tiny_1xb256-coslr-50e_fmnist.py')
model = dict(selector=dict(num_candidates=4))
