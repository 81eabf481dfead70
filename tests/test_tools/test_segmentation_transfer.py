"""VOC12 segmentation transfer (PSPNet, FCN): exported backbones load into
MMSegmentation's plain ResNet with no missing and no unexpected key; frozen
and fine-tuned runs of the launcher on the mini VOC set (CPU; the fine-tuned
FCN in two gloo processes, its SyncBN built as BN) keep or change every
pre-trained tensor and report mIoU and aAcc."""
import socket

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope
from voc_utils import (compare, exported_backbone, finish, last_state, launch,
                       load_report, mini_voc, val_metrics)

MINI = 'configs/benchmarks/mmsegmentation/mini_voc/'
PAPER = 'configs/benchmarks/mmsegmentation/voc12aug/'
PSPNET = MINI + 'pspnet_r18-d8_1xb8-2k_mini-voc12aug-128x128.py'
# Runs: the paper's decoder with a frozen backbone in one process, MMSelfSup's
# decoder fine-tuned in two gloo processes. name: (config, processes)
RUNS = {
    'pspnet-frozen':
    (MINI + 'pspnet_r18-d8-frozen_1xb8-2k_mini-voc12aug-128x128.py', 1),
    'fcn': (MINI + 'fcn_r18-d8_1xb8-2k_mini-voc12aug-128x128.py', 2),
}


def tiny(devkit) -> list:
    """Two iterations of batch 2 (1 per process for two processes),
    validation on the 4 val images, constant learning rate."""
    root = f'{devkit}/VOC2012'
    return [
        f'train_dataloader.dataset.datasets.0.data_root={root}',
        f'train_dataloader.dataset.datasets.1.data_root={root}',
        f'val_dataloader.dataset.data_root={root}',
        'train_cfg.max_iters=2', 'train_cfg.val_interval=2',
        'val_dataloader.batch_size=2', 'train_dataloader.num_workers=0',
        'val_dataloader.num_workers=0',
        'train_dataloader.persistent_workers=False',
        'val_dataloader.persistent_workers=False',
        'param_scheduler.0.power=0.0', 'default_hooks.logger.interval=1',
        'randomness.seed=0'
    ]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


@pytest.fixture(scope='module')
def runs(tmp_path_factory, subprocess_env):
    """The launcher runs, side by side."""
    devkit = mini_voc(tmp_path_factory)
    backbone = exported_backbone(tmp_path_factory, 18)
    work, procs = {}, {}
    for name, (config, gpus) in RUNS.items():
        work[name] = tmp_path_factory.mktemp(f'seg_{name}')
        batch = [f'train_dataloader.batch_size={2 // gpus}']
        env = dict(subprocess_env, PORT=str(free_port()))
        procs[name] = launch('mmsegmentation', config, backbone, work[name],
                             tiny(devkit) + batch, env, gpus=gpus)
    logs = {name: finish(proc) for name, proc in procs.items()}
    return backbone, work, logs


@pytest.mark.parametrize('config,depth,n_keys', [
    (PSPNET, 18, 120),
    (PAPER + 'fcn_r50-d8_4xb4-20k_voc12aug-512x512.py', 50, 318),
])
def test_exported_backbone_loads_with_no_missing_or_unexpected_key(
        tmp_path_factory, config, depth, n_keys):
    from mmseg.registry import MODELS
    path = exported_backbone(tmp_path_factory, depth)
    exported = torch.load(path, map_location='cpu')['state_dict']
    cfg = Config.fromfile(config)
    assert cfg.model.pretrained is None
    cfg.model.backbone.init_cfg.checkpoint = str(path)
    init_default_scope('mmseg')
    backbone = MODELS.build(cfg.model.backbone)
    assert type(backbone).__name__ == 'ResNet'
    missing, unexpected, other = load_report(backbone)
    assert len(exported) == n_keys
    assert (missing, unexpected, other) == (set(), set(), [])
    own = backbone.state_dict()
    assert set(own) == set(exported)
    assert all(torch.equal(own[k], v) for k, v in exported.items())


