"""tools/train.py and tools/dist_train.sh on the tiny Fashion-MNIST config,
on CPU."""
import json
import socket
import subprocess

import pytest

CONFIG = 'configs/mocov2/mocov2_resnet18-tiny_1xb256-coslr-50e_fmnist.py'
# 64 images, batch 16: four iterations an epoch.
TINY = [
    'train_dataloader.batch_size=16', 'train_dataloader.dataset.indices=64',
    'train_dataloader.num_workers=0',
    'train_dataloader.persistent_workers=False',
    'default_hooks.logger.interval=1', 'default_hooks.checkpoint.interval=1'
]


def run(cmd, env, timeout=300):
    return subprocess.run(
        cmd, env=env, capture_output=True, text=True, timeout=timeout)


def logged_iters(work_dir):
    """(epoch, iter) of every training record in the json logs, by run."""
    runs = []
    for path in sorted(work_dir.glob('*/vis_data/scalars.json')):
        records = [json.loads(line) for line in path.read_text().splitlines()]
        runs.append([(r['epoch'], r['iter']) for r in records if 'loss' in r])
    return runs


@pytest.fixture(scope='module')
def trained(tmp_path_factory, python, subprocess_env):
    """Two epochs of the tiny baseline, then one more through ``--resume``."""
    work_dir = tmp_path_factory.mktemp('mocov2_tiny')
    first = run([python, 'tools/train.py', CONFIG, '--work-dir', str(work_dir),
                 '--cfg-options', 'train_cfg.max_epochs=2', *TINY],
                subprocess_env)
    resumed = run([python, 'tools/train.py', CONFIG, '--work-dir',
                   str(work_dir), '--resume', '--cfg-options',
                   'train_cfg.max_epochs=3', *TINY], subprocess_env)
    return work_dir, first, resumed


def test_train_writes_checkpoints_and_logs(trained):
    work_dir, first, _ = trained
    assert first.returncode == 0, first.stderr[-3000:]
    assert (work_dir / 'epoch_1.pth').is_file()
    assert (work_dir / 'epoch_2.pth').is_file()
    runs = logged_iters(work_dir)
    assert runs[0] == ([(1, i) for i in range(1, 5)] +
                       [(2, i) for i in range(5, 9)])
    assert 'Epoch(train) [2][4/4]' in first.stdout


def test_resume_continues_from_the_last_checkpoint(trained):
    work_dir, _, resumed = trained
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    assert 'resumed epoch: 2, iter: 8' in resumed.stdout
    assert (work_dir / 'epoch_3.pth').is_file()
    assert (work_dir / 'last_checkpoint').read_text().strip().endswith(
        'epoch_3.pth')
    # The resumed run logs epoch 3 only: nothing was trained twice.
    assert logged_iters(work_dir)[1] == [(3, i) for i in range(9, 13)]


def test_missing_data_fails_with_one_line(tmp_path, python, subprocess_env):
    missing = tmp_path / 'no-fashion-mnist'
    proc = run([python, 'tools/train.py', CONFIG, '--work-dir',
                str(tmp_path / 'work'), '--cfg-options',
                f'train_dataloader.dataset.data_root={missing}'],
               subprocess_env)
    assert proc.returncode == 1
    assert 'Traceback' not in proc.stderr + proc.stdout
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert str(missing) in lines[0]
    assert 'bash tools/dataset_converters/prepare_fashion_mnist.sh' in lines[0]


def free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def test_dist_train_two_cpu_processes(tmp_path, subprocess_env):
    env = dict(subprocess_env, PORT=str(free_port()))
    # Two ranks of batch 8 over 64 images: four iterations, one epoch.
    proc = run(['bash', 'tools/dist_train.sh', CONFIG, '2', '--work-dir',
                str(tmp_path), '--cfg-options', 'train_cfg.max_epochs=1',
                *TINY, 'train_dataloader.batch_size=8'], env)
    assert proc.returncode == 0, proc.stderr[-3000:]
    log = next(tmp_path.glob('*/*.log')).read_text()
    assert 'Distributed training: True' in log
    assert "backend='gloo'" in log
    assert logged_iters(tmp_path) == [[(1, i) for i in range(1, 5)]]
    assert (tmp_path / 'epoch_1.pth').is_file()
