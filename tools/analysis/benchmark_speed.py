"""Training speed, memory and MACs of a baseline and an accelerated model.

    python tools/analysis/benchmark_speed.py BASELINE_CONFIG ACCEL_CONFIG \
        [--iters 20 --warmup 3 --batch 8 --input-size 112 --device cpu \
         --out work_dirs/bench/speed.json]

Both models are built from their configs (files, or upstream paths such as
``mmpretrain::mocov2/mocov2_resnet50_8xb32-coslr-200e_in1k.py``) with their
optimizer wrappers, and run real training steps (``model.train_step``:
data preprocessor, forward, loss, backward, optimizer step, MoCo's momentum
update) on one fixed synthetic two-view batch, interleaved A, B, A, B so that
drift in the machine's speed hits both alike. Before each accelerated step the
exit is drawn by ``PartialBackpropHook.draw`` (as in training); a second pass
times each exit on its own, in rounds of one baseline step and one step per
exit, each exit compared with the baseline steps of the same rounds. Peak
memory is measured in a fresh subprocess per
model (``--probe``): CUDA ``max_memory_allocated``, or on CPU the growth of
the process's peak resident set size from just before the model is built (the
weights, gradients, optimizer state, activations and what the allocator keeps).
The tensors saved for backward in one forward pass (the activation memory,
the part the method changes) are also summed exactly, per exit.

Writes JSON (``--out``) and a markdown table (stdout, and ``.md`` beside the
JSON). MACs are analytic (``mmaccel/models/utils/cost_model.py``): one image,
one encoder, forward; the backward pass and the second encoder scale alike, so
the ratio holds for the whole step.

``--amp`` runs both models under mixed precision, as ``tools/train.py --amp``
does: MMEngine's ``AmpOptimWrapper`` (float16 with dynamic loss scaling) on
CUDA (``--amp-dtype bfloat16`` for bfloat16 autocast); on CPU, where
``AmpOptimWrapper`` refuses to build, mmaccel's ``CPUAutocastOptimWrapper``
(bfloat16 autocast). An exit schedule (``PartialBackpropHook(schedule=...)``,
e.g. the ramp) runs over the benchmark's warm-up and timed steps, and the
probabilities reported (``exit_probs``, and the expected MACs and predicted
speed-up made from them) are its average over training, so that they describe
a whole run. ``--compile`` compiles every
ResNet stage of both models (``nn.Module.compile(dynamic=False)`` on each
``layer{i}``, the momentum encoder's included), one graph per map size, so the
cropped stages get kernels for their fixed crop sizes; every exit is stepped
once more during warm-up so that each exit's graphs are compiled before
timing. (Compiling the whole ``model.train_step``, as MMEngine's Runner does
for ``compile=True``, fails for MMPretrain's own ``MoCo`` with torch 2.11: its
queue update is seen as an in-place change of a tensor saved for backward.)
"""
import argparse
import json
import os
import os.path as osp
import platform
import subprocess
import sys
import time
from types import SimpleNamespace

import numpy as np
import torch

sys.path.insert(0, osp.dirname(osp.abspath(__file__)))
sys.path.insert(0, osp.join(osp.dirname(osp.abspath(__file__)), '..', '..'))

from mmengine.config import DictAction  # noqa: E402
from mmengine.hub import get_config  # noqa: E402
from mmengine.logging import MessageHub  # noqa: E402
from mmengine.optim import build_optim_wrapper  # noqa: E402
from mmengine.registry import init_default_scope  # noqa: E402
from mmpretrain.structures import DataSample  # noqa: E402

import mmaccel  # noqa: E402,F401
from mmaccel.engine import amp_optim_wrapper  # noqa: E402
from mmaccel.engine.hooks import ChannelsLastHook  # noqa: E402
from mmaccel.engine.hooks import PartialBackpropHook  # noqa: E402
from mmaccel.models.utils.cost_model import (  # noqa: E402
    backbone_macs_to_exit, expected_macs)
