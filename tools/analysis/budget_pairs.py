"""Paired runs, to one time budget or of equal epochs, from quality.json.

    python tools/analysis/budget_pairs.py --method mocov2 \
        --baseline eqt-baseline-20m --settings eqt-h1-sel1-s036-20m

Each setting's run is compared with the baseline's run of the same seed
(both trained side by side on one machine, ``run_budget_pairs.py``): the
epochs each trained and the measured speed-up per epoch (epochs per second of
training time against the baseline's), and the gaps at the end of both runs
(equal wall time for runs to one ``--time-budget``, equal epochs for runs of
equal epochs) of the final kNN top-1, the linear probe and, where recorded
(``tools/analysis/transfer_digits.sh``), the transfer to digits. Means with
two-sided 95 % Student-t intervals (:func:`mmaccel.apis.paired_stats.
mean_ci`); prints a markdown table.
"""
import argparse
import json

from mmaccel.apis.paired_stats import budget_pairs, format_ci, mean_ci

ROWS = (('knn', 'kNN top-1 (Fashion-MNIST)'),
        ('linear', 'linear probe (Fashion-MNIST)'),
        ('digits_knn20_stage4', 'digits: kNN k=20, stage 4'),
        ('digits_linear_stage4', 'digits: linear probe, stage 4'),
        ('digits_linear_best', 'digits: linear probe, best stage'))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--method', default='mocov2')
    parser.add_argument('--baseline', required=True)
    parser.add_argument('--settings', nargs='+', required=True)
    parser.add_argument('--results', default='docs/results/quality.json')
    args = parser.parse_args(argv)
    with open(args.results) as f:
        runs = [r for r in json.load(f)['runs']
                if r['method'] == args.method]
    for setting in args.settings:
        p = budget_pairs(runs, args.baseline, setting)
        if not p['seeds']:
            raise SystemExit(f'error: no seed that both {args.baseline} and '
                             f'{setting} ran')
        print(f'\n{setting} against {args.baseline}, seeds '
              f"{', '.join(map(str, p['seeds']))}\n")
        epochs = ', '.join(f's{s}: {b:.2f} / {a:.2f}'
                           for s, (b, a) in zip(p['seeds'], p['epochs']))
        m, lo, hi = mean_ci(p['speed'])
        ci = '' if lo is None else f' ({lo:.2f}..{hi:.2f})'
        equal_epochs = all(abs(b - a) < 1e-6 for b, a in p['epochs'])
        at = 'equal epochs' if equal_epochs else 'equal time'
        print('| quantity | mean (95 % CI) | per seed |\n| --- | --- | --- |')
        print(f"| epochs{'' if equal_epochs else ' in the budget'} "
              f'(baseline / setting) | - | {epochs} |')
        print(f'| speed-up per epoch | {m:.2f}x{ci} | ' +
              ', '.join(f'{x:.2f}x' for x in p['speed']) + ' |')
        for key, label in ROWS:
            if p[key]:
                print(f'| gap at {at}: {label} | '
                      f'{format_ci(mean_ci(p[key]))} | ' +
                      ', '.join(f'{x:+.2f}' for x in p[key]) + ' |')


if __name__ == '__main__':
    main()
