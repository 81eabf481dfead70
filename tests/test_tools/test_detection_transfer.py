"""VOC07 detection transfer (Faster R-CNN C4): exported backbones load into
MMDetection's C4 backbone and mmaccel's shared head with exactly the expected
keys; frozen and fine-tuned runs of the launcher on the mini VOC set (CPU)
keep or change every pre-trained tensor and report AP50 and AP."""
import pytest
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope
from voc_utils import (compare, exported_backbone, finish, last_state, launch,
                       load_report, mini_voc, val_metrics)

MINI = 'configs/benchmarks/mmdetection/mini_voc/'
FINETUNE = MINI + 'faster-rcnn_r18-c4_1xb8-2k_mini-voc07.py'
FROZEN = MINI + 'faster-rcnn_r18-c4-frozen_1xb8-2k_mini-voc07.py'
VOC0712 = MINI + 'faster-rcnn_r18-c4_1xb8-2k_mini-voc0712.py'
PAPER = 'configs/benchmarks/mmdetection/voc0712/'
R50 = PAPER + 'faster-rcnn_r50-c4_ms-24k_voc07.py'
EXTRA_NORM = {'norm.weight', 'norm.bias', 'norm.running_mean',
              'norm.running_var'}


def tiny(devkit) -> list:
    """Two iterations of batch 2, few RoIs, validation on the 4 test
    images, a constant learning rate (no warm-up)."""
    root = f'{devkit}/'
    return [
        f'train_dataloader.dataset.data_root={root}',
        f'val_dataloader.dataset.data_root={root}',
        'train_cfg.max_iters=2', 'train_cfg.val_interval=2',
        'train_dataloader.batch_size=2', 'val_dataloader.batch_size=2',
        'train_dataloader.num_workers=0', 'val_dataloader.num_workers=0',
        'train_dataloader.persistent_workers=False',
        'val_dataloader.persistent_workers=False',
        'model.train_cfg.rpn_proposal.max_per_img=50',
        'model.train_cfg.rcnn.sampler.num=16',
        'model.test_cfg.rpn.max_per_img=10',
        'param_scheduler.0.start_factor=1.0',
        'default_hooks.logger.interval=1', 'randomness.seed=0'
    ]


def stage_key(key):
    """Where an exported key lives in the detector."""
    if key.startswith('layer4.'):
        return f'roi_head.shared_head.{key}'
    return f'backbone.{key}'


@pytest.fixture(scope='module')
def runs(tmp_path_factory, subprocess_env):
    """The frozen and the fine-tuned launcher runs, side by side."""
    devkit = mini_voc(tmp_path_factory)
    backbone = exported_backbone(tmp_path_factory, 18)
    work = {name: tmp_path_factory.mktemp(f'det_{name}')
            for name in ('frozen', 'finetune')}
    procs = {name: launch('mmdetection', config, backbone, work[name],
                          tiny(devkit), subprocess_env)
             for name, config in (('frozen', FROZEN), ('finetune', FINETUNE))}
    logs = {name: finish(proc) for name, proc in procs.items()}
    return backbone, work, logs


@pytest.mark.parametrize('config,depth,n_keys,n_stage4',
                         [(FINETUNE, 18, 120, 30), (R50, 50, 318, 60)])
def test_exported_backbone_loads_with_exactly_the_expected_keys(
        tmp_path_factory, config, depth, n_keys, n_stage4):
    from mmdet.registry import MODELS

    import mmaccel.models.transfer  # noqa: F401  (the configs' custom_imports)
    path = exported_backbone(tmp_path_factory, depth)
    exported = torch.load(path, map_location='cpu')['state_dict']
    cfg = Config.fromfile(config)
    cfg.model.backbone.init_cfg.checkpoint = str(path)
    cfg.model.roi_head.shared_head.init_cfg.checkpoint = str(path)
    init_default_scope('mmdet')
    backbone = MODELS.build(cfg.model.backbone)
    head = MODELS.build(cfg.model.roi_head.shared_head)
    b_missing, b_unexpected, b_other = load_report(backbone)
    h_missing, h_unexpected, h_other = load_report(head)

    stage4 = {k for k in exported if k.startswith('layer4.')}
    assert (len(exported), len(stage4)) == (n_keys, n_stage4)
    assert not b_other and not h_other  # no size mismatch
    # The backbone (stem, stages 1-3) misses nothing and leaves stage 4 to
    # the shared head, which misses only its extra norm.
    assert b_missing == set() and b_unexpected == stage4
    assert h_missing == EXTRA_NORM
    assert h_unexpected == set(exported) - stage4
    # Every exported key is used by one of the two, and its tensor arrived.
    used = (set(exported) - b_unexpected) | (set(exported) - h_unexpected)
    assert used == set(exported)
    own = {**{f'backbone.{k}': v for k, v in backbone.state_dict().items()},
           **{f'roi_head.shared_head.{k}': v
              for k, v in head.state_dict().items()}}
    assert all(torch.equal(own[stage_key(k)], v) for k, v in exported.items())


def test_frozen_run_keeps_every_pretrained_tensor(runs):
    backbone, work, _ = runs
    exported = torch.load(backbone, map_location='cpu')['state_dict']
    saved = last_state(work['frozen'])
    same, changed = compare(saved, exported, stage_key)
    # Stem, stages 1-3 and the shared head's stage 4, batch-norm statistics
    # and counters included.
    assert changed == [] and len(same) == len(exported) == 120
    # The heads did train: the extra norm left its initial statistics.
    assert not torch.equal(saved['roi_head.shared_head.norm.running_mean'],
                           torch.zeros(512))