from mmaccel.registry import MODELS  # noqa: E402
from mmaccel.utils import (ConfigError, MMAccelError,  # noqa: E402
                           add_debug_argument, load_config, merge_cfg_options,
                           report_errors)


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('baseline', help='baseline config (file or mmpretrain::)')
    p.add_argument('accel', help='accelerated config (file or mmpretrain::)')
    p.add_argument('--iters', type=int, default=20, help='timed steps each')
    p.add_argument('--warmup', type=int, default=3, help='untimed steps each')
    p.add_argument('--exit-iters', type=int, default=None,
                   help='timed steps per exit in the per-exit pass '
                   '(default: max(2, iters // number of exits); 0 skips it)')
    p.add_argument('--batch', type=int, default=8, help='images per view')
    p.add_argument('--input-size', type=int, default=112)
    p.add_argument('--device', default='cpu', choices=['cpu', 'cuda'])
    p.add_argument('--channels-last', action='store_true',
                   help='both models\' convolution kernels in channels-last '
                   'format, as tools/train.py --channels-last')
    p.add_argument('--amp', action='store_true',
                   help='mixed precision: AmpOptimWrapper (CUDA) or bfloat16 '
                   'autocast (CPU), both models')
    p.add_argument('--amp-dtype', default='float16',
                   choices=['float16', 'bfloat16'],
                   help='autocast type of --amp on CUDA (CPU: always '
                   'bfloat16)')
    p.add_argument('--compile', action='store_true',
                   help='torch.compile each ResNet stage, both models')
    p.add_argument('--threads', type=int, default=None,
                   help='torch.set_num_threads (CPU)')
    p.add_argument('--seed', type=int, default=0)
    p.add_argument('--baseline-cfg-options', nargs='+', action=DictAction,
                   default={})
    p.add_argument('--accel-cfg-options', nargs='+', action=DictAction,
                   default={}, help='e.g. model.selector=None: partial '
                   'back-propagation alone')
    p.add_argument('--no-memory', action='store_true',
                   help='skip the memory subprocesses')
    p.add_argument('--out', default=None, help='JSON file to write')
    p.add_argument('--probe', choices=['baseline', 'accel'],
                   help=argparse.SUPPRESS)
    add_debug_argument(p)
    return p.parse_args(argv)


def load(path: str, options: dict, flag: str):
    """The config at ``path`` with the options of ``flag`` merged; a
    config without a model (or its key naming nothing) is refused."""
    cfg = get_config(path) if path.startswith('mmpretrain::') else \
        load_config(path)
    merge_cfg_options(cfg, options, flag)
    if not isinstance(cfg.get('model', None), dict) or \
            not isinstance(cfg.model.get('backbone'), dict):
        raise ConfigError(f'{path} has no model with a backbone: the '
                          'benchmark builds and trains the model of a '
                          'pre-training config')
    return cfg


def build(cfg, args):
    """Model, optimizer wrapper and (accelerated models) the exit hook."""
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


def compile_stages(model):
    """``torch.compile`` each stage of every ResNet in ``model`` (the
    momentum encoder's too), specialised to each map size it sees."""
    for module in list(model.modules()):
        for name in getattr(module, 'res_layers', ()):
            getattr(module, name).compile(dynamic=False)


def synthetic_batch(model, args):
    g = torch.Generator().manual_seed(args.seed)
    conv = next(m for m in model.backbone.modules()
                if isinstance(m, torch.nn.Conv2d))
    shape = (args.batch, conv.in_channels, args.input_size, args.input_size)
    views = [torch.randint(0, 256, shape, generator=g, dtype=torch.uint8)
             for _ in range(2)]
    return dict(inputs=views,
                data_samples=[DataSample() for _ in range(args.batch)])


def sync(device):
    if device == 'cuda':
        torch.cuda.synchronize()


