import contextlib

import torch
from mmengine.optim import OptimWrapper

from mmaccel.registry import OPTIM_WRAPPERS


@OPTIM_WRAPPERS.register_module()
class CPUAutocastOptimWrapper(OptimWrapper):
    """Mixed precision on CPU: the forward pass under
    ``torch.autocast('cpu', dtype=torch.bfloat16)``.

    MMEngine's ``AmpOptimWrapper`` asserts a CUDA, NPU or MLU device, so
    ``tools/train.py --amp`` uses this wrapper on a machine without CUDA.
    bfloat16 has float32's exponent range, so no loss scaling is needed; the
    weights, their gradients and the optimizer state stay float32. Worth it on
    CPUs with bfloat16 instructions (AVX512-BF16, AMX): measured in
    ``docs/benchmarks.md``.
    """

    @contextlib.contextmanager
    def optim_context(self, model):
        with super().optim_context(model), \
                torch.autocast('cpu', dtype=torch.bfloat16):
            yield


def amp_optim_wrapper(optim_wrapper: dict, cuda: bool,
                      dtype: str = 'float16') -> dict:
    """A copy of the ``optim_wrapper`` config with mixed precision, as
    ``tools/train.py --amp`` (and ``benchmark_speed.py --amp``) asks for it:
    MMEngine's ``AmpOptimWrapper`` with dynamic loss scaling on CUDA, its
    autocast in ``dtype``; :class:`CPUAutocastOptimWrapper` (always
    bfloat16) otherwise. The type is named with its scope so that it builds
    under any default scope (a ``mmpretrain::`` config's included).

    Args:
        optim_wrapper (dict): The config's ``optim_wrapper``.
        cuda (bool): Whether the run is on CUDA.
        dtype (str): ``'float16'`` or ``'bfloat16'``, the autocast type on
            CUDA (``--amp-dtype``). Defaults to ``'float16'``.
    """
    if dtype not in ('float16', 'bfloat16'):
        raise ValueError("amp dtype must be 'float16' or 'bfloat16'; got "
                         f'{dtype!r}')
    cfg = dict(optim_wrapper)
    if cuda:
        cfg['type'] = 'AmpOptimWrapper'
        cfg.setdefault('loss_scale', 'dynamic')
        cfg['dtype'] = dtype
    else:
        cfg['type'] = 'mmaccel.CPUAutocastOptimWrapper'
    return cfg
