"""mmaccel.utils.config_tree: the one walker over config trees, on a small
tree and on a real config (every reader of a config's tree uses it)."""
from mmengine.config import Config, ConfigDict

from mmaccel.utils.config_tree import (MISSING, dicts, find_paths, lookup,
                                       plain_tree, walk)

TREE = dict(
    model=dict(type='MoCo', backbone=dict(type='ResNet', depth=18)),
    custom_hooks=[dict(type='A', k=1), dict(type='B', k=2)],
    scale=(0.2, 1.0))


def test_walk_paths_in_order_with_list_indices():
    paths = [path for path, _, _ in walk(TREE)]
    assert paths == [
        'model', 'model.type', 'model.backbone', 'model.backbone.type',
        'model.backbone.depth', 'custom_hooks', 'custom_hooks.0',
        'custom_hooks.0.type', 'custom_hooks.0.k', 'custom_hooks.1',
        'custom_hooks.1.type', 'custom_hooks.1.k', 'scale', 'scale.0',
        'scale.1'
    ]
    assert [p for p, _, _ in walk(TREE, depth=1)] == [
        'model', 'custom_hooks', 'scale']
    assert [p for p, _, _ in walk(TREE['model'], prefix='model.',
                                  depth=1)] == ['model.type', 'model.backbone']
    assert list(walk(3)) == [] and list(walk('text')) == []


def test_find_paths_lookup_and_dicts():
    assert list(find_paths(TREE, lambda k, v: k == 'k')) == [
        ('custom_hooks.0.k', 1), ('custom_hooks.1.k', 2)]
    assert lookup(TREE, 'custom_hooks.1.k') == 2
    assert lookup(TREE, ['model', 'backbone', 'depth']) == 18
    assert lookup(TREE, 'scale.1') == 1.0
    for missing in ('custom_hooks.2', 'model.neck', 'scale.x', 'model.type.x'):
        assert lookup(TREE, missing) is MISSING
    # the node itself first (a model is rewritten too), then the dicts inside
    assert [d.get('type') for d in dicts(TREE)] == [
        None, 'MoCo', 'ResNet', 'A', 'B']
    assert list(dicts([dict(type='A')])) == [dict(type='A')]


def test_a_real_config_as_plain_dicts(repo_root):
    cfg = Config.fromfile(
        'configs/accel_mocov2/'
        'accel-mocov2_resnet18-tiny_1xb256-coslr-50e_fmnist.py')
    tree = plain_tree(cfg)
    assert type(tree) is dict and type(tree['model']) is dict
    assert not any(isinstance(v, ConfigDict) for _, _, v in walk(tree))
    assert lookup(tree, 'model.type') == cfg.model.type
    hooks = [p for p, v in find_paths(
        tree, lambda k, v: k == 'type' and v == 'PartialBackpropHook')]
    assert hooks and all(p.startswith('custom_hooks.') for p in hooks)
    assert plain_tree(cfg.model) == tree['model']
