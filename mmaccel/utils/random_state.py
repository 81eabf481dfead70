"""The random state of a process: Python's, NumPy's, torch's CPU and CUDA
generators, as a picklable dict."""
import random

import numpy as np
import torch

__all__ = ['get_random_state', 'set_random_state', 'derive_seed']


def get_random_state() -> dict:
    """Snapshot of every global random generator of this process.

    Returns:
        dict: ``python``, ``numpy``, ``torch`` and, when CUDA is initialised,
        ``cuda`` (one state per visible device).
    """
    state = dict(
        python=random.getstate(),
        numpy=np.random.get_state(),
        torch=torch.get_rng_state())
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        state['cuda'] = torch.cuda.get_rng_state_all()
    return state


def set_random_state(state: dict) -> None:
    """Put every global random generator back to a :func:`get_random_state`
    snapshot (CUDA's only when the snapshot has them and CUDA is here)."""
    random.setstate(state['python'])
    np.random.set_state(state['numpy'])
    torch.set_rng_state(state['torch'].cpu())
    if 'cuda' in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all([s.cpu() for s in state['cuda']])


def derive_seed(*keys: int) -> int:
    """A 32-bit seed that is a function of ``keys`` alone.

    The one rule by which mmaccel derives the randomness of a piece of work
    from where it sits in a run, e.g. ``derive_seed(seed, epoch, index)`` for
    the augmentations of one sample, so that the result depends neither on
    which process or loader worker does the work nor on where a run resumed.
    NumPy's ``SeedSequence`` mixes the keys: nearby keys give unrelated seeds.

    Args:
        *keys (int): Non-negative integers, e.g. ``(seed, epoch, index)``.

    Returns:
        int: A seed in ``[0, 2**32)``.
    """
    if not keys or any(not isinstance(k, (int, np.integer)) or k < 0
                       for k in keys):
        raise ValueError('derive_seed needs non-negative integers; got '
                         f'{keys!r}')
    return int(np.random.SeedSequence([int(k) for k in keys]).generate_state(
        1, dtype=np.uint32)[0])
