# The tiny ResNet-18 of the Fashion-MNIST configs: stem and stage widths
# 16/32/64/128, one input channel, plain BN (SyncBN needs a GPU). The residual
# blocks' last BN starts at zero as in MMPretrain's SimCLR, SwAV and SimSiam;
# the MoCo v2 and BYOL models set zero_init_residual=False as upstream.
model = dict(
    backbone=dict(
        type='ResNet',
        depth=18,
        in_channels=1,
        stem_channels=16,
        base_channels=16,
        norm_cfg=dict(type='BN'),
        zero_init_residual=True))
