"""Build a model and its optimizer wrapper from a config, and time its
training steps (``tools/analysis/benchmark_speed.py``, ``profile_step.py``
and ``gpu_evidence.py``).

The functions take the benchmark's options as one namespace (``args``, as
:func:`mmaccel.apis.parse_speed_args` returns it); the ones they read are
named in each docstring: ``device`` (``'cpu'`` or ``'cuda'``), ``batch``
(images per view), ``input_size``, ``seed``, ``warmup`` and ``iters``,
``channels_last``, ``amp`` and ``amp_dtype``, ``compile``.
"""
import time
from types import SimpleNamespace
from typing import Callable, Optional, Tuple

import numpy as np
import torch
from mmengine.config import Config
from mmengine.hub import get_config
from mmengine.logging import MessageHub
from mmengine.optim import build_optim_wrapper
from mmengine.registry import init_default_scope
from mmpretrain.structures import DataSample

from mmaccel.engine import amp_optim_wrapper
from mmaccel.engine.hooks import ChannelsLastHook, PartialBackpropHook
from mmaccel.models.utils.cost_model import backbone_macs_to_exit
from mmaccel.registry import MODELS
from mmaccel.utils import ConfigError, load_config, merge_cfg_options


def load_timing_config(path: str,
                       options: dict,
                       flag: str = '--cfg-options') -> Config:
    """The config at ``path`` with ``options`` merged.

    Args:
        path (str): A config file, or an upstream path such as
            ``mmpretrain::mocov2/mocov2_resnet50_8xb32-coslr-200e_in1k.py``.
        options (dict): ``--cfg-options``-style overrides.
        flag (str): The command line flag the options came from, named in
            the message of a key that names nothing. Defaults to
            ``'--cfg-options'``.

    Returns:
        Config: The config; one without a model with a backbone is refused
        (:class:`mmaccel.utils.ConfigError`).
    """
    cfg = get_config(path) if path.startswith('mmpretrain::') else \
        load_config(path)
    merge_cfg_options(cfg, options, flag)
    if not isinstance(cfg.get('model', None), dict) or \
            not isinstance(cfg.model.get('backbone'), dict):
        raise ConfigError(f'{path} has no model with a backbone: the '
                          'benchmark builds and trains the model of a '
                          'pre-training config')
    return cfg


def build_timing_model(cfg: Config, args) -> Tuple:
    """Model, optimizer wrapper and (accelerated models) the exit hook.

    Args:
        cfg (Config): A pre-training config.
        args: Reads ``device``, ``warmup``, ``iters``, ``channels_last``,
            ``amp``, ``amp_dtype``, ``compile`` and ``batch``.

    Returns:
        tuple: ``(model, optim_wrapper, hook)``; ``hook`` is the model's
        ``PartialBackpropHook`` (from the config's settings), or None for a
        model without exits.
    """
    init_default_scope(cfg.get('default_scope', 'mmpretrain'))
    model_cfg = cfg.model.copy()
    if 'data_preprocessor' in cfg:
        model_cfg.setdefault('data_preprocessor', cfg.data_preprocessor)
    model = MODELS.build(model_cfg).to(args.device)
    # a Runner records the run's length, and momentum schedules read it
    # (BYOL's CosineEMA): here, the benchmark's own steps
    MessageHub.get_current_instance().update_info(
        'max_iters', args.warmup + args.iters)
    if args.channels_last:  # what tools/train.py --channels-last does
        ChannelsLastHook().before_train(SimpleNamespace(model=model))
    model.train()
    optim_cfg = cfg.optim_wrapper
    if args.amp:
        optim_cfg = amp_optim_wrapper(optim_cfg, args.device == 'cuda',
                                      args.amp_dtype)
    optim_wrapper = build_optim_wrapper(model, optim_cfg)
    if args.compile:
        compile_stages(model)
    hook = None
    if hasattr(model, 'set_active_exit'):
        hook_cfgs = [h for h in cfg.get('custom_hooks', [])
                     if h.get('type') == 'PartialBackpropHook']
        kwargs = {k: v for k, v in (hook_cfgs or [{}])[0].items()
                  if k not in ('type', 'priority')}
        hook = PartialBackpropHook(**kwargs)
        # before_run's set-up; a runner without a train loop skips its batch
        # check, done here for the benchmark's batch instead
        hook.before_run(SimpleNamespace(model=model))
        # a schedule of exit probabilities runs over the benchmark's steps
        hook.max_iters = args.warmup + args.iters
        model.check_train_batch_size(args.batch)
    queue_len = getattr(model, 'queue_len', None)
    if queue_len and queue_len % args.batch:
        raise ConfigError(f'--batch {args.batch} must divide the queue '
                          f'length {queue_len} of {type(model).__name__}')
    return model, optim_wrapper, hook


