"""tools/train.py --channels-last and --amp (on CPU: bfloat16 autocast) train
the tiny accelerated config: the same model and data, other kernels."""
import json
import subprocess

import pytest
import torch
from mmengine.config import Config

CONFIG = ('configs/accel_mocov2/'
          'accel-mocov2_resnet18-tiny_1xb256-coslr-50e_fmnist.py')
ITERS = 4


def train(tmp_path, name, flags, python, env):
    work_dir = tmp_path / name
    proc = subprocess.run([
        python, 'tools/train.py', CONFIG, '--work-dir', str(work_dir), *flags,
        '--cfg-options', 'model.queue_len=256',
        'train_dataloader.batch_size=32', 'train_dataloader.num_workers=0',
        'train_dataloader.persistent_workers=False', 'train_cfg._delete_=True',
        'train_cfg.type=IterBasedTrainLoop', f'train_cfg.max_iters={ITERS}',
        'param_scheduler.0.by_epoch=False', 'log_processor.by_epoch=False',
        'default_hooks.logger.interval=1',
        'default_hooks.checkpoint.by_epoch=False',
        f'default_hooks.checkpoint.interval={ITERS}', 'randomness.seed=0'
    ], env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    scalars = next(work_dir.glob('*/vis_data/scalars.json'))
    rows = [json.loads(line) for line in scalars.read_text().splitlines()]
    # (the accelerated config's PreciseBackboneBNHook adds a precise_bn_s row)
    losses = [r['loss'] for r in rows if 'loss' in r]
    assert len(losses) == ITERS
    state = torch.load(work_dir / f'iter_{ITERS}.pth', map_location='cpu',
                       weights_only=False)['state_dict']
    cfg = Config.fromfile(next(work_dir.glob('*.py')))
    return losses, state, cfg


@pytest.fixture(scope='module')
def plain(tmp_path_factory, python, subprocess_env):
    return train(tmp_path_factory.mktemp('plain'), 'plain', [], python,
                 subprocess_env)


def test_channels_last(plain, tmp_path, python, subprocess_env):
    losses, state, cfg = train(tmp_path, 'cl', ['--channels-last'], python,
                               subprocess_env)
    assert {'type': 'ChannelsLastHook'} in cfg.custom_hooks
    cl = torch.channels_last
    for key in ('backbone.layer1.0.conv1.weight',
                'encoder_k.module.0.layer1.0.conv1.weight'):
        assert state[key].is_contiguous(memory_format=cl), key
        assert not plain[1][key].is_contiguous(memory_format=cl), key
        assert state[key].is_contiguous() is False
    # the same training, other kernels. The first step (same initial weights,
    # same batch) gives the same loss to rounding; after that the two kernels'
    # rounding differences grow with the updates (measured: steps 1-3 equal to
    # 1e-4, step 4 0.35 % apart), so later steps are compared to 2 %.
    assert len(losses) == len(plain[0]) == ITERS
    assert losses[0] == pytest.approx(plain[0][0], rel=1e-5)
    assert losses == pytest.approx(plain[0], rel=0.02)


def test_amp_on_cpu_uses_bfloat16_autocast(plain, tmp_path, python,
                                           subprocess_env):
    if torch.cuda.is_available():
        pytest.skip('on a GPU --amp selects MMEngine\'s AmpOptimWrapper')
    losses, state, cfg = train(tmp_path, 'amp', ['--amp'], python,
                               subprocess_env)
    assert cfg.optim_wrapper.type == 'mmaccel.CPUAutocastOptimWrapper'
    assert len(losses) == ITERS
    assert all(torch.isfinite(torch.tensor(losses)))
    # weights stay float32
    assert state['backbone.layer1.0.conv1.weight'].dtype == torch.float32
