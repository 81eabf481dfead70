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
