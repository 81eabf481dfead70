"""Every config in configs/ loads (upstream bases included) and builds its
model and hooks; the paper-scale accelerated configs carry the paper's
defaults."""
import ast
from pathlib import Path

import numpy as np
import pytest
from mmengine.registry import init_default_scope

from mmaccel.registry import HOOKS, MODELS, TRANSFORMS
from mmaccel.utils import load_config

ROOT = Path(__file__).resolve().parents[2]
CONFIGS = sorted(
    p.relative_to(ROOT).as_posix() for p in (ROOT / 'configs').rglob('*.py')
    if '_base_' not in p.parts
    and p.name not in ('knn_fmnist.py', 'knn_fmnist-64px.py',
                       'knn_fmnist-224px.py'))  # fragments


def local_bases(path: Path) -> list:
    """The files that the config at ``path`` names in ``_base_``, resolved
    (upstream ones such as ``mmpretrain::...`` left out)."""
    for node in ast.parse(path.read_text()).body:
        if isinstance(node, ast.Assign) and any(
                getattr(t, 'id', None) == '_base_' for t in node.targets):
            names = ast.literal_eval(node.value)
            names = [names] if isinstance(names, str) else names
            return [(path.parent / n).resolve() for n in names
                    if '::' not in n]
    return []


def test_every_config_file_is_built():
    """test_config_builds reaches every file under configs/: the configs it
    builds, and through their ``_base_`` every base and fragment. A base that
    does not exist, or a file that no built config uses, fails here."""
    reached = {ROOT / p for p in CONFIGS}
    todo = list(reached)
    while todo:
        for base in local_bases(todo.pop()):
            assert base.is_file(), f'{base} (a _base_) does not exist'
            if base not in reached:
                reached.add(base)
                todo.append(base)
    unused = [p.relative_to(ROOT).as_posix()
              for p in sorted((ROOT / 'configs').rglob('*.py'))
              if p.resolve() not in reached]
    assert not unused


@pytest.mark.parametrize('path', CONFIGS)
def test_config_builds(path):
    cfg = load_config(path)
    init_default_scope(cfg.get('default_scope', 'mmaccel'))
    model = MODELS.build(cfg.model)
    for hook in cfg.get('custom_hooks', []):
        if hook['type'] != 'SwAVHook':  # SwAVHook reads the world size only
            # the Runner takes `priority` off before building a hook
            HOOKS.build({k: v for k, v in hook.items() if k != 'priority'})
    if type(model).__name__.startswith('Accel'):
        assert cfg.model_wrapper_cfg.find_unused_parameters
        assert any(h['type'] == 'PartialBackpropHook'
                   for h in cfg.custom_hooks)
    if path.endswith('_in1k.py') or '_in1k-' in path:
        assert model.backbone.depth == 50
        if type(model).__name__.startswith('Accel'):
            assert model.exits == (1, 2, 3, 4)
            assert model.selector.positions == (1, 2)
            assert model.selector.crop_ratio == 0.75
            assert model.selector.num_candidates == 2


@pytest.mark.parametrize('name,sizes', [
    ('accel-swav_resnet50_8xb32-mcrop-coslr-200e_in1k-224px-96px.py',
     [224] * 2 + [96] * 6),
    ('accel-swav_resnet50_8xb32-mcrop-coslr-200e_in1k-160px-96px.py',
     [160] * 2 + [96] * 4),
])
def test_swav_multi_crop_views(name, sizes):
    cfg = load_config(f'configs/accel_swav/{name}')
    init_default_scope('mmaccel')
    views = TRANSFORMS.build(cfg.train_dataloader.dataset.pipeline[1])(
        dict(img=np.zeros((300, 300, 3), dtype=np.uint8)))['img']
    assert [v.shape[0] for v in views] == sizes
    assert cfg.model.head.loss.num_crops == [2, len(sizes) - 2]
