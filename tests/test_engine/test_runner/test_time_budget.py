"""Training to a wall-clock time budget (``--time-budget``): where a run
stops, what its schedules follow, its checkpoints, resume, two processes,
and bad inputs.

The runs read a fake clock (``fake_clock.py``) that moves by a fixed,
uneven number of seconds per step, so that the share of the budget used
differs from the share of the iterations done, and every number is exact.
The tiny runs are those of the other reliability tests (32 test images,
batch 8: 4 iterations an epoch, a checkpoint every 2 iterations).
"""
import io
import json
import math
import random
import signal
import sys
import time
from pathlib import Path

import fake_clock
import pytest
import torch
from fake_clock import RECORD
from mmengine.config import Config
from reliability_helpers import (differences, env_for, errors, last_checkpoint,
                                 tiny_config, train)

from mmaccel.apis import train_main
from mmaccel.engine.runner import format_seconds, parse_time_budget
from mmaccel.utils import ConfigError

# seconds per step, cycled by iteration: cumulative 1, 2.5, 3, 5, 6, 7.5, 8,
# 10, 11, ... (4 iterations take 5 s)
DURATIONS = (1.0, 1.5, 0.5, 2.0)


def budget_config(tmp_path, method='mocov2-baseline', iter_based=False,
                  processes=1, durations=DURATIONS, rank_scale=None,
                  rank_sleep=0.0, loop=None, hooks=(), lines=()):
    """The tiny config of ``method`` on the fake clock, ``loop`` merged into
    its ``train_cfg`` and ``hooks`` added; returns its path."""
    base = tiny_config(tmp_path, method, iter_based, processes)
    hooks = list(Config.fromfile(base).custom_hooks) + [
        dict(type='FakeClockHook', durations=list(durations),
             rank_scale=rank_scale, rank_sleep=rank_sleep),
        dict(type='BudgetRecorderHook'), *hooks
    ]
    loop = dict(loop or {}, clock='fake_clock.now')
    path = tmp_path / f'budget_{Path(base).stem}.py'
    path.write_text('\n'.join([
        f"_base_ = '{base}'",
        "custom_imports = dict(imports=['mmaccel', 'fault_injection', "
        "'fake_clock'], allow_failed_imports=False)",
        f'custom_hooks = {hooks!r}',
        f'train_cfg = {loop!r}',
        *lines,
    ]) + '\n')
    return str(path)


def run_main(argv):
    """tools/train.py's main() on ``argv``: (exit status, stderr, stdout)."""
    saved = sys.argv, sys.stdout, sys.stderr
    sys.argv = ['tools/train.py', *argv,
                '--cfg-options', f'experiment_name=budget_{time.time_ns()}']
    sys.stdout, sys.stderr = io.StringIO(), io.StringIO()
    try:
        train_main()
        code = 0
    except SystemExit as e:
        code = e.code
    finally:
        out, err = sys.stdout.getvalue(), sys.stderr.getvalue()
        sys.argv, sys.stdout, sys.stderr = saved
    return code, err, out


def load(path):
    return torch.load(path, map_location='cpu', weights_only=False)


def cumulative(durations, n):
    return [sum(durations[i % len(durations)] for i in range(k))
            for k in range(n + 1)]


# ------------------------------------------------------------- parsing
@pytest.mark.parametrize('text,seconds', [
    ('90s', 90), ('45m', 2700), ('8h', 28800), ('1h30m', 5400),
    ('1h0m30s', 3630), ('2.5m', 150), ('90', 90), (12, 12), (0.5, 0.5)])
def test_durations_parse(text, seconds):
    assert parse_time_budget(text) == seconds


@pytest.mark.parametrize('text', [
    '0s', '0', '-5m', 0, -1, 'abc', '1h30', '', '5 minutes', 'm', True,
    None, float('nan'), float('inf')])
def test_bad_durations_fail_naming_setting_and_value(text):
    with pytest.raises(ConfigError) as e:
        parse_time_budget(text, '--time-budget')
    message = str(e.value)
    assert message.startswith(f'--time-budget={text!r}')
    assert '\n' not in message


def test_format_seconds():
    assert format_seconds(5025.3) == '1h23m45s'
    assert format_seconds(2700) == '45m00s'
    assert format_seconds(6.25) == '6.25s'
    assert format_seconds(11.0) == '11s'


# ------------------------------------------------ schedules and stopping
SCHEDULES = {
    # loop: (train_cfg and scheduler lines, nominal iterations)
    'epochs': ([
        'param_scheduler = [dict(type="CosineAnnealingLR", T_max=2, '
        'by_epoch=True, begin=0, end=2, convert_to_iter_based=True)]'
    ], 8),
    'iters': ([], 8),  # the tiny iteration config: cosine over 8 iterations
}


