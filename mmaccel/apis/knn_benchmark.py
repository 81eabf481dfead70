"""Weighted kNN top-1 of a pre-trained backbone, per stage and per k.

The command line of ``tools/benchmarks/knn.py`` (:func:`main`), importable; the
tool's docstring describes it.
"""
import argparse
import copy
import json
import os
import os.path as osp
import time

import torch
from mmengine.config import DictAction
from mmengine.registry import init_default_scope
from mmengine.runner import Runner
from torch import nn

from mmaccel.evaluation import (extract_features, knn_top1, linear_probe_top1,
                                precise_bn)
from mmaccel.evaluation.backbone_checkpoint import (check_backbone_keys,
                                                    probe_work_dir,
                                                    read_backbone)
from mmaccel.evaluation.image_folder import (image_folder_classes,
                                             image_folder_dataset)
from mmaccel.models import MultiExitResNet
from mmaccel.registry import MODELS
from mmaccel.utils import (ConfigError, add_debug_argument, load_config,
                           merge_cfg_options, report_errors)
from mmaccel.utils.config_tree import dicts
from mmaccel.utils.progress import progress

# MMPretrain ResNets that MultiExitResNet reproduces with the same weights.
RESNETS = dict(
    ResNet=dict(),
    ResNetV1c=dict(deep_stem=True, avg_down=False),
    ResNetV1d=dict(deep_stem=True, avg_down=True))
FMNIST_TYPES = ('LocalFashionMNIST', 'FashionMNIST')


class KNNError(ConfigError):
    """A setting the tool cannot work with (one-line message)."""


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Weighted kNN top-1 of a backbone, per stage and k')
    parser.add_argument('config', help='config with model.backbone')
    parser.add_argument(
        'checkpoint', help='training checkpoint or exported backbone')
    parser.add_argument(
        '--k', type=int, nargs='+', default=[20, 200], help='neighbours')
    parser.add_argument(
        '--exits',
        nargs='+',
        default=None,
        help="feature maps: 'stem' and stage numbers from 1 (default: every "
        'stage)')
    parser.add_argument(
        '--data-root',
        help='image folder DIR/train/<class>/* (bank), DIR/val/<class>/* '
        '(queries)')
    parser.add_argument(
        '--size', type=int, help='image side (default: pre-training view)')
    parser.add_argument(
        '--bank-size', type=int, help='use the first N bank images')
    parser.add_argument(
        '--query-size', type=int, help='use the first N queries')
    parser.add_argument(
        '--temperature', type=float, default=0.07, help='vote temperature')
    parser.add_argument(
        '--linear',
        action='store_true',
        help='also a linear probe per map on the same features '
        '(mmaccel.evaluation.linear_probe_top1)')
    parser.add_argument(
        '--precise-bn',
        type=int,
        metavar='N',
        help='re-estimate batch-norm statistics on N whole bank images first')
    parser.add_argument('--batch-size', type=int, default=256)
    parser.add_argument('--num-workers', type=int, default=2)
    parser.add_argument(
        '--device',
        default='cuda' if torch.cuda.is_available() else 'cpu')
    parser.add_argument('--work-dir', help='where the json goes')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override config settings, key=value pairs (a key must name '
        'a setting of the config; +key=value adds one)')
    add_debug_argument(parser)
    return parser.parse_args(argv)


def stage_backbone(backbone_cfg: dict) -> nn.Module:
    """The config's ResNet, returning the stem's and every stage's map."""
    cfg = copy.deepcopy(dict(backbone_cfg))
    name = str(cfg.get('type')).split('.')[-1]
    if name in RESNETS:
        cfg.update(RESNETS[name], type='MultiExitResNet')
    elif not (isinstance(MODELS.get(cfg['type']), type)
              and issubclass(MODELS.get(cfg['type']), MultiExitResNet)):
        raise KNNError(
            'per-stage kNN needs a ResNet backbone (MMPretrain ResNet, '
            'ResNetV1c, ResNetV1d, or MultiExitResNet and its subclasses); '
            f"got model.backbone.type={cfg.get('type')!r}")
    for key in ('out_indices', 'exits', 'init_cfg'):
        cfg.pop(key, None)
    cfg.pop('_scope_', None)
    return MODELS.build(dict(cfg, out_stem=True))


def map_names(backbone: MultiExitResNet) -> list:
    return ['stem'] + [f'stage{e}' for e in backbone.exits]


