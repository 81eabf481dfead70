from typing import List, Optional, Sequence, Tuple

import torch
from mmengine.model import BaseModule
from mmpretrain.structures import DataSample
from torch import nn

from mmaccel.registry import MODELS

DEFAULT_STAGE_NAMES = ('stem', 'stage1', 'stage2', 'stage3', 'stage4')


@MODELS.register_module()
class MultiStageClsHead(BaseModule):
    """One linear classifier per feature map, trained together.

    Linear probes of intermediate features (the paper's Table 8: the stem's
    output and stages 1 to 4 of a frozen ResNet-50), as MMSelfSup's
    multi-head benchmark built them: each map's pooled features go through a
    batch norm without affine parameters (a fixed standardisation, learnt
    statistics only) and a linear layer. The per-stage losses are summed by
    the optimizer wrapper and logged as ``loss_<name>``; each prediction keeps
    every stage's scores in ``stage_scores`` (read by
    :class:`~mmaccel.evaluation.MultiStageAccuracy`) and the last stage's as
    the sample's ``pred_score`` / ``pred_label``.

    Args:
        num_classes (int): Number of classes.
        in_channels (Sequence[int]): Features per map (after pooling and
            flattening), in the order the neck returns them.
        stage_names (Sequence[str], optional): A name per map, used in loss
            and metric keys. Defaults to ``stem, stage1, ...`` for five maps,
            else ``stage1, stage2, ...``.
        with_norm (bool): Batch norm without affine before each linear
            layer. Defaults to True.
        loss (dict): Loss config. Defaults to cross entropy.
        init_cfg (dict): Defaults to ``Normal(std=0.01)`` for the linear
            layers, as MMSelfSup's ``MultiClsHead``.
    """

    def __init__(self,
                 num_classes: int,
                 in_channels: Sequence[int],
                 stage_names: Optional[Sequence[str]] = None,
                 with_norm: bool = True,
                 loss: dict = dict(type='CrossEntropyLoss', loss_weight=1.0),
                 init_cfg: Optional[dict] = dict(
                     type='Normal', std=0.01, bias=0., layer='Linear')):
        super().__init__(init_cfg=init_cfg)
        if not isinstance(num_classes, int) or num_classes < 1:
            raise ValueError('MultiStageClsHead: num_classes must be a '
                             f'positive integer; got {num_classes!r}')
        if isinstance(in_channels, int) or not in_channels:
            raise ValueError('MultiStageClsHead: in_channels must be a '
                             'non-empty sequence (one number per feature '
                             f'map); got {in_channels!r}')
        in_channels = [int(c) for c in in_channels]
        if stage_names is None:
            stage_names = (DEFAULT_STAGE_NAMES if len(in_channels) == 5 else
                           [f'stage{i + 1}' for i in range(len(in_channels))])
        if len(stage_names) != len(in_channels):
            raise ValueError(
                f'MultiStageClsHead: {len(stage_names)} stage_names '
                f'{tuple(stage_names)} for {len(in_channels)} in_channels')
        self.num_classes = num_classes
        self.in_channels = in_channels
        self.stage_names = tuple(stage_names)
        self.classifiers = nn.ModuleList(
            nn.Sequential(
                nn.BatchNorm1d(c, affine=False) if with_norm else
                nn.Identity(), nn.Linear(c, num_classes))
            for c in in_channels)
        self.loss_module = MODELS.build(loss)

    def forward(self, feats: Tuple[torch.Tensor, ...]) -> List[torch.Tensor]:
        """Class scores ``(N, num_classes)`` of each map's features."""
        if len(feats) != len(self.classifiers):
            raise ValueError(
                f'MultiStageClsHead: got {len(feats)} feature maps for '
                f'{len(self.classifiers)} classifiers {self.stage_names}')
        return [fc(x.flatten(1)) for fc, x in zip(self.classifiers, feats)]

    def loss(self, feats: Tuple[torch.Tensor, ...],
             data_samples: List[DataSample]) -> dict:
        target = torch.cat([s.gt_label for s in data_samples])
        return {
            f'loss_{name}': self.loss_module(
                score, target, avg_factor=score.size(0))
            for name, score in zip(self.stage_names, self(feats))
        }

    def predict(self,
                feats: Tuple[torch.Tensor, ...],
                data_samples: Optional[List[DataSample]] = None
                ) -> List[DataSample]:
        probs = [s.softmax(dim=1).detach() for s in self(feats)]
        if data_samples is None:
            data_samples = [DataSample() for _ in range(probs[0].size(0))]
        for i, sample in enumerate(data_samples):
            sample.set_field(
                {n: p[i] for n, p in zip(self.stage_names, probs)},
                'stage_scores', field_type='metainfo')
            sample.set_pred_score(probs[-1][i]).set_pred_label(
                probs[-1][i].argmax())
        return data_samples