def test_finetuned_run_changes_every_pretrained_tensor(runs):
    backbone, work, _ = runs
    exported = torch.load(backbone, map_location='cpu')['state_dict']
    same, changed = compare(last_state(work['finetune']), exported,
                            stage_key)
    assert same == [] and len(changed) == 120


@pytest.mark.parametrize('name', ['frozen', 'finetune'])
def test_runs_report_ap50_and_coco_style_ap(runs, name):
    _, work, logs = runs
    metrics = val_metrics(work[name])
    thresholds = [f'pascal_voc/AP{t}' for t in range(50, 100, 5)]
    assert set(thresholds) | {'pascal_voc/mAP'} <= set(metrics)
    assert all(0 <= metrics[k] <= 1 for k in thresholds)
    # pascal_voc/mAP is the mean over IoU 0.50:0.05:0.95 (COCO-style AP).
    mean = sum(metrics[k] for k in thresholds) / len(thresholds)
    assert abs(metrics['pascal_voc/mAP'] - mean) < 6e-3  # APs are rounded
    # the launcher's check
    assert 'ResNet-18, width 64, RGB, 120 tensors' in logs[name]


def test_voc0712_trains_on_both_years(tmp_path_factory):
    from mmdet.registry import DATASETS
    devkit = mini_voc(tmp_path_factory)
    cfg = Config.fromfile(VOC0712)
    init_default_scope('mmdet')
    for ds in cfg.train_dataloader.dataset.datasets:
        ds.data_root = f'{devkit}/'
    dataset = DATASETS.build(cfg.train_dataloader.dataset)
    # VOC2007 trainval (6) + VOC2012 trainval (8); MMEngine's ConcatDataset
    # accepts the two years only with ignore_keys=['dataset_type'].
    assert len(dataset) == 14
    paths = {dataset[i]['data_samples'].img_path.split('/')[-3]
             for i in range(len(dataset))}
    assert paths == {'VOC2007', 'VOC2012'}
    paper = Config.fromfile(PAPER + 'faster-rcnn_r50-c4_ms-24k_voc0712.py')
    assert paper.train_dataloader.dataset.ignore_keys == ['dataset_type']


def test_frozen_configs_freeze_backbone_and_shared_head():
    for frozen in (FROZEN, PAPER + 'faster-rcnn_r50-c4-frozen_ms-24k_voc07.py',
                   PAPER + 'faster-rcnn_r18-c4-frozen_ms-24k_voc0712.py'):
        model = Config.fromfile(frozen).model
        assert model.backbone.frozen_stages == 3
        assert model.roi_head.shared_head.frozen is True
        assert model.backbone.norm_cfg.type == 'SyncBN'
        assert model.data_preprocessor.bgr_to_rgb is True
    # tools/train.py's rescope_config leaves MMDetection's scope alone.
    from mmaccel.utils import load_config
    cfg = load_config(FROZEN)
    assert cfg.default_scope == 'mmdet'
    hook = cfg.default_hooks.checkpoint
    assert cfg.model._scope_ == hook._scope_ == 'mmdet'
    r18 = Config.fromfile(FINETUNE).model
    assert (r18.backbone.depth, r18.roi_head.shared_head.depth) == (18, 18)
    assert r18.backbone.frozen_stages == -1
    assert not r18.roi_head.shared_head.get('frozen', False)


def test_shared_head_freezes_and_norm_evals_every_batch_norm():
    from mmdet.models.roi_heads.shared_heads import ResLayer
    from mmengine.model import revert_sync_batchnorm
    from torch.nn.modules.batchnorm import _BatchNorm

    from mmaccel.models.transfer import ResLayerExtraNorm
    sync = dict(type='SyncBN', requires_grad=True)

    def bns(module):
        return [m for m in module.modules() if isinstance(m, _BatchNorm)]

    # Without distribution MMEngine turns SyncBN into _BatchNormXd, which
    # MMDetection's ResLayer.train() misses under norm_eval; ours does not.
    upstream = revert_sync_batchnorm(ResLayer(18, norm_cfg=sync))
    upstream.train()
    assert all(m.training for m in bns(upstream))
    head = revert_sync_batchnorm(ResLayerExtraNorm(18, norm_cfg=sync))
    head.train()
    # Two blocks of two, the downsample, the extra norm.
    assert len(bns(head)) == 6 and not any(m.training for m in bns(head))

    frozen = revert_sync_batchnorm(
        ResLayerExtraNorm(18, norm_cfg=sync, norm_eval=False, frozen=True))
    frozen.train()
    assert not any(m.training for m in frozen.layer4.modules())
    assert frozen.norm.training
    assert not any(p.requires_grad for p in frozen.layer4.parameters())
    assert all(p.requires_grad for p in frozen.norm.parameters())
    out = frozen(torch.randn(2, 256, 7, 7))
    assert out.shape == (2, 512, 4, 4)  # stage 4 of a ResNet-18, stride 2
    with pytest.raises(ValueError, match='depth=20 is not a ResNet depth'):
        ResLayerExtraNorm(20)