def test_upstream_deep_stem_would_miss_the_stem(tmp_path_factory):
    """Why the configs use the plain ResNet: MMSegmentation's own ResNetV1c
    leaves its deep stem random (the report shows it)."""
    from mmengine.hub import get_config
    from mmseg.registry import MODELS
    path = exported_backbone(tmp_path_factory, 50)
    cfg = get_config(
        'mmseg::pspnet/pspnet_r50-d8_4xb4-20k_voc12aug-512x512.py')
    init_default_scope('mmseg')
    backbone_cfg = cfg.model.backbone
    backbone_cfg.init_cfg = dict(type='Pretrained', checkpoint=str(path))
    backbone = MODELS.build(backbone_cfg)
    missing, unexpected, _ = load_report(backbone)
    assert type(backbone).__name__ == 'ResNetV1c'
    # 18 stem tensors; MMEngine's report leaves out the 3 num_batches_tracked.
    assert len(missing) == 15 and all(k.startswith('stem.') for k in missing)
    assert unexpected == {'conv1.weight', 'bn1.weight', 'bn1.bias',
                          'bn1.running_mean', 'bn1.running_var',
                          'bn1.num_batches_tracked'}


def test_frozen_run_keeps_every_pretrained_tensor(runs):
    backbone, work, _ = runs
    exported = torch.load(backbone, map_location='cpu')['state_dict']
    saved = last_state(work['pspnet-frozen'])
    same, changed = compare(saved, exported, lambda k: f'backbone.{k}')
    assert changed == [] and len(same) == 120
    # The decode head did train: its batch norm left its initial statistics.
    stats = [v for k, v in saved.items()
             if k.startswith('decode_head.') and k.endswith('running_mean')]
    assert stats and not any(torch.equal(v, torch.zeros_like(v))
                             for v in stats)


def test_finetuned_run_changes_every_pretrained_tensor(runs):
    backbone, work, _ = runs
    exported = torch.load(backbone, map_location='cpu')['state_dict']
    same, changed = compare(last_state(work['fcn']), exported,
                            lambda k: f'backbone.{k}')
    assert same == [] and len(changed) == 120


@pytest.mark.parametrize('name', list(RUNS))
def test_runs_report_miou_and_aacc(runs, name):
    _, work, logs = runs
    metrics = val_metrics(work[name])
    assert {'mIoU', 'aAcc', 'mAcc'} <= set(metrics)
    assert all(0 <= metrics[k] <= 100 for k in ('mIoU', 'aAcc', 'mAcc'))


def test_two_gloo_processes_ran_with_bn_for_syncbn(runs):
    _, work, logs = runs
    assert 'Distributed training: True' in logs['fcn']
    assert 'Distributed training: False' in logs['pspnet-frozen']
    # tools/train.py built the config's SyncBN as BN (CPU): the model of the
    # config the Runner saved has no SyncBN left.
    for name, (config, _) in RUNS.items():
        source = Config.fromfile(config).model
        saved = Config.fromfile(
            next(work[name].glob('*/vis_data/config.py'))).model
        for part in ('backbone', 'decode_head', 'auxiliary_head'):
            assert source[part].norm_cfg.type == 'SyncBN'
            assert saved[part].norm_cfg.type == 'BN'


def test_configs_keep_mmseg_scope_and_freeze_all_stages():
    from mmaccel.utils import load_config
    cfg = load_config(RUNS['pspnet-frozen'][0])  # as tools/train.py loads it
    assert cfg.default_scope == 'mmseg'
    hook = cfg.default_hooks.checkpoint
    assert cfg.model._scope_ == hook._scope_ == 'mmseg'
    assert cfg.model.backbone.frozen_stages == 4
    for config in (PSPNET, RUNS['fcn'][0]):
        assert Config.fromfile(config).model.backbone.get(
            'frozen_stages', -1) == -1
