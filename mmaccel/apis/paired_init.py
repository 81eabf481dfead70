"""The untrained backbone of a training run, for paired comparisons
(``tools/analysis/make_init.py``)."""
import argparse
import tempfile
from typing import Optional

from .train import build_runner, parse_train_args


def train_args(config: str, work_dir: str,
               cfg_options: dict) -> argparse.Namespace:
    """``tools/train.py``'s options for a plain run of ``config``.

    Args:
        config (str): The config file.
        work_dir (str): The work directory.
        cfg_options (dict): ``--cfg-options`` of the run.

    Returns:
        argparse.Namespace: Every option at its default (whatever options
        ``tools/train.py`` has), with the work directory and
        ``--cfg-options`` given.
    """
    args = parse_train_args([config])
    args.work_dir, args.cfg_options = work_dir, cfg_options
    return args


def untrained_backbone(config: str,
                       seed: int,
                       cfg_options: Optional[dict] = None) -> dict:
    """The backbone of ``config``'s model at the start of training.

    Builds the Runner as ``tools/train.py`` does with
    ``randomness.seed=seed`` and initialises the model's weights as
    ``Runner.train()`` does before its first iteration (the same steps, so
    the same random draws).

    Args:
        config (str): The config file.
        seed (int): The run's seed.
        cfg_options (dict, optional): More ``--cfg-options``.

    Returns:
        dict: ``backbone.*`` parameters and buffers.
    """
    with tempfile.TemporaryDirectory() as work_dir:
        runner = build_runner(train_args(
            config, work_dir,
            dict(cfg_options or {}, **{'randomness.seed': seed})))
        # what Runner.train() does before it loads weights and trains
        runner._train_loop = runner.build_train_loop(runner._train_loop)
        runner.optim_wrapper = runner.build_optim_wrapper(runner.optim_wrapper)
        runner.scale_lr(runner.optim_wrapper, runner.auto_scale_lr)
        if runner.param_schedulers is not None:
            runner.param_schedulers = runner.build_param_scheduler(
                runner.param_schedulers)
        if runner._val_loop is not None:
            runner._val_loop = runner.build_val_loop(runner._val_loop)
        runner.call_hook('before_run')
        runner._init_model_weights()
        model = runner.model
        model = getattr(model, 'module', model)
        return {f'backbone.{k}': v.detach().clone()
                for k, v in model.backbone.state_dict().items()}


# Hooks evaluated at shares of a time budget (``budget_interval``).
BUDGET_EVAL_HOOKS = ('PreciseBackboneBNHook', 'KNNEvalHook')


def budget_run_line(method: str,
                    setting: str,
                    seed: int,
                    config: str,
                    budget: Optional[str],
                    init: str,
                    evals: int = 4,
                    exit_seed: bool = False) -> str:
    """One line of a ``tools/analysis/run_quality.sh`` list: ``config``
    trained from the backbone in ``init`` (``make_init.py``) to ``budget``,
    with its precise-BN and kNN hooks run at every ``1/evals`` of the budget
    (found in the config: their positions in ``custom_hooks`` differ between
    a baseline and its accelerated twin), or, without a budget, for the
    config's epochs with the hooks' own intervals.

    Args:
        method (str): The method's name in ``quality.json`` (``mocov2``).
        setting (str): The setting's name in ``quality.json``.
        seed (int): The run's seed.
        config (str): The config file.
        budget (str, optional): ``--time-budget`` (``20m``); None trains
            for the config's epochs.
        init (str): The untrained backbone's checkpoint.
        evals (int): Evaluations in the budget. Defaults to 4.
        exit_seed (bool): Seed the exit draws of the config's
            ``PartialBackpropHook`` with ``seed`` too (by default the hook's
            own seed, 0, draws the same sequence at every seed). Defaults
            to False.

    Returns:
        str: ``METHOD SETTING SEED CONFIG [--time-budget B] --cfg-options
        ...``
    """
    from mmengine.config import Config

    from .demo_settings import hooks_of
    cfg = Config.fromfile(config)
    if not hooks_of(cfg, 'KNNEvalHook'):
        raise ValueError(f'{config}: no KNNEvalHook in custom_hooks; a '
                         'pair compares kNN along training')
    opts = [f'+model.backbone.init_cfg.{k}={v}' for k, v in (
        ('type', 'Pretrained'), ('checkpoint', init), ('prefix', 'backbone.'))]
    if budget:
        paths = [path for name in BUDGET_EVAL_HOOKS
                 for path, _ in hooks_of(cfg, name)]
        opts += [f'+{path}.budget_interval={1 / evals:g}'
                 for path in sorted(paths)]
    if exit_seed:
        opts += [f'{path}.seed={seed}'
                 for path, _ in hooks_of(cfg, 'PartialBackpropHook')]
    run = f'--time-budget {budget} ' if budget else ''
    return (f'{method} {setting} {seed} {config} {run}'
            f'--cfg-options {" ".join(opts)}')
