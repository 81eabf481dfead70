# kNN evaluation during pre-training on Fashion-MNIST: a bank of the first
# 10,000 training images, queried by the 10,000 test images, 32 px, k = 200,
# temperature 0.07 (InstDisc / MMSelfSup protocol). Inherited by the configs
# beside this file; they put `knn_eval_hook` into their custom_hooks.
_knn_pipeline = [
    dict(type='Resize', scale=32, backend='pillow'),
    dict(type='PackInputs'),
]
_knn_loader = dict(
    batch_size=500,
    num_workers=0,
    sampler=dict(type='DefaultSampler', shuffle=False),
    collate_fn=dict(type='default_collate'))
knn_eval_hook = dict(
    type='KNNEvalHook',
    train_dataloader=dict(
        _knn_loader,
        dataset=dict(
            type='LocalFashionMNIST',
            data_root='data/fashion-mnist',
            split='train',
            indices=10000,
            pipeline=_knn_pipeline)),
    val_dataloader=dict(
        _knn_loader,
        dataset=dict(
            type='LocalFashionMNIST',
            data_root='data/fashion-mnist',
            split='test',
            pipeline=_knn_pipeline)),
    num_classes=10,
    interval=1,
    k=200,
    temperature=0.07,
    eval_at_start=True)
