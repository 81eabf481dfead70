"""tools/analysis/run_budget_pairs.py --dry-run on the configs of
benchmarks.md 4.4: the run lists it would write give each model the same
budget, seed and untrained backbone, and evaluate the precise-BN and kNN
hooks of each config (at other positions in the two configs) at every
quarter of the budget, as the documented command does; without a budget,
both train for their configs' epochs with the configs' evaluations."""
import glob
import runpy
import sys

import pytest

from mmaccel.apis import budget_run_line

Q = 'configs/benchmarks/quality/'
BASE = Q + 'mocov2_resnet18-w32_1xb256-coslr-8e_fmnist-64px-knn.py'
ACCEL = Q + ('accel-mocov2_resnet18-w32_1xb256-coslr-8e_fmnist-64px-knn_'
             'sched-ramp_sel1-scale036.py')
INIT = ('+model.backbone.init_cfg.type=Pretrained '
        '+model.backbone.init_cfg.checkpoint=work_dirs/quality/init/'
        'mocov2_s3.pth +model.backbone.init_cfg.prefix=backbone.')


def test_run_lines_find_each_configs_evaluation_hooks():
    assert budget_run_line(
        'mocov2', 'b', 3, BASE, '20m',
        'work_dirs/quality/init/mocov2_s3.pth') == (
        f'mocov2 b 3 {BASE} --time-budget 20m --cfg-options {INIT} '
        '+custom_hooks.0.budget_interval=0.25 '
        '+custom_hooks.1.budget_interval=0.25')
    assert budget_run_line(
        'mocov2', 'a', 3, ACCEL, '20m',
        'work_dirs/quality/init/mocov2_s3.pth', evals=2).endswith(
        f'{INIT} +custom_hooks.1.budget_interval=0.5 '
        '+custom_hooks.2.budget_interval=0.5')
    # equal epochs: no budget, the configs' own evaluation intervals; with
    # exit_seed the accelerated model's exit draws follow the run's seed
    assert budget_run_line(
        'mocov2', 'b', 3, BASE, None, 'work_dirs/quality/init/mocov2_s3.pth',
        exit_seed=True) == f'mocov2 b 3 {BASE} --cfg-options {INIT}'
    assert budget_run_line(
        'mocov2', 'a', 3, ACCEL, None, 'work_dirs/quality/init/mocov2_s3.pth',
        exit_seed=True) == (
        f'mocov2 a 3 {ACCEL} --cfg-options {INIT} custom_hooks.0.seed=3')
    with pytest.raises(ValueError, match='no KNNEvalHook'):
        budget_run_line('mocov2', 'x', 0,
                        'configs/mocov2/'
                        'mocov2_resnet18-tiny_1xb256-coslr-50e_fmnist.py',
                        '1m', 'init.pth')


def test_dry_run_prints_the_pairs_and_writes_nothing(capsys, monkeypatch):
    monkeypatch.setattr(sys, 'argv', [
        'run_budget_pairs.py', '--budget', '20m', '--seeds', '3', '4',
        '--baseline', f'eqt-b={BASE}', '--setting', f'eqt-a={ACCEL}',
        '--dry-run'])
    runpy.run_path('tools/analysis/run_budget_pairs.py', run_name='__main__')
    out = capsys.readouterr().out
    for seed in (3, 4):
        assert (f'work_dirs/quality/lists/eqt-b_s{seed}.txt: mocov2 eqt-b '
                f'{seed} {BASE} --time-budget 20m') in out
        assert (f'transfer_digits.sh work_dirs/quality/mocov2_eqt-a_s{seed} '
                f'mocov2 eqt-a {seed} {ACCEL}') in out
    assert out.count('run_quality.sh') == 4
    assert 'budget_pairs.py --method mocov2 --baseline eqt-b --settings ' \
        'eqt-a' in out
    assert not glob.glob('work_dirs/quality/lists/eqt-[ab]_s*.txt')


def test_a_missing_config_is_refused(capsys, monkeypatch):
    monkeypatch.setattr(sys, 'argv', [
        'run_budget_pairs.py', '--budget', '20m', '--seeds', '0',
        '--baseline', f'b={BASE}', '--setting', 'a=nope.py'])
    with pytest.raises(SystemExit) as e:
        runpy.run_path('tools/analysis/run_budget_pairs.py',
                       run_name='__main__')
    assert e.value.code == 2
    assert "'a=nope.py': expected SETTING=CONFIG" in capsys.readouterr().err
