"""A kill in the middle of writing a checkpoint loses nothing: the previous
checkpoint stays whole and named by last_checkpoint, and --resume goes on
from it. MMEngine's own CheckpointHook, under the same kill, has deleted the
previous checkpoint first (max_keep_ckpts=1) and leaves nothing to resume."""
import signal

import pytest
import torch
from mmengine.config import Config
from reliability_helpers import (ITERS, checkpoint_files, env_for, errors,
                                 last_checkpoint, tiny_config, train)

from mmaccel.engine.hooks.atomic_checkpoint_hook import check_settings
from mmaccel.utils import ConfigError, use_reliable_runtime

# the second checkpoint (iteration 4) dies half-written
KILL_IN_SECOND_WRITE = dict(MMACCEL_KILL_IN_WRITE=2)


def test_kill_while_writing_keeps_the_previous_checkpoint(
        tmp_path, python, subprocess_env):
    config = tiny_config(tmp_path, 'mocov2')
    work = tmp_path / 'work'
    env = env_for(subprocess_env)
    killed = train(python, config, work,
                   env_for(subprocess_env, **KILL_IN_SECOND_WRITE))
    assert killed.returncode == -signal.SIGKILL, errors(killed)
    # the half-written file is a hidden temporary, beside a whole iter_2
    assert checkpoint_files(work) == ['iter_2.pth']
    partial = work / '.iter_4.pth.part'
    assert 0 < partial.stat().st_size < (work / 'iter_2.pth').stat().st_size
    assert last_checkpoint(work) == str(work / 'iter_2.pth')
    state = torch.load(work / 'iter_2.pth', weights_only=False)
    assert state['meta']['iter'] == 2

    resumed = train(python, config, work, env, '--resume')
    assert resumed.returncode == 0, errors(resumed)
    assert 'resumed epoch: 0, iter: 2' in resumed.stdout
    assert checkpoint_files(work) == [f'iter_{ITERS}.pth']
    assert not partial.exists()
    assert last_checkpoint(work) == str(work / f'iter_{ITERS}.pth')


def test_mmengine_checkpoint_hook_loses_everything_under_the_same_kill(
        tmp_path, python, subprocess_env):
    """The failure that AtomicCheckpointHook prevents, shown on MMEngine's
    hook (the test above would fail with it)."""
    config = tmp_path / 'upstream_hook.py'
    config.write_text(
        f"_base_ = '{tiny_config(tmp_path, 'mocov2')}'\n"
        "default_hooks = dict(checkpoint=dict(type='mmengine.CheckpointHook'"
        '))\n')
    work = tmp_path / 'work'
    killed = train(python, str(config), work,
                   env_for(subprocess_env, **KILL_IN_SECOND_WRITE))
    assert killed.returncode == -signal.SIGKILL, errors(killed)
    assert checkpoint_files(work) == ['iter_4.pth']  # the partial one
    assert last_checkpoint(work) == str(work / 'iter_2.pth')  # deleted
    assert not (work / 'iter_2.pth').exists()


def test_every_config_gets_the_atomic_hook_and_resumable_loop():
    for path in ('configs/mocov2/mocov2_resnet18-tiny_1xb256-coslr-50e_'
                 'fmnist.py', 'configs/accel_swav/accel-swav_resnet50_8xb32-'
                 'coslr-200e_in1k-224px.py'):
        cfg = use_reliable_runtime(Config.fromfile(path))
        assert cfg.default_hooks.checkpoint.type == \
            'mmaccel.AtomicCheckpointHook'
        assert cfg.train_cfg.type == 'mmaccel.ResumableEpochBasedTrainLoop'
        assert cfg.custom_hooks[-1].type == 'mmaccel.PreflightCheckHook'
    cfg = Config(dict(train_cfg=dict(by_epoch=False, max_iters=5),
                      default_hooks=dict(checkpoint=dict(type='MyHook'))))
    use_reliable_runtime(cfg)
    assert cfg.train_cfg == dict(type='mmaccel.ResumableIterBasedTrainLoop',
                                 max_iters=5)
    assert cfg.default_hooks.checkpoint.type == 'MyHook'  # kept


@pytest.mark.parametrize('settings,message', [
    (dict(intervl=1), "unknown setting 'intervl' (did you mean 'interval'?)"),
    (dict(interval='5'), 'interval must be an integer'),
    (dict(max_keep_ckpts=1.0), 'max_keep_ckpts must be an integer'),
    (dict(by_epoch='no'), 'by_epoch must be True or False'),
    (dict(save_begin=-1), 'save_begin must be >= 0'),
    (dict(filename_tmpl='ckpt.pth'), 'filename_tmpl must be a file name'),
])
def test_checkpoint_hook_settings_are_checked(settings, message):
    with pytest.raises(ConfigError, match=message.replace('(', r'\(')
                       .replace(')', r'\)').replace('?', r'\?')):
        check_settings(settings)
    check_settings(dict(interval=2, by_epoch=False, max_keep_ckpts=1,
                        filename_tmpl='ckpt_{}.pth', save_begin=0))
