"""Helpers shared by the tests (importable as ``helpers``: pytest puts the
folder of ``tests/conftest.py`` on the path)."""
import re
from typing import Dict, List, Optional

import torch


def views(n: int = 4, size: int = 32, seed: int = 0,
          channels: int = 3) -> List[torch.Tensor]:
    """Two random views ``n x channels x size x size``, seeded."""
    g = torch.Generator().manual_seed(seed)
    return [torch.randn(n, channels, size, size, generator=g)
            for _ in range(2)]


def count_stage_calls(backbone) -> List[int]:
    """A list that records the number of every ResNet stage that runs."""
    calls = []
    for i, name in enumerate(backbone.res_layers, start=1):
        getattr(backbone, name).register_forward_hook(
            lambda *_, i=i: calls.append(i))
    return calls


def gets_gradient(name: str, exit: int, first: int = 1) -> bool:
    """Whether a step at ``exit`` must give parameter ``name`` a gradient.

    Backbone stages ``first..exit`` do (``first`` > 1: an update window), the
    stem only when ``first`` is 1, and of every per-exit part (necks' and
    heads' ``heads.exit{k}``) only exit ``exit``'s.
    """
    if name.startswith('backbone.layer'):
        return first <= int(name[len('backbone.layer')]) <= exit
    if name.startswith('backbone.'):
        return first == 1  # the stem
    per_exit = re.search(r'(?:^|\.)heads\.exit(\d+)\.', name)
    assert per_exit, f'no gradient rule for {name}'
    return int(per_exit[1]) == exit


def assert_gradients(model, exit: int, first: int = 1,
                     frozen: tuple = ()) -> None:
    """After a backward pass at ``exit``: exactly the parameters that
    :func:`gets_gradient` names have a (non-zero) gradient. Parameters that
    do not require one (a momentum encoder) must sit under a ``frozen``
    prefix and have none."""
    for name, p in model.named_parameters():
        if not p.requires_grad:
            assert name.startswith(frozen) and p.grad is None, name
            continue
        should = gets_gradient(name, exit, first)
        assert (p.grad is not None) == should, name
        if should:
            assert p.grad.abs().sum() > 0, name


def short_run(iters: int,
              batch: int,
              *,
              samples: Optional[int] = None,
              workers: int = 0,
              cosine: bool = False,
              log_interval: int = 10,
              checkpoint_interval: Optional[int] = None,
              seed: Optional[int] = None) -> Dict[str, object]:
    """Settings that shrink a config to a short iteration-based run.

    Returns dotted keys (``--cfg-options`` keys): apply them with
    :func:`shrink` to a loaded config, or pass :func:`cfg_options` of them to
    ``tools/train.py``.

    Args:
        iters (int): Training iterations.
        batch (int): Batch size per process.
        samples (int, optional): Train on the first this many samples.
        workers (int): Data loader workers. Defaults to 0.
        cosine (bool): Keep the config's first scheduler (cosine) but per
            iteration over ``iters``; False drops the schedulers (constant
            learning rate). Defaults to False.
        log_interval (int): Logging interval in iterations. Defaults to 10.
        checkpoint_interval (int, optional): Defaults to ``iters`` (one
            checkpoint, at the end).
        seed (int, optional): ``randomness.seed``.
    """
    opts = {
        'train_dataloader.batch_size': batch,
        'train_dataloader.num_workers': workers,
        'train_dataloader.persistent_workers': workers > 0,
        'train_cfg._delete_': True,
        'train_cfg.type': 'IterBasedTrainLoop',
        'train_cfg.max_iters': iters,
        'default_hooks.checkpoint.by_epoch': False,
        'default_hooks.checkpoint.interval': checkpoint_interval or iters,
        'default_hooks.logger.interval': log_interval,
        'log_processor.by_epoch': False,
    }
    if cosine:
        opts.update({
            'param_scheduler.0.by_epoch': False,
            'param_scheduler.0.T_max': iters,
            'param_scheduler.0.end': iters,
        })
    else:
        opts['param_scheduler'] = []
    if samples is not None:
        opts['train_dataloader.dataset.indices'] = samples
    if seed is not None:
        opts['randomness.seed'] = seed
    return opts


def shrink(cfg, opts: Dict[str, object]):
    """Apply :func:`short_run` settings to a loaded config (in place)."""
    cfg.merge_from_dict(opts, allow_list_keys=True)
    return cfg


def cfg_options(opts: Dict[str, object]) -> List[str]:
    """:func:`short_run` settings as ``--cfg-options`` arguments."""
    return [f'{key}={value}' for key, value in opts.items()]


def loss_series(runner) -> Dict[str, List[float]]:
    """Every logged value of each ``loss_exit{k}`` of a finished Runner, in
    iteration order."""
    scalars = runner.message_hub.log_scalars
    return {key[len('train/'):]: [float(v) for v in scalars[key].data[0]]
            for key in sorted(scalars) if key.startswith('train/loss_exit')}
