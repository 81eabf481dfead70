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

The measurements are :mod:`mmaccel.apis.speed` and :mod:`mmaccel.apis.timing`.
"""
import json
import os
import os.path as osp
import subprocess
import sys

import torch

from mmaccel.apis import (parse_speed_args, peak_memory_mb,
                          run_speed_benchmark, speed_table)
from mmaccel.utils import MMAccelError, report_errors


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


@report_errors  # an error: one line on stderr, exit 1 (--debug: traceback)
def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    args = parse_speed_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    if args.probe:
        print(peak_memory_mb(args, args.probe))
        return
    probe_argv = [a for a in argv if a != '--no-memory']
    res = run_speed_benchmark(args, lambda w: run_probe(w, probe_argv))
    table = speed_table(res)
    print(table)
    if args.out:
        os.makedirs(osp.dirname(osp.abspath(args.out)), exist_ok=True)
        with open(args.out, 'w') as f:
            json.dump(res, f, indent=2)
        with open(osp.splitext(args.out)[0] + '.md', 'w') as f:
            f.write(table)


if __name__ == '__main__':
    main()
