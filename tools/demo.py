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
import argparse
import glob
import json
import os
import os.path as osp
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import warnings
from types import SimpleNamespace

from mmaccel.apis.pair_summary import (EXIT_KEY, ROLES, compare, knn_at,
                                       machine, minutes, model_summary,
                                       write_json, write_summary)
from mmaccel.utils.error_report import add_debug_argument, report_errors
from mmaccel.utils.errors import MMAccelError

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))

# The demo's defaults, all in this one place: the quality regime's pair
# (docs/benchmarks.md section 4), sized for about 15 minutes on 2 cores after
# set-up. SimCLR by default: in this regime its kNN rises far above the
# untrained network's within an epoch, where MoCo v2's rises too slowly to
# show in that time (the measured rises: docs/benchmarks.md section 4).
DEFAULTS = dict(
    methods='simclr',
    epochs=3,
    subset=20000,  # training images (the first N of the 60,000)
    gpus=1,
    threads=None,  # None: OMP_NUM_THREADS, else the cores / processes
    log_interval=10,
    knn_images=None,  # None: the configs' kNN bank and queries (5,000 each)
    budget=None,  # None: --epochs; else a training-time budget per model
    evals=8,  # with a budget: kNN at every 1/8 of it (and before training)
    work_dir='work_dirs/demo',
)
# The accelerated models' variant, a suffix of their configs in
# configs/benchmarks/quality/: '_pbp-ramp' (partial back-propagation with the
# "ramp" exit schedule, uniform exits at the start moving linearly to 0.05,
# 0.05, 0.1, 0.8 at the end, and no pair selection), '_sched-ramp' (the same
# with the paper's hard pair selection) or '' (the paper's defaults: uniform
# exits and hard pairs). Why '_pbp-ramp' is the default, with the measured
# numbers: docs/benchmarks.md section 4.2.
VARIANT = '_pbp-ramp'
_CFG = ('configs/benchmarks/quality/'
        '{}_resnet18-w32_1xb256-coslr-8e_fmnist-64px-knn{}.py')
# method: (name, baseline config, accelerated config)
PAIRS = dict(
    mocov2=('MoCo v2', _CFG.format('mocov2', ''),
            _CFG.format('accel-mocov2', VARIANT)),
    simclr=('SimCLR', _CFG.format('simclr', ''),
            _CFG.format('accel-simclr', VARIANT)),
)
OUTPUTS = ('summary.md', 'summary.json', 'time_vs_accuracy.png')


class DemoError(MMAccelError):
    """A one-line error for the user; the demo exits with status 1."""


class OneLineParser(argparse.ArgumentParser):

    def error(self, message):
        self.exit(2, f'error: {message} (see --help)\n')


def positive_int(text):
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(
            f'{text!r} is not a positive integer')
    return value


def subset_arg(text):
    return None if text == 'all' else positive_int(text)


def budget_arg(text):
    from mmaccel.engine.runner import parse_time_budget
    from mmaccel.utils import ConfigError
    try:
        parse_time_budget(text, 'budget')
    except ConfigError as e:
        raise argparse.ArgumentTypeError(str(e)) from None
    return text


