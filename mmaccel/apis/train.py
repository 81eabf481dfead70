"""Build a training Runner from a config and ``tools/train.py``'s options.

What ``tools/train.py`` does, importable: its options
(:func:`train_arg_parser`), the config they give (:func:`build_train_config`:
options merged, run length checked, registry scopes set, SyncBN as BN on CPU,
mmaccel's reliable runtime with its loop and hook swaps, time budget and
preflight check, CPU distributed setup) and the Runner
(:func:`build_runner`). :func:`train_main` is the whole command: a bad input
ends it with a one-line ``error: ...`` on stderr and exit status 1
(``--debug`` or ``MMACCEL_DEBUG=1`` shows the traceback).
"""
import argparse
import os
import os.path as osp
from typing import Optional, Sequence

import torch
from mmengine.config import Config, DictAction
from mmengine.runner import Runner

from mmaccel.engine import amp_optim_wrapper, apply_time_budget
from mmaccel.registry import RUNNERS
from mmaccel.utils import (add_debug_argument, check_run_length,
                           finish_distributed, merge_cfg_options,
                           report_errors, rescope_config, use_reliable_runtime)
from mmaccel.utils.config_tree import dicts
from mmaccel.utils.tiers import full_tier_hint


def train_arg_parser() -> argparse.ArgumentParser:
    """The command line of ``tools/train.py``.

    Returns:
        argparse.ArgumentParser: ``config`` and the training options.
    """
    parser = argparse.ArgumentParser(description='Train a model')
    parser.add_argument('config', help='train config file path')
    parser.add_argument(
        '--work-dir',
        help='where logs and checkpoints go '
        '(default: work_dirs/<config name>)')
    parser.add_argument(
        '--resume',
        nargs='?',
        type=str,
        const='auto',
        help='resume from this checkpoint; without a path, from the latest '
        'checkpoint in the work directory')
    parser.add_argument(
        '--amp',
        action='store_true',
        help='automatic mixed precision training (float16 with '
        'AmpOptimWrapper on a GPU, bfloat16 autocast on CPU)')
    parser.add_argument(
        '--amp-dtype',
        choices=['float16', 'bfloat16'],
        default='float16',
        help='autocast type of --amp on a GPU (on CPU always bfloat16)')
    parser.add_argument(
        '--channels-last',
        action='store_true',
        help='convolution kernels in channels-last memory format '
        '(adds ChannelsLastHook)')
    parser.add_argument(
        '--time-budget',
        metavar='DURATION',
        help='train for this much training time instead of max_epochs / '
        'max_iters (90s, 45m, 8h, 1h30m; evaluation not counted); the '
        "config's schedules are stretched or shrunk to the budget")
    parser.add_argument(
        '--no-validate',
        action='store_true',
        help='do not evaluate during training')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override config settings, key=value pairs such as '
        'train_cfg.max_epochs=1 or key="[a,b]"; no white space. A key must '
        'name a setting of the config or an argument of the component it '
        'configures; +key=value adds a new key on purpose')
    add_launcher_arguments(parser)
    add_debug_argument(parser)
    return parser


def add_launcher_arguments(parser: argparse.ArgumentParser) -> None:
    """``--launcher`` and ``--local_rank``, as MMPretrain's tools take
    them (``tools/dist_train.sh`` passes ``--launcher pytorch``)."""
    parser.add_argument(
        '--launcher',
        choices=['none', 'pytorch', 'slurm', 'mpi'],
        default='none',
        help='job launcher (tools/dist_train.sh passes pytorch)')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)


