# Accelerated SwAV with upstream's multi-crop (2 x 224 px + 6 x 96 px; Table
# 9). Selection cuts the two 224 px views; the 96 px crops run to the exit
# unselected (docs/ablations.md says why).
_base_ = ['./accel-swav_resnet50_8xb32-coslr-200e_in1k-224px.py']

num_crops = [2, 6]
train_dataloader = dict(
    dataset=dict(pipeline=[
        dict(type='LoadImageFromFile'),
        dict(
            type='MultiView',
            num_views=num_crops,
            transforms=[{{_base_.view_pipeline1}}, {{_base_.view_pipeline2}}]),
        dict(type='PackInputs')
    ]))
model = dict(head=dict(loss=dict(num_crops=num_crops)))