def parse_args(argv=None):
    from mmengine.config import DictAction
    d = DEFAULTS
    p = OneLineParser(description=__doc__.split('\n')[0])
    p.add_argument('--epochs', type=positive_int, default=d['epochs'],
                   help='training epochs of each model (default: %(default)s)')
    p.add_argument('--budget', type=budget_arg, default=d['budget'],
                   help='train each model for this much training time '
                   'instead of --epochs (90s, 45m, 1h30m; evaluations not '
                   'counted; tools/train.py --time-budget: the schedules are '
                   'fitted to it) and compare them at the same budget')
    p.add_argument('--evals', type=positive_int, default=d['evals'],
                   help='with --budget: kNN evaluations at this many equal '
                   'shares of the budget, the last at its end, after one '
                   'before training (default: %(default)s)')
    p.add_argument('--subset', type=subset_arg, default=d['subset'],
                   help='train on the first N training images, or "all" '
                   '(default: %(default)s)')
    p.add_argument('--methods', default=None,
                   help='comma-separated methods, each against its '
                   f'accelerated twin: {",".join(PAIRS)} '
                   f'(default: {d["methods"]})')
    p.add_argument('--baseline-config', help='any baseline config (with '
                   'a KNNEvalHook); needs --accel-config')
    p.add_argument('--accel-config', help='its accelerated twin')
    p.add_argument('--gpus', type=positive_int, default=d['gpus'],
                   help='processes per model: GPUs, or CPU processes (gloo) '
                   'without a GPU; more than 1 launches torchrun and scales '
                   'the learning rate linearly (default: %(default)s)')
    p.add_argument('--threads', type=positive_int, default=d['threads'],
                   help='OMP_NUM_THREADS of each process (default: the '
                   "environment's, else cores / processes)")
    p.add_argument('--log-interval', type=positive_int,
                   default=d['log_interval'],
                   help='log every N iterations (default: %(default)s)')
    p.add_argument('--knn-images', type=positive_int, default=d['knn_images'],
                   help='images of the kNN bank and of the queries (and at '
                   'most as many for precise BN) (default: the configs\')')
    p.add_argument('--data-root', help='Fashion-MNIST folder instead of the '
                   "configs' data/fashion-mnist")
    p.add_argument('--work-dir', default=d['work_dir'],
                   help='where runs and the summary go (default: %(default)s)')
    p.add_argument('--fresh', action='store_true',
                   help='train both models again even if finished runs with '
                   'the same settings exist')
    p.add_argument('--cfg-options', nargs='+', action=DictAction, default={},
                   help='more key=value settings for both models')
    add_debug_argument(p)
    args = p.parse_args(argv)
    if bool(args.baseline_config) != bool(args.accel_config):
        p.error('--baseline-config and --accel-config go together')
    if args.baseline_config and args.methods:
        p.error('give --methods or a config pair, not both')
    if args.baseline_config:
        args.pairs = {'custom': ('custom', args.baseline_config,
                                 args.accel_config)}
        args.labels = {'custom': ('baseline', 'accelerated')}
    else:
        methods = (args.methods or d['methods']).split(',')
        unknown = [m for m in methods if m not in PAIRS]
        if unknown or len(set(methods)) != len(methods):
            p.error(f'--methods {args.methods!r}: allowed are comma-separated '
                    f'names out of {", ".join(PAIRS)}, each once')
        args.pairs = {m: PAIRS[m] for m in methods}
        args.labels = {m: (PAIRS[m][0], f'accelerated {PAIRS[m][0]}')
                       for m in methods}
    return args


# --------------------------------------------------------------------------
# Settings: --cfg-options for tools/train.py, found in the loaded config
# --------------------------------------------------------------------------
def find_paths(node, match, prefix=''):
    """Dotted paths (list items by index) of every ``(key, value)`` in a
    config tree for which ``match(key, value)`` holds."""
    items = (node.items() if isinstance(node, dict) else
             enumerate(node) if isinstance(node, (list, tuple)) else ())
    for key, value in items:
        path = f'{prefix}{key}'
        if match(key, value):
            yield path, value
        yield from find_paths(value, match, path + '.')


def hooks_of(cfg, type_name):
    """``(path, hook dict)`` of every custom hook of the given type."""
    return [(f'custom_hooks.{i}', h)
            for i, h in enumerate(cfg.get('custom_hooks', None) or [])
            if isinstance(h, dict) and h.get('type') == type_name]


