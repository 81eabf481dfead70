"""Tables and a figure of the GPU evidence (``docs/results/gpu.json``).

    python tools/analysis/gpu_report.py [--results docs/results/gpu.json] \\
        [--plot docs/img/gpu_knn_time.png] [--update-docs docs/benchmarks.md]
    python tools/analysis/gpu_report.py --dir OUT   # one kit call's results

Prints markdown: the speed table (ResNet-50, 224 px, per method and setting:
images/s, speed-up, ideal MACs ratio, measured / ideal, peak memory, per-exit
speed-ups), the equal-time race (per method and setting: seeds, iterations in
the budget, kNN top-1 at the end and against the baseline, kNN at each
evaluation) and the rows still to be measured (speed rows missing, race
settings with fewer than three seeds). ``--plot`` draws kNN against training
wall time, one panel per method, the mean over seeds per setting.
``--update-docs`` writes the tables between the markers
``<!-- gpu-report:start -->`` and ``<!-- gpu-report:end -->`` of a markdown
file. ``--dir`` reads one call of ``tools/analysis/gpu_evidence.sh``
(``speed.json``, ``records.json``), the table the kit prints last. The tables
are :mod:`mmaccel.apis.gpu_results`'s.
"""
import argparse
import os.path as osp

import numpy as np

from mmaccel.apis.gpu_results import (METHODS, RACE_SETTINGS, group_runs, load,
                                      report, update_docs)


def plot(runs, out):
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    groups = group_runs(runs)
    methods = [m for m in METHODS if any(k[0] == m for k in groups)]
    if not methods:
        return False
    fig, axes = plt.subplots(1, len(methods), figsize=(6 * len(methods), 4.5),
                             squeeze=False)
    for ax, method in zip(axes[0], methods):
        for setting in RACE_SETTINGS:
            rs = groups.get((method, setting))
            if not rs:
                continue
            n = min(len(r['curve']) for r in rs)
            c = np.mean([np.asarray(r['curve'][:n], dtype=float)
                         for r in rs], axis=0)
            ax.plot(c[:, 1], c[:, 2], marker='o',
                    label=f'{setting} ({len(rs)} seed{"s" * (len(rs) > 1)})')
        first = next(rs[0] for (m, _), rs in groups.items() if m == method)
        ax.set_title(f"{method}: {first.get('gpu') or 'cpu'}, the same "
                     f"budget of {first.get('time_budget')} for each setting")
        ax.set_xlabel('training wall time (s)')
        ax.set_ylabel('kNN top-1 (%)')
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(out, dpi=110)
    return True


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--results', default='docs/results/gpu.json')
    p.add_argument('--dir', default=None,
                   help='one kit call\'s folder instead of --results')
    p.add_argument('--plot', default=None, help='PNG of kNN against time')
    p.add_argument('--update-docs', default=None,
                   help='markdown file with a gpu-report block to rewrite')
    args = p.parse_args(argv)
    speed, runs = load(args.results, args.dir)
    text = report(speed, runs, todo=not args.dir)
    print(text, end='')
    if args.plot and plot(runs, args.plot):
        if args.update_docs:
            rel = osp.relpath(args.plot, osp.dirname(args.update_docs))
            text += f'\n![kNN top-1 against training time]({rel})\n'
        print(f'\nfigure: {args.plot}')
    if args.update_docs:
        update_docs(args.update_docs, text)


if __name__ == '__main__':
    main()
