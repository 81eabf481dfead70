"""The speed benchmark of ``tools/analysis/benchmark_speed.py``: a baseline
and an accelerated model timed step by step, interleaved, with their MACs
and memory (what the tool's docstring describes)."""
import argparse
import os
import platform
from typing import Callable, Optional, Sequence

import numpy as np
import torch
from mmengine.config import DictAction

from mmaccel.models.utils.cost_model import expected_macs
from mmaccel.utils import ConfigError, add_debug_argument
from .timing import (build_timing_model, load_timing_config, model_macs,
                     saved_activation_mb, step_stats, synthetic_batch,
                     timed_step)


def speed_arg_parser() -> argparse.ArgumentParser:
    """The command line of ``tools/analysis/benchmark_speed.py``.

    Returns:
        argparse.ArgumentParser: The two configs and the options.
    """
    p = argparse.ArgumentParser(description='Training speed, memory and '
                                'MACs of a baseline and an accelerated model.')
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
    return p


def parse_speed_args(
        argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    """Parse ``benchmark_speed.py``'s command line.

    Args:
        argv (Sequence[str], optional): The arguments; ``sys.argv[1:]``
            when None.

    Returns:
        argparse.Namespace: The options.
    """
    return speed_arg_parser().parse_args(argv)


def run_speed_benchmark(args,
                        memory_probe: Optional[Callable] = None,
                        load: Optional[Callable] = None) -> dict:
    """Time the two models' training steps, interleaved, and measure their
    MACs and memory.

    Args:
        args: The options (:func:`parse_speed_args`).
        memory_probe (Callable, optional): ``memory_probe(which)`` gives the
            peak memory (MB) of ``'baseline'`` or ``'accel'``, measured in a
            fresh process. Without it, or with ``args.no_memory``, the peak
            memory is None.
        load (Callable, optional): Loads a config, as
            :func:`load_timing_config` (the default) does.

    Returns:
        dict: The results (the JSON that ``benchmark_speed.py`` writes).
    """
    load = load or load_timing_config
    torch.manual_seed(args.seed)
    base_cfg = load(args.baseline, args.baseline_cfg_options,
                    '--baseline-cfg-options')
    accel_cfg = load(args.accel, args.accel_cfg_options,
                     '--accel-cfg-options')
    base = build_timing_model(base_cfg, args)
    accel = build_timing_model(accel_cfg, args)
    hook = accel[2]
    if hook is None:
        raise ConfigError(f'ACCEL_CONFIG {args.accel} does not build an '
                          'accelerated model (one with set_active_exit, such '
                          f'as AccelMoCo); its model is '
                          f'{type(accel[0]).__name__}')
    data = synthetic_batch(base[0], args)
    base_macs, _ = model_macs(base[0], args)
    _, exit_macs = model_macs(accel[0], args)
    # the probabilities averaged over training (an exit schedule's over its
    # progress, as PartialBackpropHook.expected_cost): whole-run MACs
    probs = [float(p) for p in np.mean(
        [hook.probs_at(t) for t in np.linspace(0.0, 1.0, 101)], axis=0)]

    for i in range(args.warmup):
        timed_step(*base[:2], data, args)
        timed_step(*accel[:2], data, args, hook, it=i)
    if args.compile:  # compile every exit's graph before timing
        for k in hook.exits:
            timed_step(*accel[:2], data, args, hook, exit=k)
    t_base, t_accel, draws = [], [], []
    for i in range(args.iters):  # interleaved: A, B, A, B
        t_base.append(timed_step(*base[:2], data, args)[0])
        t, k = timed_step(*accel[:2], data, args, hook, it=args.warmup + i)
        t_accel.append(t)
        draws.append(k)

    n_exit = args.exit_iters if args.exit_iters is not None else \
        max(2, args.iters // len(hook.exits))
    per_exit = {k: [] for k in hook.exits}
    per_exit_base = []  # baseline steps interleaved with the exits' steps
    for _ in range(n_exit):
        per_exit_base.append(timed_step(*base[:2], data, args)[0])
        for k in hook.exits:
            per_exit[k].append(
                timed_step(*accel[:2], data, args, hook, exit=k)[0])

    act_base = saved_activation_mb(*base[:2], data)
    act_exit = {k: saved_activation_mb(*accel[:2], data, hook, k)
                for k in hook.exits}
    mem = {'baseline': None, 'accel': None}
    if not args.no_memory and memory_probe is not None:
        mem = {w: memory_probe(w) for w in mem}

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
        baseline=step_stats(t_base, args.batch),
        accel=step_stats(t_accel, args.batch),
        exits=list(hook.exits), exit_probs=probs, drawn_exits=draws,
        per_exit={str(k): dict(step_stats(v, args.batch), macs=exit_macs[k])
                  for k, v in per_exit.items() if v},
        per_exit_baseline=(step_stats(per_exit_base, args.batch)
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


def speed_table(res: dict) -> str:
    """The markdown table of :func:`run_speed_benchmark`'s results.

    Args:
        res (dict): The results.

    Returns:
        str: A line of settings, the table of the two models and the table
        of the exits.
    """
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
