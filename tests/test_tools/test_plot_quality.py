"""plot_quality.py's paired gaps and their 95 % intervals, on records made
here, against values computed by hand."""
import json
import subprocess

import numpy as np


def _record(setting, seed, curve):
    return dict(method='mocov2', setting=setting, seed=seed,
                curve=curve, curve_cpu=curve, linear_top1=70.0,
                knn_final_raw=60.0, knn_random_init=curve[0][2],
                linear_curve=[[e, t, 70.0] for e, t, _ in curve])


def test_paired_table(tmp_path, python):
    # baseline: 2 epochs in 100 s; the other setting: 2 epochs in 80 s
    base = {0: 70.0, 1: 71.0, 2: 72.0}
    gaps = {0: -0.5, 1: 0.1, 2: -1.0}
    runs = []
    for s in base:
        runs.append(_record('base', s, [[0, 0, 60.0], [1, 50, base[s] - 2],
                                        [2, 100, base[s]]]))
        runs.append(_record('fast', s, [[0, 0, 60.0], [1, 40, base[s] - 1],
                                        [2, 80, base[s] + gaps[s]]]))
    results = tmp_path / 'q.json'
    results.write_text(json.dumps(dict(runs=runs)))
    out = subprocess.run(
        [python, 'tools/analysis/plot_quality.py', '--results',
         str(results), '--method', 'mocov2', '--baseline', 'base',
         '--settings', 'base', 'fast', '--out', str(tmp_path / 'q.png')],
        capture_output=True, text=True, check=True).stdout
    row = [line for line in out.splitlines() if line.startswith('| fast | 3')]
    assert len(row) == 1, out
    g = np.array([gaps[s] for s in base])
    half = 4.303 * g.std(ddof=1) / np.sqrt(3)  # t(0.975, 2 df)
    expected = f'{g.mean():+.2f} ({g.mean() - half:+.2f}..' \
               f'{g.mean() + half:+.2f})'
    assert row[0].split(' | ')[2] == expected
    # equal time: at 80 s the baseline stands at base - 2 + 0.6 * 2
    t_gaps = np.array([base[s] + gaps[s] - (base[s] - 2 + 0.6 * 2)
                       for s in base])
    assert row[0].split(' | ')[3].startswith(f'{t_gaps.mean():+.2f} (')
    assert 's2: -1.00 / ' in row[0]
    assert (tmp_path / 'q.png').exists()


def test_seeds_restrict_every_setting(tmp_path, python):
    runs = [_record(name, s, [[0, 0, 60.0], [2, 100, 70.0 + s]])
            for name in ('base', 'fast') for s in range(3)]
    runs.append(_record('fast', 3, [[0, 0, 60.0], [2, 80, 90.0]]))
    results = tmp_path / 'q.json'
    results.write_text(json.dumps(dict(runs=runs)))
    cmd = [python, 'tools/analysis/plot_quality.py', '--results',
           str(results), '--method', 'mocov2', '--baseline', 'base',
           '--settings', 'base', 'fast', '--out', str(tmp_path / 'q.png')]
    out = subprocess.run(cmd + ['--seeds', '1', '2'], capture_output=True,
                         text=True, check=True).stdout
    # the table's row: 2 seeds, final kNN mean of seeds 1 and 2 (71, 72)
    assert '| fast | 2 | 2 | 71.50 (71.00..72.00) | +0.00 |' in out, out
    # without --seeds the table averages each setting's own seeds:
    # (70 + 71 + 72 + 90) / 4
    out = subprocess.run(cmd, capture_output=True, text=True,
                         check=True).stdout
    assert '| fast | 2 | 4 | 75.75 (70.00..90.00) |' in out, out
    bad = subprocess.run(cmd + ['--seeds', '3'], capture_output=True,
                         text=True)
    assert bad.returncode != 0
    assert "--seeds: setting 'base' has no run with seeds [3]" in bad.stderr
