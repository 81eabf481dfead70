"""Figures and tables of the quality evidence from docs/results/quality.json.

    python tools/analysis/plot_quality.py --method mocov2 \
        --settings baseline accel-uniform accel-ramp accel-deep pbp-only \
        --out docs/img/quality_mocov2.png [--time-key curve_cpu] \
        [--baseline baseline] [--seeds 2 3 4 5]

For every setting (runs of several seeds are averaged point by point; the
spread is the min..max over seeds) it draws kNN top-1 (top row) and the linear
probe's top-1 (bottom row, at the same evaluations) against training time and
against epochs (the paper's Figure 3), and prints a markdown table: final
kNN (mean, min..max, seeds), the gap to the baseline's final kNN (the gap at
equal epochs when the run has the baseline's epochs), linear probe, kNN
without precise BN, time per run, speed-up per run over the baseline, the
baseline's kNN at the time the run ended (equal time), at how many of the
run's evaluations after its first epoch it stands at least at the baseline's
kNN of the same time, and the time to reach the baseline's final kNN
(interpolated between evaluations) as a share of the baseline's time.

The baseline is the setting named by ``--baseline`` (``baseline`` by
default); a study run on another machine, or one that changes a setting of
both models (MoCo's momentum, the number of epochs), names its own.

Paired statistics follow the table: for every setting, over the seeds it
shares with the baseline, the mean difference of the final kNN (equal
epochs) and of the kNN at equal time (both curves read at the earlier of the
two runs' end times), each with its two-sided 95 % Student-t interval. A
target "within d points" is met only when the interval's lower end is above
``-d``.
"""
import argparse
import json

import matplotlib

matplotlib.use('Agg')
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from mmaccel.apis.paired_stats import mean_ci  # noqa: E402


def load(path, method):
    with open(path) as f:
        runs = [r for r in json.load(f)['runs'] if r['method'] == method]
    by_setting = {}
    for r in runs:
        by_setting.setdefault(r['setting'], []).append(r)
    return by_setting


def mean_curve(runs, key):
    """Point-by-point mean over seeds of [epoch, time, value] curves (the
    evaluations happen at the same epochs in every run)."""
    curves = [np.asarray(r[key], dtype=float) for r in runs if r.get(key)]
    n = min(len(c) for c in curves)
    stack = np.stack([c[:n] for c in curves])
    return stack.mean(0), stack[:, :, 2].min(0), stack[:, :, 2].max(0)


def value_at(curve, t):
    """Accuracy at time t, linear between evaluations (None past the end)."""
    if t > curve[-1, 1] + 1e-9:
        return None
    return float(np.interp(t, curve[:, 1], curve[:, 2]))


def time_to_reach(curve, target):
    """First time the curve reaches target (linear between evaluations)."""
    for (e0, t0, v0), (e1, t1, v1) in zip(curve[:-1], curve[1:]):
        if v0 >= target:
            return t0
        if v1 >= target:
            return t0 + (target - v0) / (v1 - v0) * (t1 - t0)
    return None


def table(data, settings, key, baseline='baseline'):
    base, _, _ = mean_curve(data[baseline], key)
    base_final, base_time = base[-1, 2], base[-1, 1]
    rows = ['| setting | epochs | seeds | kNN final (min..max) | vs the '
            'baseline\'s final kNN | linear probe | kNN without precise BN '
            '| training time (s) | speed-up | baseline kNN at this run\'s end '
            'time | at least the baseline\'s kNN at equal time (evaluations '
            'after the first epoch) | time to the baseline\'s final kNN |',
            '| --- ' * 12 + '|']
    for s in settings:
        runs = data.get(s)
        if not runs:
            continue
        c, lo, hi = mean_curve(runs, key)
        lin = [r['linear_top1'] for r in runs
               if r.get('linear_top1') is not None]
        raw = [r['knn_final_raw'] for r in runs
               if r.get('knn_final_raw') is not None]
        base_then = value_at(base, c[-1, 1])
        # the run's evaluations after its first epoch that fall within the
        # baseline's time, and whether each is at least the baseline's kNN
        later = [(v, value_at(base, t)) for e, t, v in c if e > 1]
        ahead = [v >= b for v, b in later if b is not None]
        reach = time_to_reach(c, base_final)
        reach = ('%.0f s = %.2f of the baseline\'s' %
                 (reach, reach / base_time)
                 if reach is not None else 'not reached')
        rows.append(
            f'| {s} | {c[-1, 0]:.0f} | {len(runs)} '
            f'| {c[-1, 2]:.2f} ({lo[-1]:.2f}..{hi[-1]:.2f}) '
            f'| {c[-1, 2] - base_final:+.2f} | {np.mean(lin):.2f} '
            f'| {np.mean(raw) if raw else float("nan"):.2f} '
            f'| {c[-1, 1]:.0f} | {base_time / c[-1, 1]:.2f}x '
            f'| {"%.2f" % base_then if base_then is not None else "-"} '
            f'| {sum(ahead)} of {len(ahead)} | {reach} |')
    return '\n'.join(rows)


