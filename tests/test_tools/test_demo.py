"""tools/demo.py end to end on a tiny budget: the tiny 32 px MoCo v2 twins, 128
training images in batches of 32, one epoch, a kNN bank and query set of 200
images each. First a run is interrupted with Ctrl-C (SIGINT) while the
baseline trains, then the same work dir runs to the end: the summary, the
table and the plot are checked, then the one-line errors."""
import glob
import json
import os
import signal
import subprocess
import time

import matplotlib.image as mpimg
import numpy as np
import pytest

TINY = [
    '--baseline-config',
    'configs/benchmarks/mocov2_resnet18-tiny_1xb256-coslr-3e_fmnist-knn.py',
    '--accel-config',
    ('configs/benchmarks/'
     'accel-mocov2_resnet18-tiny_1xb256-coslr-3e_fmnist-knn.py'),
    '--subset', '128', '--knn-images', '200', '--log-interval', '1',
    '--cfg-options', 'train_dataloader.batch_size=32',
    'train_dataloader.num_workers=0',
    'train_dataloader.persistent_workers=False'
]
ERRORS = {  # case: (arguments, exit status, part of the message)
    'bad option': (['--epochs', '0'], 2, "--epochs: '0' is not"),
    'bad method': (['--methods', 'moco'], 2, "--methods 'moco'"),
    'unwritable work dir': (['--work-dir', '{blocker}/demo'], 1,
                            'is not writable'),
    'missing data': (['--data-root', '{empty}', '--work-dir', '{work}'], 1,
                     '{empty}/train-images-idx3-ubyte is missing'),
}


def processes_naming(text):
    """Pids of the live processes whose command line contains ``text``."""
    pids = []
    for path in glob.glob('/proc/[0-9]*/cmdline'):
        try:
            with open(path, 'rb') as f:
                cmdline = f.read().replace(b'\0', b' ')
            cmdline = cmdline.decode(errors='replace')
        except OSError:
            continue
        if text in cmdline:
            pids.append(int(path.split('/')[2]))
    return pids


def wait_for_knn(pattern, proc, timeout=600):
    """Wait until a scalars.json matching ``pattern`` has a kNN record."""
    end = time.time() + timeout
    while time.time() < end:
        assert proc.poll() is None, proc.communicate()
        for path in glob.glob(pattern):
            with open(path) as f:
                if 'knn_top1' in f.read():
                    return
        time.sleep(0.2)
    raise TimeoutError(pattern)


@pytest.fixture(scope='module')
def demo(tmp_path_factory, python, subprocess_env):
    work_dir = tmp_path_factory.mktemp('demo')
    cmd = [python, 'tools/demo.py', '--work-dir', str(work_dir)] + TINY
    # Interrupted: 50 epochs would take minutes; Ctrl-C after the baseline's
    # first evaluation.
    proc = subprocess.Popen(cmd + ['--epochs', '50'],
                            env=subprocess_env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        wait_for_knn(str(work_dir / 'baseline' / '*' / 'vis_data' /
                         'scalars.json'), proc)
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            out, err = proc.communicate(timeout=300)
        except subprocess.TimeoutExpired:
            proc.kill()  # the demo's children die with it (PDEATHSIG)
            raise
    interrupted = subprocess.CompletedProcess(cmd, proc.returncode, out, err)
    left = processes_naming(str(work_dir))
    # Then the whole demo in the same work dir.
    done = subprocess.run(cmd + ['--epochs', '1'],
                          env=subprocess_env, capture_output=True, text=True,
                          timeout=900)
    return work_dir, interrupted, left, done


def test_ctrl_c_stops_every_process_and_says_where(demo):
    work_dir, interrupted, left, _ = demo
    assert interrupted.returncode == 130, interrupted.stderr[-3000:]
    assert left == []
    assert 'Traceback' not in interrupted.stderr
    assert (f'partial results (log, kNN so far in vis_data/scalars.json): '
            f'{work_dir / "baseline"}') in interrupted.stderr


def test_demo_summary(demo):
    work_dir, _, _, done = demo
    assert done.returncode == 0, done.stderr[-3000:]
    # the interrupted baseline was trained again from the start
    assert f'baseline: starting over in {work_dir / "baseline"}' in done.stdout
    s = json.loads((work_dir / 'summary.json').read_text())
    base, accel = s['baseline'], s['accel']
    for m in (base, accel):
        assert m['train_wall_s'] > 0
        assert m['peak_mem_mb'] > 0
        assert m['images_seen'] == 128  # 4 iterations of 32
        assert m['images_per_s'] == pytest.approx(128 / m['train_wall_s'],
                                                  abs=0.1)
        assert 0 <= m['knn_final'] <= 100
        assert [p[0] for p in m['curve']] == [0, 1]
        assert m['curve'][0][1] < m['curve'][1][1] == m['train_wall_s']
        assert all(0 <= p[2] <= 100 for p in m['curve'])
        assert m['knn_final'] == m['curve'][-1][2]
    assert s['knn_random_init'] == base['curve'][0][2]
    assert s['speedup'] == pytest.approx(
        base['train_wall_s'] / accel['train_wall_s'], abs=1e-3)
    # the accelerated model's first evaluation at or above the baseline's end
    reached = [t for _, t, a in accel['curve'] if a >= base['knn_final']]
    assert s['accel_time_to_baseline_final_s'] == (reached[0] if reached
                                                   else None)
    # per exit, the last exit being the backbone's output
    exits = accel['knn_final_per_exit']
    assert list(exits) == ['exit1', 'exit2', 'exit3', 'exit4']
    assert all(0 <= v <= 100 for v in exits.values())
    assert exits['exit4'] == accel['knn_final']


def test_demo_table_progress_and_plot(demo):
    work_dir, _, _, done = demo
    md = (work_dir / 'summary.md').read_text()
    assert '|  | baseline | accelerated |' in md
    assert '| speed-up (training time) | 1.00x |' in md
    assert md.split('|  | baseline')[1].split('\n\n')[0] in done.stdout
    # the running comparison after the accelerated model's evaluation
    assert '[demo] accelerated epoch 1/1: kNN top-1' in done.stdout
    assert '| baseline at epoch 1: ' in done.stdout
    png = work_dir / 'time_vs_accuracy.png'
    assert png.read_bytes()[:8] == b'\x89PNG\r\n\x1a\n'
    img = mpimg.imread(png)
    assert img.shape[0] > 100 and img.shape[1] > 100
    assert np.std(img) > 0.01


@pytest.mark.parametrize('case', list(ERRORS))
def test_one_line_errors(case, tmp_path, python, subprocess_env):
    paths = dict(blocker=tmp_path / 'a-file', empty=tmp_path / 'empty',
                 work=tmp_path / 'work')
    paths['blocker'].write_text('')
    paths['empty'].mkdir()
    args, code, expected = ERRORS[case]
    args = [a.format(**paths) for a in args]
    proc = subprocess.run([python, 'tools/demo.py'] + args,
                          env=subprocess_env, capture_output=True, text=True,
                          timeout=600)
    assert proc.returncode == code
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith('error: ')
    assert expected.format(**paths) in lines[0]
    assert proc.stdout == ''
    if case == 'missing data':
        assert 'prepare_fashion_mnist.sh' in lines[0]
        assert not os.listdir(paths['work'])  # nothing was trained
