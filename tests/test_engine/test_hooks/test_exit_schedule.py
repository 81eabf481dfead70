"""PartialBackpropHook's exit schedules: frequencies follow the schedule at
several points of training, draws are a function of (seed, iteration), and the
expected cost it reports is sum_k p_k * cost_k."""
import re
from collections import Counter

import numpy as np
import pytest
import torch
from mmengine.runner import Runner

from mmaccel.engine import PartialBackpropHook
from mmaccel.models.utils.cost_model import backbone_macs_to_exit
from mmaccel.utils import load_config

RAMP = [(0.0, (0.7, 0.1, 0.1, 0.1)), (0.5, (0.25, 0.25, 0.25, 0.25)),
        (1.0, (0.1, 0.1, 0.1, 0.7))]


class Model:
    exits = (1, 2, 3, 4)

    def set_active_exit(self, k):
        self.active = k


class FakeRunner:
    model = Model()

    def __init__(self, max_iters):
        self.max_iters = max_iters


def ready(hook, max_iters):
    hook.before_run(FakeRunner(max_iters))
    return hook


@pytest.mark.parametrize('progress,expected', [
    (0.0, (0.7, 0.1, 0.1, 0.1)),
    (0.25, (0.475, 0.175, 0.175, 0.175)),
    (0.5, (0.25, 0.25, 0.25, 0.25)),
    (0.75, (0.175, 0.175, 0.175, 0.475)),
    (1.0, (0.1, 0.1, 0.1, 0.7)),
])
def test_frequencies_follow_the_schedule(progress, expected):
    # so many iterations that the probabilities stay put over 10,000 draws
    max_iters = 10**9
    hook = ready(PartialBackpropHook(schedule=RAMP, seed=7), max_iters)
    np.testing.assert_allclose(hook.probs_at(progress), expected, atol=1e-12)
    start = min(int(progress * max_iters), max_iters - 10_000)
    n = 10_000
    counts = Counter(hook.draw(i) for i in range(start, start + n))
    for exit, p in zip((1, 2, 3, 4), expected):
        tol = 4 * np.sqrt(p * (1 - p) / n)  # 4 binomial standard deviations
        assert abs(counts[exit] / n - p) <= tol, (progress, exit, counts)


def test_draws_are_a_function_of_seed_and_iteration():
    a = ready(PartialBackpropHook(schedule=RAMP, seed=3), 1000)
    b = ready(PartialBackpropHook(schedule=RAMP, seed=3), 1000)
    seq = [a.draw(i) for i in range(1000)]
    # another hook (another rank, or a resumed run) in another order
    assert [b.draw(i) for i in reversed(range(1000))] == seq[::-1]
    assert seq[:100].count(1) > seq[:100].count(4)  # early: exit 1 most
    assert seq[-100:].count(4) > seq[-100:].count(1)  # late: exit 4 most


def test_expected_cost_is_sum_of_p_times_cost():
    costs = {1: 0.3, 2: 0.45, 3: 0.52, 4: 0.6}
    fixed = ready(PartialBackpropHook(exit_probs=(0.1, 0.2, 0.3, 0.4)), 10)
    assert fixed.expected_cost(costs) == pytest.approx(
        0.1 * 0.3 + 0.2 * 0.45 + 0.3 * 0.52 + 0.4 * 0.6)
    ramp = ready(PartialBackpropHook(schedule=RAMP), 10)
    grid = np.linspace(0, 1, 101)
    vec = np.array([0.3, 0.45, 0.52, 0.6])
    manual = np.mean([ramp.probs_at(t) @ vec for t in grid])
    assert ramp.expected_cost(costs) == pytest.approx(manual)
    # symmetric ramp: on average the uniform probabilities
    assert manual == pytest.approx(vec.mean(), abs=0.01)


@pytest.mark.parametrize('kwargs,match', [
    (dict(schedule=[(0, (0.5, 0.5)), (0, (0.5, 0.5))]), 'distinct progress'),
    (dict(schedule=[(0.5, (0.5, 0.5)), (0.2, (0.5, 0.5))]), 'increasing'),
    (dict(schedule=[(0, (0.5, 0.5)), (1.5, (0.5, 0.5))]), r'in \[0, 1\]'),
    (dict(schedule=[(0, (0.5, 0.6))]), 'sum to 1'),
    (dict(schedule=[(0, (0.5, 0.5)), (1, (1.0, ))]), 'one probability per'),
    (dict(schedule='uniform'), 'keypoints'),
    (dict(schedule=[(0, (1.0, ))], exit_probs=(1.0, )), 'not both'),
])
def test_rejects_bad_schedules_when_built(kwargs, match):
    with pytest.raises(ValueError, match=match):
        PartialBackpropHook(**kwargs)


def test_schedule_of_wrong_length_fails_before_training():
    hook = PartialBackpropHook(schedule=[(0, (0.5, 0.5)), (1, (0.5, 0.5))])
    with pytest.raises(ValueError, match=r'schedule has 2 entries.*4 exits'):
        ready(hook, 10)


def test_runner_reports_the_expected_cost(tmp_path):
    """A real run: the logged expected cost is sum_k p_k * cost_k with each
    exit's MACs counted independently (crops of the selector included), and
    measuring the costs leaves the batch-norm statistics alone."""
    cfg = load_config('configs/accel_mocov2/'
                      'accel-mocov2_resnet18-tiny_1xb256-coslr-50e_fmnist.py')
    cfg.work_dir = str(tmp_path)
    cfg.train_dataloader.merge(
        dict(batch_size=8, num_workers=0, persistent_workers=False))
    cfg.train_dataloader.dataset.indices = 16
    cfg.model.queue_len = 16
    cfg.train_cfg.max_epochs = 1
    cfg.param_scheduler = []
    cfg.default_hooks.checkpoint = None
    cfg.custom_hooks = [dict(type='PartialBackpropHook', schedule=RAMP)]
    runner = Runner.from_cfg(cfg)
    hook = next(h for h in runner.hooks
                if isinstance(h, PartialBackpropHook))
    runner.train()
    model = runner.model
    x = next(iter(runner.train_dataloader))['inputs'][0][:1].float()
    model.eval()  # one image: batch norm must use its running statistics
    full = backbone_macs_to_exit(model.backbone, x)
    costs = {k: backbone_macs_to_exit(model.backbone, x, k, model.selector) /
             full for k in (1, 2, 3, 4)}
    model.train()
    assert hook.costs == pytest.approx(costs)
    stats = {k: v.clone() for k, v in model.state_dict().items()}
    assert hook.measure_costs(model, x) == pytest.approx(costs)
    assert model.training
    for k, v in model.state_dict().items():
        assert torch.equal(v, stats[k]), k
    assert costs[1] < costs[2] < costs[3] < costs[4] < 1
    expected = hook.expected_cost(costs)
    log = open(f'{runner.log_dir}/{runner.timestamp}.log').read()
    logged = float(re.search(r'expected cost per step ([0-9.]+)', log)[1])
    assert logged == pytest.approx(expected, abs=5e-4)
