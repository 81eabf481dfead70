"""The GPU evidence kit (tools/analysis/gpu_evidence.sh) in its CPU smoke mode,
and the pieces its results pass through: the results file, the report that
feeds docs/benchmarks.md, and bfloat16 autocast on CUDA.

Timings are never asserted: only that every stage ran and wrote what the docs
read.
"""
import hashlib
import json
import os
import subprocess
import sys

import pytest

from mmaccel.apis import gpu_results as gpu_report
from mmaccel.apis.gpu_results import add_to_results
from mmaccel.engine import amp_optim_wrapper

RESULTS = 'docs/results/gpu.json'


def _digest(path):
    if not os.path.exists(path):
        return None
    with open(path, 'rb') as f:
        return hashlib.sha256(f.read()).hexdigest()


def test_amp_dtype_on_cuda_and_cpu():
    base = dict(optimizer=dict(type='SGD', lr=0.1))
    cuda = amp_optim_wrapper(base, True, 'bfloat16')
    assert cuda['type'] == 'AmpOptimWrapper' and cuda['dtype'] == 'bfloat16'
    assert amp_optim_wrapper(base, True)['dtype'] == 'float16'
    # the CPU's autocast is bfloat16 whatever is asked
    assert amp_optim_wrapper(base, False, 'bfloat16')['type'] == \
        'mmaccel.CPUAutocastOptimWrapper'
    assert 'type' not in base  # a copy
    with pytest.raises(ValueError, match='float32'):
        amp_optim_wrapper(base, True, 'float32')


def _speed_row(setting, gpu, seed=0):
    return dict(method='mocov2', setting=setting, seed=seed, gpu=gpu)


def test_results_file_replaces_a_record_of_the_same_key(tmp_path):
    path = str(tmp_path / 'gpu.json')
    add_to_results(path, speed=[_speed_row('pbp-only', 'H100')])
    run = dict(_speed_row('baseline', 'H100'), knn_final=70.0)
    add_to_results(path, runs=[run])
    row = dict(_speed_row('pbp-only', 'H100'), speedup=1.5)
    add_to_results(path, speed=[row])  # same key: replaced
    add_to_results(path, speed=[_speed_row('pbp-only', 'H200')])
    data = json.loads(open(path).read())
    assert [(r['gpu'], r.get('speedup')) for r in data['speed']] == [
        ('H100', 1.5), ('H200', None)]
    assert [r['knn_final'] for r in data['runs']] == [70.0]  # kept


def test_report_says_what_is_missing_and_updates_only_its_block(tmp_path):
    text = gpu_report.report([], [])
    assert 'Nothing has been measured on a GPU yet' in text
    todo = gpu_report.missing([], [])
    # speed rows, the largest batches, race settings
    assert len(todo) == 2 * 3 + 2 + 2 * 3
    assert 'race: simclr pbp-only-ramp (0 of 3 seeds)' in todo
    assert all(f'- {t}' in text for t in todo)
    doc = tmp_path / 'doc.md'
    doc.write_text(f'before\n{gpu_report.START}\nold\n{gpu_report.END}\n'
                   'after\n')
    gpu_report.update_docs(str(doc), 'new\n')
    assert doc.read_text() == (f'before\n{gpu_report.START}\nnew\n'
                               f'{gpu_report.END}\nafter\n')


def test_benchmarks_md_shows_the_results_file():
    """docs/benchmarks.md's GPU block is what gpu_report.py makes of
    docs/results/gpu.json (regenerate it with --update-docs)."""
    doc = open('docs/benchmarks.md').read()
    block = doc.split(gpu_report.START + '\n', 1)[1].split(gpu_report.END)[0]
    expected = gpu_report.report(*gpu_report.load(RESULTS))
    assert block.startswith(expected)


