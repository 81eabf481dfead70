"""KNNEvalHook in a real Runner on the tiny Fashion-MNIST config."""
import copy
import json

import pytest
import torch
from mmengine.runner import Runner

from mmaccel.engine.hooks import KNNEvalHook
from mmaccel.utils import load_config

CONFIG = ('configs/benchmarks/'
          'mocov2_resnet18-tiny_1xb256-coslr-3e_fmnist-knn.py')


def small_cfg(work_dir):
    cfg = load_config(CONFIG)
    cfg.work_dir = str(work_dir)
    cfg.train_dataloader.merge(
        dict(batch_size=32, num_workers=0, persistent_workers=False))
    cfg.train_dataloader.dataset.indices = 64
    cfg.train_cfg.max_epochs = 1
    cfg.param_scheduler = []
    cfg.model.queue_len = 64
    knn = cfg.custom_hooks[0]
    assert knn.type == 'KNNEvalHook'
    knn.k = 10
    knn.train_dataloader.dataset.indices = 60
    knn.val_dataloader.dataset.indices = 40
    cfg.default_hooks.checkpoint = None
    return cfg


def test_knn_eval_hook_logs_each_epoch(tmp_path):
    runner = Runner.from_cfg(small_cfg(tmp_path))
    hook = next(h for h in runner.hooks if isinstance(h, KNNEvalHook))
    runner.train()
    lines = [json.loads(line) for line in
             open(f'{runner.log_dir}/vis_data/scalars.json')]
    knn = [r for r in lines if 'knn_top1' in r]
    assert [r['knn_epoch'] for r in knn] == [0, 1]  # eval_at_start, epoch 1
    assert [r['step'] for r in knn] == [0, 2]
    for r in knn:
        assert 0 <= r['knn_top1'] <= 100
        # 40 queries: accuracy is a multiple of 2.5 %
        assert r['knn_top1'] / 2.5 == pytest.approx(round(r['knn_top1'] / 2.5))
    assert knn[0]['train_wall_s'] == pytest.approx(0, abs=0.5)
    assert knn[1]['train_wall_s'] > knn[0]['train_wall_s']
    assert knn[1]['train_cpu_s'] > knn[0]['train_cpu_s']
    # evaluation time is not counted as training time
    assert hook.eval_seconds[0] > 0

    # evaluation runs in eval mode: batch-norm statistics do not move, and
    # the model is left in training mode
    model = runner.model
    model.train()
    bn = copy.deepcopy(model.backbone.bn1.running_mean)
    top1 = hook.evaluate(runner)['knn_top1']
    assert torch.equal(model.backbone.bn1.running_mean, bn)
    assert model.training
    assert top1 == pytest.approx(knn[1]['knn_top1'])


@pytest.mark.parametrize('kwargs,message', [
    (dict(interval=0), 'interval must be a positive integer; got 0'),
    (dict(k=2.5), 'k must be a positive integer; got 2.5'),
    (dict(temperature=-1), 'temperature must be > 0; got -1'),
])
def test_bad_settings(kwargs, message):
    args = dict(train_dataloader={}, val_dataloader={}, num_classes=10)
    with pytest.raises(ValueError, match=message):
        KNNEvalHook(**{**args, **kwargs})


def test_per_exit_knn_and_linear_probe(tmp_path):
    """An accelerated backbone reports kNN per exit (the last is knn_top1)
    and the linear probe; a plain backbone reports its last map only."""
    cfg = small_cfg(tmp_path)
    cfg.custom_hooks[0].merge(dict(per_exit=True, linear_probe=True))
    plain = Runner.from_cfg(cfg)
    hook = next(h for h in plain.hooks if isinstance(h, KNNEvalHook))
    assert set(hook.evaluate(plain)) == {'knn_top1', 'linear_top1'}

    accel = load_config(
        'configs/benchmarks/'
        'accel-mocov2_resnet18-tiny_1xb256-coslr-3e_fmnist-knn.py')
    cfg.model = accel.model
    cfg.model.queue_len = 64
    cfg.model.backbone.out_stem = True
    cfg.work_dir = str(tmp_path / 'accel')
    runner = Runner.from_cfg(cfg)
    hook = next(h for h in runner.hooks if isinstance(h, KNNEvalHook))
    results = hook.evaluate(runner)
    assert set(results) == {'knn_top1', 'linear_top1', 'knn_top1_stem'} | {
        f'knn_top1_exit{k}' for k in (1, 2, 3, 4)}
    assert results['knn_top1'] == results['knn_top1_exit4']
    for v in results.values():
        assert 0 <= v <= 100
