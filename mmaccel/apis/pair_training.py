"""Train one model of a pair in a child process (``tools/demo.py``):
``tools/train.py`` with the run's options, its kNN evaluations printed as
they come (against the baseline's when the accelerated model trains), a run
finished with the same command reused, Ctrl-C stopping the child and all its
processes, and its peak memory (``ru_maxrss`` of the process tree)."""
import glob
import json
import os
import os.path as osp
import shutil
import signal
import socket
import subprocess
import sys
import time

from .demo_settings import DemoError, format_value
from .pair_summary import EXIT_KEY, knn_at, minutes, write_json


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


def train_command(root, cfg_path, run_dir, opts, gpus, budget=None):
    """``tools/train.py`` of the checkout ``root`` on one config, or
    ``torchrun`` of it with ``gpus`` processes."""
    if budget:
        tail = ['--time-budget', budget]
    if gpus > 1:
        launch = [sys.executable, '-m', 'torch.distributed.run',
                  f'--nproc_per_node={gpus}', f'--master_port={free_port()}']
        tail = ['--launcher', 'pytorch'] + (tail if budget else [])
    else:
        launch, tail = [sys.executable], (tail if budget else [])
    options = [f'{k}={format_value(v)}' for k, v in opts.items()]
    return (launch + [osp.join(root, 'tools', 'train.py'), cfg_path,
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
    """Train one model (or reuse its finished run); returns its marker.

    ``ctx``: the model's ``label``, ``epochs``, ``threads``, ``budget``
    (seconds or None), the ``baseline``'s summary (or None) and ``root``,
    the checkout whose ``tools/train.py`` trains it (run from there)."""
    cmd = train_command(ctx.root, cfg_path, run_dir, opts, args.gpus,
                        args.budget)
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
        [ctx.root, env.get('PYTHONPATH', '')]).rstrip(os.pathsep)
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
    Child.proc = subprocess.Popen(cmd, env=env, cwd=ctx.root,
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
