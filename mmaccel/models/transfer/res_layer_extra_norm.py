"""The C4 shared head of MMSelfSup's detection benchmark, with freezing."""
from mmcv.cnn import build_norm_layer
from mmdet.models.backbones import ResNet
from mmdet.models.roi_heads.shared_heads import ResLayer
from torch.nn.modules.batchnorm import _BatchNorm

from .registry import DET_MODELS


@DET_MODELS.register_module()
class ResLayerExtraNorm(ResLayer):
    """MMDetection's shared ``ResLayer`` (a ResNet's last stage) followed by
    one more norm layer, as MMSelfSup's VOC07 Faster R-CNN R50-C4 benchmark
    used it (``mmselfsup.models.utils.ResLayerExtraNorm``, MMSelfSup 1.0).

    Two differences from MMDetection's ``ResLayer``:

    - ``norm_eval`` puts every batch-norm layer in eval mode (any
      ``_BatchNorm``: SyncBN, and the ``_BatchNormXd`` that MMEngine turns
      SyncBN into without distribution), not only ``nn.BatchNorm2d``.
    - ``frozen=True`` freezes the stage itself: no gradient for its
      parameters and its batch-norm statistics fixed, for transfer with a
      frozen backbone. The extra norm, which no checkpoint provides, stays
      trainable.

    A pre-trained ResNet's ``layer{stage + 1}.*`` keys load into it
    unchanged; only ``norm.*`` is new. The stage's width follows
    MMDetection's ``ResLayer``: ``64 * 2**stage`` planes (a full-width
    ResNet; base widths other than 64 do not fit).

    Args:
        depth (int): ResNet depth (18, 34, 50, 101, 152).
        frozen (bool): Freeze the stage (parameters and batch-norm
            statistics). Defaults to False.
        **kwargs: Other arguments of MMDetection's ``ResLayer`` (``stage``
            defaults to 3, ``stride`` to 2, ``norm_cfg``, ``norm_eval``,
            ``style``, ``init_cfg``, ...).
    """

    def __init__(self, depth: int, frozen: bool = False, **kwargs):
        if depth not in ResNet.arch_settings:
            raise ValueError(
                f'ResLayerExtraNorm: depth={depth!r} is not a ResNet depth; '
                f'allowed: {sorted(ResNet.arch_settings)}')
        super().__init__(depth, **kwargs)
        self.frozen = frozen
        block = ResNet.arch_settings[depth][0]
        channels = 64 * 2**self.stage * block.expansion
        self.add_module('norm', build_norm_layer(self.norm_cfg, channels)[1])
        if frozen:
            for param in self.stage_layer.parameters():
                param.requires_grad = False

    @property
    def stage_layer(self):
        """The ResNet stage this head runs (``layer{stage + 1}``)."""
        return getattr(self, f'layer{self.stage + 1}')

    def forward(self, x):
        return self.norm(self.stage_layer(x))

    def train(self, mode: bool = True):
        super(ResLayer, self).train(mode)
        if mode and self.frozen:
            self.stage_layer.eval()
        if mode and self.norm_eval:
            for m in self.modules():
                if isinstance(m, _BatchNorm):
                    m.eval()
        return self
