"""tools/demo.py --budget: both tiny MoCo v2 twins trained to the same
training-time budget (tools/train.py --time-budget), each evaluated before
training and at every sixth of the budget, compared at the budget.

The runs read a clock that ticks by a fixed amount at every reading
(``fake_clock.ticking``), so which iterations the budget and its shares fall
after does not depend on the machine's speed or load."""
import json
import subprocess

import pytest
from test_demo import TINY

from mmaccel.engine.runner import parse_time_budget

BUDGET, EVALS = '8s', 6


@pytest.fixture(scope='module')
def budget_demo(tmp_path_factory, python, subprocess_env):
    work_dir = tmp_path_factory.mktemp('demo_budget')
    env = dict(subprocess_env)  # fake_clock importable
    # TINY ends with its --cfg-options: the clock joins them
    proc = subprocess.run(
        [python, 'tools/demo.py', '--work-dir', str(work_dir), *TINY,
         '+train_cfg.clock=fake_clock.ticking', '--budget', BUDGET,
         '--evals', str(EVALS)],
        env=env, capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stderr[-3000:] + proc.stdout[-3000:]
    return work_dir, proc


def test_both_models_trained_to_the_budget_with_enough_points(budget_demo):
    work_dir, proc = budget_demo
    budget = parse_time_budget(BUDGET)
    s = json.loads((work_dir / 'summary.json').read_text())
    assert s['settings']['time_budget'] == BUDGET
    for role in ('baseline', 'accel'):
        m = s[role]
        curve = m['curve']
        # before training, at 1/6 .. 5/6 of the budget, and at its end
        assert len(curve) == EVALS + 1, curve
        assert curve[0][0] == 0 and curve[0][1] < curve[1][1]
        times = [t for _, t, _ in curve]
        assert times == sorted(times)
        for k, t in enumerate(times[1:-1], start=1):
            assert t >= k * budget / EVALS - 0.01, (k, times)  # s rounded
        assert m['train_wall_s'] == times[-1] >= budget - 0.01
        epochs = [e for e, _, _ in curve]
        assert epochs == sorted(epochs) and epochs[-1] > 0
        assert m['knn_at_equal_time'] == m['knn_final']
    base, accel = s['baseline'], s['accel']
    assert s['equal_time_s'] == budget
    assert s['speedup'] == pytest.approx(
        (accel['images_seen'] / accel['train_wall_s'])
        / (base['images_seen'] / base['train_wall_s']), abs=1e-3)
    assert '--time-budget' in proc.stdout  # the training commands
    assert 'fake_clock.ticking' in proc.stdout
    assert 'of the budget (epoch' in proc.stdout
    md = (work_dir / 'summary.md').read_text()
    assert f'a training-time budget of {BUDGET} per model' in md
