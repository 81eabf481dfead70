"""mmaccel.apis.paired_stats: the 95 % t interval, and runs trained to one
time budget or for equal epochs, paired seed by seed
(tools/analysis/budget_pairs.py)."""
import json
import subprocess
import sys
from pathlib import Path

import pytest

from mmaccel.apis.paired_stats import budget_pairs, mean_ci

REPO = Path(__file__).resolve().parents[2]


def run(setting, seed, epochs, knn, linear, digits=None, wall=1200.0):
    r = dict(method='mocov2', setting=setting, seed=seed, epochs=epochs,
             knn_final=knn, linear_top1=linear, train_wall_s=wall)
    if digits is not None:
        r['transfer'] = dict(digits=dict(
            top1=dict(stage4=dict(k20=digits[0])),
            linear_top1=dict(stage2=digits[1], stage4=digits[2])))
    return r


RUNS = [
    run('base', 0, 4.0, 70.0, 77.0, (88.0, 94.0, 91.0)),
    run('acc', 0, 5.0, 70.5, 76.0, (87.0, 93.0, 92.0)),
    run('base', 1, 5.0, 71.0, 78.0),
    run('acc', 1, 7.0, 70.0, 78.5),
    run('acc', 2, 6.0, 99.0, 99.0),  # no baseline of seed 2: not paired
]
# equal epochs: the speed-up is the ratio of training times
EPOCH_RUNS = [
    run('base', 0, 8, 72.0, 80.0, wall=1000.0),
    run('acc', 0, 8, 71.0, 79.5, wall=800.0),
    run('base', 1, 8, 73.0, 81.0, wall=1100.0),
    run('acc', 1, 8, 72.5, 80.0, wall=1000.0),
]


def test_mean_ci_is_the_t_interval():
    m, lo, hi = mean_ci([1.0, 3.0])  # sd sqrt(2), t(1) = 12.706
    assert m == 2.0
    assert hi - m == pytest.approx(12.706 * 2 ** 0.5 / 2 ** 0.5)
    assert lo == pytest.approx(2.0 - 12.706)
    assert mean_ci([5.0]) == (5.0, None, None)


def test_pairs_by_seed():
    p = budget_pairs(RUNS, 'base', 'acc')
    assert p['seeds'] == [0, 1]
    assert p['epochs'] == [(4.0, 5.0), (5.0, 7.0)]
    assert p['speed'] == pytest.approx([1.25, 1.4])
    assert p['knn'] == pytest.approx([0.5, -1.0])
    assert p['linear'] == pytest.approx([-1.0, 0.5])
    # transfer only where both runs of the seed have it
    assert p['digits_knn20_stage4'] == pytest.approx([-1.0])
    assert p['digits_linear_stage4'] == pytest.approx([1.0])
    assert p['digits_linear_best'] == pytest.approx([-1.0])  # 93 vs 94
    # a run that stopped a little after the budget: epochs per second count
    late = [dict(r, train_wall_s=1250.0) if r['setting'] == 'acc' else r
            for r in RUNS]
    assert budget_pairs(late, 'base', 'acc')['speed'] == pytest.approx(
        [1.25 * 1200 / 1250, 1.4 * 1200 / 1250])
    q = budget_pairs(EPOCH_RUNS, 'base', 'acc')
    assert q['speed'] == pytest.approx([1.25, 1.1])
    assert q['knn'] == pytest.approx([-1.0, -0.5])


def test_tool_prints_the_table(tmp_path):
    results = tmp_path / 'quality.json'
    results.write_text(json.dumps(dict(runs=RUNS)))
    cmd = [sys.executable, str(REPO / 'tools/analysis/budget_pairs.py'),
           '--results', str(results), '--baseline', 'base']
    out = subprocess.run(cmd + ['--settings', 'acc'], capture_output=True,
                         text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert '| epochs in the budget (baseline / setting) | - | ' \
        's0: 4.00 / 5.00, s1: 5.00 / 7.00 |' in out.stdout
    assert '| gap at equal time: kNN top-1 (Fashion-MNIST) | -0.25 ' \
        '(-9.78..+9.28) | +0.50, -1.00 |' in out.stdout
    results.write_text(json.dumps(dict(runs=EPOCH_RUNS)))
    out = subprocess.run(cmd + ['--settings', 'acc'], capture_output=True,
                         text=True, timeout=120)
    assert '| epochs (baseline / setting) | - | s0: 8.00 / 8.00, ' \
        's1: 8.00 / 8.00 |' in out.stdout
    assert '| 1.25x, 1.10x |' in out.stdout
    assert '| gap at equal epochs: kNN top-1 (Fashion-MNIST) | -0.75 ' \
        in out.stdout
    assert 'equal time' not in out.stdout
    bad = subprocess.run(cmd + ['--settings', 'other'], capture_output=True,
                         text=True, timeout=120)
    assert bad.returncode != 0
    assert 'no seed that both base and other ran' in bad.stderr
