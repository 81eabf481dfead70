"""kNN top-1 against training time and against epochs (the paper's Figure 3).

    python tools/analysis/plot_time_accuracy.py BASELINE_WORK_DIR \
        ACCEL_WORK_DIR [MORE_WORK_DIRS ...] --labels "MoCo v2" "accelerated" \
        --out docs/img/time_accuracy.png

Each work dir is one training run with :class:`KNNEvalHook`; the newest
``<work_dir>/<timestamp>/vis_data/scalars.json`` (or a scalars.json given
directly) is read: its ``knn_top1``, ``knn_epoch`` and ``train_wall_s`` (or
``--time-key train_cpu_s``) entries. Left panel: accuracy vs time; right
panel: accuracy vs epochs. Prints a markdown table of the points and each
run's accuracy at the time the shortest run ended (equal training time).
"""
import argparse
import glob
import json
import os
import os.path as osp

import matplotlib

matplotlib.use('Agg')
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

TIME_LABELS = dict(train_wall_s='wall-clock training time (min)',
                   train_cpu_s='CPU time of the training process (min)')


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('work_dirs', nargs='+',
                   help='work dirs (baseline first) or scalars.json files')
    p.add_argument('--labels', nargs='+', default=None)
    p.add_argument('--time-key', default='train_wall_s',
                   choices=sorted(TIME_LABELS))
    p.add_argument('--title', default=None)
    p.add_argument('--out', required=True, help='PNG file to write')
    return p.parse_args(argv)


def find_scalars(path: str) -> str:
    if osp.isfile(path):
        return path
    found = sorted(glob.glob(osp.join(path, '*', 'vis_data', 'scalars.json')))
    found = [f for f in found if knn_points(f, 'train_wall_s')['epoch']]
    if not found:
        raise FileNotFoundError(
            f'no */vis_data/scalars.json with knn_top1 entries under {path}; '
            'train with KNNEvalHook (configs/benchmarks/)')
    return found[-1]  # timestamps sort in time order


def knn_points(scalars_json: str, time_key: str) -> dict:
    """Epochs, times (s) and kNN top-1 of one run, in logged order."""
    pts = dict(epoch=[], time=[], top1=[])
    with open(scalars_json) as f:
        for line in f:
            rec = json.loads(line)
            if 'knn_top1' in rec:
                pts['epoch'].append(rec['knn_epoch'])
                pts['time'].append(rec[time_key])
                pts['top1'].append(rec['knn_top1'])
    return pts


def at_time(pts: dict, t: float) -> float:
    """Accuracy of the latest evaluation at or before time ``t``."""
    before = [a for s, a in zip(pts['time'], pts['top1']) if s <= t + 1e-9]
    return before[-1] if before else float('nan')


def plot(runs: dict, time_key: str, out: str, title=None,
         levels=None) -> None:
    """Both panels; ``levels`` maps labels to accuracies drawn as gray
    horizontal lines, dashed, dotted, ... (e.g. the untrained network's)."""
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


def table(runs: dict) -> str:
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


def main(argv=None):
    args = parse_args(argv)
    labels = args.labels or [osp.basename(osp.normpath(d))
                             for d in args.work_dirs]
    if len(labels) != len(args.work_dirs):
        raise ValueError(f'--labels: {len(labels)} labels for '
                         f'{len(args.work_dirs)} work dirs')
    runs = {lb: knn_points(find_scalars(d), args.time_key)
            for lb, d in zip(labels, args.work_dirs)}
    plot(runs, args.time_key, args.out, args.title)
    print(table(runs))


if __name__ == '__main__':
    main()
