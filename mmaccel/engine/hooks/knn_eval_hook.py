import time
from typing import Optional, Tuple

from mmengine.hooks import Hook
from mmpretrain.utils import get_ori_model

from mmaccel.engine.runner.time_budget import (paused_training_clock,
                                               training_seconds)
from mmaccel.evaluation import (extract_features, gather_features, knn_top1,
                                linear_probe_top1)
from mmaccel.registry import HOOKS
from mmaccel.utils.progress import progress
from .budget_shares import BudgetShares
from .precise_bn_hook import PreciseBackboneBNHook


@HOOKS.register_module()
class KNNEvalHook(Hook):
    """kNN top-1 of the backbone's last feature map, every few epochs.

    Self-supervised training has no validation loop of its own; this hook
    gives the accuracy-over-training curves (the paper's Figure 3). Every
    ``interval`` epochs it extracts globally pooled features of the last
    stage, in eval mode, for a labelled bank (``train_dataloader``, e.g. 10k
    training images) and a query set (``val_dataloader``, e.g. the test
    split), and classifies the queries by a weighted kNN vote
    (:func:`mmaccel.evaluation.knn_top1`).

    It writes ``knn_top1`` (percent), ``knn_epoch``, ``train_wall_s`` and
    ``train_cpu_s`` to the visualizer (``vis_data/scalars.json``).
    ``train_wall_s`` is the wall-clock time of training since ``before_train``,
    less the time spent in this hook's evaluations, so that runs compare at
    equal training time; ``train_cpu_s`` is the same for the CPU time of the
    training process (all its threads, not the dataloader workers), which
    other programs sharing the machine disturb less than wall-clock time.
    Under a time budget (``--time-budget``) ``train_wall_s`` is the budget's
    clock, which leaves out every evaluation (this hook's, precise BN's,
    validation), and this hook's evaluations pause it.

    Args:
        train_dataloader (dict): Dataloader config of the labelled bank.
        val_dataloader (dict): Dataloader config of the queries.
        num_classes (int): Number of classes.
        interval (int): Evaluate every ``interval`` epochs (and after the
            last one). Defaults to 1.
        k (int): Neighbours. Defaults to 200.
        temperature (float): Vote temperature. Defaults to 0.07.
        eval_at_start (bool): Also evaluate before the first epoch (the
            random initialisation). Defaults to False.
        per_exit (bool): Also report ``knn_top1_exit{k}`` for every exit of
            a multi-exit backbone (``knn_top1_stem`` for its stem, if it
            returns it); other backbones report the last map only.
            Defaults to False.
        linear_probe (bool): Also report ``linear_top1``, a linear
            classifier fitted on the bank's features of the last map
            (:func:`mmaccel.evaluation.linear_probe_top1`). Defaults to False.
        budget_interval (float, optional): Under a time budget, evaluate at
            every multiple of this share of the budget instead of every
            ``interval`` epochs (0.25: after 25, 50 and 75 % of the budget,
            and at its end), so that runs of different speeds trained to one
            budget are evaluated at the same training times. ``knn_epoch``
            is then the fractional number of epochs done. Without a time
            budget it has no effect. Defaults to None.

    In a distributed run every rank extracts the features of its share of
    the bank and the queries (MMEngine's ``DefaultSampler``, ``shuffle=False``)
    and all ranks evaluate the gathered sets, so the numbers are those of one
    process.

    When a :class:`PreciseBackboneBNHook` re-estimated the batch-norm
    statistics in the same epoch (it runs first), the accuracy with the
    statistics from training is also reported, as ``knn_top1_raw``.
    """

    priority = 'LOW'

    def __init__(self,
                 train_dataloader: dict,
                 val_dataloader: dict,
                 num_classes: int,
                 interval: int = 1,
                 k: int = 200,
                 temperature: float = 0.07,
                 eval_at_start: bool = False,
                 per_exit: bool = False,
                 linear_probe: bool = False,
                 budget_interval: Optional[float] = None) -> None:
        for name, value in (('interval', interval), ('k', k),
                            ('num_classes', num_classes)):
            if not isinstance(value, int) or value < 1:
                raise ValueError(f'KNNEvalHook: {name} must be a positive '
                                 f'integer; got {value!r}')
        if not temperature > 0:
            raise ValueError('KNNEvalHook: temperature must be > 0; got '
                             f'{temperature!r}')
        self.dataloader_cfgs = (train_dataloader, val_dataloader)
        self.num_classes = num_classes
        self.interval = interval
        self.k = k
        self.temperature = temperature
        self.eval_at_start = eval_at_start
        self.per_exit = per_exit
        self.linear_probe = linear_probe
        self.shares = BudgetShares(budget_interval, 'KNNEvalHook')
        self.loaders = None
        self.start: Optional[Tuple[float, float]] = None
        self.eval_seconds = (0.0, 0.0)

    def evaluate(self, runner) -> dict:
        """kNN top-1 (percent) of the model as it is now: ``knn_top1`` of
        the last map, and ``knn_top1_exit{k}`` per exit if asked."""
        if self.loaders is None:
            self.loaders = [runner.build_dataloader(cfg, seed=runner.seed)
                            for cfg in self.dataloader_cfgs]
        model = get_ori_model(runner.model)
        was_training = model.training
        model.eval()
        try:
            # in a distributed run each rank extracts its share, and all
            # ranks get the whole sets
            (bank, bank_labels), (query, query_labels) = [
                gather_features(*extract_features(model, progress(loader)),
                                len(loader.dataset))
                for loader in self.loaders]
        finally:
            model.train(was_training)
        # name the maps: the stem's first if the backbone returns it
        names = [f'exit{k}' for k in getattr(model.backbone, 'exits', ())]
        names = ['stem'] * (len(bank) - len(names)) + names
        pairs = list(zip(names, bank, query))
        if not (self.per_exit and hasattr(model.backbone, 'exits')):
            pairs = pairs[-1:]
        results = {}
        for name, b, q in pairs:
            results[f'knn_top1_{name}'] = knn_top1(
                b, bank_labels.to(b.device), q, query_labels.to(q.device),
                self.num_classes, k=self.k, temperature=self.temperature)
        results['knn_top1'] = results[f'knn_top1_{pairs[-1][0]}']
        if len(pairs) == 1:
            del results[f'knn_top1_{pairs[-1][0]}']
        if self.linear_probe:
            results['linear_top1'] = linear_probe_top1(
                bank[-1], bank_labels, query[-1], query_labels,
                self.num_classes)
        return results

    def _evaluate_raw(self, runner, epoch: int) -> dict:
        """kNN with the batch-norm statistics from before a precise-BN
        re-estimation of this epoch, if there was one."""
        for hook in runner.hooks:
            if isinstance(hook, PreciseBackboneBNHook) \
                    and hook.has_raw_statistics(epoch):
                with hook.raw_statistics(runner):
                    return {f'{k}_raw': v
                            for k, v in self.evaluate(runner).items()}
        return {}

    @staticmethod
    def _clocks() -> Tuple[float, float]:
        return time.perf_counter(), time.process_time()

    def _log(self, runner, epoch: int) -> None:
        tic = self._clocks()
        wall, cpu = (t - s - e
                     for t, s, e in zip(tic, self.start, self.eval_seconds))
        budget_wall = training_seconds(runner)  # under a time budget
        if budget_wall is not None:
            wall = budget_wall
        with paused_training_clock(runner):
            results = self.evaluate(runner)
            results.update(self._evaluate_raw(runner, epoch))
        self.eval_seconds = tuple(
            e + t - s for e, t, s in zip(self.eval_seconds, self._clocks(),
                                         tic))
        runner.visualizer.add_scalars(
            dict(results, knn_epoch=epoch, train_wall_s=wall,
                 train_cpu_s=cpu),
            step=runner.iter)
        extra = ', '.join(f'{k} {v:.2f}' for k, v in results.items()
                          if k != 'knn_top1')
        runner.logger.info(
            f'kNN top-1 after epoch {epoch}: {results["knn_top1"]:.2f} '
            f'(k={self.k}; {wall:.1f} s of training, {cpu:.1f} s CPU'
            + (f'; {extra})' if extra else ')'))

    def before_train(self, runner) -> None:
        self.start = self._clocks()
        self.eval_seconds = (0.0, 0.0)
        self.shares.start(runner)
        if self.eval_at_start and runner.epoch == 0:
            self._log(runner, 0)

    def after_train_iter(self, runner, batch_idx: int, data_batch=None,
                         outputs=None) -> None:
        if self.shares.due_after_iter(runner):
            self._log(runner, self.shares.epochs_done(runner))

    def after_train_epoch(self, runner) -> None:
        if self.shares.active(runner):  # at shares of a budget, and its end
            if self.is_last_train_epoch(runner):
                self._log(runner, self.shares.epochs_done(runner))
        elif (self.every_n_epochs(runner, self.interval)
              or self.is_last_train_epoch(runner)):
            self._log(runner, runner.epoch + 1)
