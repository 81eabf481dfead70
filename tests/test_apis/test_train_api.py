"""mmaccel.apis.train: tools/train.py's options merged into a loaded config
(no Runner built): the defaults, the work directory, --no-validate,
--channels-last, --resume and SyncBN on CPU."""
import pytest
import torch
from mmengine.config import Config

from mmaccel.apis import (build_train_config, merge_train_args,
                          parse_train_args, sync_bn_to_bn_on_cpu)

CONFIG = 'configs/mocov2/mocov2_resnet18-tiny_1xb256-coslr-50e_fmnist.py'


def test_defaults_and_work_dir_from_the_config_name():
    args = parse_train_args([CONFIG])
    assert (args.resume, args.amp, args.channels_last, args.time_budget,
            args.cfg_options, args.launcher) == (None, False, False, None,
                                                 None, 'none')
    cfg = merge_train_args(Config.fromfile(CONFIG), args)
    assert cfg.work_dir == ('./work_dirs/'
                            'mocov2_resnet18-tiny_1xb256-coslr-50e_fmnist')
    assert cfg.launcher == 'none'


def test_options_change_the_config(tmp_path):
    args = parse_train_args([
        CONFIG, '--work-dir', str(tmp_path), '--no-validate',
        '--channels-last', '--resume', '--cfg-options',
        'train_cfg.max_epochs=2'
    ])
    cfg = Config.fromfile(CONFIG)
    cfg.custom_hooks = [dict(type='ChannelsLastHook')]  # not added twice
    cfg = merge_train_args(cfg, args)
    assert cfg.work_dir == str(tmp_path)
    assert cfg.val_cfg is None and cfg.val_dataloader is None
    assert [h['type'] for h in cfg.custom_hooks] == ['ChannelsLastHook']
    assert cfg.resume is True and cfg.load_from is None  # the latest
    assert cfg.train_cfg.max_epochs == 2
    args = parse_train_args([CONFIG, '--resume', 'epoch_3.pth'])
    cfg = merge_train_args(Config.fromfile(CONFIG), args)
    assert cfg.resume is True and cfg.load_from == 'epoch_3.pth'


def test_the_built_config_gets_the_reliable_runtime(tmp_path):
    cfg = build_train_config(
        parse_train_args([CONFIG, '--work-dir', str(tmp_path)]))
    assert cfg.train_cfg.type.endswith('ResumableEpochBasedTrainLoop')
    assert cfg.default_hooks.checkpoint.type.endswith('AtomicCheckpointHook')
    hooks = [h['type'].split('.')[-1] for h in cfg.custom_hooks]
    assert 'PreflightCheckHook' in hooks


@pytest.mark.skipif(torch.cuda.is_available(), reason='a GPU keeps SyncBN')
def test_sync_bn_becomes_bn_on_cpu():
    cfg = Config(dict(
        sync_bn='torch',
        model=dict(backbone=dict(norm_cfg=dict(type='SyncBN')),
                   neck=[dict(norm_cfg=dict(type='MMSyncBN'))])))
    sync_bn_to_bn_on_cpu(cfg)
    assert cfg.model.backbone.norm_cfg.type == 'BN'
    assert cfg.model.neck[0].norm_cfg.type == 'BN'
    assert 'sync_bn' not in cfg
