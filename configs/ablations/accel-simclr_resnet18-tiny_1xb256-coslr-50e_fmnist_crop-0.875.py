# Table 10, crop ratio 0.875 of the feature map's height and width at each
# selection (the method uses 0.75): cost against accuracy.
_base_ = ('../accel_simclr/'
          'accel-simclr_resnet18-tiny_1xb256-coslr-50e_fmnist.py')
model = dict(selector=dict(crop_ratio=0.875))
