"""Summarise the evaluations of ``tools/benchmarks/run_all.sh``.

The command line of ``tools/benchmarks/summarize.py`` (:func:`main`),
importable; the tool's docstring describes it.
"""
import json
import os.path as osp
import sys
from glob import glob

DET = {'pascal_voc/AP50': 'AP50', 'pascal_voc/mAP': 'AP'}
SEG = {'mIoU': 'mIoU', 'aAcc': 'aAcc'}


def last_record(run_dir: str, wanted) -> dict:
    """The last record of the run's ``scalars.json`` files that has a key
    accepted by ``wanted``."""
    last = {}
    for path in sorted(glob(osp.join(run_dir, '*', 'vis_data',
                                     'scalars.json'))):
        with open(path) as f:
            for line in f:
                record = json.loads(line) if line.strip() else {}
                if any(wanted(k) for k in record):
                    last = record
    return last


def metrics(kind: str, run_dir: str) -> list:
    """``(metric, value)`` pairs of one run; empty when it left none."""
    if kind == 'knn':
        files = sorted(glob(osp.join(run_dir, 'knn_*.json')))
        if not files:
            return []
        with open(files[-1]) as f:
            top1 = json.load(f)['top1']
        return [(f'kNN top-1, {name}, k={k[1:]}', acc)
                for name, accs in top1.items() for k, acc in accs.items()]
    if kind in ('linear', 'stages'):
        record = last_record(run_dir, lambda k: k.endswith('top1'))
        return [(f'linear top-1, {k[:-len("/top1")]}'
                 if kind == 'stages' else 'linear top-1', v)
                for k, v in record.items() if k.endswith('top1')]
    if kind == 'det':
        record = last_record(run_dir, lambda k: k in DET)
        return [(name, 100 * record[k]) for k, name in DET.items()
                if k in record]
    if kind == 'seg':
        record = last_record(run_dir, lambda k: k in SEG)
        return [(name, record[k]) for k, name in SEG.items() if k in record]
    raise ValueError(f'unknown evaluation kind {kind!r} in runs.tsv')


def summarize(work_dir: str) -> list:
    rows = []
    with open(osp.join(work_dir, 'runs.tsv')) as f:
        for line in f:
            if not line.strip():
                continue
            name, kind, setting, run_dir, wall, status, command = \
                line.rstrip('\n').split('\t')
            found = metrics(kind, run_dir)
            if status == 'ok' and not found:
                status = 'no metric found'
            base = dict(evaluation=name, setting=setting,
                        wall_s=float(wall), status=status, work_dir=run_dir,
                        command=command)
            rows += [dict(base, metric=m, value=round(float(v), 2))
                     for m, v in found] or [dict(base, metric='-',
                                                 value=None)]
    return rows


def markdown(rows: list) -> str:
    lines = ['| evaluation | metric | value | setting | wall time |',
             '| --- | --- | ---: | --- | ---: |']
    for r in rows:
        value = f'{r["value"]:.2f}' if r['value'] is not None else r['status']
        lines.append(f'| {r["evaluation"]} | {r["metric"]} | {value} | '
                     f'{r["setting"]} | {r["wall_s"] / 60:.1f} min |')
    return '\n'.join(lines) + '\n'


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 1:
        sys.exit('usage: python tools/benchmarks/summarize.py WORK_DIR')
    work_dir = argv[0]
    rows = summarize(work_dir)
    with open(osp.join(work_dir, 'summary.json'), 'w') as f:
        json.dump(rows, f, indent=2)
    table = markdown(rows)
    with open(osp.join(work_dir, 'summary.md'), 'w') as f:
        f.write(table)
    print(table, end='')
    print(f'saved {osp.join(work_dir, "summary.md")} and summary.json')
