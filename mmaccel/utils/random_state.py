"""The random state of a process: Python's, NumPy's, torch's CPU and CUDA
generators, as a picklable dict."""
import random

import numpy as np
import torch

__all__ = ['get_random_state', 'set_random_state']


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