def compile_stages(model: torch.nn.Module) -> None:
    """``torch.compile`` each stage of every ResNet in ``model`` (the
    momentum encoder's too), specialised to each map size it sees.

    Args:
        model (torch.nn.Module): The model, compiled in place.
    """
    for module in list(model.modules()):
        for name in getattr(module, 'res_layers', ()):
            getattr(module, name).compile(dynamic=False)


def synthetic_batch(model: torch.nn.Module, args) -> dict:
    """A fixed two-view batch of random ``uint8`` images.

    Args:
        model (torch.nn.Module): The model; its backbone's first
            convolution gives the channels.
        args: Reads ``seed``, ``batch`` and ``input_size``.

    Returns:
        dict: ``inputs`` (two views) and ``data_samples``.
    """
    g = torch.Generator().manual_seed(args.seed)
    conv = next(m for m in model.backbone.modules()
                if isinstance(m, torch.nn.Conv2d))
    shape = (args.batch, conv.in_channels, args.input_size, args.input_size)
    views = [torch.randint(0, 256, shape, generator=g, dtype=torch.uint8)
             for _ in range(2)]
    return dict(inputs=views,
                data_samples=[DataSample() for _ in range(args.batch)])


def _sync(device):
    if device == 'cuda':
        torch.cuda.synchronize()


def timed_step(model, optim_wrapper, data, args, hook=None, it=0, exit=None):
    """One training step (``model.train_step``).

    Args:
        model: The model of :func:`build_timing_model`.
        optim_wrapper: Its optimizer wrapper.
        data (dict): The batch (:func:`synthetic_batch`).
        args: Reads ``device``.
        hook (PartialBackpropHook, optional): The exit hook of an
            accelerated model. Defaults to None.
        it (int): The iteration the hook draws the exit for. Defaults to 0.
        exit (int, optional): The exit to force instead of a drawn one.

    Returns:
        tuple: The step's wall-clock seconds and its exit.
    """
    _sync(args.device)
    tic = time.perf_counter()
    if hook is not None:
        exit = hook.draw(it) if exit is None else exit
        model.set_active_exit(exit)
    model.train_step(data, optim_wrapper)
    _sync(args.device)
    return time.perf_counter() - tic, exit


def step_stats(times, batch: int) -> dict:
    """Median, mean, quartiles, range and images per second of step times.

    Args:
        times (list[float]): Seconds per step.
        batch (int): Images per view.

    Returns:
        dict: ``median_s``, ``mean_s``, ``p25_s``, ``p75_s``, ``min_s``,
        ``max_s``, ``n`` and ``ips``.
    """
    t = np.asarray(times)
    return dict(
        median_s=float(np.median(t)), mean_s=float(t.mean()),
        p25_s=float(np.percentile(t, 25)), p75_s=float(np.percentile(t, 75)),
        min_s=float(t.min()), max_s=float(t.max()), n=len(t),
        ips=float(batch / t.mean()))