@pytest.mark.parametrize('loop', SCHEDULES)
def test_lr_follows_the_share_of_the_budget(tmp_path, loop):
    """The lr of iteration i is the cosine's value at step
    ``floor(used_i * 8 / budget)``, ``used_i`` the training time when i
    began; the run goes on past the nominal 8 iterations to the budget and
    stops within one step of it."""
    lines, nominal = SCHEDULES[loop]
    config = budget_config(tmp_path, iter_based=loop == 'iters', lines=lines)
    budget = 11.0
    code, err, out = run_main(
        [config, '--work-dir', str(tmp_path / 'work'), '--time-budget', '11s'])
    assert code == 0, err + out[-3000:]

    times = cumulative(DURATIONS, 12)
    stop = next(k for k, t in enumerate(times) if t >= budget)  # 9
    assert [r[0] for r in RECORD] == list(range(stop))
    assert stop > nominal  # fast enough for more than the nominal length
    base_lr = RECORD[0][3]
    per_iteration = []
    for i, used, progress, lr in RECORD:
        assert used == times[i]
        assert progress == used / budget
        step = math.floor(used * nominal / budget)
        expected = base_lr * (1 + math.cos(math.pi * step / nominal)) / 2
        assert lr == pytest.approx(expected, rel=1e-9, abs=1e-15), (i, step)
        per_iteration.append(
            base_lr * (1 + math.cos(math.pi * min(i, nominal) / nominal)) / 2)
    # the budget, not the iteration count, drove the schedule
    assert [r[3] for r in RECORD] != pytest.approx(per_iteration)

    ckpt = load(last_checkpoint(tmp_path / 'work'))
    assert ckpt['meta']['iter'] == stop
    assert ckpt['time_budget'] == dict(budget=budget, used=times[stop])
    assert times[stop - 1] < budget <= times[stop]  # within one step
    assert 'time budget: 11s of 11s used (100%), spent after 9 ' \
        'iterations' in out
    assert 'stall' not in out  # steps of 0.5 to 2 s are no stall


def test_final_checkpoint_and_evaluation_once_evaluation_not_counted(
        tmp_path, monkeypatch):
    """The epoch the budget ends in is the last: the checkpoint hook saves
    it, kNN evaluation and precise BN run once after it; the time they take
    (1000 s of fake clock each time) is not counted."""
    from mmaccel.engine.hooks import knn_eval_hook, precise_bn_hook
    calls = []

    def slow(name, fn):
        def wrapped(*args, **kwargs):
            calls.append(name)
            fake_clock.advance(1000.0)
            return fn(*args, **kwargs)
        return wrapped

    monkeypatch.setattr(knn_eval_hook.KNNEvalHook, 'evaluate',
                        slow('knn', knn_eval_hook.KNNEvalHook.evaluate))
    monkeypatch.setattr(precise_bn_hook, 'precise_bn',
                        slow('precise_bn', precise_bn_hook.precise_bn))
    # the kNN hook of the benchmark configs on 32 test images, evaluating
    # only after the last epoch
    knn = Config.fromfile('configs/benchmarks/knn_fmnist.py').knn_eval_hook
    knn = dict(knn.to_dict(), k=5, interval=100, eval_at_start=False)
    for key in ('train_dataloader', 'val_dataloader'):
        knn[key] = dict(knn[key], batch_size=16, dataset=dict(
            knn[key]['dataset'], split='test', indices=32))
    config = budget_config(tmp_path, method='mocov2', hooks=[knn], lines=[
        'default_hooks = dict(checkpoint=dict(interval=100, by_epoch=True))'
    ])

    code, err, out = run_main(
        [config, '--work-dir', str(tmp_path / 'work'), '--time-budget', '6s'])
    assert code == 0, err + out[-3000:]
    # 1 + 1.5 + 0.5 + 2 + 1 = 6: five iterations, into the second epoch
    assert [r[0] for r in RECORD] == [0, 1, 2, 3, 4]
    # precise BN after epochs 1 and 2; kNN after 2, with the re-estimated
    # statistics and with those from training (knn_top1_raw)
    assert calls == ['precise_bn', 'precise_bn', 'knn', 'knn']
    assert out.count('kNN top-1 after epoch 2') == 1
    assert 'kNN top-1 after epoch 1' not in out
    work = tmp_path / 'work'
    assert sorted(p.name for p in work.glob('*.pth')) == ['epoch_2.pth']
    ckpt = load(work / 'epoch_2.pth')
    assert ckpt['time_budget'] == dict(budget=6.0, used=6.0)
    assert ckpt['rank_states'][0]['position'] == (2, 0)
    scalars = [json.loads(line) for line in
               next(work.glob('*/vis_data/scalars.json')).open()]
    knn_rows = [s for s in scalars if 'knn_top1' in s]
    assert len(knn_rows) == 1 and knn_rows[0]['train_wall_s'] == 6.0


