"""Paired statistics of the quality runs (``docs/results/quality.json``).

:func:`mean_ci` is the mean with its two-sided 95 % Student-t interval that
``tools/analysis/plot_quality.py`` and ``tools/analysis/budget_pairs.py``
print; :func:`budget_pairs` compares runs trained to the same time budget,
or for equal epochs, seed by seed (each setting's run beside the baseline's
of the same seed).
"""
from typing import Dict, List, Optional, Tuple

import numpy as np

__all__ = ['T975', 'mean_ci', 'budget_pairs', 'format_ci']

# two-sided 95 % quantiles of Student's t, by degrees of freedom
T975 = {1: 12.706, 2: 4.303, 3: 3.182, 4: 2.776, 5: 2.571, 6: 2.447,
        7: 2.365, 8: 2.306, 9: 2.262, 10: 2.228, 15: 2.131, 20: 2.086,
        30: 2.042}


def mean_ci(values) -> Tuple[float, Optional[float], Optional[float]]:
    """Mean and two-sided 95 % t interval ``(mean, lo, hi)``; the interval
    is None for fewer than two values."""
    v = np.asarray(values, dtype=float)
    if len(v) < 2:
        return float(v.mean()), None, None
    df = len(v) - 1
    t = T975[max(k for k in T975 if k <= df)]  # conservative between keys
    half = t * v.std(ddof=1) / np.sqrt(len(v))
    return float(v.mean()), float(v.mean() - half), float(v.mean() + half)


def format_ci(ci, digits: int = 2) -> str:
    m, lo, hi = ci
    if lo is None:
        return f'{m:+.{digits}f}'
    return f'{m:+.{digits}f} ({lo:+.{digits}f}..{hi:+.{digits}f})'


def _transfer(run: dict, kind: str, stage: str) -> Optional[float]:
    digits = (run.get('transfer') or {}).get('digits')
    if not digits:
        return None
    if kind == 'linear':
        return (digits.get('linear_top1') or {}).get(stage)
    return digits['top1'].get(stage, {}).get(kind)


def budget_pairs(runs: List[dict], baseline: str,
                 setting: str) -> Dict[str, list]:
    """Per seed that both settings ran, the setting's run against the
    baseline's: ``seeds``, ``epochs`` (both), ``speed`` (the measured
    speed-up per epoch: epochs per second of training time against the
    baseline's; in runs to one time budget, the ratio of epochs trained), and
    the gaps (setting minus baseline) at the end of both runs (equal wall
    time in runs to one budget, equal epochs in runs of equal epochs) of the
    final kNN, the linear probe and, where recorded, the transfer to digits
    (kNN k = 20 and the linear probe of stage 4, the linear probe of the
    best stage of each)."""
    by = {(r['setting'], r['seed']): r for r in runs}
    out = {k: [] for k in ('seeds', 'epochs', 'speed', 'knn', 'linear',
                           'digits_knn20_stage4', 'digits_linear_stage4',
                           'digits_linear_best')}
    for (s, seed), r in sorted(by.items(), key=lambda kv: kv[0][1]):
        b = by.get((baseline, seed))
        if s != setting or b is None:
            continue
        out['seeds'].append(seed)
        out['epochs'].append((b['epochs'], r['epochs']))
        out['speed'].append(r['epochs'] / r['train_wall_s'] /
                            (b['epochs'] / b['train_wall_s']))
        out['knn'].append(r['knn_final'] - b['knn_final'])
        out['linear'].append(r['linear_top1'] - b['linear_top1'])
        for key, kind, stage in (('digits_knn20_stage4', 'k20', 'stage4'),
                                 ('digits_linear_stage4', 'linear',
                                  'stage4')):
            x, y = _transfer(r, kind, stage), _transfer(b, kind, stage)
            if x is not None and y is not None:
                out[key].append(x - y)
        lin = [((x.get('transfer') or {}).get('digits') or {}).get(
            'linear_top1') for x in (r, b)]
        if all(lin):
            out['digits_linear_best'].append(
                max(lin[0].values()) - max(lin[1].values()))
    return out