def model_macs(model, args) -> Tuple:
    """MACs per image: the whole backbone, or each exit with crops.

    Args:
        model: The model of :func:`build_timing_model`.
        args: Reads ``device``, ``batch``, ``input_size`` and ``seed``.

    Returns:
        tuple: ``(macs, None)`` for a model without exits, else
        ``(None, {exit: macs})``.
    """
    x = torch.zeros(1, *synthetic_batch(model, args)['inputs'][0].shape[1:],
                    device=args.device)
    backbone = model.backbone
    was_training = backbone.training
    backbone.eval()  # batch statistics of one image are not needed
    try:
        if not hasattr(model, 'set_active_exit'):
            return backbone_macs_to_exit(backbone, x), None
        return None, {k: backbone_macs_to_exit(backbone, x, k, model.selector)
                      for k in model.exits}
    finally:
        backbone.train(was_training)


def saved_activation_mb(model, optim_wrapper, data, hook=None,
                        exit=None) -> float:
    """MB of the tensors autograd keeps for backward in one training forward
    (distinct storages): the activation memory, exact and the same on any
    machine.

    Args:
        model: The model of :func:`build_timing_model`.
        optim_wrapper: Its optimizer wrapper (autocast under ``--amp``).
        data (dict): The batch.
        hook (PartialBackpropHook, optional): Given, ``exit`` is set active.
        exit (int, optional): The exit of an accelerated model.

    Returns:
        float: Megabytes.
    """
    sizes = {}

    def pack(t):
        storage = t.untyped_storage()
        sizes[storage.data_ptr()] = storage.nbytes()
        return t

    if hook is not None:
        model.set_active_exit(exit)
    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t), \
            optim_wrapper.optim_context(model):  # autocast under --amp
        model(**model.data_preprocessor(data, True), mode='loss')
    model.zero_grad(set_to_none=True)
    return sum(sizes.values()) / 2**20


def rss_mb(field: str) -> float:
    """``VmRSS`` (now) or ``VmHWM`` (peak) of this process, MB. Not
    ``getrusage``: its ``ru_maxrss`` survives fork and exec, so a subprocess
    would start from its parent's peak.

    Args:
        field (str): ``'VmRSS'`` or ``'VmHWM'``.

    Returns:
        float: Megabytes.
    """
    with open('/proc/self/status') as f:
        for line in f:
            if line.startswith(field + ':'):
                return int(line.split()[1]) / 1024  # kB
    raise RuntimeError(f'no {field} in /proc/self/status')


def peak_memory_mb(args,
                   which: str,
                   load: Optional[Callable] = None) -> float:
    """Peak memory of a few steps of one model, measured in this process
    (a fresh one for a clean peak).

    Args:
        args: The benchmark's options: ``baseline`` and ``accel`` (config
            paths), ``baseline_cfg_options`` and ``accel_cfg_options``, and
            what :func:`build_timing_model` reads.
        which (str): ``'baseline'`` or ``'accel'``.
        load (Callable, optional): Loads a config, as
            :func:`load_timing_config` (the default) does.

    Returns:
        float: CUDA's ``max_memory_allocated``, or on CPU the growth of the
        peak resident set size from just before the model is built, MB.
    """
    load = load or load_timing_config
    try:  # reset the peak (VmHWM) to the current RSS, after the imports
        with open('/proc/self/clear_refs', 'w') as f:
            f.write('5')
    except OSError:
        pass  # then the peak may include the imports' own transient peak
    rss0 = rss_mb('VmRSS')
    cfg_path, options = ((args.baseline, args.baseline_cfg_options)
                         if which == 'baseline' else
                         (args.accel, args.accel_cfg_options))
    model, optim_wrapper, hook = build_timing_model(
        load(cfg_path, options, f'--{which}-cfg-options'), args)
    data = synthetic_batch(model, args)
    if args.device == 'cuda':
        torch.cuda.reset_peak_memory_stats()
    exits = model.exits if hook is not None else [None]
    for _ in range(2):  # every exit, twice: the worst case of a run
        for k in exits:
            timed_step(model, optim_wrapper, data, args, hook, exit=k)
    if args.device == 'cuda':
        return torch.cuda.max_memory_allocated() / 2**20
    return rss_mb('VmHWM') - rss0
