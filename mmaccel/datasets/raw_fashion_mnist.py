"""Fashion-MNIST as raw uint8 images held in one tensor, for augmentation on
the device."""
import numpy as np
import torch
from mmpretrain.structures import DataSample

from mmaccel.registry import DATASETS
from mmaccel.utils.errors import ConfigError
from .fashion_mnist import LocalFashionMNIST


@DATASETS.register_module()
class RawFashionMNIST(LocalFashionMNIST):
    """:class:`LocalFashionMNIST` that yields each image as it is stored, so
    that the data loader does nothing else.

    The images (after ``indices`` subsetting) sit in one uint8 tensor of
    N x 1 x 28 x 28; item ``i`` is ``dict(inputs=images[i],
    data_samples=DataSample)`` with ``sample_idx = i`` and the label, the
    shape ``PackInputs`` gives. The views are made on the device by
    :class:`MultiViewDataPreprocessor` (resizing included), so ``pipeline``
    must stay empty.

    Args:
        **kwargs: Arguments of :class:`LocalFashionMNIST` (``data_root``,
            ``split``, ``indices``, ...).
    """

    def __init__(self, **kwargs):
        if kwargs.get('pipeline'):
            raise ConfigError(
                'RawFashionMNIST yields raw images: pipeline must be empty, '
                f'got {len(kwargs["pipeline"])} transforms; make the views '
                'with MultiViewDataPreprocessor')
        kwargs.update(pipeline=[], serialize_data=False)
        super().__init__(**kwargs)

    def full_init(self):
        if self._fully_initialized:
            return
        super().full_init()
        self.images = torch.from_numpy(
            np.stack([info['img'] for info in self.data_list]))[:, None]
        self.labels = torch.tensor(
            [int(info['gt_label']) for info in self.data_list])

    def prepare_data(self, idx: int) -> dict:
        sample = DataSample(metainfo=dict(sample_idx=idx))
        return dict(inputs=self.images[idx],
                    data_samples=sample.set_gt_label(self.labels[idx]))
