# Evaluation of the GPU race (docs/benchmarks.md section 6), the same for every
# model: before training and after each quarter of the time budget
# (budget_interval), precise BN re-estimates the backbone's batch-norm
# statistics on 4,096 whole training images, then weighted kNN top-1 (k = 200,
# T = 0.07) of the last stage (and of every exit of an accelerated backbone)
# classifies the 10,000 test images against a bank of the first 10,000
# training images. All on the device: the loaders yield raw 28 x 28 images and
# the model's MultiViewDataPreprocessor resizes them to 224 px (test_size).
# Evaluations pause the budget's clock.
_loader = dict(
    batch_size=500,
    num_workers=0,
    sampler=dict(type='DefaultSampler', shuffle=False),
    collate_fn=dict(type='default_collate'))
_bank = dict(
    _loader,
    dataset=dict(type='RawFashionMNIST', data_root='data/fashion-mnist',
                 split='train', indices=10000))
precise_bn_budget = dict(
    type='PreciseBackboneBNHook',
    dataloader=_bank,
    num_images=4096,
    budget_interval=0.25)
knn_eval_budget = dict(
    type='KNNEvalHook',
    train_dataloader=_bank,
    val_dataloader=dict(
        _loader,
        dataset=dict(type='RawFashionMNIST', data_root='data/fashion-mnist',
                     split='test')),
    num_classes=10,
    k=200,
    temperature=0.07,
    eval_at_start=True,
    per_exit=True,
    budget_interval=0.25)
# The "ramp" exit schedule of the quality runs (section 4.2), over the budget.
ramp_exit_hook = dict(
    type='PartialBackpropHook',
    schedule=[(0.0, (0.25, 0.25, 0.25, 0.25)), (1.0, (0.05, 0.05, 0.1, 0.8))])
