"""ResLayerExtraNorm at other base widths: the C4 head of a half-width
ResNet-18 (the quality regime's checkpoints) takes that ResNet's layer4."""
import pytest
import torch
from mmpretrain.models import ResNet

from mmaccel.models.transfer.res_layer_extra_norm import ResLayerExtraNorm


@pytest.mark.parametrize('width', [32, 64])
def test_width_follows_base_channels(width):
    head = ResLayerExtraNorm(18, base_channels=width, stage=3)
    resnet = ResNet(18, base_channels=width, stem_channels=width)
    ours = {k: v.shape for k, v in head.layer4.state_dict().items()}
    theirs = {k[len('layer4.'):]: v.shape
              for k, v in resnet.state_dict().items()
              if k.startswith('layer4.')}
    assert ours == theirs
    x = torch.zeros(2, 4 * width, 4, 4)  # stage 3's output
    assert head(x).shape == (2, 8 * width, 2, 2)
    with pytest.raises(ValueError, match='base_channels must be a positive'):
        ResLayerExtraNorm(18, base_channels=0)
