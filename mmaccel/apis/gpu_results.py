"""The GPU evidence's results file (``docs/results/gpu.json``): records
added by ``tools/analysis/gpu_evidence.py``, tables made of them by
``tools/analysis/gpu_report.py``.

The speed table (ResNet-50, 224 px, per method and setting: images/s,
speed-up, ideal MACs ratio, measured / ideal, peak memory, per-exit
speed-ups), the equal-time race (per method and setting: seeds, iterations in
the budget, kNN top-1 at the end and against the baseline, kNN at each
evaluation) and the rows still to be measured (speed rows missing, race
settings with fewer than three seeds).
"""
import datetime
import json
import os
import os.path as osp
import re

import numpy as np

METHODS = ('mocov2', 'simclr')
SPEED_SETTINGS = ('accel-uniform', 'pbp-only', 'pbp-only-ramp')
RACE_SETTINGS = ('baseline', 'accel-uniform', 'pbp-only-ramp')
SEEDS_FOR_A_CLAIM = 3
START, END = '<!-- gpu-report:start -->', '<!-- gpu-report:end -->'
NAMES = {
    'accel-uniform': 'paper defaults (uniform exits, hard pairs)',
    'pbp-only': 'partial back-propagation alone',
    'pbp-only-ramp': 'partial back-propagation, ramp schedule',
    'baseline': 'baseline (MMPretrain)',
}


def load(results=None, folder=None):
    """``(speed rows, race records)`` of a results file or a kit folder."""
    if folder:
        speed = _read(osp.join(folder, 'speed.json')).get('rows', [])
        runs = _read(osp.join(folder, 'records.json')).get('runs', [])
        return speed, runs
    data = _read(results)
    return data.get('speed', []), data.get('runs', [])


def _read(path):
    if not path or not osp.exists(path):
        return {}
    with open(path) as f:
        return json.load(f)


def _mb(x):
    return '-' if x is None else f'{x:,.0f}'


def speed_table(rows):
    """The markdown table of the speed rows ('' without rows)."""
    if not rows:
        return ''
    lines = [
        '| method | setting | GPU | batch | baseline img/s | accelerated '
        'img/s | speed-up | ideal (MACs) | measured / ideal | peak memory '
        'baseline / accelerated (MB) | per exit: measured (ideal) | '
        'largest batch baseline / accelerated |',
        '| --- ' * 12 + '|'
    ]
    for r in sorted(rows, key=lambda r: (r['method'], SPEED_SETTINGS.index(
            r['setting']) if r['setting'] in SPEED_SETTINGS else 9,
            r.get('date') or '')):
        b = r['bench']
        per_exit = ', '.join(
            f"{k}: {b['per_exit_baseline']['median_s'] / e['median_s']:.2f}x "
            f"({b['baseline_macs'] / e['macs']:.2f}x)"
            for k, e in b['per_exit'].items()) if b.get(
                'per_exit_baseline') else '-'
        flags = [f"{b['settings']['input_size']} px"]
        if b['settings'].get('amp'):
            flags.append(b['settings'].get('amp_dtype') or 'amp')
        if b['settings'].get('channels_last'):
            flags.append('channels-last')
        largest = (f"{r.get('baseline_max_batch') or '-'} / "
                   f"{r.get('accel_max_batch') or '-'}"
                   if 'baseline_max_batch' in r else 'not measured')
        lines.append(
            f"| {r['method']} | {r['setting']} | {r.get('gpu') or 'cpu'} "
            f"({', '.join(flags)}) | {b['settings']['batch']} | "
            f"{r['baseline_ips']:.0f} | {r['accel_ips']:.0f} | "
            f"**{r['speedup']:.2f}x** | {r['ideal_speedup']:.2f}x | "
            f"{r['fraction_of_ideal']:.0%} | "
            f"{_mb(r['baseline_peak_mem_mb'])} / "
            f"{_mb(r['accel_peak_mem_mb'])} | {per_exit} | {largest} |")
    return '\n'.join(lines)


def group_runs(runs):
    """``{(method, setting): [records]}`` of race records."""
    groups = {}
    for r in runs:
        groups.setdefault((r['method'], r['setting']), []).append(r)
    return groups


