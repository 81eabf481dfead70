"""tools/benchmarks/summarize.py (the summary of run_all.sh): metrics read
from what each tool writes, a failed run listed as failed, markdown and json
agree; run_all.sh's option checks."""
import json
import subprocess

import pytest
from voc_utils import REPO

# tools/benchmarks/summarize.py
from mmaccel.apis import transfer_summary as summarize


def scalars(run_dir, records):
    path = run_dir / '20260101_000000' / 'vis_data' / 'scalars.json'
    path.parent.mkdir(parents=True)
    path.write_text(''.join(json.dumps(r) + '\n' for r in records))


def test_summary_of_every_kind(tmp_path):
    runs = {name: tmp_path / name
            for name in ('knn', 'linear', 'stages', 'det', 'pspnet', 'fcn')}
    for d in runs.values():
        d.mkdir()
    (runs['knn'] / 'knn_20260101_000000.json').write_text(json.dumps(
        dict(top1={'stage4': {'k20': 71.5, 'k200': 70.25}})))
    scalars(runs['linear'], [
        dict(loss=1.0, lr=0.1, step=1),
        dict(**{'accuracy/top1': 60.0}, step=1),
        dict(**{'accuracy/top1': 65.5}, step=2)])
    scalars(runs['stages'], [
        dict(**{'stem/top1': 30.0, 'stage4/top1': 66.0}, step=2)])
    scalars(runs['det'], [
        dict(loss=2.0, lr=0.01, step=4),
        dict(**{'pascal_voc/mAP': 0.4123, 'pascal_voc/AP50': 0.705,
                'pascal_voc/AP75': 0.4}, step=4)])
    scalars(runs['pspnet'], [dict(aAcc=91.2, mIoU=55.55, mAcc=60.0, step=4)])
    lines = [
        ('knn', 'knn', 'kNN setting', 12.0, 'ok'),
        ('linear', 'linear', 'linear setting', 60.0, 'ok'),
        ('stages', 'stages', 'stages setting', 61.0, 'ok'),
        ('det', 'det', 'det setting', 120.0, 'ok'),
        ('pspnet', 'seg', 'seg setting', 90.0, 'ok'),
        ('fcn', 'seg', 'seg setting', 3.0, 'failed'),
    ]
    (tmp_path / 'runs.tsv').write_text(''.join(
        f'{n}\t{k}\t{s}\t{runs[n]}\t{w}\t{st}\tcmd {n}\n'
        for n, k, s, w, st in lines))
    summarize.main([str(tmp_path)])

    rows = json.loads((tmp_path / 'summary.json').read_text())
    got = {(r['evaluation'], r['metric']): r['value'] for r in rows}
    assert got == {
        ('knn', 'kNN top-1, stage4, k=20'): 71.5,
        ('knn', 'kNN top-1, stage4, k=200'): 70.25,
        ('linear', 'linear top-1'): 65.5,  # the last validation
        ('stages', 'linear top-1, stem'): 30.0,
        ('stages', 'linear top-1, stage4'): 66.0,
        ('det', 'AP50'): 70.5,  # VOCMetric's fractions in percent
        ('det', 'AP'): 41.23,
        ('pspnet', 'mIoU'): 55.55,
        ('pspnet', 'aAcc'): 91.2,
        ('fcn', '-'): None,
    }
    fcn = next(r for r in rows if r['evaluation'] == 'fcn')
    assert fcn['status'] == 'failed' and fcn['command'] == 'cmd fcn'
    det = next(r for r in rows if r['evaluation'] == 'det')
    assert (det['setting'], det['wall_s']) == ('det setting', 120.0)
    table = (tmp_path / 'summary.md').read_text().splitlines()
    assert table[0] == '| evaluation | metric | value | setting | wall time |'
    assert '| det | AP50 | 70.50 | det setting | 2.0 min |' in table
    assert '| fcn | - | failed | seg setting | 0.1 min |' in table
    assert len(table) == 2 + len(rows)


@pytest.mark.parametrize('argv,message', [
    (['--only', 'knn detection'],
     "--only: unknown evaluation 'detection'; allowed: knn linear stages"),
    (['--seg-decoders', 'deeplab'],
     "--seg-decoders: unknown decoder 'deeplab'"),
    (['--det-iters', '0'], "take positive integers, got '0'"),
    (['--bogus', '1'], 'unknown option --bogus'),
    (['--batch'], '--batch needs a value'),
])
def test_run_all_rejects_bad_options(tmp_path, argv, message):
    ckpt = tmp_path / 'ckpt.pth'
    ckpt.write_bytes(b'')
    out = subprocess.run(['bash', 'tools/benchmarks/run_all.sh', str(ckpt),
                          *argv], capture_output=True, text=True)
    assert out.returncode == 2 and message in out.stderr
    # It stopped before making its (default) work dir.
    assert not (REPO / 'work_dirs/benchmarks/run_all' /
                f'{tmp_path.name}_ckpt').exists()


def test_run_all_names_a_missing_checkpoint(tmp_path):
    out = subprocess.run(['bash', 'tools/benchmarks/run_all.sh',
                          str(tmp_path / 'nope.pth')],
                         capture_output=True, text=True)
    assert out.returncode == 1
    assert out.stderr.strip() == (
        f'error: {tmp_path}/nope.pth: no such checkpoint')