def paired_gaps(data, setting, key, baseline='baseline'):
    """Per seed shared with the baseline: (seed, gap at equal epochs, gap at
    equal time), the latter at the earlier of the two runs' end times."""
    base = {r['seed']: np.asarray(r[key], dtype=float)
            for r in data[baseline] if r.get(key)}
    gaps = []
    for r in data.get(setting) or []:
        b = base.get(r['seed'])
        if b is None or not r.get(key):
            continue
        c = np.asarray(r[key], dtype=float)
        t = min(c[-1, 1], b[-1, 1])
        gaps.append((r['seed'], c[-1, 2] - b[-1, 2],
                     value_at(c, t) - value_at(b, t)))
    return gaps


def paired_table(data, settings, key, baseline='baseline'):
    def fmt(ci):
        m, lo, hi = ci
        return (f'{m:+.2f}' if lo is None else
                f'{m:+.2f} ({lo:+.2f}..{hi:+.2f})')

    rows = ['| setting | paired seeds | gap at equal epochs, mean (95 % CI) '
            '| gap at equal time, mean (95 % CI) | per seed (epochs / time) |',
            '| --- ' * 5 + '|']
    for s in settings:
        gaps = paired_gaps(data, s, key, baseline)
        if s == baseline or not gaps:
            continue
        per_seed = ', '.join(f's{seed}: {e:+.2f} / {t:+.2f}'
                             for seed, e, t in gaps)
        rows.append(f'| {s} | {len(gaps)} '
                    f'| {fmt(mean_ci([g[1] for g in gaps]))} '
                    f'| {fmt(mean_ci([g[2] for g in gaps]))} | {per_seed} |')
    return '\n'.join(rows)


def with_linear_curve(runs, key):
    """The runs with ``linear_on_key``: the linear probe's [epoch, time,
    top-1] with the time of the same epoch on the ``key`` curve, so both
    metrics share one time axis."""
    out = []
    for r in runs:
        times = {e: t for e, t, _ in r.get(key) or []}
        lin = [[e, times[e], v] for e, _, v in r.get('linear_curve') or []
               if e in times]
        out.append(dict(r, linear_on_key=lin))
    return out


def plot(data, settings, key, out, title):
    fig, axes = plt.subplots(2, 2, figsize=(12, 8.5))
    rows = (('kNN top-1 (%)', key, 'knn_random_init'),
            ('linear probe top-1 (%)', 'linear_on_key', None))
    for (ylabel, curve_key, init_key), (ax_t, ax_e) in zip(rows, axes):
        for s in settings:
            runs = with_linear_curve(data.get(s) or [], key)
            if not any(r.get(curve_key) for r in runs):
                continue
            c, lo, hi = mean_curve(runs, curve_key)
            label = f'{s} ({len(runs)} seed{"s" * (len(runs) > 1)})'
            for ax, x in ((ax_t, c[:, 1] / 60), (ax_e, c[:, 0])):
                line, = ax.plot(x, c[:, 2], marker='o', label=label)
                if len(runs) > 1:
                    ax.fill_between(x, lo, hi, color=line.get_color(),
                                    alpha=0.15)
        if init_key:
            # the untrained networks of the runs shown, so that a figure
            # depends only on its own settings
            init = np.mean([r[init_key] for s in settings
                            for r in data.get(s) or []
                            if r.get(init_key) is not None])
            for ax in (ax_t, ax_e):
                ax.axhline(init, color='gray', ls=':',
                           label='random init (mean)')
        for ax in (ax_t, ax_e):
            ax.set_ylabel(ylabel)
            ax.grid(alpha=0.3)
        ax_t.set_xlabel('CPU time of the training process (min)'
                        if key == 'curve_cpu' else
                        'wall-clock training time (min)')
        ax_e.set_xlabel('epoch')
        ax_e.legend(fontsize=8)
    fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(out, dpi=110)


def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--results', default='docs/results/quality.json')
    p.add_argument('--method', required=True)
    p.add_argument('--settings', nargs='+', required=True,
                   help='settings to show, the baseline among them')
    p.add_argument('--baseline', default='baseline',
                   help='the setting the others are compared with')
    p.add_argument('--time-key', default='curve_cpu',
                   choices=['curve', 'curve_cpu'])
    p.add_argument('--seeds', type=int, nargs='+', default=None,
                   help='only these seeds, in every setting (default: all; '
                   'the table\'s means are over each setting\'s own seeds)')
    p.add_argument('--title', default=None)
    p.add_argument('--out', required=True)
    args = p.parse_args()
    data = load(args.results, args.method)
    if args.baseline not in data:
        raise SystemExit(f'error: --baseline: no run of {args.method} with '
                         f'setting {args.baseline!r} in {args.results}')
    if args.seeds:
        for name in args.settings:
            kept = [r for r in data.get(name, []) if r['seed'] in args.seeds]
            if not kept:
                have = sorted(r['seed'] for r in data.get(name, []))
                raise SystemExit(f'error: --seeds: setting {name!r} has no '
                                 f'run with seeds {args.seeds} (it has '
                                 f'{have})')
            data[name] = kept
    plot(data, args.settings, args.time_key, args.out,
         args.title or f'{args.method}: kNN and linear probe top-1 '
         '(Fashion-MNIST, 64 px)')
    print(table(data, args.settings, args.time_key, args.baseline))
    print()
    print(paired_table(data, args.settings, args.time_key, args.baseline))
    print(f'\nfigure: {args.out}')


if __name__ == '__main__':
    main()
