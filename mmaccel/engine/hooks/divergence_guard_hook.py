"""Stop a diverged run before a checkpoint holds what the divergence did."""
import math
import re
from typing import List, Optional, Tuple

import torch
from mmengine.dist import all_gather_object, all_reduce
from mmengine.hooks import Hook
from mmengine.optim import OptimWrapper
from mmpretrain.utils import get_ori_model

from mmaccel.registry import HOOKS
from mmaccel.utils.errors import ConfigError, DivergenceError

_EXIT = re.compile(r'^loss_exit(\d+)$')


def _is_loss(key: str) -> bool:
    # MMEngine's parse_losses sums the outputs whose name contains 'loss'
    return 'loss' in key


def _value(value) -> float:
    if isinstance(value, torch.Tensor):
        return float(value.detach().float().mean())
    return float(value)


def _any_rank(flag, device=None) -> bool:
    """Whether ``flag`` (a bool, or a tensor on ``device``'s side) is true on
    any process; every process gets the same answer."""
    flag = flag.float() if isinstance(flag, torch.Tensor) else torch.tensor(
        float(flag), device=device)
    all_reduce(flag, op='max')
    return bool(flag.item())


@HOOKS.register_module()
class DivergenceGuardHook(Hook):
    """Stops a run whose loss is not finite, before any checkpoint holds it.

    ``use_reliable_runtime`` (so ``tools/train.py``) adds it to every mmaccel
    run. Each iteration:

    - **before the optimizer step** (the hook wraps ``update_params`` of the
      run's :class:`OptimWrapper`) the total loss is checked; if it is not
      finite on any process, the step is not applied: the gradients are
      computed (every process takes part in DDP's gradient reduction) and
      dropped, as mixed precision's loss scaler drops a step whose gradients
      overflow. The weights and the optimizer state stay those of the last
      finite step;
    - **after the iteration**, before a checkpoint of it can be written (the
      hook's priority is above the checkpoint hook's), a step that was not
      applied stops the run with :class:`DivergenceError`: one line naming
      the iteration, each non-finite loss (``loss_exit{k}`` names exit ``k``,
      ``loss`` is the total) and the last checkpoint, from which
      ``--resume`` goes on. ``max_skipped_steps`` lets that many such steps
      in a row pass with a warning first.
    - **before every checkpoint**, :class:`AtomicCheckpointHook` calls
      :meth:`check_state`: a weight, buffer (a MoCo queue, batch-norm
      statistics) or optimizer state that is not finite stops the run
      instead of being written, so no good checkpoint is pruned for a broken
      one (``max_keep_ckpts``).

    Every decision is taken on flags all-reduced over the processes, so all
    of them skip, go on or stop together. With an optimizer wrapper that is
    not an :class:`OptimWrapper` (an ``OptimWrapperDict``) steps cannot be
    skipped: the losses are checked after the step, and the run stops there.

    Args:
        max_skipped_steps (int): Steps in a row whose loss is not finite that
            are skipped (with a warning) before the run stops. Defaults to 0:
            stop at the first.
    """

    # below LoggerHook (the iteration is logged), above ParamSchedulerHook
    # and CheckpointHook
    priority = 'BELOW_NORMAL'

    def __init__(self, max_skipped_steps: int = 0) -> None:
        if not isinstance(max_skipped_steps, int) or isinstance(
                max_skipped_steps, bool) or max_skipped_steps < 0:
            raise ConfigError(
                'DivergenceGuardHook: max_skipped_steps must be an integer '
                f'>= 0 (0: stop at the first non-finite loss); got '
                f'{max_skipped_steps!r}')
        self.max_skipped_steps = max_skipped_steps
        self.skipped_in_a_row = 0
        self._wrapped: Optional[OptimWrapper] = None
        self._skipped = False

    # ------------------------------------------------------------- steps
    def before_train(self, runner) -> None:
        wrapper = runner.optim_wrapper
        if isinstance(wrapper, OptimWrapper):
            self._guard(wrapper)
        elif self.max_skipped_steps:
            raise ConfigError(
                'DivergenceGuardHook: max_skipped_steps='
                f'{self.max_skipped_steps} needs one OptimWrapper, but the '
                f'run has a {type(wrapper).__name__}; use max_skipped_steps=0')

    def _guard(self, wrapper: OptimWrapper) -> None:
        """Skip the step of a loss that is not finite on some process."""
        if self._wrapped is wrapper:
            return
        update = wrapper.update_params

        def update_params(loss, step_kwargs=None, zero_kwargs=None):
            self._skipped = _any_rank(~torch.isfinite(loss.detach()).all())
            if not self._skipped:
                return update(loss, step_kwargs, zero_kwargs)
            # gradients computed (DDP reduces them on every process), then
            # dropped: no step
            wrapper.backward(wrapper.scale_loss(loss))
            wrapper.zero_grad(**(zero_kwargs or {}))

        wrapper.update_params = update_params
        self._wrapped = wrapper

    def before_train_iter(self, runner, batch_idx: int,
                          data_batch=None) -> None:
        self._skipped = False

    def after_train_iter(self, runner, batch_idx: int, data_batch=None,
                         outputs: Optional[dict] = None) -> None:
        values = {key: _value(value) for key, value in (outputs or {}).items()
                  if _is_loss(key)}
        bad = [(k, v) for k, v in values.items() if not math.isfinite(v)]
        if self._wrapped is not None:
            diverged = self._skipped
        else:
            diverged = _any_rank(bool(bad), self._device(runner))
        if not diverged:
            self.skipped_in_a_row = 0
            return
        self.skipped_in_a_row += 1
        losses, exits = self._losses(bad)
        where = f'iteration {runner.iter + 1} (epoch {runner.epoch + 1}' + (
            f', exit {exits})' if exits else ')')
        if self.skipped_in_a_row <= self.max_skipped_steps:
            # the forward pass may have left non-finite buffers (batch-norm
            # statistics, a MoCo queue), which no skipped step repairs
            state = self._non_finite_names(runner)
            if state:
                raise DivergenceError(
                    f'the loss is not finite at {where}: {losses}; its step '
                    f'was not applied, but its forward pass left non-finite '
                    f'values in {state}, and no checkpoint holds them; '
                    f'{self._advice(runner)}')
            runner.logger.warning(
                f'the loss is not finite at {where}: {losses}; the step was '
                f'skipped ({self.skipped_in_a_row} in a row, '
                f'max_skipped_steps={self.max_skipped_steps})')
            return
        in_a_row = '' if self.skipped_in_a_row == 1 else (
            f', {self.skipped_in_a_row} iterations in a row '
            f'(max_skipped_steps={self.max_skipped_steps})')
        applied = 'its step was not applied' if self._wrapped is not None \
            else 'the run stopped after its step'
        raise DivergenceError(
            f'the loss is not finite at {where}{in_a_row}: {losses}; '
            f'{applied} and no checkpoint holds it; {self._advice(runner)}')

    # -------------------------------------------------------- checkpoints
    def check_state(self, runner) -> None:
        """Raise :class:`DivergenceError` on every process if a weight,
        buffer or optimizer state of any process is not finite (called by
        :class:`AtomicCheckpointHook` before each checkpoint)."""
        state = self._non_finite_names(runner)
        if state:
            raise DivergenceError(
                'the training state is not finite at iteration '
                f'{runner.iter + 1} (epoch {runner.epoch + 1}): {state}; the '
                f'checkpoint was not written; {self._advice(runner)}')

    def _non_finite_names(self, runner) -> str:
        """The first non-finite tensors of the state of every process, or
        ``''`` if all are finite (every process gets the same answer)."""
        bad = self._non_finite_state(runner)
        if not _any_rank(bool(bad), self._device(runner)):
            return ''
        named = [f'{name} (rank {rank})' if runner.world_size > 1 else name
                 for rank, names in enumerate(all_gather_object(bad))
                 for name in names]
        more = f' and {len(named) - 3} more' if len(named) > 3 else ''
        return ', '.join(named[:3]) + more

    @staticmethod
    def _non_finite_state(runner) -> List[str]:
        model = get_ori_model(runner.model)
        bad = [name for name, t in model.state_dict().items()
               if t.is_floating_point() and not torch.isfinite(t).all()]
        wrapper = runner.optim_wrapper
        if isinstance(wrapper, OptimWrapper):
            names = {p: n for n, p in model.named_parameters()}
            for param, state in wrapper.optimizer.state.items():
                bad += [f'optimizer {key} of {names.get(param, "?")}'
                        for key, t in state.items()
                        if isinstance(t, torch.Tensor)
                        and t.is_floating_point()
                        and not torch.isfinite(t).all()]
        return bad

    # ------------------------------------------------------------ helpers
    @staticmethod
    def _device(runner):
        param = next(iter(runner.model.parameters()), None)
        return param.device if param is not None else 'cpu'

    @staticmethod
    def _losses(bad: List[Tuple[str, float]]) -> Tuple[str, str]:
        """Every process's non-finite losses (``loss_exit2=nan, loss=nan``,
        with the rank where there are several), and the exits they name."""
        gathered = all_gather_object(bad)
        items, exits = [], []
        for rank, pairs in enumerate(gathered):
            named = []
            for key, value in sorted(pairs, key=lambda p: p[0] == 'loss'):
                match = _EXIT.match(key)
                if match and match.group(1) not in exits:
                    exits.append(match.group(1))
                named.append(f'{key}={value}')
            if named and len(gathered) > 1:
                items.append(f'rank {rank} ({", ".join(named)})')
            else:
                items += named
        return ', '.join(items) or 'the total loss', ', '.join(exits)

    @staticmethod
    def _advice(runner) -> str:
        clip = 'gradient clipping (optim_wrapper.clip_grad=dict(max_norm=...))'
        lower = 'a lower learning rate (optim_wrapper.optimizer.lr)'
        last = runner.message_hub.get_info('last_ckpt')
        if last is None:
            return f'no checkpoint was written before; start again with ' \
                f'{lower} or {clip}'
        return (f'the last checkpoint, {last}, is intact: --resume goes on '
                f'from it with the learning rate saved in it (add {clip}), '
                f'or start again with {lower}')