def parse_train_args(
        argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    """Parse ``tools/train.py``'s command line and set ``LOCAL_RANK``.

    Args:
        argv (Sequence[str], optional): The arguments; ``sys.argv[1:]``
            when None. ``[config]`` gives every option at its default.

    Returns:
        argparse.Namespace: The parsed options.
    """
    args = train_arg_parser().parse_args(argv)
    os.environ.setdefault('LOCAL_RANK', str(args.local_rank))
    return args


def merge_train_args(cfg: Config, args: argparse.Namespace) -> Config:
    """Merge the training options into the config.

    Args:
        cfg (Config): The config, changed in place.
        args (argparse.Namespace): Options as :func:`parse_train_args`
            returns them.

    Returns:
        Config: ``cfg``.
    """
    if args.no_validate:
        cfg.val_cfg = None
        cfg.val_dataloader = None
        cfg.val_evaluator = None
    cfg.launcher = args.launcher

    # work_dir: command line > config > config file name
    if args.work_dir is not None:
        cfg.work_dir = args.work_dir
    elif cfg.get('work_dir', None) is None:
        cfg.work_dir = osp.join('./work_dirs',
                                osp.splitext(osp.basename(args.config))[0])

    if args.amp:  # AmpOptimWrapper asserts a GPU: bfloat16 autocast on CPU
        cfg.optim_wrapper = amp_optim_wrapper(cfg.optim_wrapper,
                                              torch.cuda.is_available(),
                                              args.amp_dtype)

    if args.channels_last:
        hooks = list(cfg.get('custom_hooks', None) or [])
        if not any(h.get('type') == 'ChannelsLastHook' for h in hooks):
            hooks.append(dict(type='ChannelsLastHook'))
        cfg.custom_hooks = hooks

    if args.resume == 'auto':
        cfg.resume = True
        cfg.load_from = None
    elif args.resume is not None:
        cfg.resume = True
        cfg.load_from = args.resume

    if args.time_budget is not None:
        apply_time_budget(cfg, args.time_budget, args.cfg_options)

    if args.cfg_options is not None:
        merge_cfg_options(cfg, args.cfg_options)
    return cfg


def setup_cpu_distributed(cfg: Config) -> None:
    """Let a distributed run go on CPU: gloo, and DDP without device ids.

    MMEngine would call ``torch.cuda.set_device`` while initialising and pass
    ``device_ids=[LOCAL_RANK]`` to DDP, which rejects device ids for CPU
    modules. Starting the process group here makes the Runner skip its own
    initialisation; a wrapper config with ``device_ids=None`` wins over the
    Runner's default.

    Args:
        cfg (Config): The config, changed in place (nothing on a GPU or
            without a launcher).
    """
    if cfg.launcher == 'none' or torch.cuda.is_available():
        return
    cfg.setdefault('env_cfg', {}).setdefault('dist_cfg', {})
    cfg.env_cfg.dist_cfg.backend = 'gloo'
    if cfg.launcher == 'pytorch' and not torch.distributed.is_initialized():
        torch.distributed.init_process_group(backend='gloo')
    wrapper = cfg.get('model_wrapper_cfg', None)
    if wrapper is None:
        # What the Runner builds when no wrapper is configured.
        wrapper = dict(
            type='MMDistributedDataParallel',
            broadcast_buffers=False,
            find_unused_parameters=cfg.get('find_unused_parameters', False))
    wrapper['device_ids'] = None
    cfg.model_wrapper_cfg = wrapper


def sync_bn_to_bn_on_cpu(cfg: Config) -> None:
    """Build SyncBN layers as BN when no GPU is visible.

    torch's ``SyncBatchNorm`` refuses CPU tensors, and MMEngine reverts it
    only for runs without distribution, so the SyncBN of MMDetection's and
    MMSegmentation's configs would stop a gloo run. On CPU every
    ``type='SyncBN'`` (or ``'MMSyncBN'``) in ``cfg.model`` becomes ``'BN'``
    (each process normalises with its own batch's statistics), and
    ``cfg.sync_bn`` is dropped.

    Args:
        cfg (Config): The config, changed in place (nothing on a GPU).
    """
    if torch.cuda.is_available():
        return

    for node in dicts(cfg.get('model', None)):
        if node.get('type') in ('SyncBN', 'MMSyncBN'):
            node['type'] = 'BN'
    cfg.pop('sync_bn', None)


def runner_from_cfg(cfg: Config) -> Runner:
    """MMEngine's Runner of ``cfg``, or the one its ``runner_type`` names.

    Args:
        cfg (Config): A complete config.

    Returns:
        Runner: The Runner, not yet trained.
    """
    if 'runner_type' not in cfg:
        return Runner.from_cfg(cfg)
    return RUNNERS.build(cfg)


def build_train_config(args: argparse.Namespace) -> Config:
    """The config of ``args.config`` with the options merged, checked and
    given mmaccel's reliable runtime.

    Args:
        args (argparse.Namespace): Options as :func:`parse_train_args`
            returns them.

    Returns:
        Config: The config a Runner is built from.
    """
    # a transfer config on the core tier: one line naming MMDetection or
    # MMSegmentation and the command that installs the full tier
    with full_tier_hint(f'config {args.config}'):
        cfg = Config.fromfile(args.config)
    cfg = merge_train_args(cfg, args)
    check_run_length(cfg)
    rescope_config(cfg)
    sync_bn_to_bn_on_cpu(cfg)
    use_reliable_runtime(cfg)
    setup_cpu_distributed(cfg)
    return cfg


def build_runner(args: argparse.Namespace) -> Runner:
    """The Runner of a config with the training options merged in.

    Args:
        args (argparse.Namespace): Options as :func:`parse_train_args`
            returns them.

    Returns:
        Runner: The Runner, not yet trained.
    """
    return runner_from_cfg(build_train_config(args))


@report_errors  # an error: one line on stderr, exit 1 (--debug: traceback)
def train_main(argv: Optional[Sequence[str]] = None) -> None:
    """``tools/train.py``: parse, build the Runner, train.

    Args:
        argv (Sequence[str], optional): The command line after the program
            name; ``sys.argv[1:]`` when None.
    """
    build_runner(parse_train_args(argv)).train()
    # every rank leaves together, without gloo's exit-time abort
    finish_distributed()
