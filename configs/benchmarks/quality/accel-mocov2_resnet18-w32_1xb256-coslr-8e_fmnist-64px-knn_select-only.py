# Selection without partial back-propagation (the paper's Table 6, "selection
# only"): every step runs to the last exit and back-propagates from it, with
# hard pair selection after stages 1 and 2. The heads of exits 1 and 2, which
# score the crop pairs, learn on the whole maps detached from the backbone
# (model.train_scoring_heads), so that the pairs are ranked by trained heads.
_base_ = 'accel-mocov2_resnet18-w32_1xb256-coslr-8e_fmnist-64px-knn.py'
model = dict(train_scoring_heads=True)
custom_hooks = [
    dict(type='PartialBackpropHook', exit_probs=(0.0, 0.0, 0.0, 1.0)),
    {{_base_.precise_bn_each_epoch}}, {{_base_.knn_eval_hook}}
]
