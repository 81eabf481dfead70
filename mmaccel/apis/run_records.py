"""A training run's kNN records: the ``vis_data/scalars.json`` that
:class:`KNNEvalHook` writes, read into the records of
``docs/results/quality.json`` (``tools/analysis/quality_record.py``), the
demo's summary and the time-accuracy figure
(``tools/analysis/plot_time_accuracy.py``)."""
import glob
import json
import os
import os.path as osp
import platform


def read_scalars(work_dir):
    """The records of the newest ``*/vis_data/scalars.json`` of
    ``work_dir``; a missing one ends the program with ``error: ...``."""
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
    """The ``quality.json`` record of a run's scalars.

    Args:
        rows (list[dict]): The run's scalars (:func:`read_scalars`).
        args: ``method``, ``setting``, ``seed``, ``config``, ``command`` and
            ``work_dir`` (named in the error of a run without kNN).

    Returns:
        dict: The record: curves of kNN against wall and CPU time, per exit,
        final values, the machine.
    """
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
    """The record of a ``tools/benchmarks/knn.py --linear`` json."""
    with open(knn_json) as f:
        res = json.load(f)
    keys = ('data', 'bank_images', 'queries', 'precise_bn_images',
            'temperature', 'top1', 'linear_top1')
    return dict({k: res.get(k) for k in keys}, checkpoint=res['checkpoint'])


def write_runs(runs, out):
    """Write ``{'runs': runs}`` (sorted) to ``out`` atomically."""
    runs.sort(key=lambda r: (r['method'], r['setting'], r['seed']))
    os.makedirs(osp.dirname(out) or '.', exist_ok=True)
    tmp = out + '.part'
    with open(tmp, 'w') as f:
        json.dump(dict(runs=runs), f, indent=1)
    os.replace(tmp, out)


def find_scalars(path: str) -> str:
    """``path`` if it is a file, else its newest ``*/vis_data/scalars.json``
    with kNN entries."""
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