def test_exit_schedule_follows_the_share_of_the_budget(tmp_path):
    """PartialBackpropHook's schedule reads training_progress: only exit 1
    before 30 % of the budget, only exit 4 after. With the budget (11 s),
    iterations 0-3 begin before 30 % (3 s of 11) and 4-8 after; by the
    iteration count (3 of 8 nominal is 37.5 %) iteration 3 would be past."""
    one, four = [1, 0, 0, 0], [0, 0, 0, 1]
    schedule = [(0, one), (0.3, one), (0.3001, four), (1, four)]
    config = budget_config(tmp_path, method='mocov2')
    hooks = [dict(h, schedule=schedule) if h['type'] == 'PartialBackpropHook'
             else h for h in Config.fromfile(config).custom_hooks]
    with open(config, 'a') as f:
        f.write(f'custom_hooks = {hooks!r}\n')
    code, err, out = run_main(
        [config, '--work-dir', str(tmp_path / 'work'), '--time-budget', '11s'])
    assert code == 0, err + out[-3000:]
    assert [r[0] for r in RECORD] == list(range(9))
    assert fake_clock.EXITS == [1, 1, 1, 1, 4, 4, 4, 4, 4]


def test_a_stalled_iteration_is_warned_and_summed(tmp_path):
    """An iteration that takes 120 s where the others take 1 s (a machine
    paused, say) is spent from the budget, as wall-clock time is, and
    logged as a warning naming it; the budget's last line sums the stall."""
    durations = (1.0, ) * 7 + (120.0, )
    config = budget_config(tmp_path, durations=durations)
    code, err, out = run_main([
        config, '--work-dir', str(tmp_path / 'work'), '--time-budget', '130s'
    ])
    assert code == 0, err + out[-3000:]
    # 7 + 120 + 3 = 130: iterations 0 to 10
    assert [r[0] for r in RECORD] == list(range(11))
    assert out.count('took 2m00s') == 1
    assert 'iteration 7 took 2m00s, 120x the median 1.00s of the last 7' \
        in out
    assert 'the stall was spent from it' in out
    assert 'spent after 11 iterations; 0s of evaluation not counted; ' \
        '1m59s in 1 stalled iteration (warned above)' in out


# ------------------------------------------------------------- resume
def test_killed_at_40_percent_and_resumed_ends_bit_exactly(
        tmp_path, python, subprocess_env):
    """Budget 6.25 s, one nominal epoch of 4 iterations: the run stops
    after iteration 6 (7.5 s); killed after iteration 2 (2.5 s, 40 %, just
    after the checkpoint of iteration 2, mid-epoch) and resumed, it ends at
    the same iteration with the same training time, learning rates,
    weights, optimizer, scheduler and random states."""
    config = budget_config(tmp_path, loop=dict(max_epochs=1), lines=[
        'param_scheduler = [dict(type="CosineAnnealingLR", T_max=1, '
        'by_epoch=True, begin=0, end=1, convert_to_iter_based=True)]'])
    env = env_for(subprocess_env)
    ref, work = tmp_path / 'uninterrupted', tmp_path / 'killed'
    args = ('--time-budget', '6.25s')
    run = train(python, config, ref, env, *args)
    assert run.returncode == 0, errors(run)

    delay = random.Random().uniform(0, 0.03)
    killed = train(python, config, work, dict(
        env, MMACCEL_KILL_AFTER_ITER=f'2:{delay:.4f}'), *args)
    assert killed.returncode == -signal.SIGKILL, errors(killed)
    assert last_checkpoint(work).endswith('iter_2.pth')
    assert load(last_checkpoint(work))['time_budget']['used'] == 2.5

    # without its budget (the tiny config without the fake clock) the resume
    # stops at once, naming the option, and changes nothing that the real
    # resume below reads
    plain = train(python, tiny_config(tmp_path, 'mocov2-baseline'), work,
                  env, '--resume')
    assert plain.returncode == 1
    lines = plain.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith('error: ')
    assert '--time-budget 6.25s' in lines[0]
    assert last_checkpoint(work).endswith('iter_2.pth')

    resumed = train(python, config, work, env, *args, '--resume')
    assert resumed.returncode == 0, errors(resumed)
    assert 'resumed epoch: 0, iter: 2' in resumed.stdout
    a, b = (load(last_checkpoint(w)) for w in (ref, work))
    assert last_checkpoint(ref).endswith('iter_6.pth')
    assert last_checkpoint(work).endswith('iter_6.pth')
    assert a['time_budget'] == b['time_budget'] == dict(budget=6.25,
                                                        used=7.5)
    keys = ('state_dict', 'optimizer', 'param_schedulers', 'rank_states')
    diff = [d for k in keys for d in differences(a[k], b[k], k)]
    assert not diff, diff[:10]

    def lrs(work_dir):
        rows = {}
        for path in sorted(work_dir.glob('*/vis_data/scalars.json')):
            for line in path.open():
                row = json.loads(line)
                if 'lr' in row:
                    rows[row['step']] = row['lr']
        return rows

    ref_lr, resumed_lr = lrs(ref), lrs(work)
    assert sorted(ref_lr) == sorted(resumed_lr) == list(range(1, 7))
    assert ref_lr == resumed_lr
    assert len(set(ref_lr.values())) > 2  # the schedule moved


