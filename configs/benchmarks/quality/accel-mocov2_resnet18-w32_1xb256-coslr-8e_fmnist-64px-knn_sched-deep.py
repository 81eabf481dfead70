# Accelerated MoCo v2 of the quality evidence with the "deep" exit schedule:
# fixed probabilities (0.1, 0.1, 0.2, 0.6), so that the last stage, which
# uniform exits update on a quarter of the steps, learns on 60 % of them; the
# crops after stages 1 and 2 keep deep exits cheap.
_base_ = 'accel-mocov2_resnet18-w32_1xb256-coslr-8e_fmnist-64px-knn.py'
custom_hooks = [
    dict(type='PartialBackpropHook', exit_probs=(0.1, 0.1, 0.2, 0.6)),
    {{_base_.precise_bn_each_epoch}}, {{_base_.knn_eval_hook}}
]
