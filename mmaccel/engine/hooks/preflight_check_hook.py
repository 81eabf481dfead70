import torch
from mmengine.hooks import Hook
from mmpretrain.models import MoCo, SimCLR, SwAV
from mmpretrain.utils import get_ori_model

from mmaccel.models.utils.cost_model import map_sizes
from mmaccel.registry import HOOKS
from mmaccel.utils.errors import ConfigError, DataError
from mmaccel.utils.random_state import get_random_state, set_random_state


def check_full_batch(dataloader, world_size: int) -> None:
    """A data set that yields no full batch trains zero iterations."""
    if len(dataloader) > 0:
        return
    num = len(dataloader.dataset)
    what = 'is empty' if num == 0 else (
        f'has {num} samples, fewer than one batch of '
        f'{dataloader.batch_size} per process x {world_size} processes '
        f'(drop_last={dataloader.drop_last})')
    raise DataError(
        f'train_dataloader: the data set {what}: no training iteration '
        'would run; use more data or a smaller train_dataloader.batch_size')


def check_batch_size(model, batch_size: int, world_size: int) -> None:
    """Batches on which the method cannot learn."""
    total = batch_size * world_size
    where = (f'train_dataloader.batch_size={batch_size} x {world_size} '
             f'process{"es" if world_size > 1 else ""}')
    if isinstance(model, SimCLR) and total < 2:
        raise ConfigError(
            f'{where}: SimCLR contrasts each sample with the other samples '
            'of the batch, so a batch of 1 has no negatives (its loss is '
            'exactly 0); use a total batch of at least 2')
    if isinstance(model, SwAV) and total < 2:
        raise ConfigError(
            f'{where}: SwAV spreads a batch over its prototypes, so a batch '
            'of 1 gets uniform codes that teach nothing; use a total batch of '
            'at least 2')
    if isinstance(model, MoCo) and batch_size < 2:
        raise ConfigError(
            f'{where}: MoCo runs each view through batch norm on one '
            'process\'s batch, which cannot train on a single sample; use at '
            'least 2 samples per process')
    if isinstance(model, MoCo) and model.queue_len % total:
        # upstream MoCo would stop at an assertion in its first enqueue,
        # AccelMoCo (a MoCo) at its first loss: both after the iteration began
        raise ConfigError(
            f'{where}: model.queue_len={model.queue_len} must be divisible by '
            f'the total training batch size ({total}): each step replaces '
            'that many keys of the queue')


def first_view_shape(dataset):
    """Shape ``C x H x W`` of the first view of the first sample."""
    inputs = dataset[0]['inputs']
    if isinstance(inputs, (list, tuple)):
        inputs = inputs[0]
    return tuple(inputs.shape)


@torch.no_grad()
def check_crop_sizes(model, view_shape) -> None:
    """Maps at a selector position must be larger than the selector's crop:
    a crop equal to the map selects nothing. Later stages run on the crops
    of earlier positions, as in training."""
    selector = getattr(model, 'selector', None)
    if not hasattr(selector, 'crop_size') or not selector.positions:
        return
    backbone = model.backbone
    was_training = backbone.training
    backbone.eval()  # shapes only: no batch statistics touched
    try:
        # later stages see the crops of earlier positions
        sizes = map_sizes(backbone, torch.zeros(1, *view_shape),
                          max(selector.positions), selector)
        for stage in selector.positions:
            height, width = sizes[stage]
            if selector.crop_size(height, width) == (height, width):
                raise ConfigError(
                    f'model.selector: views of {view_shape[-2]} x '
                    f'{view_shape[-1]} px leave {height} x {width} maps after '
                    f'stage {stage}, and crops of crop_ratio='
                    f'{selector.crop_ratio} of them are the whole map, so '
                    'there is no pair to select; use larger views, '
                    'selection positions before this stage, or a smaller '
                    'crop_ratio')
    finally:
        backbone.train(was_training)


@HOOKS.register_module()
class PreflightCheckHook(Hook):
    """Checks before the first iteration what only shows with the data and
    the batch size; ``tools/train.py`` adds it to every config.

    - the data set yields at least one batch (else zero iterations would run,
      and a checkpoint would still be written);
    - the batch lets the method learn: SimCLR needs a total batch of 2 for
      negatives, SwAV 2 for Sinkhorn codes, MoCo 2 per process for batch
      norm;
    - views are large enough for the hard pair selector: a crop of
      ``crop_ratio`` must be smaller than the map at every selection
      position (a zero image of the first view's size runs through the
      backbone's stage loop in eval mode, cut to the crop size at each
      position: ``cost_model.map_sizes``).

    The first sample is read with the random state saved and restored, so
    a run draws the same random numbers with and without this hook.
    Failures are :class:`ConfigError` or :class:`DataError`.
    """

    priority = 'VERY_HIGH'

    def before_train(self, runner) -> None:
        dataloader = runner.train_dataloader
        model = get_ori_model(runner.model)
        check_full_batch(dataloader, runner.world_size)
        check_batch_size(model, dataloader.batch_size, runner.world_size)
        state = get_random_state()
        try:
            view_shape = first_view_shape(dataloader.dataset)
        finally:
            set_random_state(state)
        if hasattr(model.data_preprocessor, 'view_shapes'):
            # raw images: the data preprocessor makes the views
            view_shape = model.data_preprocessor.view_shapes(view_shape)[0]
        check_crop_sizes(model, view_shape)
