"""A run killed with SIGKILL and resumed ends bit for bit where the
uninterrupted run ends: weights, buffers (per-exit queues, the momentum
encoder, batch-norm statistics), optimizer and scheduler states, and every
rank's random state.

Each case trains 8 iterations with a checkpoint every 2; the killed run gets
SIGKILL from a timer started after a random iteration from 3 to 5 (after the
first checkpoint), a random 0-30 ms later, wherever it is by then (in a
step or in a checkpoint save), and ``--resume`` finishes it from the last
checkpoint, mid-epoch or at an epoch's end as the kill falls.

With data-loader workers (two, persistent) the same holds, and the resumed
run may use another number of workers: the augmentations are drawn from
``(seed, epoch, sample index)``, so every batch is the uninterrupted run's.
"""
import random
import signal
from pathlib import Path

import pytest
from reliability_helpers import (ITERS, env_for, errors,
                                 final_state_differences, last_checkpoint,
                                 tiny_config, train)

CASES = [
    # method, loop, processes
    ('mocov2', 'epochs', 1),
    ('simclr', 'iters', 1),
    ('swav', 'epochs', 1),
    ('mocov2', 'epochs', 2),
]


def kill_spec(rng):
    return f'{rng.randint(3, 5)}:{rng.uniform(0, 0.03):.4f}'


@pytest.mark.parametrize('method,loop,gpus', CASES,
                         ids=[f'{m}-{l}-{g}proc' for m, l, g in CASES])
def test_killed_and_resumed_run_ends_as_the_uninterrupted_one(
        tmp_path, python, subprocess_env, free_port, method, loop, gpus):
    config = tiny_config(tmp_path, method, loop == 'iters', gpus)
    extra = {} if gpus == 1 else dict(PORT=free_port())
    env = env_for(subprocess_env, **extra)
    ref, work = tmp_path / 'uninterrupted', tmp_path / 'killed'
    run = train(python, config, ref, env, gpus=gpus)
    assert run.returncode == 0, errors(run)

    spec = kill_spec(random.Random())
    killed = train(python, config, work, dict(
        env, MMACCEL_KILL_AFTER_ITER=spec), gpus=gpus)
    if gpus == 1:
        assert killed.returncode == -signal.SIGKILL, errors(killed)
    else:  # torchrun reports the ranks' deaths
        assert killed.returncode != 0
        assert 'Signal 9 (SIGKILL)' in killed.stderr, errors(killed)
    stopped = int(last_checkpoint(work).rsplit('_', 1)[1].split('.')[0])
    assert 2 <= stopped < ITERS, (spec, stopped)

    resumed = train(python, config, work, env, '--resume', gpus=gpus)
    assert resumed.returncode == 0, errors(resumed)
    epoch = (stopped - 1) // 4 if loop == 'epochs' else 0
    assert f'resumed epoch: {epoch}, iter: {stopped}' in resumed.stdout, \
        resumed.stdout[-2000:]
    assert 'not bit-exactly' not in resumed.stdout
    diff = final_state_differences(ref, work)
    assert not diff, f'kill {spec}, resumed at {stopped}: {diff[:10]}'


def recorded_batches(path: Path, first: int = 1, last: int = ITERS) -> dict:
    """``{iteration: digest}`` of a run's batches (``RecordBatchesHook``)."""
    lines = [line.split() for line in path.read_text().splitlines()]
    return {int(i): d for i, d in lines if first <= int(i) <= last}


WORKER_CASES = [(2, 2), (2, 0)]  # workers of the killed run, of the resumed


@pytest.mark.parametrize(
    'workers,resume_workers', WORKER_CASES,
    ids=[f'{a}-then-{b}-workers' for a, b in WORKER_CASES])
def test_killed_and_resumed_run_with_loader_workers(
        tmp_path, python, subprocess_env, workers, resume_workers):
    config = tiny_config(tmp_path, 'mocov2', workers=workers)
    env = env_for(subprocess_env)
    ref, work = tmp_path / 'uninterrupted', tmp_path / 'killed'
    record = {name: tmp_path / f'{name}.txt'
              for name in ('ref', 'killed', 'resumed')}
    run = train(python, config, ref, dict(
        env, MMACCEL_RECORD_BATCHES=record['ref']))
    assert run.returncode == 0, errors(run)

    spec = kill_spec(random.Random())
    killed = train(python, config, work, dict(
        env, MMACCEL_KILL_AFTER_ITER=spec,
        MMACCEL_RECORD_BATCHES=record['killed']))
    assert killed.returncode == -signal.SIGKILL, errors(killed)
    stopped = int(last_checkpoint(work).rsplit('_', 1)[1].split('.')[0])
    assert 2 <= stopped < ITERS, (spec, stopped)

    loader = [] if resume_workers == workers else [
        '--cfg-options', f'train_dataloader.num_workers={resume_workers}',
        f'train_dataloader.persistent_workers={resume_workers > 0}']
    resumed = train(python, config, work, dict(
        env, MMACCEL_RECORD_BATCHES=record['resumed']), '--resume', *loader)
    assert resumed.returncode == 0, errors(resumed)
    assert f'iter: {stopped}' in resumed.stdout, resumed.stdout[-2000:]
    batches = recorded_batches(record['killed'], last=stopped)
    after = recorded_batches(record['resumed'])
    assert sorted(after) == list(range(stopped + 1, ITERS + 1))
    assert {**batches, **after} == recorded_batches(record['ref']), \
        f'kill {spec}, resumed at {stopped}'
    diff = final_state_differences(ref, work)
    assert not diff, f'kill {spec}, resumed at {stopped}: {diff[:10]}'
