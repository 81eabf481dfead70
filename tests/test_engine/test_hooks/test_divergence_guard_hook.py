"""A run whose loss is not finite stops with one ``error:`` line naming the
iteration, the exit and the loss, exits non-zero, and leaves the last good
checkpoint intact (``max_keep_ckpts=1`` does not prune it for a broken one);
``--resume`` goes on from it. ``DivergenceGuardHook`` is added to every run by
``tools/train.py``.

The tiny accelerated MoCo v2 of the kill/resume tests (8 iterations, a
checkpoint every 2, ``max_keep_ckpts=1``) with ``lr=1e8`` has a NaN loss at an
iteration after its first checkpoint.
"""
import re
from pathlib import Path

import pytest
import torch
from mmengine.config import Config
from reliability_helpers import (checkpoint_files, env_for, errors,
                                 last_checkpoint, tiny_config, train)

from mmaccel.engine.hooks import DivergenceGuardHook
from mmaccel.utils.errors import ConfigError

EXPLODE = ['--cfg-options', 'optim_wrapper.optimizer.lr=1e8']
LOSS_ERROR = re.compile(
    r'^error: the loss is not finite at iteration (\d+) \(epoch \d+, exit '
    r'(\d)\): (rank \d \()?loss_exit\2=nan')


def non_finite(path: Path) -> list:
    """Names of the non-finite tensors of a checkpoint's weights, buffers and
    optimizer state."""
    ckpt = torch.load(path, map_location='cpu', weights_only=False)
    bad = [k for k, t in ckpt['state_dict'].items()
           if t.is_floating_point() and not torch.isfinite(t).all()]
    for i, state in ckpt['optimizer']['state'].items():
        bad += [f'{i}.{k}' for k, t in state.items()
                if torch.is_tensor(t) and not torch.isfinite(t).all()]
    return bad


def error_lines(proc) -> list:
    return [line for line in proc.stderr.splitlines()
            if line.startswith('error:')]


def assert_only_good_checkpoints(work: Path, before: int) -> Path:
    """Every checkpoint is finite and older than iteration ``before``; the
    one that last_checkpoint names exists. Returns it."""
    names = checkpoint_files(work)
    assert names and all(int(n[5:-4]) < before for n in names), names
    for name in names:
        assert not non_finite(work / name), name
    last = Path(last_checkpoint(work))
    assert last.is_file() and last.name in names
    return last


@pytest.mark.parametrize('gpus', [1, 2], ids=['1proc', '2proc'])
def test_exploding_learning_rate_stops_before_a_broken_checkpoint(
        tmp_path, python, subprocess_env, free_port, gpus):
    config = tiny_config(tmp_path, 'mocov2', processes=gpus)
    env = env_for(subprocess_env, **({} if gpus == 1 else
                                     dict(PORT=free_port())))
    work = tmp_path / 'work'
    run = train(python, config, work, env, *EXPLODE, gpus=gpus)
    if gpus == 1:
        assert run.returncode == 1, errors(run)
    else:  # torchrun: a rank failed
        assert run.returncode != 0, errors(run)
    lines = error_lines(run)
    assert len(lines) == gpus, errors(run)  # one line from each process
    match = LOSS_ERROR.match(lines[0])
    assert match, lines[0]
    stopped = int(match.group(1))
    assert stopped > 2, 'the tiny run should diverge after its first ' \
        f'checkpoint, not at iteration {stopped}'
    last = assert_only_good_checkpoints(work, before=stopped)
    assert f'the last checkpoint, {last}, is intact' in lines[0]
    if gpus == 2:  # both ranks name the same iteration and losses
        assert 'rank ' in lines[0] and lines[0] == lines[1]
        return
    # --resume starts from the last good checkpoint, and (same lr, same
    # seed) diverges at the same iteration
    again = train(python, config, work, env, '--resume', *EXPLODE)
    assert f'iter: {int(last.name[5:-4])}' in again.stdout
    assert again.returncode == 1 and error_lines(again) == lines
    assert_only_good_checkpoints(work, before=stopped)


