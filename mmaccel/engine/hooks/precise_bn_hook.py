import time
from contextlib import contextmanager
from typing import Dict, Iterator, Optional

import torch
from mmengine.hooks import Hook
from mmpretrain.utils import get_ori_model
from torch.nn.modules.batchnorm import _BatchNorm

from mmaccel.engine.runner.time_budget import paused_training_clock
from mmaccel.evaluation import precise_bn
from mmaccel.registry import HOOKS
from .budget_shares import BudgetShares


@HOOKS.register_module()
class PreciseBackboneBNHook(Hook):
    """Re-estimates the backbone's batch-norm statistics on whole images.

    After every ``interval`` epochs (and the last one), before evaluation
    hooks and the checkpoint, the running statistics of every batch norm of
    ``model.backbone`` (the network that kNN, linear probes, export and
    transfer use) are replaced by their exact average over ``num_images``
    whole training images (:func:`mmaccel.evaluation.precise_bn`): the
    accelerated model's own statistics come from cropped maps and, for the
    last stage, from the steps that reached it. Weights do not change, and
    training is not affected (training uses batch statistics).

    MMPretrain's ``PreciseBNHook`` does not fit: it feeds the training
    loader's two-view batches through the whole self-supervised model, whose
    ``forward(mode='tensor')`` takes one view, and it keeps the crops of the
    augmentation. The statistics from before the re-estimation are kept in
    :attr:`raw_stats`; :meth:`raw_statistics` puts them back for the length
    of a ``with`` block, so that :class:`KNNEvalHook` can also report the
    accuracy without the re-estimation. The cost is logged as
    ``precise_bn_s``; it counts as training time in the kNN hook's
    ``train_wall_s`` (which subtracts only its own time), but not under a
    time budget, whose clock it pauses.

    Args:
        dataloader (dict): Dataloader config of whole training images (e.g.
            resized only, as the kNN bank).
        num_images (int): Images per re-estimation (on each rank).
            Defaults to 4096.
        interval (int): Every ``interval`` epochs. Defaults to 1.
        budget_interval (float, optional): Under a time budget, at every
            multiple of this share of the budget instead (0.25: after 25,
            50 and 75 %, and at the end), as :class:`KNNEvalHook` with the
            same value, whose evaluations it then precedes. Defaults to None.
    """

    priority = 'ABOVE_NORMAL'  # before KNNEvalHook and CheckpointHook

    def __init__(self,
                 dataloader: dict,
                 num_images: int = 4096,
                 interval: int = 1,
                 budget_interval: Optional[float] = None) -> None:
        for name, value in (('num_images', num_images),
                            ('interval', interval)):
            if not isinstance(value, int) or value < 1:
                raise ValueError(f'PreciseBackboneBNHook: {name} must be a '
                                 f'positive integer; got {value!r}')
        if not isinstance(dataloader, dict):
            raise TypeError('PreciseBackboneBNHook: dataloader must be a '
                            f'dataloader config (dict); got {dataloader!r}')
        self.dataloader_cfg = dataloader
        self.num_images = num_images
        self.interval = interval
        self.shares = BudgetShares(budget_interval, 'PreciseBackboneBNHook')
        self.loader = None
        self.raw_stats: Optional[Dict[str, torch.Tensor]] = None
        self.raw_epoch = None

    @staticmethod
    def bn_buffers(backbone) -> Dict[str, torch.Tensor]:
        """The running statistics of every batch norm, by name."""
        return {
            f'{name}.{buf}': getattr(m, buf)
            for name, m in backbone.named_modules()
            if isinstance(m, _BatchNorm)
            for buf in ('running_mean', 'running_var')
        }

    def has_raw_statistics(self, epoch: float) -> bool:
        """Whether the statistics were re-estimated for the evaluation
        labelled ``epoch`` (those from before it are kept)."""
        return self.raw_epoch == epoch and self.raw_stats is not None

    @contextmanager
    def raw_statistics(self, runner) -> Iterator[None]:
        """Within the block, the backbone has the batch-norm statistics from
        before the last re-estimation; the re-estimated ones are back after
        it, whatever happens inside.

        Args:
            runner (Runner): The runner whose model's backbone it is.
        """
        if self.raw_stats is None:
            raise RuntimeError('PreciseBackboneBNHook: no re-estimation has '
                               'run yet, so there are no raw statistics')
        buffers = self.bn_buffers(get_ori_model(runner.model).backbone)
        precise = {k: v.clone() for k, v in buffers.items()}
        try:
            for k, v in buffers.items():
                v.copy_(self.raw_stats[k])
            yield
        finally:
            for k, v in buffers.items():
                v.copy_(precise[k])

    def before_train(self, runner) -> None:
        self.shares.start(runner)

    def after_train_iter(self, runner, batch_idx: int, data_batch=None,
                         outputs=None) -> None:
        if self.shares.due_after_iter(runner):
            self.reestimate(runner, self.shares.epochs_done(runner))

    def after_train_epoch(self, runner) -> None:
        if self.shares.active(runner):  # at shares of a budget, and its end
            if self.is_last_train_epoch(runner):
                self.reestimate(runner, self.shares.epochs_done(runner))
        elif (self.every_n_epochs(runner, self.interval)
              or self.is_last_train_epoch(runner)):
            self.reestimate(runner, runner.epoch + 1)

    def reestimate(self, runner, epoch: float) -> None:
        """Re-estimate the statistics now; ``epoch`` labels the evaluation
        that follows (:class:`KNNEvalHook` matches it)."""
        if self.loader is None:
            self.loader = runner.build_dataloader(
                self.dataloader_cfg, seed=runner.seed)
        model = get_ori_model(runner.model)
        self.raw_stats = {
            k: v.clone()
            for k, v in self.bn_buffers(model.backbone).items()
        }
        self.raw_epoch = epoch
        tic = time.perf_counter()
        batches = (model.data_preprocessor(data, training=False)['inputs']
                   for data in self.loader)
        with paused_training_clock(runner):  # not counted by a time budget
            seen = precise_bn(model.backbone, batches, self.num_images)
        seconds = time.perf_counter() - tic
        runner.visualizer.add_scalars(dict(precise_bn_s=seconds),
                                      step=runner.iter)
        runner.logger.info(
            f'precise BN: backbone statistics re-estimated on {seen} whole '
            f'images in {seconds:.1f} s')
