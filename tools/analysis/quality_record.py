"""Add one pre-training run to docs/results/quality.json.

    python tools/analysis/quality_record.py WORK_DIR --method mocov2 \
        --setting accel-uniform --seed 0 --config CONFIG [--command "..."]

Reads the ``vis_data/scalars.json`` that :class:`KNNEvalHook` wrote in the
newest run folder of ``WORK_DIR`` and writes a record: ``method``,
``setting``, ``seed``, ``epochs``, ``train_wall_s`` and ``train_cpu_s`` (of the
whole run), ``curve`` (``[epoch, train_wall_s, knn_top1]``), ``curve_cpu``
(``[epoch, train_cpu_s, knn_top1]``), ``linear_curve``, ``knn_raw_curve``
(without precise BN), per-exit kNN, ``knn_final``, ``linear_top1``, the
config, the command and the machine. A record with the same method, setting
and seed is replaced.

    python tools/analysis/quality_record.py --transfer KNN_JSON \
        --method mocov2 --setting accel-uniform --seed 0 [--name digits]

adds to that record the json of ``tools/benchmarks/knn.py --linear`` on a data
set the model never saw (issue 20: scikit-learn's digits), as
``transfer[NAME]``: kNN top-1 per map and k, linear top-1 per map, the data
and the images; the rest of the record is kept.
"""
import argparse
import json
import os.path as osp

from mmaccel.apis import make_record, read_scalars, transfer_record, write_runs


def add_transfer(args):
    with open(args.out) as f:
        runs = json.load(f)['runs']
    key = (args.method, args.setting, args.seed)
    recs = [r for r in runs if (r['method'], r['setting'], r['seed']) == key]
    if not recs:
        raise SystemExit(f'error: no record {key} in {args.out}')
    recs[0].setdefault('transfer', {})[args.name] = transfer_record(
        args.transfer)
    write_runs(runs, args.out)
    lin = recs[0]['transfer'][args.name]['linear_top1'] or {}
    print(f'{args.out}: {key} transfer {args.name}: linear ' + ', '.join(
        f'{k} {v:.2f}' for k, v in lin.items()))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('work_dir', nargs='?')
    parser.add_argument('--transfer', metavar='KNN_JSON')
    parser.add_argument('--name', default='digits')
    parser.add_argument('--method', required=True)
    parser.add_argument('--setting', required=True)
    parser.add_argument('--seed', type=int, required=True)
    parser.add_argument('--config')
    parser.add_argument('--command', default=None)
    parser.add_argument('--out', default='docs/results/quality.json')
    args = parser.parse_args()
    if args.transfer:
        return add_transfer(args)
    if not (args.work_dir and args.config):
        parser.error('WORK_DIR and --config are needed (or --transfer)')
    rec = make_record(read_scalars(args.work_dir), args)
    runs = []
    if osp.exists(args.out):
        with open(args.out) as f:
            runs = json.load(f)['runs']
    key = (rec['method'], rec['setting'], rec['seed'])
    runs = [r for r in runs
            if (r['method'], r['setting'], r['seed']) != key] + [rec]
    write_runs(runs, args.out)
    print(f'{args.out}: {key} knn {rec["knn_final"]:.2f} after '
          f'{rec["epochs"]} epochs, {rec["train_wall_s"]:.0f} s')


if __name__ == '__main__':
    main()
