import json
import os
import subprocess
from collections import Counter

import numpy as np
import pytest
from helpers import short_run, shrink

from mmaccel.engine import PartialBackpropHook
from mmaccel.utils import load_config

CONFIG = ('configs/accel_mocov2/'
          'accel-mocov2_resnet18-tiny_1xb256-coslr-50e_fmnist.py')


def ready(hook, exits, max_iters=None):
    """Initialise the hook for a model with these exits, as before_run does."""

    class Model:
        def __init__(self):
            self.exits = exits
            self.active = []

        def set_active_exit(self, k):
            self.active.append(k)

        def check_train_batch_size(self, n):
            pass

    class Runner:
        model = Model()

    Runner.max_iters = max_iters
    hook.before_run(Runner)
    return Runner


@pytest.mark.parametrize('probs', [None, (0.1, 0.2, 0.3, 0.4),
                                   (0.5, 0.0, 0.25, 0.25)])
def test_frequencies_follow_exit_probs(probs):
    hook = PartialBackpropHook(exit_probs=probs, seed=3)
    ready(hook, (1, 2, 3, 4))
    n = 2000
    counts = Counter(hook.draw(i) for i in range(n))
    expected = probs or (0.25, ) * 4
    for exit, p in zip((1, 2, 3, 4), expected):
        # 4 binomial standard deviations (at most 0.045 for n = 2000)
        tol = 4 * np.sqrt(p * (1 - p) / n) + 1e-9
        assert abs(counts[exit] / n - p) <= tol, (exit, counts)
    if probs and 0.0 in probs:
        assert counts[2] == 0


def test_draws_depend_on_seed_and_iteration_only():
    a, b = PartialBackpropHook(seed=1), PartialBackpropHook(seed=1)
    ready(a, (1, 2, 3, 4))
    ready(b, (1, 2, 3, 4))
    seq = [a.draw(i) for i in range(300)]
    assert [b.draw(i) for i in reversed(range(300))] == seq[::-1]
    other = PartialBackpropHook(seed=2)
    ready(other, (1, 2, 3, 4))
    assert [other.draw(i) for i in range(300)] != seq
    assert set(seq) == {1, 2, 3, 4}


@pytest.mark.parametrize('probs,match', [
    ((0.5, 0.6), 'sum to 1'), ((1.2, -0.2), 'non-negative'), ((), 'sum to 1')
])
def test_rejects_bad_probs_when_built(probs, match):
    with pytest.raises(ValueError, match=match):
        PartialBackpropHook(exit_probs=probs)


def test_rejects_probs_of_wrong_length_before_training():
    hook = PartialBackpropHook(exit_probs=(0.5, 0.5))
    with pytest.raises(ValueError, match=r'2 entries.*4 exits \(1, 2, 3, 4\)'):
        ready(hook, (1, 2, 3, 4))


def test_validation_and_test_use_the_last_exit():
    hook = PartialBackpropHook()
    runner = ready(hook, (1, 2, 3, 4))
    runner.model.set_active_exit(2)
    hook.before_val_epoch(runner)
    assert runner.model.active[-1] == 4
    runner.model.set_active_exit(1)
    hook.before_test_epoch(runner)
    assert runner.model.active[-1] == 4


# a schedule, so that ranks and resumed runs must agree on it too
SCHEDULE = [(0.0, (0.4, 0.2, 0.2, 0.2)), (1.0, (0.1, 0.2, 0.3, 0.4))]


def recorder_config(tmp_path, **overrides):
    """A tiny accelerated run that records the exit of every iteration."""
    opts = dict(batch_size=8, max_iters=200, queue_len=256, ckpt=1000)
    opts.update(overrides)
    cfg = shrink(load_config(CONFIG), short_run(
        opts['max_iters'], opts['batch_size'], log_interval=50,
        checkpoint_interval=opts['ckpt']))
    cfg.model.queue_len = opts['queue_len']
    cfg.custom_imports = dict(imports=['mmaccel', 'exit_recorder'],
                              allow_failed_imports=False)
    cfg.custom_hooks = [
        dict(type='PartialBackpropHook', seed=5, schedule=SCHEDULE),
        dict(type='ExitRecorderHook')
    ]
    path = tmp_path / 'recorded.py'
    cfg.dump(str(path))
    return str(path)


def read_exits(work_dir, rank=0):
    with open(os.path.join(work_dir, f'exits_rank{rank}.json')) as f:
        records = {int(k): v for k, v in json.load(f).items()}
    losses = [loss for _, loss in records.values()]
    assert np.isfinite(losses).all()
    return {i: exit for i, (exit, _) in records.items()}


def test_two_ranks_draw_the_same_exits(tmp_path, subprocess_env):
    """torchrun, two processes on CPU (gloo), 200 iterations."""
    work_dir = tmp_path / 'work'
    env = dict(subprocess_env, PORT='29531')
    proc = subprocess.run(
        ['bash', 'tools/dist_train.sh', recorder_config(tmp_path), '2',
         '--work-dir', str(work_dir)],
        env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    rank0, rank1 = read_exits(work_dir, 0), read_exits(work_dir, 1)
    assert sorted(rank0) == list(range(200))
    assert rank0 == rank1
    hook = PartialBackpropHook(seed=5, schedule=SCHEDULE)
    ready(hook, (1, 2, 3, 4), max_iters=200)
    assert [rank0[i] for i in range(200)] == [hook.draw(i) for i in range(200)]
    assert set(rank0.values()) == {1, 2, 3, 4}


def test_resumed_run_draws_the_same_sequence(tmp_path, python,
                                             subprocess_env):
    env = subprocess_env
    cfg = recorder_config(tmp_path, max_iters=20, ckpt=10)
    full, resumed = tmp_path / 'full', tmp_path / 'resumed'
    proc = subprocess.run(
        [python, 'tools/train.py', cfg, '--work-dir', str(full)],
        env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    # a new run resumed from the full run's iteration-10 checkpoint
    proc = subprocess.run(
        [python, 'tools/train.py', cfg, '--work-dir', str(resumed),
         '--resume', str(full / 'iter_10.pth')],
        env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    first, again = read_exits(full), read_exits(resumed)
    assert sorted(first) == list(range(20))
    assert sorted(again) == list(range(10, 20))
    assert {i: first[i] for i in range(10, 20)} == again


def test_queue_not_divisible_by_batch_fails_before_training(
        tmp_path, python, subprocess_env):
    """queue_len 250 with batch 8: the run stops before its first iteration
    with a message naming both, and writes no checkpoint."""
    cfg = recorder_config(tmp_path, queue_len=250, max_iters=5, ckpt=1)
    proc = subprocess.run(
        [python, 'tools/train.py', cfg, '--work-dir', str(tmp_path / 'w')],
        env=subprocess_env, capture_output=True, text=True,
        timeout=600)
    assert proc.returncode == 1, proc.stderr[-3000:]
    assert 'model.queue_len=250 must be divisible by the total training ' \
        'batch size (8)' in proc.stderr
    assert '(train)' not in proc.stdout  # no iteration logged
    assert not list((tmp_path / 'w').glob('*.pth'))
