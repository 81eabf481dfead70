"""Augmentation on the device against MMPretrain's PIL pipeline: throughput of
loader plus augmentation, and the training speed of a pair of configs.

    python tools/analysis/benchmark_augment.py \
        [--config CFG] [--batches 20] [--workers 0 1 2] \
        [--train BASELINE ACCEL --iters 8] [--device cpu] [--out FILE.json]

``--config`` (default: the 64 px MoCo v2 baseline) gives the data: its
``train_dataloader`` with its ``MultiView`` pipeline (PIL crops and jitter
in the loader's workers, then ``SelfSupDataPreprocessor``), against the same
``view_pipeline`` made by ``MultiViewDataPreprocessor`` from
``RawFashionMNIST`` (a loader in the main process, views on ``--device``).
Both loaders are seeded per sample as ``tools/train.py`` seeds them
(``SeededAugmentDataset``); the raw path is timed without that wrapper too,
as it has nothing random to seed. Throughput is samples (each giving two
views) per second over ``--batches`` batches after two untimed ones, with
the main process's CPU time per sample (all of the work where the loader
has no workers). The cost of seeding each sample's views
(``derive_seed(seed, epoch, index)`` and a generator per sample) is timed
against one generator for the whole batch.

``--train`` times training iterations (data, preprocessor, forward, backward,
update: the interval between the ends of successive iterations, after
``--warmup`` of them) of each config with its own pipeline and with the views
made on the device, through the Runner as ``tools/train.py`` builds it, with
the evaluation hooks (kNN, precise BN) and checkpoints left out: the median
images per second, and the CPU time per image of the process and its loader
workers (which other jobs on the machine do not change as they change the
wall time). Prints markdown tables; ``--out`` writes JSON.
"""
import argparse
import json
import os
import os.path as osp
import platform
import statistics
import subprocess
import time

import torch
from mmengine.hooks import Hook
from mmengine.registry import init_default_scope
from mmengine.runner import Runner

from mmaccel.models.utils.multi_view_data_preprocessor import sample_uniforms
from mmaccel.registry import MODELS
from mmaccel.utils import load_config
from mmaccel.utils.config import seed_augmentations, use_reliable_runtime

CONFIG = 'configs/mocov2/mocov2_resnet18-w32_1xb256-coslr-8e_fmnist-64px.py'
EVAL_HOOKS = ('KNNEvalHook', 'PreciseBackboneBNHook')


def device_aug(cfg):
    """The config with its views made on the device, as the ``_device-aug``
    configs do it: the same view pipeline, raw images held in memory."""
    cfg.data_preprocessor.merge(dict(
        type='MultiViewDataPreprocessor', num_views=2,
        transforms=[cfg.view_pipeline]))
    cfg.train_dataloader.merge(dict(
        num_workers=0, persistent_workers=False,
        dataset=dict(type='RawFashionMNIST', pipeline=[])))
    return cfg


def loader_and_preprocessor(cfg, batches, workers=None, seeded=True):
    cfg.train_dataloader.dataset.indices = (batches + 2) * \
        cfg.train_dataloader.batch_size
    if workers is not None:
        cfg.train_dataloader.merge(
            dict(num_workers=workers, persistent_workers=False))
    if seeded:
        seed_augmentations(cfg)  # as tools/train.py's loaders
    init_default_scope('mmaccel')
    loader = Runner.build_dataloader(cfg.train_dataloader, seed=0)
    return loader, MODELS.build(cfg.data_preprocessor)


def throughput(cfg, batches, device, workers=None, seeded=True):
    """Samples per second of loading and preprocessing ``batches``, and the
    main process's CPU milliseconds per sample."""
    loader, pre = loader_and_preprocessor(cfg, batches, workers, seeded)
    pre.to(device)
    it = iter(loader)
    for _ in range(2):
        pre(next(it), training=True)
    tic, cpu, n = time.perf_counter(), time.process_time(), 0
    for data in it:
        out = pre(data, training=True)
        n += len(out['inputs'][0])
    if device == 'cuda':
        torch.cuda.synchronize()
    return (n / (time.perf_counter() - tic),
            (time.process_time() - cpu) / n * 1e3)


def seeding_cost(batch, draws, repeats=20):
    """CPU seconds per batch: per-sample generators against one generator."""
    tic = time.process_time()
    for r in range(repeats):
        sample_uniforms(0, r, range(batch), draws)
    per_sample = (time.process_time() - tic) / repeats
    g = torch.Generator().manual_seed(0)
    tic = time.process_time()
    for _ in range(repeats):
        torch.rand(batch, draws, generator=g, dtype=torch.float64)
    return per_sample, (time.process_time() - tic) / repeats


