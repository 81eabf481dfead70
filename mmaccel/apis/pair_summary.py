"""The demo's comparison of a baseline run and its accelerated twin.

Used by ``tools/demo.py``: :func:`model_summary` reads one finished run (the
``vis_data/scalars.json`` that :class:`KNNEvalHook` wrote, through
:mod:`mmaccel.apis.run_records`), :func:`compare` adds what compares the
two, and :func:`write_summary` writes ``summary.md`` (one side-by-side
table), ``summary.json`` and ``time_vs_accuracy.png`` (drawn by
:func:`plot_time_accuracy`, which ``tools/analysis/plot_time_accuracy.py``
draws too).

Definitions: the training time is ``train_wall_s`` of the last evaluation
(wall clock of training without the kNN evaluations); images/s is the images
of all iterations (iterations x batch x processes) over it; kNN at equal time
is each model's latest evaluation at or before the end of the shorter run;
the time to the baseline's final kNN is the training time of a model's first
evaluation at or above it; the speed-up is the ratio of the throughputs
(images/s): the ratio of training times when both saw the same images
(equal epochs); under a time budget (``--budget``) the times are equal and
the faster model saw more images.
"""
import json
import os
import os.path as osp
import platform
from types import SimpleNamespace

import numpy as np

from .run_records import at_time, make_record, read_scalars

ROLES = ('baseline', 'accel')
EXIT_KEY = 'knn_top1_exit'
TIME_LABELS = dict(train_wall_s='wall-clock training time (min)',
                   train_cpu_s='CPU time of the training process (min)')


def minutes(seconds):
    """Seconds in words: ``4.2 s``, ``75 s``, ``2.5 min``."""
    if seconds < 10:
        return f'{seconds:.1f} s'
    return f'{seconds:.0f} s' if seconds < 90 else f'{seconds / 60:.1f} min'


def knn_at(curve, t):
    """kNN top-1 of the latest ``[epoch, time, top1]`` point at or before
    time ``t``."""
    before = [a for _, s, a in curve if s <= t + 1e-9]
    return before[-1] if before else None


def time_to_reach(curve, target):
    """Training time of the first point at or above ``target``."""
    for _, t, a in curve:
        if a >= target - 1e-9:
            return t
    return None


def r2(value):
    """``value`` rounded to 2 decimals (None stays None)."""
    return None if value is None else round(value, 2)


def model_summary(run_dir, label, config, batch_size, processes, peak_mem_mb,
                  process_wall_s):
    """One finished run: times, throughput, memory, kNN curves."""
    rows = read_scalars(run_dir)
    rec = make_record(rows, SimpleNamespace(
        method=label, setting=None, seed=None, config=config, command=None,
        work_dir=run_dir))
    last = max((r for r in rows if 'knn_top1' in r),
               key=lambda r: r['knn_epoch'])
    images = last['step'] * batch_size * processes  # step: iterations done
    out = dict(
        label=label,
        config=config,
        work_dir=run_dir,
        epochs=rec['epochs'],
        train_wall_s=rec['train_wall_s'],
        train_cpu_s=rec['train_cpu_s'],
        images_seen=images,
        images_per_s=round(images / rec['train_wall_s'], 1),
        peak_mem_mb=peak_mem_mb,
        process_wall_s=process_wall_s,
        knn_random_init=r2(rec['knn_random_init']),
        knn_final=r2(rec['knn_final']),
        curve=rec['curve'],
    )
    gpu_mem = [r['memory'] for r in rows if 'memory' in r]
    if gpu_mem:  # MMEngine logs torch.cuda.max_memory_allocated on a GPU
        out['peak_gpu_mem_mb'] = max(gpu_mem)
    exits = {k: c for k, c in rec['knn_exit_curves'].items()
             if k[len('exit'):].isdigit()}  # not the _raw ones
    if exits:
        out['exit_curves'] = exits
        out['knn_final_per_exit'] = {
            k: c[-1][2]
            for k, c in sorted(exits.items(), key=lambda kc: int(kc[0][4:]))}
    if rec['linear_top1'] is not None:
        out['linear_final'] = r2(rec['linear_top1'])
    return out


def speed(model):
    """Images per second of training, unrounded."""
    return model['images_seen'] / model['train_wall_s']


