"""The GPU evidence kit's parts (``tools/analysis/gpu_evidence.py``): the
machine's description, the speed pairs and their settings, the peak memory
of one model measured in the kit's process, the largest batch that fits, and
where a race run augments its views."""
import copy
import gc
import json
import os
import platform
import subprocess
import time

import torch
from mmengine.config import Config

from mmaccel.utils import load_config
from .gpu_results import now_utc
from .speed import parse_speed_args
from .timing import build_timing_model, load_timing_config
from .timing import peak_memory_mb as probe_memory
from .timing import synthetic_batch, timed_step

# The speed table's pairs: MMPretrain's model and mmaccel's paper defaults.
SPEED_CONFIGS = {
    'mocov2': ('mmpretrain::mocov2/mocov2_resnet50_8xb32-coslr-200e_in1k.py',
               'configs/accel_mocov2/'
               'accel-mocov2_resnet50_8xb32-coslr-200e_in1k.py'),
    'simclr': ('mmpretrain::simclr/simclr_resnet50_8xb32-coslr-200e_in1k.py',
               'configs/accel_simclr/'
               'accel-simclr_resnet50_8xb32-coslr-200e_in1k.py'),
}
SMOKE_SPEED_CONFIGS = {
    'mocov2': ('configs/mocov2/'
               'mocov2_resnet18-tiny_1xb256-coslr-50e_fmnist.py',
               'configs/accel_mocov2/'
               'accel-mocov2_resnet18-tiny_1xb256-coslr-50e_fmnist.py'),
    'simclr': ('configs/simclr/'
               'simclr_resnet18-tiny_1xb256-coslr-50e_fmnist.py',
               'configs/accel_simclr/'
               'accel-simclr_resnet18-tiny_1xb256-coslr-50e_fmnist.py'),
}
SPEED_SETTINGS = ('accel-uniform', 'pbp-only', 'pbp-only-ramp')
RAMP_SOURCE = 'configs/benchmarks/quality/knn_fmnist-64px.py'
# benchmark_speed.py's arguments: the GPU run, and the smoke run on the CPU
SPEED_ARGS = ['--device', 'cuda', '--batch', '64', '--input-size', '224',
              '--warmup', '5', '--iters', '20', '--exit-iters', '5']
SMOKE_SPEED_ARGS = ['--device', 'cpu', '--batch', '8', '--input-size', '32',
                    '--warmup', '1', '--iters', '2', '--exit-iters', '1',
                    '--threads', '1']
COMMON_SPEED_ARGS = ['--amp', '--amp-dtype', 'bfloat16', '--channels-last']


def driver_version():
    """The NVIDIA driver's version: nvidia-smi, else NVML, else the kernel
    module's /proc file; None when none answers."""
    try:
        out = subprocess.run(
            ['nvidia-smi', '--query-gpu=driver_version',
             '--format=csv,noheader'], capture_output=True, text=True,
            timeout=30)
        if out.returncode == 0 and out.stdout.strip():
            return out.stdout.strip().splitlines()[0]
    except (OSError, subprocess.TimeoutExpired):
        pass
    try:
        import pynvml
        pynvml.nvmlInit()
        version = pynvml.nvmlSystemGetDriverVersion()
        return version.decode() if isinstance(version, bytes) else version
    except Exception:  # noqa: BLE001  (not installed, or no driver)
        pass
    try:
        with open('/proc/driver/nvidia/version') as f:
            words = f.readline().split()
        return next(w for w in words if w[:1].isdigit() and '.' in w)
    except (OSError, StopIteration):
        return None


def environment():
    versions = {}
    for name in ('numpy', 'mmengine', 'mmcv', 'mmpretrain', 'kornia',
                 'torchvision', 'cv2'):
        try:
            versions[name] = __import__(name).__version__
        except Exception as e:  # noqa: BLE001  (reported, not fatal)
            versions[name] = f'missing ({type(e).__name__})'
    try:
        import mmcv.ops  # noqa: F401
        mmcv_ops = True
    except Exception:  # noqa: BLE001
        mmcv_ops = False
    cuda = torch.cuda.is_available()
    return dict(
        gpu=torch.cuda.get_device_name() if cuda else None,
        gpu_memory_mb=(torch.cuda.get_device_properties(0).total_memory //
                       2**20) if cuda else None,
        driver=driver_version() if cuda else None,
        torch=torch.__version__,
        cuda=torch.version.cuda,
        cudnn=torch.backends.cudnn.version() if cuda else None,
        python=platform.python_version(),
        machine=f'{platform.machine()}, {os.cpu_count()} CPUs',
        mmcv_ops=mmcv_ops,
        versions=versions,
        date=now_utc())


