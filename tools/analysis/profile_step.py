"""Where the time of an accelerated training step goes, exit by exit.

    python tools/analysis/profile_step.py ACCEL_CONFIG [BASELINE_CONFIG] \
        [--batch 8 --input-size 112 --iters 3 --channels-last --amp \
         --out work_dirs/prof.json]

Runs real training steps under ``torch.profiler`` with each exit forced in
turn (and the baseline's, if given), after labelling the phases of a step
with ``record_function`` by wrapping methods of this process's model
instances (no source file changes): data preprocessing, each stage's forward
per encoder, crop sampling / pooling / scoring / cropping of the selector,
the neck, the contrastive loss, the queue update, the momentum (EMA)
update, backward, optimizer step and zero_grad. What no label covers is
Python and framework overhead between them. Prints one table (ms per step)
and writes JSON.
"""
import argparse
import json
import os
import os.path as osp
from collections import defaultdict
from functools import wraps

import torch
from torch.autograd.profiler import record_function
from torch.profiler import ProfilerActivity, profile

from mmaccel.apis import (build_timing_model, load_timing_config,
                          synthetic_batch, timed_step)

PHASES = ('preprocess', 'stem', 'stage1', 'stage2', 'stage3', 'stage4',
          'select.offsets', 'select.pool', 'select.score', 'select.crop',
          'neck', 'loss', 'queue', 'ema', 'backward', 'optim.step',
          'optim.zero_grad')


def label(obj, name: str, tag: str) -> None:
    """Wrap ``obj.name`` (on the instance) in ``record_function(tag)``."""
    fn = getattr(obj, name)

    @wraps(fn)
    def wrapped(*args, **kwargs):
        with record_function(tag):
            return fn(*args, **kwargs)

    setattr(obj, name, wrapped)


def label_stages(backbone) -> None:
    """Label the stem and each stage of a (multi-exit or plain) ResNet."""
    if hasattr(backbone, 'forward_stage'):  # MultiExitResNet
        fwd = backbone.forward_stage

        def forward_stage(stage, x):
            with record_function(f'stage{stage}'):
                return fwd(stage, x)

        backbone.forward_stage = forward_stage
        label(backbone, 'forward_stem', 'stem')
        return
    for i, name in enumerate(backbone.res_layers):  # plain ResNet
        label(getattr(backbone, name), 'forward', f'stage{i + 1}')
    for part in (backbone.conv1, backbone.norm1, backbone.relu,
                 backbone.maxpool):  # plain ResNet's stem, part by part
        label(part, 'forward', 'stem')


def label_model(model, optim_wrapper) -> None:
    label(model.data_preprocessor, 'forward', 'preprocess')
    label_stages(model.backbone)
    if hasattr(model, 'encoder_k'):
        label_stages(model.encoder_k.module[0])
        label(model.encoder_k, 'update_parameters', 'ema')
        label(model.encoder_k.module[1], 'forward', 'neck')
    label(model.neck, 'forward', 'neck')
    label(model.head, 'loss', 'loss')
    for name in ('_dequeue_and_enqueue', '_dequeue_and_enqueue_exit'):
        if hasattr(model, name):
            label(model, name, 'queue')
    sel = getattr(model, 'selector', None)
    if sel is not None:
        label(sel, 'sample_offsets', 'select.offsets')
        label(sel, 'pooled_crops', 'select.pool')
        label(sel, 'crop', 'select.crop')
        label(sel, 'choose', 'select.score')
    label(optim_wrapper, 'backward', 'backward')
    label(optim_wrapper, 'step', 'optim.step')
    label(optim_wrapper, 'zero_grad', 'optim.zero_grad')


def profile_steps(model, optim_wrapper, hook, data, args, exit):
    for _ in range(args.warmup):
        timed_step(model, optim_wrapper, data, args, hook, exit=exit)
    with profile(activities=[ProfilerActivity.CPU]) as prof:
        with record_function('step'):
            for _ in range(args.iters):
                timed_step(model, optim_wrapper, data, args, hook,
                           exit=exit)
    # the labels are disjoint (none runs inside another), all inside 'step'
    totals = defaultdict(float)
    for evt in prof.key_averages():
        if evt.key in PHASES or evt.key == 'step':
            totals[evt.key] += evt.cpu_time_total / 1e3 / args.iters  # ms
    top = sorted(prof.key_averages(), key=lambda e: -e.self_cpu_time_total)
    ops = [(e.key, e.self_cpu_time_total / 1e3 / args.iters)
           for e in top if not e.key.startswith(('stage', 'select', 'step'))
           and e.key not in PHASES][:8]
    totals['other (python, framework)'] = totals['step'] - sum(
        v for k, v in totals.items() if k in PHASES)
    return dict(totals), ops


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('accel')
    p.add_argument('baseline', nargs='?')
    p.add_argument('--batch', type=int, default=8)
    p.add_argument('--input-size', type=int, default=112)
    p.add_argument('--iters', type=int, default=3)
    p.add_argument('--warmup', type=int, default=1)
    p.add_argument('--threads', type=int, default=None)
    p.add_argument('--channels-last', action='store_true',
                   help='as benchmark_speed.py --channels-last')
    p.add_argument('--amp', action='store_true',
                   help='as benchmark_speed.py --amp (bfloat16 on CPU)')
    p.add_argument('--out', default=None)
    args = p.parse_args(argv)
    args.device, args.seed, args.compile = 'cpu', 0, False
    if args.threads:
        torch.set_num_threads(args.threads)
    runs = {}
    if args.baseline:
        model, ow, _ = build_timing_model(
            load_timing_config(args.baseline, {}), args)
        label_model(model, ow)
        runs['baseline'] = profile_steps(model, ow, None,
                                         synthetic_batch(model, args), args,
                                         None)
    model, ow, hook = build_timing_model(
        load_timing_config(args.accel, {}), args)
    label_model(model, ow)
    data = synthetic_batch(model, args)
    for k in model.exits:
        runs[f'exit {k}'] = profile_steps(model, ow, hook, data, args, k)
    keys = ['step', *[k for k in PHASES if any(k in r[0] for r in
                                               runs.values())],
            'other (python, framework)']
    lines = ['| phase (ms/step) | ' + ' | '.join(runs) + ' |',
             '| --- |' + ' --- |' * len(runs)]
    for k in keys:
        lines.append(f'| {k} | ' + ' | '.join(
            f"{r[0].get(k, 0):.1f}" for r in runs.values()) + ' |')
    print('\n'.join(lines))
    for name, (_, ops) in runs.items():
        print(f'\n{name}: top ops by self CPU time (ms/step): ' + ', '.join(
            f'{o} {t:.1f}' for o, t in ops))
    if args.out:
        os.makedirs(osp.dirname(osp.abspath(args.out)), exist_ok=True)
        with open(args.out, 'w') as f:
            json.dump({k: dict(phases=v[0], top_ops=v[1])
                       for k, v in runs.items()}, f, indent=2)


if __name__ == '__main__':
    main()
