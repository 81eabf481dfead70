from typing import List, Optional, Sequence, Union

import torch
from mmengine.evaluator import BaseMetric
from mmpretrain.evaluation import Accuracy

from mmaccel.registry import METRICS


@METRICS.register_module()
class MultiStageAccuracy(BaseMetric):
    """Top-k accuracy of every stage's classifier, keyed ``<stage>/top<k>``.

    Reads the ``stage_scores`` that :class:`~mmaccel.models.MultiStageClsHead`
    stores in each prediction and computes each stage's accuracy with
    MMPretrain's :meth:`Accuracy.calculate`, giving ``stem/top1``,
    ``stage1/top1``, ... (percent).

    Args:
        topk (int | Sequence[int]): Defaults to 1.
        collect_device (str): Defaults to ``'cpu'``.
        prefix (str, optional): Prepended to the keys. Defaults to None.
    """

    default_prefix = ''  # keys as they are: stem/top1, ...

    def __init__(self,
                 topk: Union[int, Sequence[int]] = (1, ),
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        self.topk = (topk, ) if isinstance(topk, int) else tuple(topk)

    def process(self, data_batch, data_samples: Sequence[dict]) -> None:
        for sample in data_samples:
            if 'stage_scores' not in sample:
                raise KeyError(
                    'MultiStageAccuracy needs the per-stage scores of '
                    'MultiStageClsHead (stage_scores); this prediction has '
                    f'only {sorted(sample)}')
            self.results.append(
                dict(scores={k: v.cpu() for k, v in
                             sample['stage_scores'].items()},
                     gt_label=sample['gt_label'].cpu()))

    def compute_metrics(self, results: List[dict]) -> dict:
        target = torch.cat([r['gt_label'] for r in results])
        metrics = {}
        for name in results[0]['scores']:
            scores = torch.stack([r['scores'][name] for r in results])
            accs = Accuracy.calculate(scores, target, topk=self.topk)
            for k, acc in zip(self.topk, accs):
                metrics[f'{name}/top{k}'] = acc[0].item()
        return metrics
