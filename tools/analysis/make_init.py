"""Save the untrained backbone of a training run, for paired comparisons.

    python tools/analysis/make_init.py CONFIG --seed S --out INIT.pth

Builds the Runner of ``CONFIG`` with ``randomness.seed=S`` as
``tools/train.py`` does, initialises the model's weights as ``Runner.train()``
does before its first iteration (the same steps, so the same random draws),
and saves the backbone's parameters and buffers as ``backbone.*`` in
``INIT.pth``. Passing ``--cfg-options load_from=INIT.pth`` to another run (an
accelerated model, whose extra heads are built before its backbone, so the
same seed alone gives it other backbone weights) starts its backbone from the
very weights the run of ``CONFIG`` started from: the two runs differ only in
the method. Keys the checkpoint lacks (the accelerated model's heads) keep
their own initialisation; the MoCo key encoder copies the query encoder at
its first step.
"""
import argparse

import torch

from mmaccel.apis import untrained_backbone


def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('config')
    p.add_argument('--seed', type=int, required=True)
    p.add_argument('--out', required=True)
    args = p.parse_args()
    state = untrained_backbone(args.config, args.seed)
    torch.save({'state_dict': state, 'meta': dict(
        config=args.config, seed=args.seed, what='untrained backbone')},
        args.out)
    print(f'{args.out}: {len(state)} backbone tensors of {args.config} '
          f'at seed {args.seed}')


if __name__ == '__main__':
    main()
