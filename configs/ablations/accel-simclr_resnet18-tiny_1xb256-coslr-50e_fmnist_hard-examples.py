# Table 5, hardest examples of the batch at equal cost: instead of one crop
# pair per sample (3/4 crops keep 0.5625 of the area), keep the 56.25 % of
# samples whose two views have the highest loss, at full resolution: is it hard
# regions or hard images that help? (SimCLR only: MoCo's and SwAV's losses need
# a fixed batch.)
_base_ = ('../accel_simclr/'
          'accel-simclr_resnet18-tiny_1xb256-coslr-50e_fmnist.py')
model = dict(
    selector=dict(
        _delete_=True,
        type='HardExampleSelector',
        positions=(1, ),
        keep_ratio=0.5625))
