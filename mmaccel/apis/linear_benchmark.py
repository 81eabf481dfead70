"""Linear probes of a frozen pre-trained backbone: final features, every stage.

The command line of ``tools/benchmarks/linear.py`` (:func:`main`), importable;
the tool's docstring describes it.
"""
import argparse
import copy
import os

import torch
from mmengine.config import Config, DictAction
from mmengine.runner import Runner

from mmaccel.evaluation.backbone_checkpoint import (check_backbone_keys,
                                                    probe_work_dir,
                                                    read_backbone)
from mmaccel.evaluation.image_folder import (image_folder_classes,
                                             image_folder_dataset)
from mmaccel.registry import MODELS
from mmaccel.utils import (ConfigError, add_debug_argument, check_run_length,
                           finish_distributed, report_errors, rescope_config)
from mmaccel.utils.config_tree import lookup, plain_tree
from .train import (add_launcher_arguments, merge_train_args, parse_train_args,
                    runner_from_cfg, setup_cpu_distributed)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Linear probe of a frozen pre-trained backbone')
    parser.add_argument('config', help='probe config file')
    parser.add_argument(
        'checkpoint',
        help='pre-training checkpoint (backbone.* keys) or exported backbone')
    parser.add_argument(
        '--data-root',
        help='image folder DIR/train/<class>/*, DIR/val/<class>/* to use '
        "instead of the config's data")
    parser.add_argument('--work-dir', help='where logs and checkpoints go')
    parser.add_argument(
        '--amp', action='store_true', help='automatic mixed precision')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override config settings, key=value pairs')
    add_launcher_arguments(parser)
    add_debug_argument(parser)
    args = parser.parse_args(argv)
    os.environ.setdefault('LOCAL_RANK', str(args.local_rank))
    return args


def _metric_cfgs(evaluator):
    if evaluator is None:
        return []
    if isinstance(evaluator, dict) and 'metrics' in evaluator:
        evaluator = evaluator['metrics']
    return evaluator if isinstance(evaluator, (list, tuple)) else [evaluator]


def use_image_folder(cfg: Config, data_root: str) -> None:
    """Point the train, val and test loaders at ``data_root``."""
    classes = image_folder_classes(data_root)
    in_channels = cfg.model.backbone.get('in_channels', 3)
    for name, split in (('train_dataloader', 'train'),
                        ('val_dataloader', 'val'), ('test_dataloader', 'val')):
        if cfg.get(name) is not None:
            cfg[name].dataset = image_folder_dataset(
                cfg[name].dataset, data_root, split, classes, in_channels)
    cfg.model.head.num_classes = len(classes)
    for key in ('val_evaluator', 'test_evaluator'):
        for metric in _metric_cfgs(cfg.get(key)):
            topk = metric.get('topk', None)
            if topk is not None:
                topk = (topk, ) if isinstance(topk, int) else tuple(topk)
                metric['topk'] = tuple(
                    k for k in topk if k <= len(classes)) or (1, )


@torch.no_grad()
def fit_channels(cfg: Config, backbone: torch.nn.Module) -> None:
    """Set the channels of the neck's batch norm (``ClsBatchNormNeck``'s
    ``input_features``) and of the head (``in_channels``) to what the
    backbone gives, so that backbone widths change by ``--cfg-options``."""
    in_channels = cfg.model.backbone.get('in_channels', 3)
    backbone.eval()  # ResNet.train() returns None: no chaining
    feats = backbone(torch.zeros(1, in_channels, 64, 64))
    necks = cfg.model.get('neck') or []
    for neck in necks if isinstance(necks, list) else [necks]:
        if 'input_features' in neck:
            _fit(neck, 'input_features', feats[-1].flatten(1).shape[1])
        module = MODELS.build(neck)
        module.eval()
        feats = module(feats)
    if isinstance(feats, torch.Tensor):
        feats = (feats, )
    dims = [f.flatten(1).shape[1] for f in feats]
    head = cfg.model.head
    _fit(head, 'in_channels',
         dims[-1] if isinstance(head.get('in_channels'), int) else dims)


def _fit(node: dict, key: str, want) -> None:
    have = node.get(key)
    if (have if isinstance(have, int) else list(have or [])) != want:
        print(f'linear.py: {node.get("type")}.{key} set to {want} to match '
              f'the backbone (config: {have})')
        node[key] = want


class ProbeError(ConfigError):
    """A setting the tool cannot work with (one-line message)."""


# What a probe config must have (the tool reads or sets them).
PROBE_KEYS = ('model.backbone', 'model.head', 'train_dataloader.dataset')


def check_probe_config(cfg: Config) -> None:
    """A probe config: a classifier whose backbone the checkpoint fills."""
    tree = plain_tree(cfg)
    for key in PROBE_KEYS:
        if not isinstance(lookup(tree, key), dict):
            raise ProbeError(
                f'{cfg.filename} has no {key}: linear.py needs a probe '
                f'config with {", ".join(PROBE_KEYS)} (see '
                'configs/benchmarks/classification/)')


def configure_probe(cfg: Config, checkpoint: str, data_root=None) -> Config:
    """Data, pre-trained weights and head channels of a probe config."""
    check_probe_config(cfg)
    if data_root is not None:
        use_image_folder(cfg, data_root)
    else:
        data = cfg.train_dataloader.dataset.get('type')
        in_channels = cfg.model.backbone.get('in_channels', 3)
        if str(data).split('.')[-1] in ('LocalFashionMNIST', 'FashionMNIST') \
                and in_channels != 1:
            raise ProbeError(
                f'Fashion-MNIST is grayscale and model.backbone.in_channels='
                f'{in_channels}; use a one-channel backbone (the checkpoint '
                'as trained on Fashion-MNIST), or --data-root DIR (images '
                "are loaded with the backbone's channels)")
    state, prefix = read_backbone(checkpoint)
    backbone_cfg = copy.deepcopy(cfg.model.backbone)
    backbone_cfg.pop('init_cfg', None)
    backbone = MODELS.build(backbone_cfg)
    check_backbone_keys(backbone, state, checkpoint)
    fit_channels(cfg, backbone)
    cfg.model.backbone.init_cfg = dict(
        type='Pretrained', checkpoint=checkpoint, prefix=prefix)
    return cfg


def build_config(args) -> Config:
    cfg = Config.fromfile(args.config)
    # tools/train.py's options at their defaults (whatever options it has),
    # then the probe's
    train_args = parse_train_args([args.config])
    vars(train_args).update(
        work_dir=args.work_dir
        or probe_work_dir(args.config, args.checkpoint),
        amp=args.amp,
        cfg_options=args.cfg_options,
        launcher=args.launcher)
    cfg = merge_train_args(cfg, train_args)
    check_run_length(cfg)
    rescope_config(cfg)
    configure_probe(cfg, args.checkpoint, args.data_root)
    setup_cpu_distributed(cfg)
    return cfg


def build_runner(args) -> Runner:
    return runner_from_cfg(build_config(args))


@report_errors  # an error: one line on stderr, exit 1 (--debug: traceback)
def main(argv=None):
    args = parse_args(argv)
    runner = build_runner(args)
    runner.train()
    finish_distributed()  # all ranks leave together, without gloo's abort
