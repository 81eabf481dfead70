"""Save the untrained backbone of a training run, for paired comparisons.

    python tools/analysis/make_init.py CONFIG --seed S --out INIT.pth

Builds the Runner of ``CONFIG`` with ``randomness.seed=S`` as
``tools/train.py`` does, initialises the model's weights as ``Runner.train()``
does before its first iteration (the same steps, so the same random draws),
and saves the backbone's parameters and buffers as ``backbone.*`` in
``INIT.pth``. Passing ``--cfg-options load_from=INIT.pth`` to another run (an
accelerated model, whose extra heads are built before its backbone, so the
same seed alone gives it other backbone weights) starts its backbone from the
very weights the run of ``CONFIG`` started from: the two runs differ only in
the method. Keys the checkpoint lacks (the accelerated model's heads) keep
their own initialisation; the MoCo key encoder copies the query encoder at
its first step.
"""
import argparse
import os.path as osp
import sys
import tempfile

import torch

sys.path.insert(0, osp.join(osp.dirname(osp.abspath(__file__)), '..'))
from train import build_runner, parse_args  # noqa: E402  (tools/train.py)


def train_args(config: str, work_dir: str,
               cfg_options: dict) -> argparse.Namespace:
    """``tools/train.py``'s arguments for a plain run of ``config``: its
    options at their defaults (whatever options it has), with the work
    directory and ``--cfg-options`` given."""
    saved, sys.argv = sys.argv, ['tools/train.py', config]
    try:
        args = parse_args()
    finally:
        sys.argv = saved
    args.work_dir, args.cfg_options = work_dir, cfg_options
    return args


def untrained_backbone(config: str, seed: int, cfg_options=None) -> dict:
    """``backbone.*`` state of ``config``'s model at the start of training."""
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


def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('config')
    p.add_argument('--seed', type=int, required=True)
    p.add_argument('--out', required=True)
    args = p.parse_args()
    state = untrained_backbone(args.config, args.seed)
    torch.save({'state_dict': state, 'meta': dict(
        config=args.config, seed=args.seed, what='untrained backbone')},
        args.out)
    print(f'{args.out}: {len(state)} backbone tensors of {args.config} '
          f'at seed {args.seed}')


if __name__ == '__main__':
    main()