def compare(base, accel, budget=None):
    """The pair's summary: both models and what compares them. Trained to
    a time ``budget`` (seconds), both end within a step of it: equal time
    is the budget, and each model's kNN there its final one."""
    target = base['knn_final']
    t_equal = min(base['train_wall_s'], accel['train_wall_s'])
    for m in (base, accel):
        m['time_to_baseline_final_s'] = time_to_reach(m['curve'], target)
        m['knn_at_equal_time'] = (m['knn_final'] if budget else
                                  knn_at(m['curve'], t_equal))
    if budget:
        t_equal = budget
    reach = accel['time_to_baseline_final_s']
    b_reach = base['time_to_baseline_final_s']
    return dict(
        knn_random_init=base['knn_random_init'],
        baseline=base,
        accel=accel,
        speedup=round(speed(accel) / speed(base), 3),
        accel_time_to_baseline_final_s=reach,
        speedup_to_baseline_final=(round(b_reach / reach, 3)
                                   if reach and b_reach else None),
        equal_time_s=t_equal,
    )


def pct(value):
    """A top-1 for the table: ``71.23``, or ``-``."""
    return '-' if value is None else f'{value:.2f}'


def _reach_cell(s, role):
    t = s[role]['time_to_baseline_final_s']
    if t is None:
        return f'not reached ({pct(s["baseline"]["knn_final"])})'
    cell = minutes(t) + (' (untrained)' if t == 0 else '')
    if role == 'accel' and s['speedup_to_baseline_final']:
        cell += f' ({s["speedup_to_baseline_final"]:.2f}x)'
    return cell


def _exits_cell(s, role):
    per_exit = s[role].get('knn_final_per_exit', {})
    return ', '.join(f'{k[4:]}: {v:.2f}' for k, v in per_exit.items()) or '-'


def summary_table(pairs):
    """One markdown table: a column per model, a row per measure."""
    cols = [(s, role) for s in pairs.values() for role in ROLES]
    rows = [
        ('', lambda s, r: s[r]['label']),
        ('training time (wall clock)',
         lambda s, r: minutes(s[r]['train_wall_s'])),
        ('images / s', lambda s, r: f'{s[r]["images_per_s"]:.0f}'),
        ('peak memory (RSS)', lambda s, r: f'{s[r]["peak_mem_mb"]:.0f} MB'),
        ('kNN top-1, untrained', lambda s, r: pct(s[r]['knn_random_init'])),
        ('kNN top-1 at the end',
         lambda s, r: f'{pct(s[r]["knn_final"])} (epoch {s[r]["epochs"]})'),
        ('kNN top-1 at equal time',
         lambda s, r: f'{pct(s[r]["knn_at_equal_time"])} '
         f'(at {minutes(s["equal_time_s"])})'),
        ("time to the baseline's final kNN", _reach_cell),
        ('speed-up (training time)' if all(
            s['baseline']['images_seen'] == s['accel']['images_seen']
            for s in pairs.values()) else 'speed-up (images / s)',
         lambda s, r: '1.00x' if r == 'baseline' else f'{s["speedup"]:.2f}x'),
    ]
    if any('peak_gpu_mem_mb' in s[r] for s, r in cols):
        rows.insert(4, ('peak GPU memory (allocated)', lambda s, r:
                        f'{s[r].get("peak_gpu_mem_mb", "-")} MB'))
    if any('knn_final_per_exit' in s[r] for s, r in cols):
        rows.append(('kNN top-1 per exit at the end', _exits_cell))
    if any('linear_final' in s[r] for s, r in cols):
        rows.append(('linear probe top-1 at the end',
                     lambda s, r: pct(s[r].get('linear_final'))))
    lines = []
    for i, (name, cell) in enumerate(rows):
        lines.append('| ' + ' | '.join([name] + [cell(s, r) for s, r in cols])
                     + ' |')
        if i == 0:
            lines.append('| --- |' + ' ---: |' * len(cols))
    return '\n'.join(lines) + '\n'


def machine():
    """CPU model, cores and GPU, in words."""
    import torch
    cpu = platform.processor() or platform.machine()
    try:
        with open('/proc/cpuinfo') as f:
            cpu = next(line.split(':', 1)[1].strip() for line in f
                       if line.startswith('model name'))
    except (OSError, StopIteration):
        pass
    desc = f'{cpu}, {os.cpu_count()} cores'
    if torch.cuda.is_available():
        desc += f', {torch.cuda.get_device_name(0)}'
    return desc


def write_json(path, obj):
    """Write ``obj`` to ``path`` (written beside, then renamed)."""
    tmp = path + '.part'
    with open(tmp, 'w') as f:
        json.dump(obj, f, indent=1)
    os.replace(tmp, path)


