"""Loading configs that inherit ``mmpretrain::`` bases under the scope
mmaccel, and the runtime parts that every mmaccel run uses."""
import math

from mmengine import runner as mmengine_runner
from mmengine.config import Config
from mmengine.hooks import CheckpointHook

from .config_tree import dicts
from .errors import ConfigError

__all__ = [
    'load_config', 'rescope_config', 'use_reliable_runtime',
    'check_run_length', 'seed_augmentations'
]

UPSTREAM_SCOPE = 'mmpretrain'


def rescope_config(cfg: Config) -> Config:
    """Build what ``mmpretrain::`` bases define under the scope mmaccel.

    MMEngine marks every dict with a ``type`` that comes from an
    ``mmpretrain::`` base with ``_scope_='mmpretrain'``, and builds it, and all
    it builds in turn, in MMPretrain's registries, which cannot see mmaccel's
    children. So ``model.type='AccelMoCo'`` over an upstream model, or a train
    loop from an upstream schedule building ``LocalFashionMNIST``, would not be
    found. mmaccel's registries are children of MMPretrain's and resolve every
    upstream name too, so when ``default_scope == 'mmaccel'`` the upstream
    marks are moved to mmaccel. Other scopes (``mmdet``, ``mmseg``) stay.

    Args:
        cfg (Config): A loaded config, changed in place.

    Returns:
        Config: The same config.
    """
    if cfg.get('default_scope', None) == 'mmaccel':
        for node in dicts(cfg._cfg_dict):
            if node.get('_scope_', None) == UPSTREAM_SCOPE:
                node['_scope_'] = 'mmaccel'
    return cfg


def load_config(path: str) -> Config:
    """``Config.fromfile`` followed by :func:`rescope_config`."""
    return rescope_config(Config.fromfile(path))


# ----------------------------------------------------------------- defaults
TRAIN_LOOPS = {
    'EpochBasedTrainLoop': 'mmaccel.ResumableEpochBasedTrainLoop',
    'IterBasedTrainLoop': 'mmaccel.ResumableIterBasedTrainLoop',
}


def _type_name(value) -> str:
    return value if isinstance(value, str) else getattr(value, '__name__', '')


def use_reliable_runtime(cfg: Config) -> Config:
    """Put mmaccel's resume-safe parts in place of MMEngine's, for any config.

    - ``train_cfg``: ``EpochBasedTrainLoop`` / ``IterBasedTrainLoop`` (or
      ``by_epoch``) become ``ResumableEpochBasedTrainLoop`` /
      ``ResumableIterBasedTrainLoop``, which resume mid-epoch exactly;
    - ``default_hooks.checkpoint``: ``CheckpointHook`` becomes
      ``AtomicCheckpointHook`` (atomic saves, random states, checked
      settings and checkpoints);
    - ``train_cfg.time_budget`` (``--time-budget``): the loops become
      ``TimeBudgetEpochBasedTrainLoop`` / ``TimeBudgetIterBasedTrainLoop``
      and ``ParamSchedulerHook`` becomes ``TimeBudgetSchedulerHook``
      (README, "Training to a time budget");
    - ``custom_hooks`` gets a ``PreflightCheckHook`` (data, batch and crop
      checks before the first iteration) and a ``DivergenceGuardHook``
      (stops a run whose loss is not finite; no checkpoint holds it);
    - ``train_dataloader``: augmentations seeded from ``(seed, epoch,
      sample index)`` (:func:`seed_augmentations`).

    Other types (a loop or checkpoint hook of the config's own) are kept.
    ``tools/train.py`` calls this for every config. Configs of another
    library's scope (``default_scope='mmdet'`` or ``'mmseg'``: the transfer
    benchmarks) are left as they are: mmaccel's registries are children of
    MMPretrain's, so those scopes cannot build ``'mmaccel.X'`` names.

    Args:
        cfg (Config): A loaded config, changed in place.

    Returns:
        Config: The same config.
    """
    if cfg.get('default_scope', None) not in (None, 'mmaccel', 'mmpretrain'):
        return cfg
    loop = cfg.get('train_cfg', None)
    if loop is not None:
        if 'type' not in loop and 'by_epoch' in loop:
            by_epoch = loop.pop('by_epoch')
            loop['type'] = 'EpochBasedTrainLoop' if by_epoch \
                else 'IterBasedTrainLoop'
        name = _type_name(loop.get('type', None))
        if name in TRAIN_LOOPS and loop['type'] in (
                name, f'mmengine.{name}', getattr(mmengine_runner, name)):
            loop['type'] = TRAIN_LOOPS[name]
        if loop.get('time_budget', None) is not None:
            from mmaccel.engine.runner.time_budget import use_time_budget
            use_time_budget(cfg)  # its loop and scheduler hook
    hook = (cfg.get('default_hooks', None) or {}).get('checkpoint', None)
    # (an explicitly scoped 'mmengine.CheckpointHook' is a deliberate choice
    # of the upstream hook, and kept)
    if hook is not None and hook.get('type', None) in (
            'CheckpointHook', CheckpointHook):
        hook['type'] = 'mmaccel.AtomicCheckpointHook'
    hooks = list(cfg.get('custom_hooks', None) or [])
    for name in ('DivergenceGuardHook', 'PreflightCheckHook'):
        if not any(name in _type_name(h.get('type', '')) for h in hooks):
            hooks.append(dict(type=f'mmaccel.{name}'))
    cfg.custom_hooks = hooks
    seed_augmentations(cfg)
    return cfg


