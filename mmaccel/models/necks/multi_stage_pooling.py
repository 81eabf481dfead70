from typing import Sequence, Tuple, Union

import torch
from mmengine.model import BaseModule
from torch import nn

from mmaccel.registry import MODELS


@MODELS.register_module()
class MultiStagePooling(BaseModule):
    """Average-pools each feature map of a backbone, for per-stage probes.

    The pooling of MMSelfSup's multi-head linear benchmark (its
    ``MultiPooling`` with ``pool_type='adaptive'``), for any number of maps:
    each map is averaged to ``output_sizes[i] x output_sizes[i]`` positions
    and flattened. Global pooling (size 1) gives ``C_i`` features per map;
    MMSelfSup pooled a ResNet-50's stem and stages 1-4 to 12, 6, 4, 3 and 2
    (9216, 9216, 8192, 9216 and 8192 features).

    Args:
        output_sizes (int | Sequence[int]): Output side of each map's
            pooling; one int for all maps. Defaults to 1 (global pooling).
    """

    def __init__(self, output_sizes: Union[int, Sequence[int]] = 1) -> None:
        super().__init__()
        sizes = ((output_sizes, ) if isinstance(output_sizes, int) else
                 tuple(output_sizes))
        if not sizes or any(not isinstance(s, int) or s < 1 for s in sizes):
            raise ValueError('MultiStagePooling: output_sizes must be a '
                             'positive int or a non-empty sequence of them; '
                             f'got {output_sizes!r}')
        self.output_sizes = sizes

    def forward(self, inputs: Sequence[torch.Tensor]
                ) -> Tuple[torch.Tensor, ...]:
        """``(N, C_i, H_i, W_i)`` maps -> ``(N, C_i * s_i * s_i)``."""
        if not isinstance(inputs, (tuple, list)):
            inputs = (inputs, )
        sizes = self.output_sizes
        if len(sizes) == 1:
            sizes = sizes * len(inputs)
        if len(sizes) != len(inputs):
            raise ValueError(
                f'MultiStagePooling: {len(sizes)} output_sizes for '
                f'{len(inputs)} feature maps')
        return tuple(
            nn.functional.adaptive_avg_pool2d(x, s).flatten(1)
            for x, s in zip(inputs, sizes))
