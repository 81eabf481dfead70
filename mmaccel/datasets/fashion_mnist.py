"""Fashion-MNIST read from local IDX files, never downloaded."""
import os.path as osp
from typing import Optional

from mmpretrain.datasets import FashionMNIST
from mmpretrain.datasets.utils import rm_suffix

from mmaccel.registry import DATASETS

PREPARE_COMMAND = 'bash tools/dataset_converters/prepare_fashion_mnist.sh'


class DatasetNotFoundError(FileNotFoundError):
    """A data set is missing; the message is one line naming the path and the
    command that provides it."""


@DATASETS.register_module()
class LocalFashionMNIST(FashionMNIST):
    """MMPretrain's :class:`FashionMNIST` that only reads local files.

    ``data_root`` must hold the four extracted IDX files
    (``train-images-idx3-ubyte`` and so on), as
    ``tools/dataset_converters/prepare_fashion_mnist.sh`` leaves them (from
    Debian's ``dataset-fashion-mnist``). A missing file raises
    :class:`DatasetNotFoundError` with a one-line message instead of
    MMPretrain's hint to download.

    Args:
        data_root (str): Folder with the extracted IDX files.
            Defaults to ``'data/fashion-mnist'``.
        split (str): ``'train'`` (60,000 images) or ``'test'`` (10,000); it
            also sets ``test_mode`` unless that is given. Defaults to
            ``'train'``.
        metainfo (dict, optional): Meta information. Defaults to None.
        download (bool): Must be False: nothing is downloaded at run time.
            Defaults to False.
        **kwargs: Other keyword arguments of :class:`FashionMNIST`.
    """

    def __init__(self,
                 data_root: str = 'data/fashion-mnist',
                 split: str = 'train',
                 metainfo: Optional[dict] = None,
                 download: bool = False,
                 **kwargs):
        if download:
            raise ValueError(
                'LocalFashionMNIST never downloads: got download=True, set '
                f'download=False and run `{PREPARE_COMMAND}` instead')
        # MMPretrain 1.2.0's MNIST reads the test files only when test_mode is
        # True and ignores split='test' otherwise (it would give the 60,000
        # training images); make split decide unless test_mode is given.
        kwargs.setdefault('test_mode', split == 'test')
        super().__init__(
            data_root=data_root,
            split=split,
            metainfo=metainfo,
            download=False,
            **kwargs)

    def missing_files(self) -> list:
        """Paths of the IDX files that ``data_root`` lacks."""
        root = self.data_prefix['root']
        names = [rm_suffix(name) for name, _ in self.train_list + self.test_list]
        return [
            osp.join(root, name) for name in names
            if not osp.isfile(osp.join(root, name))
        ]

    def load_data_list(self):
        missing = self.missing_files()
        if missing:
            raise DatasetNotFoundError(
                f'Fashion-MNIST not found: {missing[0]} is missing '
                f'({len(missing)} of 4 IDX files); run `{PREPARE_COMMAND}` '
                "(it installs Debian's dataset-fashion-mnist and extracts it "
                'into data/fashion-mnist)')
        return super().load_data_list()
