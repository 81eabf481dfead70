"""The stages of the GPU evidence kit (``tools/analysis/gpu_evidence.sh`` runs
them in order; each writes its results into ``--out`` as soon as it has them).

    python tools/analysis/gpu_evidence.py env --out DIR
    python tools/analysis/gpu_evidence.py speed --out DIR [--smoke]
        [--methods mocov2 simclr] [--deadline UNIX_TIME] [--max-batch]
    python tools/analysis/gpu_evidence.py record WORK_DIR --out DIR \\
        --method mocov2 --setting baseline --seed 0 --config CONFIG \\
        --time-budget 60s [--results docs/results/gpu.json]

``env``: the GPU's name, the driver, torch, CUDA and the OpenMMLab versions
(``env.json``), and an import check of the core tier (mmaccel, MMPretrain's
MoCo; ``mmcv.ops`` may be missing).

``speed``: ResNet-50 at 224 px, batch 64 per view, bfloat16 autocast and
channels-last on both models (``benchmark_speed.py --amp --amp-dtype bfloat16
--channels-last``), MMPretrain's MoCo v2 and SimCLR against three accelerated
settings each: the paper's defaults (uniform exits, hard pairs after stages 1
and 2; ``accel-uniform``), partial back-propagation alone (``pbp-only``:
``model.selector=None``) and partial back-propagation with the ramp exit
schedule (``pbp-only-ramp``; the ramp of
``configs/benchmarks/quality/knn_fmnist-64px.py``). All pairs run in one
process, so that the start-up is paid once; peak memory is measured in the
same process, model by model, after the others are freed (CUDA: the growth of
``max_memory_allocated`` over what was allocated before the model was built;
the baseline once per method). ``speed.json`` is rewritten after every pair.
``--max-batch`` then doubles the batch of the baseline and of the paper's
defaults from 128 until a step at the deepest exit runs out of memory.

``record``: one race run (``tools/train.py --time-budget``) as a record with
the fields of ``docs/results/quality.json``
(:func:`mmaccel.apis.make_record`) plus the GPU, driver and torch versions,
where the augmentation ran, the budget and the iterations done. It goes into
``DIR/records.json`` (this call's runs) and, unless ``--smoke``, into
``--results`` (a record of the same method, setting, seed and GPU is
replaced), which is also copied to ``DIR/gpu.json``.

``--smoke`` swaps in the tiny configs at 32 px on the CPU, with a few steps.
Smoke results never touch ``docs/results/gpu.json``. The parts are
:mod:`mmaccel.apis.gpu_kit` and :mod:`mmaccel.apis.gpu_results`.
"""
import argparse
import os
import os.path as osp
import shutil
import time
import traceback

from mmaccel.apis.gpu_kit import (COMMON_SPEED_ARGS, SMOKE_SPEED_ARGS,
                                  SMOKE_SPEED_CONFIGS, SPEED_ARGS,
                                  SPEED_CONFIGS, SPEED_SETTINGS, accel_options,
                                  augmentation_site, cached_loader,
                                  environment, free_memory, max_batch,
                                  peak_memory_mb, ramp_schedule, speed_record)
from mmaccel.apis.gpu_results import (add_to_results, now_utc, read_json,
                                      write_json)


def log(msg):
    print(f'[gpu_evidence] {time.strftime("%H:%M:%S")} {msg}', flush=True)


# ------------------------------------------------------------------- env
def cmd_env(args):
    """Write env.json (``speed`` does it first when it is missing, so that
    the kit starts one process less)."""
    env = environment()
    # the core tier: mmaccel and MMPretrain's MoCo import and build
    import mmaccel  # noqa: F401  (first: its shims for the pinned stack)

    # isort: split
    from mmpretrain.models import MoCo  # noqa: F401
    env['import_check'] = 'ok'
    write_json(osp.join(args.out, 'env.json'), env)
    log(f"GPU {env['gpu'] or 'none (CPU)'}, driver {env['driver']}, torch "
        f"{env['torch']} (CUDA {env['cuda']}), python {env['python']}, "
        f"mmcv ops {'yes' if env['mmcv_ops'] else 'no (core tier)'}; "
        + ', '.join(f'{k} {v}' for k, v in env['versions'].items()))