# ------------------------------------------------------ two processes
def test_two_ranks_stop_at_rank_zeros_iteration(tmp_path, python,
                                                subprocess_env, free_port):
    """Rank 1 is slower (it sleeps every step) and its clock runs 3 times as
    fast: on its own clock it would stop after 2 iterations. Both stop after
    rank 0's 5th (1 s a step, budget 5 s): the run ends without a hang, and
    the final checkpoint holds both ranks at the same data position."""
    config = budget_config(tmp_path, processes=2, durations=(1.0, ),
                           rank_scale={1: 3.0}, rank_sleep=0.2)
    env = env_for(subprocess_env, PORT=free_port())
    work = tmp_path / 'work'
    run = train(python, config, work, env, '--time-budget', '5s', gpus=2,
                timeout=900)
    assert run.returncode == 0, errors(run)
    ckpt = load(last_checkpoint(work))
    assert last_checkpoint(work).endswith('iter_5.pth')
    assert ckpt['time_budget'] == dict(budget=5.0, used=5.0)
    positions = [s['position'] for s in ckpt['rank_states']]
    assert positions == [(1, 1), (1, 1)]


# ---------------------------------------------------------- bad inputs
BAD = {
    # id: (extra arguments, expected message parts)
    'zero': (['--time-budget', '0s'], ["--time-budget='0s'",
                                       'more than 0 seconds']),
    'negative': (['--time-budget=-5m'], ["--time-budget='-5m'"]),
    'unparseable': (['--time-budget', '1h30'],
                    ["--time-budget='1h30' is not a duration", "'1h30m'"]),
    'max-epochs': (['--time-budget', '1h', '--cfg-options',
                    'train_cfg.max_epochs=3'],
                   ['--time-budget 1h and --cfg-options '
                    'train_cfg.max_epochs=3 contradict']),
    'max-iters': (['--time-budget', '1h', '--cfg-options',
                   'train_cfg.max_iters=3'],
                  ['train_cfg.max_iters=3 contradict']),
    # the fake clock: the first step takes 5 s
    'shorter-than-a-step': (['--time-budget', '2s'], [
        "time_budget='2s' is shorter than one training iteration (the first "
        'took 5s)'
    ]),
}


@pytest.mark.parametrize('case', BAD)
def test_bad_budget_fails_before_the_first_iteration(tmp_path, case):
    argv, parts = BAD[case]
    RECORD.clear()
    iters = case == 'max-iters'
    config = budget_config(tmp_path, iter_based=iters, durations=(5.0, ))
    work = tmp_path / 'work'
    code, err, out = run_main([config, '--work-dir', str(work), *argv])
    assert code == 1, out[-2000:]
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith('error: '), err
    for part in parts:
        assert part in lines[0]
    assert not list(work.glob('**/*.pth'))
    assert 'Epoch(train)' not in out and 'Iter(train)' not in out
    assert [r[0] for r in RECORD] in ([], [0])  # at most the first step


def test_bad_budget_from_the_command_line(tmp_path, python, subprocess_env):
    """The same one line from a real tools/train.py process."""
    config = budget_config(tmp_path)
    proc = train(python, config, tmp_path / 'work', env_for(subprocess_env),
                 '--time-budget', 'soon')
    assert proc.returncode == 1
    assert proc.stderr.strip().splitlines()[-1] == (
        "error: --time-budget='soon' is not a duration: give seconds or a "
        "duration such as '90s', '45m', '8h' or '1h30m'")
