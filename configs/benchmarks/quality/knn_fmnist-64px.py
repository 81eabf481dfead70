# Evaluation during the quality runs at 64 px, every epoch: weighted kNN
# top-1 (k = 200, T = 0.07) of the last stage (and of every exit of an
# accelerated backbone) with a bank of the first 5,000 training images and the
# first 5,000 test images as queries, and a linear probe fitted on the bank's
# features (linear_top1). Before each evaluation, PreciseBackboneBNHook
# re-estimates the backbone's batch-norm statistics on 4,096 whole training
# images (precise_bn_each_epoch), on both models (the accuracy with the
# statistics from training is reported as knn_top1_raw): both models get the
# same protocol.
_whole = [
    dict(type='Resize', scale=64, backend='pillow'),
    dict(type='PackInputs')
]
_loader = dict(
    batch_size=500,
    num_workers=0,
    sampler=dict(type='DefaultSampler', shuffle=False),
    collate_fn=dict(type='default_collate'))
_bank = dict(
    _loader,
    dataset=dict(type='LocalFashionMNIST', data_root='data/fashion-mnist',
                 split='train', indices=5000, pipeline=_whole))
precise_bn_each_epoch = dict(
    type='PreciseBackboneBNHook',
    dataloader=_bank,
    num_images=4096,
    interval=1)
knn_eval_hook = dict(
    type='KNNEvalHook',
    train_dataloader=_bank,
    val_dataloader=dict(
        _loader,
        dataset=dict(type='LocalFashionMNIST', data_root='data/fashion-mnist',
                     split='test', indices=5000, pipeline=_whole)),
    num_classes=10,
    interval=1,
    k=200,
    temperature=0.07,
    eval_at_start=True,
    per_exit=True,
    linear_probe=True)
# The "ramp" exit schedule (the best of the quality runs): uniform exits at the
# start, moving linearly to (0.05, 0.05, 0.1, 0.8) at the end of training, so
# that the deep stages get the late, low-lr updates.
ramp_exit_hook = dict(
    type='PartialBackpropHook',
    schedule=[(0.0, (0.25, 0.25, 0.25, 0.25)), (1.0, (0.05, 0.05, 0.1, 0.8))])
# The ramp with issue 20's FreezeOut-like update window (hypothesis 3): from
# 50 % of training an exit-k step updates only stages k-2..k, from 75 % only
# k-1..k (docs/benchmarks.md 4.3 and 4.8).
window_ramp_exit_hook = dict(
    ramp_exit_hook, window_schedule=[(0, None), (0.5, 3), (0.75, 2)])
