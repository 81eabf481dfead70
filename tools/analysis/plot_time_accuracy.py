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
import os.path as osp

from mmaccel.apis import (TIME_LABELS, find_scalars, knn_points,
                          plot_time_accuracy, time_accuracy_table)


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


def main(argv=None):
    args = parse_args(argv)
    labels = args.labels or [osp.basename(osp.normpath(d))
                             for d in args.work_dirs]
    if len(labels) != len(args.work_dirs):
        raise ValueError(f'--labels: {len(labels)} labels for '
                         f'{len(args.work_dirs)} work dirs')
    runs = {lb: knn_points(find_scalars(d), args.time_key)
            for lb, d in zip(labels, args.work_dirs)}
    plot_time_accuracy(runs, args.time_key, args.out, args.title)
    print(time_accuracy_table(runs))


if __name__ == '__main__':
    main()
