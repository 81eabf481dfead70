"""A config inheriting MMPretrain's MoCo v2 builds and trains a step on CPU."""
import subprocess
import textwrap

import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope

from mmaccel.registry import MODELS
from mmaccel.utils import load_config

UPSTREAM = 'mmpretrain::mocov2/mocov2_resnet50_8xb32-coslr-200e_in1k.py'

TINY_MOCOV2 = f"""
_base_ = '{UPSTREAM}'
default_scope = 'mmaccel'
custom_imports = dict(imports=['mmaccel'], allow_failed_imports=False)
model = dict(
    queue_len=32,
    feat_dim=8,
    backbone=dict(depth=18, base_channels=8, stem_channels=8),
    neck=dict(in_channels=64, hid_channels=16, out_channels=8))
"""


def write_config(tmp_path, text, name='cfg.py'):
    path = tmp_path / name
    path.write_text(textwrap.dedent(text))
    return str(path)


def test_inherited_mocov2_builds_and_gives_finite_loss(tmp_path):
    cfg = load_config(write_config(tmp_path, TINY_MOCOV2))
    assert cfg.model.type == 'MoCo' and cfg.model.momentum == 0.001
    assert cfg.model.backbone.depth == 18
    init_default_scope(cfg.default_scope)
    cfg.model.data_preprocessor = cfg.data_preprocessor
    model = MODELS.build(cfg.model)
    assert type(model).__module__.startswith('mmpretrain.')

    torch.manual_seed(0)
    views = [torch.randint(0, 256, (4, 3, 32, 32), dtype=torch.uint8)
             for _ in range(2)]
    data = model.data_preprocessor(
        dict(inputs=views, data_samples=None), training=True)
    ptr_before = int(model.queue_ptr)
    losses = model(data['inputs'], data['data_samples'], mode='loss')
    assert set(losses) == {'loss'}
    assert torch.isfinite(losses['loss'])
    losses['loss'].backward()
    assert model.backbone.conv1.weight.grad is not None
    assert int(model.queue_ptr) == (ptr_before + 4) % 32


def test_upstream_bases_are_built_under_mmaccel(tmp_path):
    path = write_config(tmp_path, TINY_MOCOV2)
    # MMEngine marks what comes from an mmpretrain:: base with its scope,
    # which hides mmaccel's registries from it ...
    raw = Config.fromfile(path)
    assert raw.model._scope_ == 'mmpretrain'
    assert raw.train_cfg._scope_ == 'mmpretrain'
    # ... load_config moves those marks to mmaccel.
    cfg = load_config(path)
    assert cfg.model._scope_ == 'mmaccel'
    assert cfg.train_cfg._scope_ == 'mmaccel'
    assert cfg.train_dataloader.dataset._scope_ == 'mmaccel'


def test_other_scopes_are_kept(tmp_path):
    path = write_config(
        tmp_path, f"""
        _base_ = '{UPSTREAM}'
        default_scope = 'mmaccel'
        extra = dict(type='FasterRCNN', _scope_='mmdet')
        """)
    assert load_config(path).extra._scope_ == 'mmdet'
    path = write_config(
        tmp_path, f"""
        _base_ = '{UPSTREAM}'
        """, name='upstream_scope.py')
    assert load_config(path).model._scope_ == 'mmpretrain'


def test_upstream_names_resolve_in_a_fresh_process(python, subprocess_env):
    # Only `import mmaccel`: the lookup must import MMPretrain's models itself.
    code = ('import mmaccel\n'
            'from mmaccel.registry import MODELS, DATASETS, HOOKS\n'
            'assert MODELS.get("MoCo") is not None\n'
            'assert MODELS.get("ResNet") is not None\n'
            'assert DATASETS.get("FashionMNIST") is not None\n'
            'assert HOOKS.get("SwAVHook") is not None\n')
    proc = subprocess.run([python, '-c', code],
                          env=subprocess_env,
                          capture_output=True,
                          text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