def tree_cpu_seconds() -> float:
    """CPU time of this process and its children (loader workers), from
    Linux's /proc."""
    tick, pids, total = os.sysconf('SC_CLK_TCK'), [os.getpid()], 0.
    while pids:
        pid = pids.pop()
        try:
            with open(f'/proc/{pid}/stat') as f:
                fields = f.read().rsplit(')', 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / tick
            for task in os.listdir(f'/proc/{pid}/task'):
                with open(f'/proc/{pid}/task/{task}/children') as f:
                    pids += [int(c) for c in f.read().split()]
        except OSError:  # a worker that just ended
            pass
    return total


class _IterClock(Hook):
    """Wall and CPU time at the end of each training iteration."""

    def __init__(self):
        self.stamps = []

    def after_train_iter(self, runner, batch_idx, data_batch=None,
                         outputs=None):
        self.stamps.append((time.perf_counter(), tree_cpu_seconds()))


def train_speed(path, device_side, iters, warmup, work_dir):
    """Images per second of training iterations (after ``warmup``; median),
    and CPU milliseconds per image of the process and its loader workers."""
    cfg = load_config(path)
    if device_side:
        device_aug(cfg)
    batch = cfg.train_dataloader.batch_size
    cfg.train_dataloader.dataset.indices = (iters + warmup + 1) * batch
    cfg.train_cfg.max_epochs = 1
    cfg.param_scheduler = []
    cfg.default_hooks.checkpoint = None
    cfg.default_hooks.logger.interval = 1000
    cfg.custom_hooks = [h for h in cfg.get('custom_hooks', [])
                        if h['type'] not in EVAL_HOOKS]
    cfg.work_dir = work_dir
    cfg.log_level = 'WARNING'
    use_reliable_runtime(cfg)
    runner = Runner.from_cfg(cfg)
    clock = _IterClock()
    runner.register_hook(clock, 'LOWEST')
    runner.train()
    steps = [(b[0] - a[0], b[1] - a[1]) for a, b in zip(
        clock.stamps[warmup:], clock.stamps[warmup + 1:])]
    return (batch / statistics.median(w for w, _ in steps),
            sum(c for _, c in steps) / (batch * len(steps)) * 1e3)


def machine():
    try:
        model = next(line.split(':', 1)[1].strip() for line in
                     subprocess.run(['lscpu'], capture_output=True,
                                    text=True).stdout.splitlines()
                     if line.startswith('Model name'))
    except (OSError, StopIteration):
        model = platform.processor() or platform.machine()
    return dict(cpu=model, cpus=os.cpu_count(),
                threads=torch.get_num_threads(), torch=torch.__version__)


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--config', default=CONFIG)
    p.add_argument('--batches', type=int, default=20)
    p.add_argument('--workers', type=int, nargs='+', default=[0, 1, 2],
                   help='loader workers of the PIL pipeline')
    p.add_argument('--train', nargs=2, metavar=('BASELINE', 'ACCEL'))
    p.add_argument('--iters', type=int, default=8)
    p.add_argument('--warmup', type=int, default=2)
    p.add_argument('--device', default='cpu', choices=['cpu', 'cuda'])
    p.add_argument('--threads', type=int, default=None)
    p.add_argument('--work-dir', default='work_dirs/benchmark_augment')
    p.add_argument('--out', default=None)
    return p.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    rows, result = [], dict(machine=machine(), config=args.config,
                            batches=args.batches)
    batch = load_config(args.config).train_dataloader.batch_size
    for workers in args.workers:
        rows.append((f'PIL pipeline, {workers} workers',
                     *throughput(load_config(args.config), args.batches,
                                 'cpu', workers)))
    for seeded in (True, False):
        rows.append((
            f'RawFashionMNIST{" in SeededAugmentDataset" if seeded else ""}'
            f' + MultiViewDataPreprocessor ({args.device})',
            *throughput(device_aug(load_config(args.config)), args.batches,
                        args.device, seeded=seeded)))
    result['throughput'] = {
        name: dict(samples_per_s=rate, main_cpu_ms_per_sample=cpu)
        for name, rate, cpu in rows}
    pre = MODELS.build(device_aug(load_config(args.config)).data_preprocessor)
    per_sample, per_batch = seeding_cost(batch, pre.draws)
    result['seeding_cpu_s_per_batch'] = dict(
        per_sample=per_sample, one_generator=per_batch)
    print(f'{result["machine"]}\n\n| loader + augmentation, batch {batch} '
          '| samples/s | main process CPU ms / sample |\n| --- | --- | --- |')
    for name, rate, cpu in rows:
        print(f'| {name} | {rate:.0f} | {cpu:.2f} |')
    print(f'\nseeding, CPU time per batch of {batch} ({pre.draws} draws a '
          f'sample): per-sample generators {per_sample * 1e3:.2f} ms, one '
          f'generator {per_batch * 1e3:.2f} ms')
    if args.train:
        result['train'] = {}
        print('\n| config | augmentation | img/s | CPU ms / img |\n'
              '| --- | --- | --- | --- |')
        for path in args.train:
            for side in (False, True):
                rate, cpu = train_speed(path, side, args.iters, args.warmup,
                                        args.work_dir)
                where = 'device' if side else 'pipeline'
                result['train'][f'{osp.basename(path)} {where}'] = dict(
                    img_per_s=rate, cpu_ms_per_img=cpu)
                print(f'| {osp.basename(path)} | {where} | {rate:.1f} | '
                      f'{cpu:.1f} |')
    if args.out:
        os.makedirs(osp.dirname(osp.abspath(args.out)), exist_ok=True)
        with open(args.out, 'w') as f:
            json.dump(result, f, indent=2)


if __name__ == '__main__':
    main()
