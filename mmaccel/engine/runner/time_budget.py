"""The clock of a time budget, and what hooks ask of it.

A run trained to a wall-clock budget (``train_cfg.time_budget``, ``tools/
train.py --time-budget``; :mod:`.time_budget_loops`) counts training time
only: the wall-clock time from ``before_train`` on, read with
``time.perf_counter`` as :class:`KNNEvalHook`'s ``train_wall_s``, less the
time spent in evaluation (the kNN hook, precise BN re-estimation, the
validation loop), which pauses the clock through
:func:`paused_training_clock`.
"""
import contextlib
import importlib
import math
import re
import time
from typing import Callable, Optional, Union

from mmengine.hooks import ParamSchedulerHook

from mmaccel.utils.errors import ConfigError

__all__ = [
    'TrainingClock', 'parse_time_budget', 'format_seconds',
    'training_progress', 'training_seconds', 'paused_training_clock',
    'time_budget_loop', 'apply_time_budget', 'use_time_budget'
]

_DURATION = re.compile(r'(?:(\d+(?:\.\d*)?)h)?(?:(\d+(?:\.\d*)?)m)?'
                       r'(?:(\d+(?:\.\d*)?)s)?')


def parse_time_budget(value: Union[str, int, float],
                      setting: str = 'time_budget') -> float:
    """Seconds of a budget given as a number of seconds or a duration.

    Args:
        value (str | int | float): Seconds, or a duration such as ``'90s'``,
            ``'45m'``, ``'8h'``, ``'1h30m'`` (hours, minutes, seconds in
            this order, each optional, decimals allowed).
        setting (str): The name of the setting, for the error message.

    Returns:
        float: The budget in seconds, more than 0.

    Raises:
        ConfigError: The value is not a duration, or not more than 0.
    """
    seconds = None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        seconds = float(value)
    elif isinstance(value, str):
        text = value.strip().lower()
        match = _DURATION.fullmatch(text)
        if text and match and any(match.groups()):
            h, m, s = (float(g or 0) for g in match.groups())
            seconds = 3600 * h + 60 * m + s
        else:
            try:
                seconds = float(text)
            except ValueError:
                pass
    if seconds is None or math.isnan(seconds):
        raise ConfigError(
            f'{setting}={value!r} is not a duration: give seconds or a '
            "duration such as '90s', '45m', '8h' or '1h30m'")
    if not 0 < seconds < math.inf:
        raise ConfigError(f'{setting}={value!r}: a time budget must be more '
                          'than 0 seconds and finite')
    return seconds


def format_seconds(seconds: float) -> str:
    """``5025.3`` -> ``'1h23m45s'``, ``6.25`` -> ``'6.25s'``."""
    if seconds < 60:
        return f'{seconds:.4g}s'
    whole = int(round(seconds))
    h, rest = divmod(whole, 3600)
    m, s = divmod(rest, 60)
    return f'{h}h{m:02d}m{s:02d}s' if h else f'{m}m{s:02d}s'


def resolve_timer(clock: Union[None, str, Callable[[], float]]
                  ) -> Callable[[], float]:
    """``time.perf_counter``, a callable, or one named ``'module.name'``
    (a fake clock of the tests, imported in the training process)."""
    if clock is None:
        return time.perf_counter
    if callable(clock):
        return clock
    if isinstance(clock, str) and '.' in clock:
        module, name = clock.rsplit('.', 1)
        try:
            timer = getattr(importlib.import_module(module), name)
        except (ImportError, AttributeError) as e:
            raise ConfigError(f'train_cfg.clock={clock!r} cannot be imported '
                              f'({e})') from None
        if callable(timer):
            return timer
    raise ConfigError(f'train_cfg.clock={clock!r}: give a callable that '
                      "returns seconds, or its import path 'module.name'")


class TrainingClock:
    """Seconds of training: time since :meth:`start`, less pauses.

    Args:
        timer (callable): Returns the current time in seconds. Defaults to
            ``time.perf_counter``.
    """

    def __init__(self, timer: Callable[[], float] = time.perf_counter) -> None:
        self.timer = timer
        self.paused_seconds = 0.0
        self._origin: Optional[float] = None
        self._paused_at: Optional[float] = None
        self._depth = 0

    @property
    def started(self) -> bool:
        return self._origin is not None

    def start(self, used: float = 0.0) -> None:
        """Start counting, ``used`` seconds already counted (a resume)."""
        self._origin = self.timer() - used
        self.paused_seconds = 0.0
        self._paused_at, self._depth = None, 0

    def elapsed(self) -> float:
        """Seconds of training so far (0 before :meth:`start`)."""
        if self._origin is None:
            return 0.0
        now = self.timer() if self._paused_at is None else self._paused_at
        return now - self._origin - self.paused_seconds

    def pause(self) -> None:
        """Stop counting until :meth:`resume` (pauses may nest)."""
        self._depth += 1
        if self._depth == 1 and self._origin is not None:
            self._paused_at = self.timer()

    def resume(self) -> None:
        """Count again after the outermost :meth:`pause`."""
        if self._depth == 0:
            return
        self._depth -= 1
        if self._depth == 0 and self._paused_at is not None:
            self.paused_seconds += self.timer() - self._paused_at
            self._paused_at = None

    @contextlib.contextmanager
    def paused(self):
        self.pause()
        try:
            yield
        finally:
            self.resume()


