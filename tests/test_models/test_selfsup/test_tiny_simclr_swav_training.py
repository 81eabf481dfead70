"""The tiny accelerated SimCLR and SwAV configs train: a few hundred
iterations on CPU, single process and under tools/dist_train.sh with two
processes, with finite, falling losses at every exit."""
import json
import math
import subprocess
from pathlib import Path

import pytest
from helpers import cfg_options, short_run

CONFIGS = {
    'simclr': 'configs/accel_simclr/'
    'accel-simclr_resnet18-tiny_1xb256-coslr-50e_fmnist.py',
    'swav': 'configs/accel_swav/'
    'accel-swav_resnet18-tiny_1xb256-coslr-50e_fmnist.py',
}
ITERS = 400
BATCH = 32  # in total, over the processes
# Seeded, so that draws, data order and augmentations repeat: the losses of a
# few hundred steps are noisy, and an unseeded run of the MoCo twin of this
# test once left its last exit unchanged.
SEED = 0


def options(algorithm, batch_per_process):
    opts = short_run(ITERS, batch_per_process, workers=1, cosine=True,
                     seed=SEED)
    if algorithm == 'swav':  # prototypes frozen for 20 iterations, not 234
        opts.update({'custom_hooks.0.batch_size': batch_per_process,
                     'custom_hooks.0.frozen_layers_cfg.prototypes': 20})
    return cfg_options(opts)


def exit_losses(work_dir: Path):
    """Logged ``loss_exit{k}`` (mean of that exit's last 10 steps) per
    logging line, for each exit."""
    scalars = sorted(work_dir.glob('*/vis_data/scalars.json'))[-1]
    lines = [json.loads(line) for line in scalars.read_text().splitlines()]
    train = [line for line in lines if 'loss' in line]
    assert train[-1]['iter'] == ITERS
    out = {}
    for line in train:
        for key, value in line.items():
            if key.startswith('loss_exit'):
                out.setdefault(key, []).append(value)
    return out


@pytest.mark.parametrize('launcher', ['single', 'dist2'])
@pytest.mark.parametrize('algorithm', ['simclr', 'swav'])
def test_tiny_config_trains(algorithm, launcher, tmp_path, python,
                            subprocess_env):
    work_dir = tmp_path / 'work'
    if launcher == 'single':
        cmd = [python, 'tools/train.py', CONFIGS[algorithm]]
        batch = BATCH
    else:
        cmd = ['bash', 'tools/dist_train.sh', CONFIGS[algorithm], '2']
        batch = BATCH // 2
        subprocess_env = dict(subprocess_env, PORT='29517')
    cmd += ['--work-dir', str(work_dir), '--cfg-options',
            *options(algorithm, batch)]
    proc = subprocess.run(cmd, env=subprocess_env, capture_output=True,
                          text=True, timeout=1200)
    assert proc.returncode == 0, proc.stderr[-3000:]
    losses = exit_losses(work_dir)
    assert sorted(losses) == [f'loss_exit{k}' for k in (1, 2, 3, 4)]
    for key, values in losses.items():
        assert all(math.isfinite(v) for v in values), (key, values)
        first = sum(values[:2]) / 2
        last = sum(values[-2:]) / 2
        print(f'{algorithm} {launcher} {key}: {first:.3f} -> {last:.3f}')
        assert last < first, (key, values)
        if algorithm == 'simclr':
            # below chance, log(2N - 1): collapsed (constant) projections
            # give exactly that, so a fall into collapse does not pass
            assert last < math.log(2 * BATCH - 1), (key, values)
