"""The demo's settings (``tools/demo.py``): its defaults and method pairs,
its command line, and the ``--cfg-options`` each model's run gets, found in
the loaded config and checked (every data set built) before any training."""
import argparse
import os
import os.path as osp
import tempfile
import warnings

from mmaccel.utils.config_tree import find_paths, plain_tree
from mmaccel.utils.error_report import add_debug_argument
from mmaccel.utils.errors import MMAccelError

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
    p = OneLineParser(description='The demo: an upstream method and its '
                      'accelerated twin, trained one after the')
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
        for path, _ in find_paths(plain_tree(cfg),
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
    found = find_paths(plain_tree(cfg),
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
    size = built[repr(plain_tree(cfg)['train_dataloader']['dataset'])]
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