def step(model, optim_wrapper, data, args, hook=None, it=0, exit=None):
    """One training step; returns its wall-clock seconds and the exit."""
    sync(args.device)
    tic = time.perf_counter()
    if hook is not None:
        exit = hook.draw(it) if exit is None else exit
        model.set_active_exit(exit)
    model.train_step(data, optim_wrapper)
    sync(args.device)
    return time.perf_counter() - tic, exit


def stats(times, batch):
    t = np.asarray(times)
    return dict(
        median_s=float(np.median(t)), mean_s=float(t.mean()),
        p25_s=float(np.percentile(t, 25)), p75_s=float(np.percentile(t, 75)),
        min_s=float(t.min()), max_s=float(t.max()), n=len(t),
        ips=float(batch / t.mean()))


def macs(model, args):
    """MACs per image: the whole backbone, or each exit with crops."""
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
    machine."""
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
    would start from its parent's peak."""
    with open('/proc/self/status') as f:
        for line in f:
            if line.startswith(field + ':'):
                return int(line.split()[1]) / 1024  # kB
    raise RuntimeError(f'no {field} in /proc/self/status')


def probe_memory(args):
    """In this (fresh) process: peak memory of a few steps of one model."""
    try:  # reset the peak (VmHWM) to the current RSS, after the imports
        with open('/proc/self/clear_refs', 'w') as f:
            f.write('5')
    except OSError:
        pass  # then the peak may include the imports' own transient peak
    rss0 = rss_mb('VmRSS')
    cfg_path, options = ((args.baseline, args.baseline_cfg_options)
                         if args.probe == 'baseline' else
                         (args.accel, args.accel_cfg_options))
    model, optim_wrapper, hook = build(
        load(cfg_path, options, f'--{args.probe}-cfg-options'), args)
    data = synthetic_batch(model, args)
    if args.device == 'cuda':
        torch.cuda.reset_peak_memory_stats()
    exits = model.exits if hook is not None else [None]
    for _ in range(2):  # every exit, twice: the worst case of a run
        for k in exits:
            step(model, optim_wrapper, data, args, hook, exit=k)
    if args.device == 'cuda':
        return torch.cuda.max_memory_allocated() / 2**20
    return rss_mb('VmHWM') - rss0


def run_probe(which, argv):
    out = subprocess.run(
        [sys.executable, osp.abspath(__file__), *argv, '--probe', which,
         '--no-memory'], capture_output=True, text=True)
    if out.returncode:  # its own one line, or the end of its output
        lines = (out.stderr.strip() or out.stdout.strip()).splitlines()
        why = next((line[len('error: '):] for line in lines
                    if line.startswith('error: ')), lines[-1] if lines else '')
        raise MMAccelError(f'the memory probe of the {which} model failed '
                           f'(exit {out.returncode}): {why}')
    return float(out.stdout.strip().splitlines()[-1])