# ----------------------------------------------------------------- speed
def cmd_speed(args):
    from mmaccel.apis import parse_speed_args, run_speed_benchmark, speed_table
    load = cached_loader()
    if not osp.exists(osp.join(args.out, 'env.json')):
        cmd_env(args)
    env = read_json(osp.join(args.out, 'env.json'), None)
    configs = SMOKE_SPEED_CONFIGS if args.smoke else SPEED_CONFIGS
    argv_common = ((SMOKE_SPEED_ARGS if args.smoke else SPEED_ARGS) +
                   COMMON_SPEED_ARGS + ['--seed', str(args.seed)])
    ramp = ramp_schedule()
    out_path = osp.join(args.out, 'speed.json')
    rows = read_json(out_path, {}).get('rows', [])
    failed = []
    for method in ([] if args.only_max_batch else args.methods):
        base_cfg, accel_cfg = configs[method]
        base_mem = None
        for setting in SPEED_SETTINGS:
            if args.deadline and time.time() > args.deadline:
                log(f'speed: out of time, {method} {setting} skipped')
                continue
            tic = time.time()
            argv = [base_cfg, accel_cfg, *argv_common]
            a = parse_speed_args(argv + ['--no-memory'])
            a.accel_cfg_options = accel_options(accel_cfg, setting, ramp)
            if a.threads:
                import torch
                torch.set_num_threads(a.threads)
            try:
                res = run_speed_benchmark(a, load=load)
                free_memory()
                if base_mem is None:
                    base_mem = peak_memory_mb(load, a, 'baseline')
                res['baseline_peak_mem_mb'] = base_mem
                res['accel_peak_mem_mb'] = peak_memory_mb(load, a, 'accel')
            except Exception:  # noqa: BLE001  (the next pairs still run)
                traceback.print_exc()
                log(f'speed: {method} {setting} FAILED (above); going on')
                failed.append(f'{method} {setting}')
                free_memory()
                continue
            res['peak_mem_kind'] += ', measured in one process'
            rec = speed_record(method, setting, res, env, args)
            rows = [r for r in rows
                    if (r['method'], r['setting']) != (method, setting)]
            rows.append(rec)
            write_json(out_path, dict(rows=rows))
            if not args.smoke:
                add_to_results(args.results, speed=[rec])
                mirror(args)
            print(f'\n### {method}, {setting} ({time.time() - tic:.0f} s)\n')
            print(speed_table(res), flush=True)
    if args.max_batch or args.only_max_batch:
        for method in args.methods:
            base_cfg, accel_cfg = configs[method]
            argv = [base_cfg, accel_cfg, *argv_common]
            for which in ('baseline', 'accel'):
                if args.deadline and time.time() > args.deadline:
                    log('max batch: out of time')
                    break
                fits = max_batch(load, argv, {}, which, args.deadline or
                                 float('inf'), (16, 64) if args.smoke else
                                 (128, 1024))
                log(f'max batch: {method} {which}: {fits}')
                for r in rows:
                    if r['method'] == method and \
                            r['setting'] == 'accel-uniform':
                        r[f'{which}_max_batch'] = fits
                        if not args.smoke:
                            add_to_results(args.results, speed=[r])
                            mirror(args)
                write_json(out_path, dict(rows=rows))
    if failed:
        raise SystemExit(f'error: speed pairs failed: {", ".join(failed)}')


# ---------------------------------------------------------------- record
def mirror(args):
    """A copy of the results file in the output folder: the device machine
    sends back only that folder."""
    shutil.copyfile(args.results, osp.join(args.out, 'gpu.json'))


def cmd_record(args):
    from mmaccel.apis import make_record, read_scalars
    env = read_json(osp.join(args.out, 'env.json'), None) or environment()
    rows = read_scalars(args.work_dir)
    rec = make_record(rows, args)
    evals = [r for r in rows if 'knn_top1' in r]
    train_rows = [r for r in rows if 'loss' in r]
    device = 'cuda' if env.get('gpu') else 'cpu'
    rec.update(
        gpu=env.get('gpu'), driver=env.get('driver'), torch=env.get('torch'),
        cuda=env.get('cuda'), gpu_memory_mb=env.get('gpu_memory_mb'),
        augment_on=(device if augmentation_site(args.config) == 'device'
                    else 'cpu loader'),
        time_budget=args.time_budget, iters=max(
            [r.get('step', 0) for r in evals + train_rows] or [None]),
        date=now_utc(), smoke=args.smoke)
    this_call = osp.join(args.out, 'records.json')
    runs = [r for r in read_json(this_call, {}).get('runs', [])
            if (r['method'], r['setting']) != (rec['method'],
                                               rec['setting'])]
    write_json(this_call, dict(runs=runs + [rec]))
    if not args.smoke:
        add_to_results(args.results, runs=[rec])
        mirror(args)
    log(f"record: {rec['method']} {rec['setting']} seed {rec['seed']}: kNN "
        f"{rec['knn_final']:.2f} after {rec['train_wall_s']:.0f} s of "
        f"training ({rec['iters']} iterations), augmentation on "
        f"{rec['augment_on']}")


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    sub = p.add_subparsers(dest='stage', required=True)
    for name in ('env', 'speed', 'record'):
        s = sub.add_parser(name)
        s.add_argument('--out', required=True, help='output folder')
        s.add_argument('--smoke', action='store_true',
                       help='tiny models on the CPU; results stay in --out')
        s.add_argument('--results', default='docs/results/gpu.json',
                       help='the results file a real run adds to')
        if name == 'speed':
            s.add_argument('--methods', nargs='+',
                           default=['mocov2', 'simclr'],
                           choices=sorted(SPEED_CONFIGS))
            s.add_argument('--seed', type=int, default=0)
            s.add_argument('--deadline', type=float, default=None,
                           help='unix time after which no pair starts')
            s.add_argument('--max-batch', action='store_true',
                           help='then the largest batch that fits')
            s.add_argument('--only-max-batch', action='store_true',
                           help='the largest batch only, attached to the '
                           'rows already in --out')
        if name == 'record':
            s.add_argument('work_dir')
            s.add_argument('--method', required=True)
            s.add_argument('--setting', required=True)
            s.add_argument('--seed', type=int, required=True)
            s.add_argument('--config', required=True)
            s.add_argument('--command', default=None)
            s.add_argument('--time-budget', default=None)
    return p.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    os.makedirs(args.out, exist_ok=True)
    dict(env=cmd_env, speed=cmd_speed, record=cmd_record)[args.stage](args)


if __name__ == '__main__':
    main()