def test_a_non_finite_buffer_is_never_written(tmp_path, python,
                                              subprocess_env):
    # finite losses, but the MoCo queue (the model's first buffer) turned
    # NaN after iteration 4: the checkpoint of iteration 4 is refused,
    # iter_2.pth kept
    config = tiny_config(tmp_path, 'mocov2')
    work = tmp_path / 'work'
    run = train(python, config, work,
                env_for(subprocess_env, MMACCEL_NAN_BUFFER_AT=4))
    assert run.returncode == 1
    assert error_lines(run) == [
        'error: the training state is not finite at iteration 4 (epoch 1): '
        'queue; the checkpoint was not written; the '
        f'last checkpoint, {work / "iter_2.pth"}, is intact: --resume goes '
        'on from it with the learning rate saved in it (add gradient '
        'clipping (optim_wrapper.clip_grad=dict(max_norm=...))), or start '
        'again with a lower learning rate (optim_wrapper.optimizer.lr)'], \
        errors(run)
    assert_only_good_checkpoints(work, before=4)


def guarded_config(tmp_path: Path, processes: int = 1,
                   **guard) -> str:
    """The tiny config with its own ``DivergenceGuardHook(**guard)``."""
    tiny = tiny_config(tmp_path, 'mocov2', processes=processes)
    hooks = [dict(h) for h in Config.fromfile(tiny).custom_hooks]
    hooks.append(dict(type='DivergenceGuardHook', **guard))
    path = tmp_path / 'guarded.py'
    path.write_text(f"_base_ = '{tiny}'\ncustom_hooks = {hooks!r}\n")
    return str(path)


def test_skipped_steps_change_no_weight_and_stop_when_too_many(
        tmp_path, python, subprocess_env):
    config = guarded_config(tmp_path, max_skipped_steps=2)
    keep = ['--cfg-options', 'default_hooks.checkpoint.max_keep_ckpts=-1']
    work = tmp_path / 'skips'
    run = train(python, config, work,
                env_for(subprocess_env, MMACCEL_NAN_LOSS_AT='3,4'), *keep)
    assert run.returncode == 0, errors(run)
    for i, in_a_row in ((3, 1), (4, 2)):
        assert (f'the loss is not finite at iteration {i} ' in run.stdout
                and f'the step was skipped ({in_a_row} in a row, '
                'max_skipped_steps=2)' in run.stdout), run.stdout[-3000:]
    # iterations 3 and 4 changed no weight and no optimizer state
    before, after = (torch.load(work / f'iter_{i}.pth', map_location='cpu',
                                weights_only=False) for i in (2, 4))
    trained = [k for k in before['state_dict']
               if k.startswith('backbone.') and k.endswith(('weight',
                                                            'bias'))]
    assert trained and all(torch.equal(before['state_dict'][k],
                                       after['state_dict'][k])
                           for k in trained)
    assert all(torch.equal(before['optimizer']['state'][i][k], t)
               for i, s in after['optimizer']['state'].items()
               for k, t in s.items())
    assert not non_finite(work / 'iter_8.pth')

    work = tmp_path / 'too_many'
    run = train(python, config, work,
                env_for(subprocess_env, MMACCEL_NAN_LOSS_AT='3,4,5'))
    assert run.returncode == 1
    lines = error_lines(run)
    assert len(lines) == 1 and lines[0].startswith(
        'error: the loss is not finite at iteration 5 (epoch 2, exit '), lines
    assert ', 3 iterations in a row (max_skipped_steps=2)' in lines[0]
    assert_only_good_checkpoints(work, before=5)


def test_every_process_skips_when_one_has_a_non_finite_loss(
        tmp_path, python, subprocess_env, free_port):
    config = guarded_config(tmp_path, processes=2, max_skipped_steps=1)
    env = env_for(subprocess_env, PORT=free_port(), MMACCEL_NAN_LOSS_AT='3',
                  MMACCEL_NAN_LOSS_RANK='1')
    run = train(python, config, tmp_path / 'work', env, gpus=2)
    assert run.returncode == 0, errors(run)
    # logged by rank 0, whose own loss was finite
    assert re.search(r'the loss is not finite at iteration 3 \(epoch 1, exit '
                     r'\d\): rank 1 \(loss_exit\d=nan, loss=nan\); the step '
                     r'was skipped \(1 in a row', run.stdout), \
        run.stdout[-3000:]


@pytest.mark.parametrize('value', [-1, 1.5, True, '2'])
def test_max_skipped_steps_is_checked(value):
    with pytest.raises(ConfigError, match='max_skipped_steps must be an '
                       f'integer >= 0.*got {re.escape(repr(value))}'):
        DivergenceGuardHook(max_skipped_steps=value)
