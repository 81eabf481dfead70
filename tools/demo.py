"""The demo: an upstream method and its accelerated twin, trained one after the
other on Fashion-MNIST, compared in one table and one plot.

    python tools/demo.py [--epochs N] [--subset N] [--methods mocov2,simclr]
                         [--gpus N] [--baseline-config A --accel-config B]

(``bash tools/demo.sh`` sets up the environment and runs this.) Each model is
trained by ``tools/train.py`` in a child process, never two at a time, with
``--work-dir WORK_DIR/{baseline,accel}`` and ``--cfg-options`` for the demo's
settings; their :class:`KNNEvalHook` writes kNN top-1 (per exit for the
accelerated model) and the training time to ``vis_data/scalars.json``, which
this script follows to print the running comparison. At the end it writes
``summary.md`` (the table), ``summary.json`` and ``time_vs_accuracy.png`` to
the work dir.

Peak memory is the kernel's ``ru_maxrss`` of the training process tree,
collected with ``os.wait4``: the resident set of its largest process (the
trainer, a rank, or a data loader worker), not a sum. On a GPU the peak of
MMEngine's logged ``memory`` (``torch.cuda.max_memory_allocated``) is given
too.

Ctrl-C stops the child and all its processes and says where the partial
results are; a later run reuses a model whose training finished with the same
command and trains an interrupted one again from the start (its training time
would not be comparable if it resumed).
"""
import os
import os.path as osp
import signal
import sys
import time
from types import SimpleNamespace

from mmaccel.apis.demo_settings import (OUTPUTS, PAIRS, DemoError,
                                        check_datasets, check_work_dir,
                                        hooks_of, load_run_config, parse_args)
from mmaccel.apis.pair_summary import (ROLES, compare, machine, minutes,
                                       model_summary, write_summary)
from mmaccel.apis.pair_training import (Child, budget_seconds, on_sigint,
                                        train_one)
from mmaccel.utils.error_report import report_errors

# the checkout whose tools/train.py trains each model
ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))