def time_budget_loop(runner):
    """The runner's train loop if it trains to a time budget, else None
    (without building a loop that is still a config)."""
    loop = getattr(runner, '_train_loop', None)
    return loop if hasattr(loop, 'budget_fraction') else None


def training_progress(runner) -> float:
    """The share of training done when the current iteration began.

    Under a time budget, the share of the budget used (rank 0's clock, the
    same on every rank); otherwise ``runner.iter / runner.max_iters``.
    Schedules that are not parameter schedulers (such as the exit schedule
    of ``PartialBackpropHook``) follow this.

    Args:
        runner (Runner): The runner, training.

    Returns:
        float: In ``[0, 1]``.
    """
    loop = time_budget_loop(runner)
    if loop is not None:
        return loop.budget_fraction()
    max_iters = runner.max_iters
    return min(runner.iter / max_iters, 1.0) if max_iters else 0.0


def training_seconds(runner) -> Optional[float]:
    """Seconds of training counted by a time budget's clock so far, or None
    when the run has no time budget."""
    loop = time_budget_loop(runner)
    return None if loop is None else loop.clock.elapsed()


@contextlib.contextmanager
def paused_training_clock(runner):
    """Leave what runs inside out of a time budget (an evaluation); does
    nothing when the run has no time budget."""
    loop = time_budget_loop(runner)
    if loop is None:
        yield
        return
    with loop.clock.paused():
        yield


# ------------------------------------------------------------------ configs
_BUDGET_LOOPS = {
    name: f'mmaccel.TimeBudget{kind}BasedTrainLoop'
    for kind in ('Epoch', 'Iter')
    for name in (f'{kind}BasedTrainLoop', f'Resumable{kind}BasedTrainLoop',
                 f'TimeBudget{kind}BasedTrainLoop')
}
_SCHEDULER_HOOKS = ('ParamSchedulerHook', 'mmengine.ParamSchedulerHook')


def apply_time_budget(cfg, value, cfg_options: Optional[dict] = None) -> None:
    """``tools/train.py --time-budget VALUE``: ``train_cfg.time_budget``.

    Args:
        cfg (Config): The config, changed in place.
        value (str): The budget as given.
        cfg_options (dict, optional): The ``--cfg-options`` of the command
            line: an explicit ``train_cfg.max_epochs`` or ``max_iters``
            there contradicts the budget.

    Raises:
        ConfigError: The value is not a positive duration, or the length of
            training is also set on the command line.
    """
    parse_time_budget(value, '--time-budget')
    for key in cfg_options or {}:
        if key.lstrip('+') in ('train_cfg.max_epochs', 'train_cfg.max_iters'):
            raise ConfigError(
                f'--time-budget {value} and --cfg-options {key.lstrip("+")}='
                f'{cfg_options[key]} contradict each other: under a time '
                'budget the budget decides when training ends (the '
                "config's max_epochs / max_iters only set the length that "
                'the schedules are laid out on); give one of them')
    if cfg.get('train_cfg', None) is None:
        raise ConfigError(f'--time-budget {value}: the config has no '
                          'train_cfg to train with')
    cfg.train_cfg['time_budget'] = value


def use_time_budget(cfg) -> None:
    """For a config with ``train_cfg.time_budget``: the time-budget loop of
    its kind (epochs or iterations) and :class:`TimeBudgetSchedulerHook` in
    place of MMEngine's ``ParamSchedulerHook`` (``use_reliable_runtime``).

    Raises:
        ConfigError: The train loop cannot train to a budget.
    """
    loop = cfg.train_cfg
    kind = loop.get('type', None)
    name = kind if isinstance(kind, str) else getattr(kind, '__name__', '')
    name = name.split('.')[-1]
    if name not in _BUDGET_LOOPS:
        raise ConfigError(
            f'train_cfg.time_budget={loop["time_budget"]!r} needs an epoch- '
            'or iteration-based train loop (EpochBasedTrainLoop, '
            f'IterBasedTrainLoop); train_cfg.type={kind!r} cannot stop on '
            'a budget')
    loop['type'] = _BUDGET_LOOPS[name]
    hooks = cfg.get('default_hooks', None)
    if hooks is None:
        cfg.default_hooks = hooks = {}
    hook = hooks.get('param_scheduler', {})
    if hook is not None and (not hook or hook.get('type', None) in (
            *_SCHEDULER_HOOKS, ParamSchedulerHook)):
        hooks['param_scheduler'] = dict(type='mmaccel.TimeBudgetSchedulerHook')
