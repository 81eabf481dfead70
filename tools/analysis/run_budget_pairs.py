"""Paired runs side by side, to one time budget or for equal epochs.

    python tools/analysis/run_budget_pairs.py --budget 20m --seeds 3 4 5 \\
        --baseline eqt-baseline-20m=configs/benchmarks/quality/mocov2_....py \\
        --setting eqt-h1-sel1-s036-20m=configs/benchmarks/quality/accel-....py

For each seed: the baseline's untrained backbone (``make_init.py``), then the
baseline and the setting trained from it at the same time
(``run_quality.sh``, one thread each, so both share whatever load the
machine has): to the same ``--time-budget``, evaluated at every
``1/--evals`` of it with the training clock paused (benchmarks.md 4.4), or,
without ``--budget``, for their configs' epochs with the evaluations the
configs set (equal epochs). Then each run's transfer to digits
(``transfer_digits.sh``). Runs already done are skipped, so the command can
be given again after an interruption. Then ``budget_pairs.py`` summarises.
``--exit-seeds`` seeds the exit draws of the setting's
``PartialBackpropHook`` with each run's seed; ``--dry-run`` prints the run
lists and commands only.
"""
import argparse
import glob
import os
import os.path as osp
import subprocess
import sys
import time

from mmaccel.apis import budget_run_line

QUALITY = 'work_dirs/quality'


def named_config(text):
    setting, sep, config = text.partition('=')
    if not sep or not setting or not osp.isfile(config):
        raise argparse.ArgumentTypeError(
            f'{text!r}: expected SETTING=CONFIG with an existing config file')
    return setting, config


def run_side_by_side(commands, dry_run):
    for cmd in commands:
        print(f'[budget-pairs] {time.strftime("%T")} {" ".join(cmd)}',
              flush=True)
    if dry_run:
        return
    procs = [subprocess.Popen(cmd) for cmd in commands]
    codes = [p.wait() for p in procs]
    if any(codes):
        raise SystemExit(f'error: a command failed (exit statuses {codes})')


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--budget', help='e.g. 20m, 1h30m; without it, both '
                   'train for their configs\' epochs')
    p.add_argument('--seeds', type=int, nargs='+', required=True)
    p.add_argument('--baseline', type=named_config, required=True,
                   metavar='SETTING=CONFIG')
    p.add_argument('--setting', type=named_config, required=True,
                   metavar='SETTING=CONFIG')
    p.add_argument('--method', default='mocov2')
    p.add_argument('--evals', type=int, default=4,
                   help='evaluations in the budget (default 4)')
    p.add_argument('--exit-seeds', action='store_true',
                   help='seed PartialBackpropHook\'s exit draws with the '
                   'run\'s seed (default: its own seed, the same draws at '
                   'every seed)')
    p.add_argument('--no-transfer', action='store_true')
    p.add_argument('--dry-run', action='store_true')
    args = p.parse_args(argv)
    py = sys.executable
    for seed in args.seeds:
        init = f'{QUALITY}/init/{args.method}_s{seed}.pth'
        if not osp.isfile(init):
            if not args.dry_run:
                os.makedirs(osp.dirname(init), exist_ok=True)
            run_side_by_side([[py, 'tools/analysis/make_init.py',
                               args.baseline[1], '--seed', str(seed),
                               '--out', init]], args.dry_run)
        lists = []
        for setting, config in (args.baseline, args.setting):
            line = budget_run_line(args.method, setting, seed, config,
                                   args.budget, init, args.evals,
                                   args.exit_seeds)
            path = f'{QUALITY}/lists/{setting}_s{seed}.txt'
            print(f'[budget-pairs] {path}: {line}')
            if not args.dry_run:
                os.makedirs(osp.dirname(path), exist_ok=True)
                with open(path, 'w') as f:
                    f.write(line + '\n')
            lists.append(['bash', 'tools/analysis/run_quality.sh', path])
        run_side_by_side(lists, args.dry_run)
        if args.no_transfer:
            continue
        work = {s: f'{QUALITY}/{args.method}_{s}_s{seed}'
                for s, _ in (args.baseline, args.setting)}
        run_side_by_side([
            ['bash', 'tools/analysis/transfer_digits.sh', work[setting],
             args.method, setting, str(seed), config]
            for setting, config in (args.baseline, args.setting)
            if not glob.glob(f'{work[setting]}/transfer_digits/knn_*.json')
        ], args.dry_run)
    print(f'[budget-pairs] summary: python tools/analysis/budget_pairs.py '
          f'--method {args.method} --baseline {args.baseline[0]} '
          f'--settings {args.setting[0]}')


if __name__ == '__main__':
    main()