def select_maps(names: list, exits) -> list:
    """Indices into the backbone's outputs of the ``--exits`` asked for."""
    if exits is None:
        return list(range(1, len(names)))
    wanted = [e if e == 'stem' else f'stage{e}' for e in exits]
    bad = [e for e, w in zip(exits, wanted) if w not in names]
    if bad:
        raise KNNError(f"--exits must be 'stem' or stage numbers 1.."
                       f'{len(names) - 1}; got {" ".join(bad)}')
    return [names.index(w) for w in wanted]


def view_size(cfg) -> int:
    """The pre-training crop size (``RandomResizedCrop``), else 224."""
    found = [(node['type'], node.get('scale'))
             for node in dicts(cfg.get('train_dataloader', {}))
             if node.get('type') in ('RandomResizedCrop', 'Resize')]
    for kind in ('RandomResizedCrop', 'Resize'):
        for t, scale in found:
            if t == kind and scale is not None:
                return scale if isinstance(scale, int) else max(scale)
    return 224


def _loader(dataset: dict, args) -> dict:
    return dict(
        batch_size=args.batch_size,
        num_workers=args.num_workers,
        sampler=dict(type='DefaultSampler', shuffle=False),
        collate_fn=dict(type='default_collate'),
        dataset=dataset)


def knn_loaders(cfg, args, in_channels: int):
    """Bank and query dataloader configs, and a line saying what they are."""
    size = args.size or view_size(cfg)
    pipeline = [
        dict(type='Resize', scale=size, backend='pillow'),
        dict(type='PackInputs')
    ]
    hooks = [h for h in cfg.get('custom_hooks', None) or []
             if str(h.get('type')).split('.')[-1] == 'KNNEvalHook']
    train_data = cfg.get('train_dataloader', {}).get('dataset', {})
    if args.data_root is not None:
        classes = image_folder_classes(args.data_root)
        bank, query = (
            _loader(image_folder_dataset(dict(pipeline=pipeline),
                                         args.data_root, split, classes,
                                         in_channels), args)
            for split in ('train', 'val'))
        source = f'{args.data_root} (train: bank, val: queries), {size} px'
    elif hooks:
        bank, query = (copy.deepcopy(hooks[0][k])
                       for k in ('train_dataloader', 'val_dataloader'))
        if args.size:
            for loader in (bank, query):
                for t in loader['dataset'].get('pipeline', []):
                    if t.get('type') == 'Resize':
                        t['scale'] = args.size
        source = "the config's KNNEvalHook loaders"
    elif str(train_data.get('type')).split('.')[-1] in FMNIST_TYPES:
        if in_channels != 1:
            raise KNNError(
                'Fashion-MNIST is grayscale and model.backbone.in_channels='
                f'{in_channels}; pass --data-root DIR (images are loaded with '
                "the backbone's channels)")
        root = train_data.get('data_root', 'data/fashion-mnist')
        bank, query = (
            _loader(dict(type='LocalFashionMNIST', data_root=root,
                         split=split, pipeline=pipeline), args)
            for split in ('train', 'test'))
        if args.bank_size is None:
            bank['dataset']['indices'] = 10000
        source = f'Fashion-MNIST {root} (train: bank, test: queries), ' \
                 f'{size} px'
    else:
        raise KNNError(
            'no kNN data: the config has no KNNEvalHook and does not train '
            'on Fashion-MNIST; pass --data-root DIR '
            '(DIR/train/<class>/*, DIR/val/<class>/*)')
    for loader, n in ((bank, args.bank_size), (query, args.query_size)):
        if n is not None:
            loader['dataset']['indices'] = n
    return bank, query, source


class Encoder(nn.Module):
    """What :func:`extract_features` needs: preprocessor and backbone."""

    def __init__(self, data_preprocessor: nn.Module, backbone: nn.Module):
        super().__init__()
        self.data_preprocessor = data_preprocessor
        self.backbone = backbone


def build_encoder(cfg, checkpoint: str) -> Encoder:
    backbone = stage_backbone(cfg.model.backbone)
    state, _ = read_backbone(checkpoint)
    check_backbone_keys(backbone, state, checkpoint)
    backbone.load_state_dict(state, strict=True)
    pre_cfg = (cfg.model.get('data_preprocessor')
               or cfg.get('data_preprocessor')
               or dict(type='ClsDataPreprocessor'))
    return Encoder(MODELS.build(copy.deepcopy(pre_cfg)), backbone).eval()