def demo_options(cfg, args, role):
    """The settings of one model's run as ``{dotted key: value}``."""
    knn = hooks_of(cfg, 'KNNEvalHook')
    if not knn:
        raise DemoError(f'{cfg.filename}: no KNNEvalHook in custom_hooks; the '
                        'demo compares kNN curves (see configs/benchmarks/)')
    opts = {'train_cfg.max_epochs': args.epochs,
            'default_hooks.logger.interval': args.log_interval,
            # interrupted runs start over: one checkpoint, at the end
            'default_hooks.checkpoint.interval': args.epochs,
            'default_hooks.checkpoint.max_keep_ckpts': 1,
            'train_dataloader.dataset.indices': args.subset}
    if args.budget:  # train_cfg.max_epochs stays: the schedules' length
        del opts['train_cfg.max_epochs']
        opts['default_hooks.checkpoint.interval'] = 10**6  # the last only
        for path, _ in (hooks_of(cfg, 'PreciseBackboneBNHook') + knn):
            opts[f'{path}.budget_interval'] = 1 / args.evals
    old_epochs = cfg.train_cfg.max_epochs
    for i, sched in enumerate(cfg.get('param_scheduler', None) or []):
        if args.budget:
            break
        if sched.get('by_epoch', True) and sched.get('end') == old_epochs:
            opts[f'param_scheduler.{i}.end'] = args.epochs
            if 'T_max' in sched:
                opts[f'param_scheduler.{i}.T_max'] = (
                    args.epochs - sched.get('begin', 0))
    for path, hook in knn:
        opts[f'{path}.eval_at_start'] = True
        if role == 'accel':
            opts[f'{path}.per_exit'] = True
        if args.knn_images:
            for loader in ('train_dataloader', 'val_dataloader'):
                opts[f'{path}.{loader}.dataset.indices'] = args.knn_images
        # KNNEvalHook's loaders shard the bank over the processes
        bank = args.knn_images or hook['train_dataloader']['dataset'].get(
            'indices')
        k = hook.get('k', 200)
        if isinstance(bank, int) and k > bank // args.gpus:
            opts[f'{path}.k'] = max(1, bank // args.gpus)
    if args.knn_images:
        for path, hook in hooks_of(cfg, 'PreciseBackboneBNHook'):
            opts[f'{path}.dataloader.dataset.indices'] = args.knn_images
            opts[f'{path}.num_images'] = min(
                hook.get('num_images', 4096), args.knn_images)
    if args.data_root:
        for path, _ in find_paths(cfg._cfg_dict.to_dict(),
                                  lambda k, v: k == 'data_root'):
            opts[path] = args.data_root
    if args.gpus > 1:  # linear scaling: the batch grows with the processes
        opts['optim_wrapper.optimizer.lr'] = (
            cfg.optim_wrapper.optimizer.lr * args.gpus)
    opts.update(args.cfg_options)
    return opts


def format_value(value):
    if isinstance(value, (list, tuple)):
        inner = ','.join(format_value(v) for v in value)
        return f'[{inner}]' if isinstance(value, list) else f'({inner})'
    return str(value)


def load_run_config(path, args, role):
    """The config as ``tools/train.py`` will see it, and the options that
    make it so."""
    from mmengine.config import Config

    from mmaccel.utils import MMAccelError, merge_cfg_options, rescope_config
    if not osp.isfile(path):
        raise DemoError(f'config {path} not found')
    cfg = Config.fromfile(path)
    opts = demo_options(cfg, args, role)
    try:  # as tools/train.py merges them: a key must name something
        merge_cfg_options(cfg, opts)
    except MMAccelError as e:
        raise DemoError(f'{path}: {e}') from None
    return rescope_config(cfg), opts


def check_datasets(cfg, built, gpus):
    """Build every data set the run reads, so that a missing one stops the
    demo before any training, with the data set's one-line message, and
    check that the training set fills a batch."""
    from mmengine.registry import init_default_scope

    from mmaccel.datasets import DatasetNotFoundError
    from mmaccel.registry import DATASETS
    init_default_scope(cfg.get('default_scope', 'mmaccel'))
    found = find_paths(cfg._cfg_dict.to_dict(),
                       lambda k, v: k == 'dataset' and isinstance(v, dict))
    for path, ds in found:
        key = repr(ds)
        if key in built:
            continue
        try:
            with warnings.catch_warnings():  # numpy/torch chatter
                warnings.simplefilter('ignore')
                built[key] = len(DATASETS.build(ds))
        except DatasetNotFoundError as e:
            raise DemoError(str(e)) from None
        except Exception as e:  # noqa: BLE001 - say which setting failed
            msg = str(e).strip().splitlines()[0] if str(e).strip() else ''
            raise DemoError(f'{cfg.filename}: {path} cannot be built: '
                            f'{type(e).__name__}: {msg}') from None
    train = cfg.train_dataloader
    size = built[repr(cfg._cfg_dict.to_dict()['train_dataloader']['dataset'])]
    if train.get('drop_last', False) and size < train.batch_size * gpus:
        raise DemoError(f'--subset {size}: fewer training images than one '
                        f'batch ({train.batch_size} x {gpus} processes); '
                        f'use at least {train.batch_size * gpus}')


def check_work_dir(work_dir):
    try:
        os.makedirs(work_dir, exist_ok=True)
        with tempfile.TemporaryFile(dir=work_dir):
            pass
    except OSError as e:
        raise DemoError(f'--work-dir {work_dir} is not writable: '
                        f'{e.strerror or e}') from None


# --------------------------------------------------------------------------
# Running one model
# --------------------------------------------------------------------------
class Child:
    """The training process now running, for the Ctrl-C handler."""
    proc = None
    interrupts = 0
    run_dir = None  # where the running (or interrupted) model writes
    finished = []
    reused = []


def on_sigint(signum, frame):
    Child.interrupts += 1
    if Child.proc is None or Child.proc.returncode is not None:
        raise KeyboardInterrupt
    sig = signal.SIGTERM if Child.interrupts == 1 else signal.SIGKILL
    print(f'\n[demo] {signal.Signals(signum).name}: stopping the training '
          f'({sig.name}); Ctrl-C again to kill it at once', flush=True)
    kill_group(Child.proc.pid, sig)


def die_with_parent():
    """In the child, before it runs: SIGTERM when the demo dies, even by
    SIGKILL (Linux's PR_SET_PDEATHSIG; elsewhere nothing)."""
    try:
        import ctypes
        ctypes.CDLL(None).prctl(1, int(signal.SIGTERM))  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def kill_group(pgid, sig):
    try:
        os.killpg(pgid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def train_command(cfg_path, run_dir, opts, gpus, budget=None):
    if budget:
        tail = ['--time-budget', budget]
    if gpus > 1:
        launch = [sys.executable, '-m', 'torch.distributed.run',
                  f'--nproc_per_node={gpus}', f'--master_port={free_port()}']
        tail = ['--launcher', 'pytorch'] + (tail if budget else [])
    else:
        launch, tail = [sys.executable], (tail if budget else [])
    options = [f'{k}={format_value(v)}' for k, v in opts.items()]
    return (launch + [osp.join(ROOT, 'tools', 'train.py'), cfg_path,
                      '--work-dir', run_dir] + tail + ['--cfg-options']
            + options)


def comparable(cmd):
    """A command without what changes between identical runs (the port)."""
    return [c for c in cmd if not c.startswith('--master_port=')]


class ScalarsTail:
    """New kNN records of the run's ``vis_data/scalars.json`` as they come."""

    def __init__(self, run_dir):
        self.pattern = osp.join(run_dir, '*', 'vis_data', 'scalars.json')
        self.path, self.offset = None, 0

    def poll(self):
        if self.path is None:
            found = sorted(glob.glob(self.pattern))
            if not found:
                return []
            self.path = found[-1]
        with open(self.path) as f:
            f.seek(self.offset)
            text = f.read()
        done = text[:text.rfind('\n') + 1]
        self.offset += len(done.encode())
        rows = [json.loads(line) for line in done.splitlines() if line.strip()]
        return [r for r in rows if 'knn_top1' in r]


def report(row, ctx):
    """Print one evaluation, with the baseline's at the same epoch and time
    when the accelerated model is training."""
    epoch, acc, t = row['knn_epoch'], row['knn_top1'], row['train_wall_s']
    when = ('before training (random init)' if epoch == 0 else
            f'epoch {epoch}/{ctx.epochs}' if not ctx.budget else
            f'at {min(t / ctx.budget, 1):.0%} of the budget (epoch {epoch})')
    line = f'[demo] {ctx.label} {when}: kNN top-1 {acc:.2f}'
    if epoch == 0:
        ctx.untrained = acc
    else:
        line += f' after {minutes(t)} of training'
        if getattr(ctx, 'untrained', None) is not None:
            line += f' ({acc - ctx.untrained:+.2f} over the untrained)'
    exits = sorted((int(k[len(EXIT_KEY):]), v) for k, v in row.items()
                   if k.startswith(EXIT_KEY) and k[len(EXIT_KEY):].isdigit())
    if len(exits) > 1:
        line += ' (exits ' + ', '.join(f'{k}: {v:.2f}' for k, v in exits) + ')'
    base = ctx.baseline
    if base is not None:
        same = [p for p in base['curve'] if p[0] == epoch]
        if same and not ctx.budget:  # budget: epochs differ, times match
            line += (f' | {base["label"]} at epoch {epoch}: {same[0][2]:.2f}'
                     + (f' after {minutes(same[0][1])}' if epoch else ''))
        if epoch:
            line += f', at {minutes(t)}: {knn_at(base["curve"], t):.2f}'
    print(line, flush=True)


def train_one(role, cfg_path, opts, run_dir, args, ctx):
    """Train one model (or reuse its finished run); returns its marker."""
    cmd = train_command(cfg_path, run_dir, opts, args.gpus, args.budget)
    marker_path = osp.join(run_dir, 'demo_run.json')
    marker = None
    if osp.isfile(marker_path):
        with open(marker_path) as f:
            marker = json.load(f)
    same = dict(command=comparable(cmd), threads=ctx.threads)
    if (marker and not args.fresh and marker.get('status') == 'done'
            and all(marker.get(k) == v for k, v in same.items())):
        print(f'[demo] {ctx.label}: reusing the finished run in {run_dir} '
              '(same settings; --fresh trains it again)', flush=True)
        Child.finished.append(run_dir)
        Child.reused.append(run_dir)
        return marker
    if osp.isdir(run_dir) and os.listdir(run_dir):
        if marker is None:
            raise DemoError(f'{run_dir} exists and was not written by the '
                            'demo; choose another --work-dir')
        status = marker.get('status')
        why = (f'was {status}' if status != 'done' else
               'is trained again: --fresh' if args.fresh else
               'had other settings')
        print(f'[demo] {ctx.label}: starting over in {run_dir} (the earlier '
              f'run there {why})', flush=True)
        shutil.rmtree(run_dir)
    os.makedirs(run_dir, exist_ok=True)
    marker = dict(same, status='running', config=cfg_path)
    write_json(marker_path, marker)

    env = dict(os.environ)
    env['PYTHONPATH'] = os.pathsep.join(
        [ROOT, env.get('PYTHONPATH', '')]).rstrip(os.pathsep)
    env['OMP_NUM_THREADS'] = str(ctx.threads)
    length = (f'a budget of {args.budget}' if args.budget else
              f'{ctx.epochs} epoch{"s" if ctx.epochs > 1 else ""}')
    print(f'[demo] training {ctx.label} ({length}, '
          f'{args.gpus} process{"es" if args.gpus > 1 else ""}, '
          f'{ctx.threads} thread{"s" if ctx.threads > 1 else ""} each): '
          + ' '.join(cmd), flush=True)
    tail = ScalarsTail(run_dir)
    start = time.perf_counter()
    Child.run_dir = run_dir
    Child.proc = subprocess.Popen(cmd, env=env, cwd=ROOT,
                                  start_new_session=True,
                                  preexec_fn=die_with_parent)
    try:
        while True:
            pid, status, usage = os.wait4(Child.proc.pid, os.WNOHANG)
            for row in tail.poll():
                report(row, ctx)
            if pid:
                break
            time.sleep(0.5)
    finally:
        kill_group(Child.proc.pid, signal.SIGKILL)  # leftovers, if any
    Child.proc.returncode = code = os.waitstatus_to_exitcode(status)
    marker.update(process_wall_s=round(time.perf_counter() - start, 2),
                  peak_mem_mb=round(usage.ru_maxrss / 1024, 1),
                  returncode=code)
    if Child.interrupts:
        marker['status'] = 'interrupted'
        write_json(marker_path, marker)
        raise KeyboardInterrupt
    if code != 0:
        marker['status'] = 'failed'
        write_json(marker_path, marker)
        raise DemoError(f'training {ctx.label} failed (exit {code}); its log '
                        f'is in {run_dir}')
    marker['status'] = 'done'
    write_json(marker_path, marker)
    Child.run_dir = None
    Child.finished.append(run_dir)
    return marker


def budget_seconds(budget):
    from mmaccel.engine.runner import parse_time_budget
    return parse_time_budget(budget) if budget else None


# --------------------------------------------------------------------------
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
                                  budget=budget_seconds(args.budget))
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
