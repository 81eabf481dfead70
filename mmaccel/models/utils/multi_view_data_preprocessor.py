"""MMPretrain's multi-view augmentation, made on the model's device."""
from typing import List, Optional, Sequence, Union

import torch
import torch.nn.functional as F
from mmengine.logging import MessageHub
from mmpretrain.models.utils import SelfSupDataPreprocessor

from mmaccel.registry import MODELS
from mmaccel.utils.errors import ConfigError, DataError
from mmaccel.utils.random_state import derive_seed
from .device_views import build_view_ops

__all__ = ['MultiViewDataPreprocessor', 'sample_uniforms']


def sample_uniforms(seed: int, epoch: int, indices: Sequence[int],
                    num: int) -> torch.Tensor:
    """``num`` uniform numbers in [0, 1) for each sample, from its own
    generator seeded with ``derive_seed(seed, epoch, index)``.

    Returns:
        Tensor: N x num, float64, on the CPU.
    """
    g = torch.Generator()
    rows = [
        torch.rand(num, generator=g.manual_seed(derive_seed(seed, epoch, i)),
                   dtype=torch.float64) for i in indices
    ]
    return torch.stack(rows) if rows else torch.empty(0, num)


@MODELS.register_module()
class MultiViewDataPreprocessor(SelfSupDataPreprocessor):
    """:class:`SelfSupDataPreprocessor` that makes the views itself, on the
    device of the model, from a batch of raw uint8 images.

    It replaces MMPretrain's ``MultiView`` transform in the data pipeline:
    ``num_views`` and ``transforms`` take the same values (view pipelines
    written as MMPretrain's; see ``device_views.SUPPORTED``), and the views
    come out as upstream's preprocessor gives them: a list of N x C x H x W
    float tensors, normalised with ``mean`` and ``std``, in ``MultiView``'s
    order. The transforms are kornia's modules, applied to the whole batch
    with per-sample parameters.

    Seeding: the parameters of a sample's views are drawn from a generator
    seeded with ``derive_seed(seed, epoch, sample_idx)``, the run's seed and
    epoch as MMEngine's ``RuntimeInfoHook`` records them in the message hub
    and ``sample_idx`` from the data samples (MMPretrain's datasets number
    their samples). A sample's views so depend neither on the batch it sits
    in, nor on loader workers or ranks, and a resumed run continues the same
    sequence. An iteration-based loop stays at epoch 0: there a sample gets
    the same views at each pass over the data set.

    Without ``training`` (evaluation, precise BN) the images are only
    normalised, as upstream; ``test_size`` resizes them on the device first.

    Args:
        num_views (int | Sequence[int]): Views per pipeline, as
            ``MultiView``'s. Defaults to 2.
        transforms (Sequence[Sequence[dict]]): One view pipeline per entry of
            ``num_views``. Defaults to None: views without augmentation.
        test_size (int, optional): Side to which evaluation images are
            resized (bilinear). Defaults to None (as they come).
        mean (Sequence[float], optional): Pixel mean on 0..255, per channel.
        std (Sequence[float], optional): Pixel standard deviation on 0..255.
        to_rgb (bool): Convert BGR to RGB before the transforms (kornia's
            colour transforms read the channels as RGB). Defaults to False.
        **kwargs: Other arguments of :class:`SelfSupDataPreprocessor`.
    """

    def __init__(self,
                 num_views: Union[int, Sequence[int]] = 2,
                 transforms: Optional[Sequence[Sequence[dict]]] = None,
                 test_size: Optional[int] = None,
                 mean: Optional[Sequence[float]] = None,
                 std: Optional[Sequence[float]] = None,
                 to_rgb: bool = False,
                 **kwargs):
        super().__init__(mean=mean, std=std, to_rgb=to_rgb, **kwargs)
        counts = [num_views] if isinstance(num_views, int) else list(num_views)
        transforms = [[]] if transforms is None else list(transforms)
        if len(counts) != len(transforms) or min(counts, default=0) < 1:
            raise ConfigError(
                f'MultiViewDataPreprocessor: num_views={num_views} needs one '
                f'positive count per view pipeline; got {len(transforms)} '
                'pipelines in transforms')
        channels = len(mean) if mean is not None else None
        self.views = []
        for p, (count, pipeline) in enumerate(zip(counts, transforms)):
            ops = build_view_ops(pipeline, f'transforms[{p}]', channels,
                                 self._channel_conversion)
            self.views += [ops] * count
        self.test_size = test_size

    @property
    def draws(self) -> int:
        """Uniform numbers a sample uses for all its views."""
        return sum(op.num_draws for ops in self.views for op in ops)

    def forward(self, data: dict, training: bool = False) -> dict:
        if not training:
            data = super().forward(data, training)
            if self.test_size:
                size = (self.test_size, ) * 2
                data['inputs'] = F.interpolate(
                    data['inputs'], size, mode='bilinear',
                    align_corners=False, antialias=True)
            return data
        # the data samples stay where they are: the losses do not read them,
        # and moving one DataSample at a time costs more than the views
        images, samples = self.cast_data(data['inputs']), data.get(
            'data_samples')
        if not isinstance(images, torch.Tensor) or images.dim() != 4:
            raise DataError(
                'MultiViewDataPreprocessor makes the views itself: it needs a '
                'batch of raw images (N x C x H x W), got '
                f'{type(images).__name__}; drop MultiView from the pipeline')
        params = self.draw_views(self.sample_indices(samples),
                                 images.shape[-2:], *self.seed_and_epoch())
        # MMEngine calls the preprocessor inside the optimizer wrapper's
        # autocast context (--amp): the crop geometry and the colour maths
        # stay in float32, as on the CPU path
        with torch.autocast(images.device.type, enabled=False):
            x = images.float() / 255.
            if self._channel_conversion:
                x = x[:, [2, 1, 0]]
            views = []
            for ops, view_params in zip(self.views, params):
                v = x
                for op, p in zip(ops, view_params):
                    v = op.apply(v, p)
                views.append(self.normalize(v))
        return {'inputs': views, 'data_samples': samples}

    def view_shapes(self, shape: Sequence[int]) -> List[tuple]:
        """``C x H x W`` of each view made from raw images of ``shape``
        (``... x C x H x W``), for checks that need the views' size."""
        shapes = []
        for ops in self.views:
            size = tuple(shape[-2:])
            for op in ops:
                size = getattr(op, 'size', size)
            shapes.append((shape[-3], *size))
        return shapes

    def draw_views(self, indices: Sequence[int], size: Sequence[int],
                   seed: int = 0, epoch: int = 0) -> List[List[dict]]:
        """Each view's parameters for the samples ``indices`` of images of
        ``size`` (H, W): per view, one dict per transform (see the ops'
        ``draw``), tensors with a row per sample."""
        uniforms = sample_uniforms(seed, epoch, indices, self.draws)
        params, at = [], 0
        for ops in self.views:
            shape, view_params = tuple(size), []
            for op in ops:
                view_params.append(
                    op.draw(uniforms[:, at:at + op.num_draws], shape))
                at += op.num_draws
                shape = getattr(op, 'size', shape)
            params.append(view_params)
        return params

    def normalize(self, view: torch.Tensor) -> torch.Tensor:
        """A view in [0, 1] normalised with ``mean`` and ``std`` (0..255)."""
        if not self._enable_normalize:
            return view * 255.
        return (view * 255. - self.mean) / self.std

    @staticmethod
    def seed_and_epoch() -> List[int]:
        """The run's seed and epoch from the message hub (0 and 0 outside a
        Runner)."""
        hub = MessageHub.get_current_instance()
        return [int(hub.get_info('seed', 0) or 0),
                int(hub.get_info('epoch', 0))]

    @staticmethod
    def sample_indices(samples) -> List[int]:
        indices = [s.metainfo.get('sample_idx') for s in samples or []]
        if not indices or None in indices:
            raise DataError(
                "MultiViewDataPreprocessor draws each sample's views from its "
                "'sample_idx', but the data samples lack it; pack them with "
                "MMPretrain's PackInputs or use RawFashionMNIST")
        return [int(i) for i in indices]