def num_classes(dataset, *labels) -> int:
    classes = dataset.metainfo.get('classes') if hasattr(
        dataset, 'metainfo') else None
    return len(classes) if classes else int(max(y.max() for y in labels)) + 1


def evaluate(args) -> dict:
    """Run the tool; returns what it writes to the json."""
    cfg = load_config(args.config)
    if args.cfg_options:
        merge_cfg_options(cfg, args.cfg_options)
    if not isinstance((cfg.get('model') or {}).get('backbone'), dict):
        raise KNNError(f'{args.config} has no model.backbone: kNN needs a '
                       'config with the backbone that the checkpoint holds '
                       '(a pre-training or probe config)')
    init_default_scope('mmaccel')
    encoder = build_encoder(cfg, args.checkpoint).to(args.device)
    names = map_names(encoder.backbone)
    keep = select_maps(names, args.exits)
    in_channels = cfg.model.backbone.get('in_channels', 3)
    bank_cfg, query_cfg, source = knn_loaders(cfg, args, in_channels)
    bank_loader = Runner.build_dataloader(bank_cfg, seed=0)
    query_loader = Runner.build_dataloader(query_cfg, seed=0)
    n_bank = len(bank_loader.dataset)
    if max(args.k) > n_bank or min(args.k) < 1:
        raise KNNError(f'--k must be in 1..{n_bank} (the bank size); got '
                       f'{" ".join(map(str, args.k))}')

    used_bn = None
    if args.precise_bn:
        print(f'precise BN: re-estimating on {args.precise_bn} bank images')
        used_bn = precise_bn(
            encoder.backbone,
            (encoder.data_preprocessor(d, training=False)['inputs']
             for d in bank_loader), args.precise_bn)
        encoder.eval()

    tic = time.perf_counter()
    print(f'features of {n_bank} bank images')
    bank, bank_labels = extract_features(
        encoder, progress(bank_loader), indices=keep)
    print(f'features of {len(query_loader.dataset)} queries')
    query, query_labels = extract_features(
        encoder, progress(query_loader), indices=keep)
    classes = num_classes(bank_loader.dataset, bank_labels, query_labels)
    top1 = {}
    for i, b, q in zip(keep, bank, query):
        top1[names[i]] = {
            k: knn_top1(b, bank_labels.to(b.device), q,
                        query_labels.to(q.device), classes, k=k,
                        temperature=args.temperature)
            for k in args.k
        }
    linear = {
        names[i]: linear_probe_top1(b, bank_labels.to(b.device), q,
                                    query_labels.to(q.device), classes)
        for i, b, q in zip(keep, bank, query)
    } if args.linear else None
    return dict(
        config=args.config,
        checkpoint=args.checkpoint,
        data=source,
        bank_images=n_bank,
        queries=len(query_loader.dataset),
        num_classes=classes,
        temperature=args.temperature,
        precise_bn_images=used_bn,
        seconds=round(time.perf_counter() - tic, 1),
        top1={name: {f'k{k}': acc for k, acc in accs.items()}
              for name, accs in top1.items()},
        linear_top1=linear)


def format_table(result: dict) -> str:
    ks = list(next(iter(result['top1'].values())))
    lines = [
        f"kNN top-1 (%), T={result['temperature']}, "
        f"{result['bank_images']} bank images, {result['queries']} queries, "
        f"{result['data']}"
        + (f", precise BN on {result['precise_bn_images']} images"
           if result['precise_bn_images'] else ''),
        f"{'features':<10}" + ''.join(f'{"k=" + k[1:]:>10}' for k in ks)
        + (f'{"linear":>10}' if result.get('linear_top1') else '')
    ]
    for name, accs in result['top1'].items():
        lines.append(f'{name:<10}' + ''.join(f'{accs[k]:>10.2f}' for k in ks)
                     + (f"{result['linear_top1'][name]:>10.2f}"
                        if result.get('linear_top1') else ''))
    return '\n'.join(lines)


@report_errors  # an error: one line on stderr, exit 1 (--debug: traceback)
def main(argv=None) -> dict:
    args = parse_args(argv)
    result = evaluate(args)
    print(format_table(result))
    work_dir = args.work_dir or probe_work_dir(args.config, args.checkpoint)
    os.makedirs(work_dir, exist_ok=True)
    path = osp.join(work_dir, f'knn_{time.strftime("%Y%m%d_%H%M%S")}.json')
    with open(path, 'w') as f:
        json.dump(result, f, indent=2)
    print(f'saved {path}')
    return result