def ramp_schedule():
    return Config.fromfile(RAMP_SOURCE).ramp_exit_hook['schedule']


def accel_options(accel_cfg_path, setting, ramp):
    """``--accel-cfg-options`` of a setting: the selector off for partial
    back-propagation alone, and the ramp schedule on the config's own
    PartialBackpropHook for pbp-only-ramp."""
    if setting == 'accel-uniform':
        return {}
    opts = {'model.selector': None}
    if setting == 'pbp-only-ramp':
        hooks = load_config(accel_cfg_path).get('custom_hooks', [])
        i = next(i for i, h in enumerate(hooks)
                 if h.get('type') == 'PartialBackpropHook')
        opts[f'custom_hooks.{i}.exit_probs'] = None
        opts[f'custom_hooks.{i}.schedule'] = [list(p) for p in ramp]
    return opts


def free_memory():
    """Free the models of the last measurement (CUDA memory is measured
    model by model in this process)."""
    if torch.cuda.is_available():
        gc.collect()
        torch.cuda.empty_cache()


def cached_loader():
    """:func:`mmaccel.apis.load_timing_config`, loading each config once: a
    config that inherits ``mmpretrain::`` bases costs seconds per load
    (MMEngine reads every metafile), and the pairs load the same few configs
    over and over."""
    cache = {}

    def cached(path, options, *args):
        key = (path, json.dumps(options, sort_keys=True, default=str), args)
        if key not in cache:
            cache[key] = load_timing_config(path, options, *args)
        return copy.deepcopy(cache[key])

    return cached


def peak_memory_mb(load, args, which):
    """Peak memory of a few steps of one model, in this process: the growth
    of CUDA's ``max_memory_allocated`` over what was allocated before the
    model was built (every other model freed); on CPU the growth of the peak
    resident set, as ``benchmark_speed.py``'s probe."""
    free_memory()
    before = (torch.cuda.memory_allocated() / 2**20
              if args.device == 'cuda' else 0.0)
    try:
        return probe_memory(args, which, load) - before
    finally:
        free_memory()


def speed_record(method, setting, res, env, args):
    keep = ('speedup', 'ideal_speedup', 'fraction_of_ideal', 'baseline_ips',
            'accel_ips', 'baseline_peak_mem_mb', 'accel_peak_mem_mb',
            'per_exit_predicted_speedup')
    return dict(method=method, setting=setting, seed=args.seed,
                gpu=env.get('gpu'), driver=env.get('driver'),
                torch=env.get('torch'), date=now_utc(), smoke=args.smoke,
                **{k: res.get(k) for k in keep}, bench=res)


def max_batch(load, argv, accel_opts, which, deadline, sizes=(128, 1024)):
    """The largest batch (doubling from ``sizes[0]`` to ``sizes[1]``) at
    which one step of the deepest exit fits in the GPU's memory."""
    fits, (batch, cap) = None, sizes
    while batch <= cap and time.time() < deadline:
        args = parse_speed_args(argv + ['--batch', str(batch)])
        args.accel_cfg_options = accel_opts
        cfg_path, opts = ((args.baseline, args.baseline_cfg_options)
                          if which == 'baseline' else (args.accel, accel_opts))
        try:
            model, optim_wrapper, hook = build_timing_model(
                load(cfg_path, opts, f'--{which}-cfg-options'), args)
            data = synthetic_batch(model, args)
            exit = hook.exits[-1] if hook is not None else None
            timed_step(model, optim_wrapper, data, args, hook, exit=exit)
            fits = batch
        except torch.cuda.OutOfMemoryError:
            break
        finally:
            model = optim_wrapper = hook = data = None
            free_memory()
        batch *= 2
    return fits


def augmentation_site(config):
    """Where the views are augmented: on the model's device when the model's
    data preprocessor augments (the kornia preprocessor), else in the CPU
    data loader."""
    cfg = Config.fromfile(config, import_custom_modules=False)
    pre = cfg.model.get('data_preprocessor') or cfg.get(
        'data_preprocessor') or {}
    on_device = str(pre.get('type', '')).split('.')[-1] == \
        'MultiViewDataPreprocessor'
    return 'device' if on_device else 'cpu loader'
