import torch
from mmengine.hooks import Hook

from mmaccel.registry import HOOKS


@HOOKS.register_module()
class ChannelsLastHook(Hook):
    """Puts every 4-D parameter and buffer of the model (convolution kernels,
    the momentum encoder's included) into channels-last memory format before
    training.

    Inputs need no change: a convolution whose kernel is channels-last returns
    a channels-last result, so the format propagates from the first layer. On
    CPU this sends the convolutions to oneDNN's NHWC kernels instead of the
    im2col path; on CUDA, channels-last is what tensor cores want under mixed
    precision.
    Measured on CPU in ``docs/benchmarks.md`` (it helps the accelerated model
    more than the baseline: its cropped maps are the small ones that suffer
    most from the im2col path).

    The conversion is in place: the parameters stay the same objects, so the
    optimizer and the momentum encoder's EMA are unaffected, and checkpoints
    hold the same values. It runs in ``before_train``, after the weights are
    initialised and a checkpoint is loaded: random initialisers fill a tensor
    in memory order, so initialising channels-last kernels would draw other
    (equally distributed) weights than the same seed gives without the hook.
    With it, a seeded run computes the losses of the run without it, to
    rounding. ``before_train`` comes after MMEngine has wrapped the model:
    under ``MMDistributedDataParallel`` the gradient buckets were laid out for
    the contiguous format, so gradients are copied into them rather than
    viewed: correct (a two-process gloo run trains), and PyTorch warns once
    ("Grad strides do not match bucket view strides") that this may cost
    some speed. Use it with
    ``tools/train.py --channels-last`` or in a config's ``custom_hooks``.
    """

    priority = 'VERY_HIGH'

    def before_train(self, runner) -> None:
        runner.model.to(memory_format=torch.channels_last)
