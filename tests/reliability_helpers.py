"""Tiny seeded runs of tools/train.py for the reliability tests: 32 test-split
Fashion-MNIST images, batch 8, 8 iterations (2 epochs of 4), a checkpoint
every 2 iterations with ``max_keep_ckpts=1``."""
import subprocess
from pathlib import Path

import torch
from mmengine.config import Config

CONFIGS = {
    'mocov2': 'configs/accel_mocov2/'
    'accel-mocov2_resnet18-tiny_1xb256-coslr-50e_fmnist.py',
    'simclr': 'configs/accel_simclr/'
    'accel-simclr_resnet18-tiny_1xb256-coslr-50e_fmnist.py',
    'swav': 'configs/accel_swav/'
    'accel-swav_resnet18-tiny_1xb256-coslr-50e_fmnist.py',
    'mocov2-baseline': 'configs/mocov2/'
    'mocov2_resnet18-tiny_1xb256-coslr-50e_fmnist.py',
}
ITERS = 8
CHECKPOINT_INTERVAL = 2


def tiny_config(tmp_path: Path, method: str, iter_based: bool = False,
                processes: int = 1, workers: int = 0) -> str:
    """Write a tiny version of a method's config; returns its path.

    The hooks of ``fault_injection`` are in every tiny config (inert unless
    their environment variables are set), so that the killed, the resumed
    and the uninterrupted run share one config. The total batch is 8
    whatever the number of processes; ``workers`` loader workers,
    persistent when there are any.
    """
    batch = 8 // processes
    base = Config.fromfile(CONFIGS[method])
    hooks = [dict(h) for h in base.get('custom_hooks', [])]
    for hook in hooks:
        if hook['type'] == 'SwAVHook':  # a queue from the start, used
            hook.update(batch_size=batch, queue_length=16,
                        epoch_queue_starts=0,
                        frozen_layers_cfg=dict(prototypes=3))
        if hook['type'] == 'PreciseBackboneBNHook':  # on 16 images
            hook['num_images'] = 16
            hook['dataloader'] = dict(hook['dataloader'], batch_size=16)
            hook['dataloader']['dataset'] = dict(
                hook['dataloader']['dataset'], split='test', indices=16)
    hooks += [dict(type='KillTimerHook'), dict(type='RecordBatchesHook'),
              dict(type='NanLossHook')]
    lines = [
        f"_base_ = '{(Path.cwd() / CONFIGS[method]).as_posix()}'",
        "custom_imports = dict(imports=['mmaccel', 'fault_injection'], "
        'allow_failed_imports=False)',
        f'custom_hooks = {hooks!r}',
        'randomness = dict(seed=0)',
        f'train_dataloader = dict(batch_size={batch}, num_workers={workers}, '
        f'persistent_workers={workers > 0}, '
        "dataset=dict(split='test', indices=32))",
        'default_hooks = dict(logger=dict(interval=1), checkpoint=dict('
        f'by_epoch=False, interval={CHECKPOINT_INTERVAL}, max_keep_ckpts=1))',
    ]
    if 'queue_len' in base.model:
        lines.append('model = dict(queue_len=64)')
    if iter_based:
        lines += [
            'train_cfg = dict(_delete_=True, type="IterBasedTrainLoop", '
            f'max_iters={ITERS})',
            'param_scheduler = [dict(type="CosineAnnealingLR", '
            f'T_max={ITERS}, by_epoch=False, begin=0, end={ITERS})]',
            'log_processor = dict(by_epoch=False)',
        ]
    else:
        lines.append(f'train_cfg = dict(max_epochs={ITERS // 4})')
    path = tmp_path / (f'tiny_{method}{"_iters" if iter_based else ""}'
                       f'{f"_w{workers}" if workers else ""}.py')
    path.write_text('\n'.join(lines) + '\n')
    return str(path)


def env_for(subprocess_env: dict, **extra) -> dict:
    """The tests' subprocess environment (``fault_injection`` importable:
    the ``subprocess_env`` fixture), with ``extra`` variables set."""
    env = dict(subprocess_env)
    env.update({k: str(v) for k, v in extra.items()})
    return env


def train(python, config, work_dir, env, *args, gpus=1, timeout=1200):
    """tools/train.py (one process) or tools/dist_train.sh (``gpus``); the
    timeout is generous: a starved 2-core machine took minutes to import."""
    if gpus == 1:
        cmd = [python, 'tools/train.py', config]
    else:
        cmd = ['bash', 'tools/dist_train.sh', config, str(gpus)]
    return subprocess.run(cmd + ['--work-dir', str(work_dir), *args],
                          env=env, capture_output=True, text=True,
                          timeout=timeout)


def errors(proc) -> str:
    """The lines of a failed run's output that say why, for a message."""
    lines = (proc.stdout + proc.stderr).splitlines()
    keep = [line for line in lines if any(
        w in line for w in ('Error', 'error', 'what()', 'terminate', 'File '))]
    return '\n'.join(keep[-40:]) or '\n'.join(lines[-40:])


def last_checkpoint(work_dir: Path) -> str:
    return (work_dir / 'last_checkpoint').read_text().strip()


def checkpoint_files(work_dir: Path) -> list:
    return sorted(p.name for p in work_dir.glob('*.pth'))


def differences(a, b, path: str = '') -> list:
    """Paths of the tensors (and other values) that differ between two
    nested structures, bit for bit."""
    if isinstance(a, torch.Tensor) or isinstance(b, torch.Tensor):
        same = (isinstance(a, torch.Tensor) and isinstance(b, torch.Tensor)
                and a.dtype == b.dtype and a.shape == b.shape
                and torch.equal(a, b))
        return [] if same else [path]
    if isinstance(a, dict) and isinstance(b, dict):
        if set(a) != set(b):
            return [f'{path} (keys {sorted(set(a) ^ set(b), key=str)})']
        return [d for k in a for d in differences(a[k], b[k], f'{path}.{k}')]
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        if len(a) != len(b):
            return [f'{path} (length {len(a)} != {len(b)})']
        return [d for i, (x, y) in enumerate(zip(a, b))
                for d in differences(x, y, f'{path}.{i}')]
    if hasattr(a, 'shape'):  # numpy arrays (NumPy's random state)
        return [] if (a.shape == b.shape and (a == b).all()) else [path]
    return [] if a == b else [path]


FINAL_STATE = ('state_dict', 'optimizer', 'param_schedulers', 'rank_states')


def final_state_differences(work_a: Path, work_b: Path) -> list:
    """What differs between two runs' last checkpoints: weights, buffers
    (queues, the momentum encoder), optimizer and scheduler states, and
    every rank's random state and data position."""
    name = f'iter_{ITERS}.pth'
    a = torch.load(work_a / name, map_location='cpu', weights_only=False)
    b = torch.load(work_b / name, map_location='cpu', weights_only=False)
    return [d for key in FINAL_STATE for d in differences(a[key], b[key], key)]