def run(args):
    demo_start = time.perf_counter()
    work_dir = args.work_dir
    check_work_dir(work_dir)
    threads = args.threads or int(os.environ.get('OMP_NUM_THREADS', 0)) or \
        max(1, (os.cpu_count() or 1) // args.gpus)
    import torch
    if torch.cuda.is_available() and torch.cuda.device_count() < args.gpus:
        raise DemoError(f'--gpus {args.gpus}: only '
                        f'{torch.cuda.device_count()} GPUs are visible')
    if not torch.cuda.is_available() and args.gpus > 1:
        print(f'[demo] no GPU: --gpus {args.gpus} runs {args.gpus} CPU '
              'processes (gloo)', flush=True)
    if args.gpus > 1:
        print(f'[demo] note: with {args.gpus} processes KNNEvalHook evaluates '
              f'on each process\'s 1/{args.gpus} of the kNN bank and queries '
              '(the first process\'s accuracy is shown)', flush=True)

    # Load every config and check every data set before training anything.
    plans, built = {}, {}
    for name, (_, base_cfg, accel_cfg) in args.pairs.items():
        out_dir = work_dir if len(args.pairs) == 1 else osp.join(work_dir,
                                                                 name)
        plan = dict(out_dir=out_dir)
        for role, path in zip(ROLES, (base_cfg, accel_cfg)):
            cfg, opts = load_run_config(path, args, role)
            check_datasets(cfg, built, args.gpus)
            plan[role] = (path, opts, cfg)
        bn = [bool(hooks_of(plan[r][2], 'PreciseBackboneBNHook'))
              for r in ROLES]
        if bn[0] != bn[1]:
            print('[demo] warning: only the '
                  f'{"baseline" if bn[0] else "accelerated"} config '
                  're-estimates batch-norm statistics before kNN '
                  '(PreciseBackboneBNHook): the two are not evaluated alike',
                  flush=True)
        plans[name] = plan

    subset = 'all' if args.subset is None else f'{args.subset:,}'
    length = (f'{args.epochs} epoch{"s" if args.epochs > 1 else ""} of'
              if not args.budget else
              f'a training-time budget of {args.budget} per model on')
    desc = (f'{length} {subset} Fashion-MNIST training images, '
            f'{args.gpus} process(es) with {threads} thread(s) each; '
            + ('training time excludes the kNN evaluations (a precise-BN '
               're-estimation counts as training)' if not args.budget else
               f'kNN at every 1/{args.evals} of the budget; training time '
               'excludes the evaluations (kNN, precise BN)')
            + '; peak memory is the largest process\'s resident set')
    settings = dict(
        epochs=None if args.budget else args.epochs,
        time_budget=args.budget,
        evals=args.evals if args.budget else None,
        subset=args.subset, gpus=args.gpus,
        threads=threads, log_interval=args.log_interval,
        knn_images=args.knn_images, data_root=args.data_root,
        cfg_options=args.cfg_options, machine=machine(), description=desc,
        command='python tools/demo.py ' + ' '.join(sys.argv[1:]),
        title=(' and '.join(PAIRS[n][0] for n in plans if n in PAIRS)
               or 'A baseline') + ' against the accelerated twin'
        + ('s' if len(plans) > 1 else '') + ' on Fashion-MNIST')

    for plan in plans.values():  # no summary of earlier runs stays
        for name in OUTPUTS:
            for out_dir in {plan['out_dir'], work_dir}:
                if osp.isfile(osp.join(out_dir, name)):
                    os.remove(osp.join(out_dir, name))
    pairs = {}
    for name, plan in plans.items():
        base_label, accel_label = args.labels[name]
        base = None
        for role, label in zip(ROLES, (base_label, accel_label)):
            path, opts, cfg = plan[role]
            run_dir = osp.join(plan['out_dir'], role)
            ctx = SimpleNamespace(label=label, epochs=args.epochs,
                                  threads=threads, baseline=base,
                                  budget=budget_seconds(args.budget),
                                  root=ROOT)
            marker = train_one(role, path, opts, run_dir, args, ctx)
            model = model_summary(
                run_dir, label, path, cfg.train_dataloader.batch_size,
                args.gpus, marker['peak_mem_mb'], marker['process_wall_s'])
            if role == 'baseline':
                base = model
            else:
                pairs[name] = compare(base, model,
                                      budget_seconds(args.budget))
        if len(plans) > 1:
            write_summary({name: pairs[name]}, settings,
                          plan['out_dir'])
    settings['demo_wall_s'] = round(time.perf_counter() - demo_start, 1)
    settings['reused'] = list(Child.reused)
    settings['timing'] = (
        f'The demo took {minutes(settings["demo_wall_s"])} (start-up, '
        'training and evaluations; set-up not included)' +
        (f', reusing {len(Child.reused)} model(s) trained by an earlier run'
         if Child.reused else ''))
    text = write_summary(pairs, settings, work_dir)
    print('\n' + text, flush=True)
    print(f'[demo] {settings["timing"]}.\n'
          f'[demo] {settings["description"]}\n[demo] summary: '
          f'{osp.join(work_dir, "summary.md")}, summary.json and '
          f'time_vs_accuracy.png beside it', flush=True)


@report_errors  # an error: one line on stderr, exit 1 (--debug: traceback)
def main(argv=None):
    # The children run in their own session (a terminal's Ctrl-C reaches only
    # this process), so every way of stopping the demo must stop them too.
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, on_sigint)
    try:
        args = parse_args(argv)
        run(args)
    except KeyboardInterrupt:
        print('\n[demo] interrupted; no training process is left running.',
              file=sys.stderr)
        if Child.run_dir:
            print(f'[demo] partial results (log, kNN so far in '
                  f'vis_data/scalars.json): {Child.run_dir}', file=sys.stderr)
        for run_dir in Child.finished:
            print(f'[demo] finished: {run_dir}', file=sys.stderr)
        print('[demo] run the demo again: it reuses the finished models and '
              'trains the interrupted one from the start', file=sys.stderr,
              flush=True)
        sys.exit(130)


if __name__ == '__main__':
    main()