def race_table(runs):
    """The markdown table of the race records ('' without records)."""
    if not runs:
        return ''
    groups = group_runs(runs)
    lines = [
        '| method | setting | seeds | budget | GPU | augmentation on | '
        'iterations | epochs | kNN final (min..max) | vs baseline, same '
        'seeds | kNN at the evaluations (s: top-1) |',
        '| --- ' * 11 + '|'
    ]
    for (method, setting), rs in sorted(groups.items(), key=lambda kv: (
            kv[0][0], RACE_SETTINGS.index(kv[0][1])
            if kv[0][1] in RACE_SETTINGS else 9)):
        finals = [r['knn_final'] for r in rs]
        base = {r['seed']: r['knn_final']
                for r in groups.get((method, 'baseline'), [])}
        diffs = [r['knn_final'] - base[r['seed']] for r in rs
                 if r['seed'] in base]
        vs = ('-' if setting == 'baseline' or not diffs else
              f'{np.mean(diffs):+.2f} ({len(diffs)} seed'
              f'{"s" * (len(diffs) > 1)})')
        curve = ', '.join(f'{t:.0f}: {v:.2f}' for _, t, v in rs[0]['curve'])
        lines.append(
            f"| {method} | {setting} | {', '.join(str(r['seed']) for r in rs)}"
            f" | {rs[0].get('time_budget')} | {rs[0].get('gpu') or 'cpu'} | "
            f"{rs[0].get('augment_on')} | "
            f"{', '.join(str(r.get('iters')) for r in rs)} | "
            f"{', '.join('%.2f' % r['epochs'] for r in rs)} | "
            f"{np.mean(finals):.2f} ({min(finals):.2f}..{max(finals):.2f}) "
            f"| {vs} | seed {rs[0]['seed']}: {curve} |")
    return '\n'.join(lines)


def missing(speed, runs):
    """What is still to be measured: speed rows and race seeds."""
    have = {(r['method'], r['setting']) for r in speed if not r.get('smoke')}
    todo = [f'speed: {m} {s}' for m in METHODS for s in SPEED_SETTINGS
            if (m, s) not in have]
    todo += [f'largest batch: {m}' for m in METHODS
             if not any(r['method'] == m and r.get('baseline_max_batch')
                        for r in speed if not r.get('smoke'))]
    groups = group_runs([r for r in runs if not r.get('smoke')])
    for m in METHODS:
        for s in RACE_SETTINGS:
            n = len({r['seed'] for r in groups.get((m, s), [])})
            if n < SEEDS_FOR_A_CLAIM:
                todo.append(f'race: {m} {s} ({n} of {SEEDS_FOR_A_CLAIM} '
                            'seeds)')
    return todo


def report(speed, runs, todo=True):
    """The markdown of the GPU evidence, and (``todo``) what is still
    missing."""
    parts = []
    if speed:
        parts += ['Speed and memory (ResNet-50, MMPretrain\'s model against '
                  'each accelerated setting; per exit: the exit\'s step '
                  'against the baseline\'s, interleaved, with the ideal MACs '
                  'ratio in brackets):', '', speed_table(speed), '']
    if runs:
        parts += ['Equal-time race (full-width ResNet-18, Fashion-MNIST at '
                  '224 px, the same wall-clock budget for every setting; kNN '
                  'top-1 on the 10,000 test images against a 10,000-image '
                  'training bank after precise BN):', '', race_table(runs),
                  '']
    if not speed and not runs:
        parts += ['**Nothing has been measured on a GPU yet**: '
                  '`docs/results/gpu.json` holds no record.' if todo else
                  'This call recorded nothing.', '']
    todo = missing(speed, runs) if todo else []
    if todo:
        parts += ['Still to be measured (the race needs '
                  f'{SEEDS_FOR_A_CLAIM} seeds before the docs make a claim):',
                  ''] + [f'- {t}' for t in todo] + ['']
    return '\n'.join(parts).rstrip() + '\n'


def update_docs(path, text):
    """Write ``text`` between the markers :data:`START` and :data:`END` of the
    markdown file ``path``."""
    with open(path) as f:
        doc = f.read()
    pattern = re.compile(re.escape(START) + '.*?' + re.escape(END), re.S)
    if not pattern.search(doc):
        raise SystemExit(f'error: {path} has no {START} ... {END} block')
    doc = pattern.sub(lambda _: f'{START}\n{text}{END}', doc)
    with open(path, 'w') as f:
        f.write(doc)


def write_json(path, obj):
    """Write ``obj`` to ``path`` atomically (a cut-off run never leaves half
    a file)."""
    os.makedirs(osp.dirname(osp.abspath(path)), exist_ok=True)
    tmp = path + '.part'
    with open(tmp, 'w') as f:
        json.dump(obj, f, indent=1)
    os.replace(tmp, path)


def read_json(path, default):
    """The JSON of ``path``, or ``default`` when there is no such file."""
    if not osp.exists(path):
        return default
    with open(path) as f:
        return json.load(f)


def now_utc():
    """The time now, UTC, as ``2026-01-31T12:00:00Z``."""
    return datetime.datetime.now(datetime.timezone.utc).strftime(
        '%Y-%m-%dT%H:%M:%SZ')


def add_to_results(path, speed=(), runs=()):
    """Put speed rows and race records into ``path`` (``{'speed': [...],
    'runs': [...]}``), replacing those of the same method, setting, seed and
    GPU."""
    data = read_json(path, {})

    def key(r):
        return (r['method'], r['setting'], r['seed'], r.get('gpu'))

    for field, new in (('speed', speed), ('runs', runs)):
        keys = {key(r) for r in new}
        old = [r for r in data.get(field, []) if key(r) not in keys]
        data[field] = sorted(old + list(new),
                             key=lambda r: (r['method'], r['setting'],
                                            r['seed'], r.get('gpu') or ''))
    write_json(path, dict(speed=data['speed'], runs=data['runs']))