def seed_augmentations(cfg: Config) -> Config:
    """Make ``train_dataloader``'s augmentations a function of ``(seed,
    epoch, sample index)``: the sampler becomes a ``SeededAugmentSampler``
    around it and the data set a ``SeededAugmentDataset`` around it (see
    ``mmaccel/datasets/seeded_augment.py``). Loaders with a
    ``batch_sampler``, a data set without a pipeline (raw images that the
    data preprocessor augments on the device, seeded by the same rule), or a
    data set or sampler given as an object rather than a config, are left as
    they are.

    Args:
        cfg (Config): A loaded config, changed in place.

    Returns:
        Config: The same config.
    """
    loader = cfg.get('train_dataloader', None)
    if not isinstance(loader, dict) or loader.get('batch_sampler') is not None:
        return cfg
    dataset, sampler = loader.get('dataset'), loader.get('sampler')
    if isinstance(dataset, dict) and isinstance(sampler, dict) and \
            dataset.get('pipeline') and \
            'SeededAugment' not in _type_name(dataset.get('type', '')):
        loader.dataset = dict(type='mmaccel.SeededAugmentDataset',
                              dataset=dataset)
        loader.sampler = dict(type='mmaccel.SeededAugmentSampler',
                              sampler=sampler)
    return cfg


def check_run_length(cfg: Config) -> None:
    """Refuse a training length that means "train nothing".

    MMEngine's loops take ``train_cfg.max_epochs=0`` (or ``max_iters=0``, or
    a negative value) without a word: the run trains nothing, writes no
    checkpoint, and exits 0. ``tools/train.py`` calls this before building
    the Runner.

    Args:
        cfg (Config): A loaded config.

    Raises:
        ConfigError: ``train_cfg.max_epochs`` or ``train_cfg.max_iters`` is
            not a whole number of at least 1.
    """
    loop = cfg.get('train_cfg', None) or {}
    for key in ('max_epochs', 'max_iters'):
        if key not in loop:
            continue
        value = loop[key]
        whole = isinstance(value, (int, float)) and not isinstance(
            value, bool) and math.isfinite(value) and value == int(value)
        if not whole or value < 1:
            unit = dict(max_epochs='epochs', max_iters='iterations')[key]
            raise ConfigError(
                f'train_cfg.{key}={value!r}: the number of training {unit} '
                f'must be a whole number of at least 1'
                + ('; 0 or less would train nothing' if whole else ''))