def write_summary(pairs, settings, out_dir):
    """``summary.md``, ``summary.json`` and ``time_vs_accuracy.png`` of the
    compared pairs (``{name: compare(...)}``); returns the table."""
    runs, levels = {}, {}
    for s in pairs.values():
        for role in ROLES:
            curve = s[role]['curve']
            runs[s[role]['label']] = dict(epoch=[p[0] for p in curve],
                                          time=[p[1] for p in curve],
                                          top1=[p[2] for p in curve])
        if s['knn_random_init'] is not None:
            name = (f'untrained ({s["baseline"]["label"]})'
                    if len(pairs) > 1 else 'untrained network')
            levels[name] = s['knn_random_init']
    plot_time_accuracy(runs, 'train_wall_s',
                       osp.join(out_dir, 'time_vs_accuracy.png'),
                       title=settings['title'], levels=levels)
    text = summary_table(pairs)
    configs = ''.join(f'- {s[r]["label"]}: `{s[r]["config"]}`\n'
                      for s in pairs.values() for r in ROLES)
    with open(osp.join(out_dir, 'summary.md'), 'w') as f:
        f.write(f'# {settings["title"]}\n\n{text}\n'
                f'Machine: {settings["machine"]}. '
                f'{settings["description"]}.'
                + (f' {settings["timing"]}.' if 'timing' in settings else '')
                + '\n\n'
                f'Configs:\n{configs}\nCommand: `{settings["command"]}`\n\n'
                '![kNN top-1 against training time](time_vs_accuracy.png)\n')
    if len(pairs) == 1:
        summary = dict(next(iter(pairs.values())), settings=settings)
    else:
        summary = dict(methods=pairs, settings=settings)
    write_json(osp.join(out_dir, 'summary.json'), summary)
    return text


def plot_time_accuracy(runs: dict,
                       time_key: str,
                       out: str,
                       title=None,
                       levels=None) -> None:
    """Both panels; ``levels`` maps labels to accuracies drawn as gray
    horizontal lines, dashed, dotted, ... (e.g. the untrained network's).

    Args:
        runs (dict): ``{label: {'epoch': [...], 'time': [...], 'top1':
            [...]}}`` (time in seconds).
        time_key (str): ``'train_wall_s'`` or ``'train_cpu_s'``, the time
            axis's label.
        out (str): The PNG file.
        title (str, optional): The figure's title.
        levels (dict, optional): ``{label: top-1}`` drawn as lines.
    """
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    fig, (ax_t, ax_e) = plt.subplots(1, 2, figsize=(9, 3.6), dpi=90)
    for (label, level), ls in zip((levels or {}).items(),
                                  ['--', ':', '-.'] * 4):
        ax_t.axhline(level, ls=ls, lw=1, color='gray')
        ax_e.axhline(level, ls=ls, lw=1, color='gray', label=label)
    for label, pts in runs.items():
        ax_t.plot(np.asarray(pts['time']) / 60, pts['top1'], 'o-', ms=4,
                  label=label)
        ax_e.plot(pts['epoch'], pts['top1'], 'o-', ms=4, label=label)
    ax_t.set_xlabel(TIME_LABELS[time_key])
    ax_e.set_xlabel('epoch')
    for ax in (ax_t, ax_e):
        ax.set_ylabel('kNN top-1 (%)')
        ax.grid(alpha=0.3)
    ax_e.legend(loc='lower right')
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    os.makedirs(osp.dirname(osp.abspath(out)), exist_ok=True)
    fig.savefig(out)
    plt.close(fig)


def time_accuracy_table(runs: dict) -> str:
    """The markdown table of the runs' kNN points, and each run's kNN at the
    end of the shortest run."""
    labels = list(runs)
    epochs = sorted({e for p in runs.values() for e in p['epoch']})
    lines = ['| epoch | ' + ' | '.join(f'{lb} top-1 (time, min)'
                                       for lb in labels) + ' |',
             '| --- |' + ' --- |' * len(labels)]
    for e in epochs:
        cells = []
        for lb in labels:
            p = runs[lb]
            if e in p['epoch']:
                i = p['epoch'].index(e)
                cells.append(f"{p['top1'][i]:.2f} ({p['time'][i] / 60:.1f})")
            else:
                cells.append('')
        lines.append(f'| {e} | ' + ' | '.join(cells) + ' |')
    t_end = min(p['time'][-1] for p in runs.values())
    lines += ['', f'at {t_end / 60:.1f} min (the shortest run\'s end): ' +
              ', '.join(f'{lb} {at_time(runs[lb], t_end):.2f}'
                        for lb in labels)]
    return '\n'.join(lines) + '\n'
