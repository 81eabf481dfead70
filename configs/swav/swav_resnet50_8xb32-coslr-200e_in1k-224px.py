# Upstream SwAV without multi-crop (two 224 px views), the setting of the
# paper's Table 1 ("we do not apply the multi-crop strategy"): upstream's
# multi-crop config with its small crops removed.
_base_ = ('mmpretrain::swav/'
          'swav_resnet50_8xb32-mcrop-coslr-200e_in1k-224px-96px.py')
default_scope = 'mmaccel'
custom_imports = dict(imports=['mmaccel'], allow_failed_imports=False)

num_crops = [2]
train_dataloader = dict(
    dataset=dict(pipeline=[
        dict(type='LoadImageFromFile'),
        dict(
            type='MultiView',
            num_views=num_crops,
            transforms=[{{_base_.view_pipeline1}}]),
        dict(type='PackInputs')
    ]))
model = dict(head=dict(loss=dict(num_crops=num_crops)))
