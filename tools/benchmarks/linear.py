"""Linear probes of a frozen pre-trained backbone: final features, every stage.

    python tools/benchmarks/linear.py CONFIG CHECKPOINT [--data-root DIR]
        [--work-dir DIR] [--cfg-options ...] [--launcher pytorch]

CONFIG is a probe config of ``configs/benchmarks/classification/``: the final
features (``LinearClsHead``, metric ``accuracy/top1``) or every stage
(``MultiStageClsHead``, metrics ``stem/top1``, ``stage1/top1``, ...).
CHECKPOINT is a pre-training checkpoint (mmaccel's or MMPretrain's, with its
``backbone.*`` keys) or a backbone exported by
``tools/model_converters/extract_backbone.py``; the tool picks the ``prefix``
of MMEngine's ``Pretrained`` init from the keys, and stops with one line if
the weights do not fit the configured backbone (missing or unexpected keys,
other shapes). The channels of the head (and of a ``ClsBatchNormNeck``)
follow the backbone, so ``--cfg-options model.backbone.base_channels=64`` is
enough to change widths.

``--data-root DIR`` trains and validates on an image folder instead
(``DIR/train/<class>/*`` and ``DIR/val/<class>/*``, grayscale or RGB, any
size): the config's pipelines resize the images, they are loaded with the
backbone's input channels, and the head gets one output per class.

Training is MMEngine's Runner, as ``tools/train.py`` (whose option handling
and CPU distributed setup it reuses from ``mmaccel.apis``); the validation
top-1 is logged after each validation epoch and written to the work
directory. The work directory
defaults to ``work_dirs/<config name>/<checkpoint folder>_<checkpoint name>``.
"""
from mmaccel.apis.linear_benchmark import main

if __name__ == '__main__':
    main()
