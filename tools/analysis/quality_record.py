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
import glob
import json
import os
import os.path as osp
import platform


def read_scalars(work_dir):
    runs = sorted(glob.glob(osp.join(work_dir, '*', 'vis_data',
                                     'scalars.json')))
    if not runs:
        raise SystemExit(f'error: no */vis_data/scalars.json in {work_dir}')
    with open(runs[-1]) as f:
        return [json.loads(line) for line in f if line.strip()]


def cpu_model():
    """The processor's model name (``/proc/cpuinfo``), or None."""
    try:
        with open('/proc/cpuinfo') as f:
            for line in f:
                if line.startswith('model name'):
                    return line.split(':', 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or None


def make_record(rows, args):
    evals = sorted((r for r in rows if 'knn_top1' in r),
                   key=lambda r: r['knn_epoch'])
    if not evals:
        raise SystemExit(f'error: no kNN evaluations in {args.work_dir}')

    def curve(time_key, value_key):
        return [[r['knn_epoch'], round(r[time_key], 2), round(r[value_key], 2)]
                for r in evals if value_key in r]

    last = evals[-1]
    exits = sorted(
        {k for r in evals for k in r if k.startswith('knn_top1_exit')})
    rec = dict(
        method=args.method,
        setting=args.setting,
        seed=args.seed,
        epochs=last['knn_epoch'],
        train_wall_s=round(last['train_wall_s'], 2),
        train_cpu_s=round(last['train_cpu_s'], 2),
        curve=curve('train_wall_s', 'knn_top1'),
        curve_cpu=curve('train_cpu_s', 'knn_top1'),
        linear_curve=curve('train_wall_s', 'linear_top1'),
        knn_raw_curve=curve('train_wall_s', 'knn_top1_raw'),
        knn_exit_curves={k[len('knn_top1_'):]: curve('train_wall_s', k)
                         for k in exits},
        knn_random_init=evals[0]['knn_top1'] if evals[0]['knn_epoch'] == 0
        else None,
        knn_final=last['knn_top1'],
        knn_final_raw=last.get('knn_top1_raw'),
        linear_top1=last.get('linear_top1'),
        precise_bn_s=sum(r.get('precise_bn_s', 0) for r in rows),
        config=args.config,
        command=args.command,
        threads=int(os.environ.get('OMP_NUM_THREADS', '0')) or None,
        machine=f'{platform.machine()}, {os.cpu_count()} CPUs',
        cpu=cpu_model(),
    )
    return rec


def transfer_record(knn_json: str) -> dict:
    with open(knn_json) as f:
        res = json.load(f)
    keys = ('data', 'bank_images', 'queries', 'precise_bn_images',
            'temperature', 'top1', 'linear_top1')
    return dict({k: res.get(k) for k in keys}, checkpoint=res['checkpoint'])


def write_runs(runs, out):
    runs.sort(key=lambda r: (r['method'], r['setting'], r['seed']))
    os.makedirs(osp.dirname(out) or '.', exist_ok=True)
    tmp = out + '.part'
    with open(tmp, 'w') as f:
        json.dump(dict(runs=runs), f, indent=1)
    os.replace(tmp, out)


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
