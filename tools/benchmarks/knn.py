"""Weighted kNN top-1 of a pre-trained backbone, per stage and per k.

    python tools/benchmarks/knn.py CONFIG CHECKPOINT [--k 20 200]
        [--exits stem 1 2 3 4] [--data-root DIR] [--size S]
        [--precise-bn N] [--bank-size N] [--query-size N] [--linear]

CONFIG is any config with ``model.backbone``: a pre-training config
(accelerated or upstream) or a probe config. Its ResNet is rebuilt to return
the stem's and every stage's feature map (same weights; MMPretrain's
``ResNet``, ``ResNetV1c``/``V1d`` and mmaccel's ``MultiExitResNet`` and its
subclasses). CHECKPOINT is a training checkpoint (``backbone.*``) or an
exported backbone; its keys must match the backbone exactly.

The features are globally averaged maps, classified by the weighted vote of
InstDisc and MMSelfSup (:func:`mmaccel.evaluation.knn_top1`: cosine
similarity, weights ``exp(s / T)``). Labelled bank and queries come from,
in this order:

1. ``--data-root DIR``: ``DIR/train/<class>/*`` (bank) and ``DIR/val``
   (queries), any size and grayscale or RGB, resized to ``--size`` and
   loaded with the backbone's input channels;
2. the config's ``KNNEvalHook`` (its bank and query loaders, as evaluated
   during training);
3. Fashion-MNIST, when the config trains on it: the first ``--bank-size``
   (default 10,000) training images and the 10,000 test images.

``--size`` defaults to the pre-training view size (the config's
``RandomResizedCrop``). ``--precise-bn N`` re-estimates the backbone's
batch-norm statistics on N whole bank images first
(:func:`mmaccel.evaluation.precise_bn`). ``--linear`` adds a linear probe of
each map on the same features (:func:`mmaccel.evaluation.linear_probe_top1`:
standardised features, softmax regression, full-batch L-BFGS). The table is
printed and saved as json in the work directory (default
``work_dirs/<config name>/<checkpoint folder>_<checkpoint name>``).
"""
from mmaccel.apis.knn_benchmark import main

if __name__ == '__main__':
    main()
