"""The selector interface: any BaseSelector with select() works in every
algorithm's step, the pair runner calling nothing else; new algorithm files
stay short."""
import pytest
import torch
from helpers import views

from mmaccel.models.selectors import BaseSelector
from mmaccel.registry import MODELS

BACKBONE = dict(type='MultiExitResNet', depth=18, base_channels=4,
                stem_channels=4, norm_cfg=dict(type='BN'))


class LeftHalf(BaseSelector):
    """Keeps the left half of both views' maps, scoring nothing; records
    what it was given."""

    def __init__(self, positions=(1, )):
        super().__init__(positions)
        self.seen = []

    def select(self, stage, x_q, x_k, score_fn, key_order):
        self.seen.append((stage, tuple(x_q.shape), tuple(x_k.shape)))
        w = x_q.shape[-1] // 2
        return x_q[..., :w], x_k[..., :w]


CFGS = {
    'AccelMoCo': dict(
        neck=dict(type='IntermediateContrastiveNeck',
                  in_channels=[4, 8, 16, 32],
                  head=dict(type='MoCoV2Neck', hid_channels=8,
                            out_channels=4)),
        head=dict(type='ContrastiveHead', loss=dict(type='CrossEntropyLoss'),
                  temperature=0.2), queue_len=16, feat_dim=4),
    'AccelSimSiam': dict(
        neck=dict(type='IntermediateContrastiveNeck',
                  in_channels=[4, 8, 16, 32],
                  head=dict(type='NonLinearNeck', hid_channels=8,
                            out_channels=4, with_avg_pool=True,
                            norm_cfg=dict(type='BN1d'))),
        head=dict(type='MultiExitLatentPredictHead',
                  loss=dict(type='CosineSimilarityLoss'),
                  predictor=dict(type='NonLinearNeck', in_channels=4,
                                 hid_channels=8, out_channels=4,
                                 with_avg_pool=False,
                                 norm_cfg=dict(type='BN1d')))),
}


@pytest.mark.parametrize('algorithm', sorted(CFGS))
def test_a_new_selector_needs_only_select(algorithm):
    model = MODELS.build(dict(type=algorithm, backbone=BACKBONE,
                              selector=LeftHalf(), **CFGS[algorithm]))
    model.train()
    into2 = []
    model.backbone.layer2.register_forward_pre_hook(
        lambda m, i: into2.append(tuple(i[0].shape)))
    model.set_active_exit(2)
    loss = model.loss(views(n=4, size=64), None)['loss_exit2']
    assert torch.isfinite(loss)
    # stage 1 maps are 16 x 16; the selector saw both views once, and
    # stage 2 ran on its halves (both views: two passes, or MoCo's query)
    assert model.selector.seen == [(1, (4, 4, 16, 16), (4, 4, 16, 16))]
    assert set(into2) == {(4, 4, 16, 8)}
    model.set_active_exit(1)  # the exit itself: no selection
    model.loss(views(n=4, size=64), None)
    assert len(model.selector.seen) == 1


@pytest.mark.parametrize('name', ['accel_byol.py', 'accel_simsiam.py'])
def test_new_algorithms_are_one_short_file(name, repo_root):
    path = repo_root / 'mmaccel/models/selfsup' / name
    assert len(path.read_text().splitlines()) < 80
