"""The C4 shared head of MMSelfSup's detection benchmark, with freezing."""
from mmcv.cnn import build_norm_layer
from mmdet.models.backbones import ResNet
from mmdet.models.layers import ResLayer as _ResLayer
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
    unchanged; only ``norm.*`` is new. The stage has
    ``base_channels * 2**stage`` planes; MMDetection's ``ResLayer`` fixes
    ``base_channels`` at 64, which narrower backbones (the half-width
    ResNet-18 of the quality runs) cannot feed.

    Args:
        depth (int): ResNet depth (18, 34, 50, 101, 152).
        frozen (bool): Freeze the stage (parameters and batch-norm
            statistics). Defaults to False.
        base_channels (int): Width of the backbone's first stage, as
            ``ResNet(base_channels=...)``. Defaults to 64.
        **kwargs: Other arguments of MMDetection's ``ResLayer`` (``stage``
            defaults to 3, ``stride`` to 2, ``norm_cfg``, ``norm_eval``,
            ``style``, ``init_cfg``, ...).
    """

    def __init__(self,
                 depth: int,
                 frozen: bool = False,
                 base_channels: int = 64,
                 **kwargs):
        if depth not in ResNet.arch_settings:
            raise ValueError(
                f'ResLayerExtraNorm: depth={depth!r} is not a ResNet depth; '
                f'allowed: {sorted(ResNet.arch_settings)}')
        if not isinstance(base_channels, int) or base_channels < 1:
            raise ValueError('ResLayerExtraNorm: base_channels must be a '
                             f'positive integer; got {base_channels!r}')
        super().__init__(depth, **kwargs)
        self.frozen = frozen
        block, stage_blocks = ResNet.arch_settings[depth]
        if base_channels != 64:  # rebuild the stage at this width
            self.add_module(
                f'layer{self.stage + 1}',
                _ResLayer(
                    block,
                    base_channels * 2**(self.stage - 1) * block.expansion,
                    base_channels * 2**self.stage,
                    stage_blocks[self.stage],
                    stride=kwargs.get('stride', 2),
                    dilation=kwargs.get('dilation', 1),
                    style=kwargs.get('style', 'pytorch'),
                    with_cp=kwargs.get('with_cp', False),
                    norm_cfg=self.norm_cfg,
                    dcn=kwargs.get('dcn', None)))
        channels = base_channels * 2**self.stage * block.expansion
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