def test_smoke_run_of_the_whole_kit(tmp_path, python, subprocess_env):
    """Every stage of the kit on tiny models: speed pairs, the race to a
    budget with kNN evaluations, records with quality.json's fields, the
    table; nothing goes into docs/results/gpu.json."""
    before = _digest(RESULTS)
    out = tmp_path / 'out'
    env = dict(subprocess_env, PYTHON=python)
    env.pop('OUT', None)
    proc = subprocess.run(
        ['bash', 'tools/analysis/gpu_evidence.sh', '--smoke', '--seed', '3',
         '--out', str(out)], env=env, capture_output=True, text=True,
        timeout=900)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert _digest(RESULTS) == before
    assert not (out / 'gpu.json').exists()

    env_rec = json.loads((out / 'env.json').read_text())
    assert env_rec['torch'] and env_rec['import_check'] == 'ok'

    speed = json.loads((out / 'speed.json').read_text())['rows']
    assert {(r['method'], r['setting']) for r in speed} == {
        (m, s) for m in ('mocov2', 'simclr')
        for s in ('accel-uniform', 'pbp-only', 'pbp-only-ramp')}
    for r in speed:
        b = r['bench']
        assert r['speedup'] > 0 and r['ideal_speedup'] > 1
        assert b['settings']['amp'] and b['settings']['channels_last']
        assert sorted(b['per_exit']) == ['1', '2', '3', '4']
        assert r['baseline_peak_mem_mb'] is not None
        assert r['accel_peak_mem_mb'] is not None
    # the largest batch (smoke: 16 to 64) of the paper's defaults' rows
    for r in speed:
        if r['setting'] == 'accel-uniform':
            assert r['baseline_max_batch'] == r['accel_max_batch'] == 64
    ramp = next(r for r in speed if r['setting'] == 'pbp-only-ramp')
    uniform = next(r for r in speed if r['setting'] == 'pbp-only')
    # the ramp's average probabilities lean to the last exit
    assert ramp['bench']['exit_probs'][-1] > uniform['bench']['exit_probs'][-1]
    assert ramp['ideal_speedup'] < uniform['ideal_speedup']

    runs = json.loads((out / 'records.json').read_text())['runs']
    assert [r['setting'] for r in runs] == ['baseline', 'accel-uniform',
                                            'pbp-only-ramp']
    quality_fields = {'method', 'setting', 'seed', 'epochs', 'train_wall_s',
                      'curve', 'knn_final', 'knn_random_init', 'config',
                      'command', 'machine'}
    for r in runs:
        assert quality_fields <= set(r)
        # 8s: the kit's smoke retry after a first step longer than 4s
        assert r['seed'] == 3 and r['time_budget'] in ('4s', '8s')
        assert r['augment_on'] == 'cpu'  # the device preprocessor, on CPU
        assert r['torch'] and r['iters'] > 0
        # before training, at half the budget (smoke; unless one step
        # passed both half and end) and at its end, at the fractional epochs
        # trained (how many depends on the machine's speed: more than one
        # on a quiet machine)
        epochs = [e for e, _, _ in r['curve']]
        times = [t for _, t, _ in r['curve']]
        assert epochs[0] == 0 and r['knn_random_init'] is not None
        assert len(times) in (2, 3) and times[-1] >= 4  # the budget
        assert times == sorted(times) and epochs == sorted(epochs)
        assert 0 < epochs[-1] == pytest.approx(r['epochs'], abs=1e-3)
    table = (out / 'table.md').read_text()
    assert '| mocov2 | baseline |' in table and 'pbp-only-ramp' in table
    assert (out / 'evidence.log').exists() and (out / 'train.log').exists()


WHEELHOUSE = f'.whl/cp{sys.version_info[0]}{sys.version_info[1]}'


@pytest.mark.skipif(not os.path.exists(f'{WHEELHOUSE}/requirements.txt'),
                    reason=f'no cached wheelhouse in {WHEELHOUSE} '
                    '(tools/install/build_wheelhouse.sh --python X.Y)')
def test_install_stage_over_a_venv_python(tmp_path, python, subprocess_env):
    """The kit's install on a node whose python3 is a venv's, as the GPU
    node's: the new venv sees the parent venv's torch through a .pth file
    and gets the core tier from the wheelhouse, offline."""
    venv, out = tmp_path / 'venv', tmp_path / 'out'
    env = dict(subprocess_env, PYTHON_SYS=python)
    env.pop('PYTHON', None)
    proc = subprocess.run(
        ['bash', 'tools/analysis/gpu_evidence.sh', '--stages', 'install',
         '--wheelhouse', WHEELHOUSE, '--venv', str(venv), '--out', str(out)],
        env=env, capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    rec = json.loads((out / 'env.json').read_text())
    assert rec['import_check'] == 'ok' and rec['versions']['kornia']
    assert not rec['mmcv_ops']  # the core tier: mmcv-lite
    assert list(venv.glob('lib/python*/site-packages/parent-venv.pth'))