def benchmark(args, argv):
    torch.manual_seed(args.seed)
    base_cfg = load(args.baseline, args.baseline_cfg_options,
                    '--baseline-cfg-options')
    accel_cfg = load(args.accel, args.accel_cfg_options,
                     '--accel-cfg-options')
    base = build(base_cfg, args)
    accel = build(accel_cfg, args)
    hook = accel[2]
    if hook is None:
        raise ConfigError(f'ACCEL_CONFIG {args.accel} does not build an '
                          'accelerated model (one with set_active_exit, such '
                          f'as AccelMoCo); its model is '
                          f'{type(accel[0]).__name__}')
    data = synthetic_batch(base[0], args)
    base_macs, _ = macs(base[0], args)
    _, exit_macs = macs(accel[0], args)
    # the probabilities averaged over training (an exit schedule's over its
    # progress, as PartialBackpropHook.expected_cost): whole-run MACs
    probs = [float(p) for p in np.mean(
        [hook.probs_at(t) for t in np.linspace(0.0, 1.0, 101)], axis=0)]

    for i in range(args.warmup):
        step(*base[:2], data, args)
        step(*accel[:2], data, args, hook, it=i)
    if args.compile:  # compile every exit's graph before timing
        for k in hook.exits:
            step(*accel[:2], data, args, hook, exit=k)
    t_base, t_accel, draws = [], [], []
    for i in range(args.iters):  # interleaved: A, B, A, B
        t_base.append(step(*base[:2], data, args)[0])
        t, k = step(*accel[:2], data, args, hook, it=args.warmup + i)
        t_accel.append(t)
        draws.append(k)

    n_exit = args.exit_iters if args.exit_iters is not None else \
        max(2, args.iters // len(hook.exits))
    per_exit = {k: [] for k in hook.exits}
    per_exit_base = []  # baseline steps interleaved with the exits' steps
    for _ in range(n_exit):
        per_exit_base.append(step(*base[:2], data, args)[0])
        for k in hook.exits:
            per_exit[k].append(step(*accel[:2], data, args, hook, exit=k)[0])

    act_base = saved_activation_mb(*base[:2], data)
    act_exit = {k: saved_activation_mb(*accel[:2], data, hook, k)
                for k in hook.exits}
    mem = {'baseline': None, 'accel': None}
    if not args.no_memory:
        mem = {w: run_probe(w, argv) for w in mem}

    exp_macs = expected_macs(exit_macs, probs)
    drawn_macs = float(np.mean([exit_macs[k] for k in draws]))
    res = dict(
        machine=dict(platform=platform.platform(),
                     processor=platform.machine(),
                     cpus=os.cpu_count(), torch=torch.__version__,
                     threads=torch.get_num_threads(), device=args.device,
                     device_name=(torch.cuda.get_device_name()
                                  if args.device == 'cuda' else 'cpu')),
        settings=dict(baseline=args.baseline, accel=args.accel,
                      baseline_cfg_options=args.baseline_cfg_options,
                      accel_cfg_options=args.accel_cfg_options,
                      batch=args.batch, input_size=args.input_size,
                      iters=args.iters, warmup=args.warmup,
                      channels_last=args.channels_last, amp=args.amp,
                      amp_dtype=(args.amp_dtype if args.device == 'cuda'
                                 else 'bfloat16') if args.amp else None,
                      compile=args.compile,
                      exit_schedule=hook.schedule),
        baseline_model=type(base[0]).__name__,
        accel_model=type(accel[0]).__name__,
        baseline=stats(t_base, args.batch),
        accel=stats(t_accel, args.batch),
        exits=list(hook.exits), exit_probs=probs, drawn_exits=draws,
        per_exit={str(k): dict(stats(v, args.batch), macs=exit_macs[k])
                  for k, v in per_exit.items() if v},
        per_exit_baseline=(stats(per_exit_base, args.batch)
                           if per_exit_base else None),
        baseline_macs=base_macs,
        accel_macs_per_exit={str(k): v for k, v in exit_macs.items()},
        accel_expected_macs=exp_macs,
        accel_drawn_macs=drawn_macs,
        baseline_peak_mem_mb=mem['baseline'],
        accel_peak_mem_mb=mem['accel'],
        baseline_saved_activations_mb=act_base,
        accel_saved_activations_mb=max(act_exit.values()),
        accel_saved_activations_mb_per_exit={str(k): v
                                             for k, v in act_exit.items()},
        peak_mem_kind=('cuda max_memory_allocated' if args.device == 'cuda'
                       else 'growth of peak RSS (CPU)'))
    res['baseline_ips'] = res['baseline']['ips']
    res['accel_ips'] = res['accel']['ips']
    res['speedup'] = res['accel_ips'] / res['baseline_ips']
    res['ideal_speedup'] = base_macs / exp_macs
    res['ideal_speedup_drawn'] = base_macs / drawn_macs
    res['fraction_of_ideal'] = res['speedup'] / res['ideal_speedup']
    if per_exit[hook.exits[0]]:
        # time predicted from the per-exit pass with the hook's probabilities
        pred = sum(p * res['per_exit'][str(k)]['mean_s']
                   for k, p in zip(hook.exits, probs))
        res['per_exit_predicted_speedup'] = \
            res['per_exit_baseline']['mean_s'] / pred
    return res


def markdown(res) -> str:
    g = 1e6  # MACs in millions
    s = res['settings']
    mem = {k: ('n/a' if res[f'{k}_peak_mem_mb'] is None
               else f"{res[f'{k}_peak_mem_mb']:.0f}")
           for k in ('baseline', 'accel')}
    lines = [
        f"{res['machine']['device_name']}, batch {s['batch']} x 2 views, "
        f"{s['input_size']} px, {s['iters']} interleaved steps each "
        f"(after {s['warmup']} warm-up), torch {res['machine']['torch']}, "
        f"{res['machine']['threads']} threads"
        + ''.join(f', {flag}' for flag in ('channels_last', 'amp', 'compile')
                  if s.get(flag))
        + (f" ({s['amp_dtype']})" if s.get('amp_dtype') else ''),
        '',
        '| model | s/step median [p25, p75] | images/s | speed-up | '
        'fwd MMACs/image | ideal speed-up | peak mem (MB) | '
        'saved activations (MB, max over exits) |',
        '| --- | --- | --- | --- | --- | --- | --- | --- |',
    ]
    for key, name, mac in (('baseline', res['baseline_model'],
                            res['baseline_macs']),
                           ('accel', res['accel_model'],
                            res['accel_expected_macs'])):
        t = res[key]
        sp = 1.0 if key == 'baseline' else res['speedup']
        ideal = 1.0 if key == 'baseline' else res['ideal_speedup']
        lines.append(
            f"| {name} | {t['median_s']:.3f} [{t['p25_s']:.3f}, "
            f"{t['p75_s']:.3f}] | {t['ips']:.1f} | {sp:.2f}x | {mac / g:.1f} "
            f"| {ideal:.2f}x | {mem[key]} | "
            f"{res[f'{key}_saved_activations_mb']:.0f} |")
    lines += ['', f"measured / ideal: {res['fraction_of_ideal']:.0%}; "
              f"ideal for the exits actually drawn "
              f"({len(res['drawn_exits'])} steps): "
              f"{res['ideal_speedup_drawn']:.2f}x", '',
              '| exit | p | fwd MMACs/image | ideal vs baseline | '
              's/step median | measured vs baseline (interleaved) | '
              'saved act. (MB) |',
              '| --- | --- | --- | --- | --- | --- | --- |']
    for k, p in zip(res['exits'], res['exit_probs']):
        m = res['accel_macs_per_exit'][str(k)]
        e = res['per_exit'].get(str(k))
        base_s = res['per_exit_baseline']['median_s'] if e else None
        timing = (f"{e['median_s']:.3f} | {base_s / e['median_s']:.2f}x"
                  if e else 'n/a | n/a')
        act = res['accel_saved_activations_mb_per_exit'][str(k)]
        lines.append(f'| {k} | {p:.2f} | {m / g:.1f} | '
                     f"{res['baseline_macs'] / m:.2f}x | {timing} | "
                     f'{act:.0f} |')
    if 'per_exit_predicted_speedup' in res:
        lines += ['', 'speed-up predicted from the per-exit times and p: '
                  f"{res['per_exit_predicted_speedup']:.2f}x"]
    return '\n'.join(lines) + '\n'


@report_errors  # an error: one line on stderr, exit 1 (--debug: traceback)
def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    args = parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    if args.probe:
        print(probe_memory(args))
        return
    res = benchmark(args, [a for a in argv if a != '--no-memory'])
    table = markdown(res)
    print(table)
    if args.out:
        os.makedirs(osp.dirname(osp.abspath(args.out)), exist_ok=True)
        with open(args.out, 'w') as f:
            json.dump(res, f, indent=2)
        with open(osp.splitext(args.out)[0] + '.md', 'w') as f:
            f.write(table)


if __name__ == '__main__':
    main()
