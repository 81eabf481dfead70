"""Fashion-MNIST read from local IDX files, never downloaded."""
import os.path as osp
import warnings
from typing import Optional

import numpy as np
from mmpretrain.datasets import FashionMNIST
from mmpretrain.datasets.utils import rm_suffix

from mmaccel.registry import DATASETS
from mmaccel.utils.errors import DataError

PREPARE_COMMAND = 'bash tools/dataset_converters/prepare_fashion_mnist.sh'
# IDX magic numbers: 0x08 (unsigned bytes), then the number of dimensions
IDX_MAGIC = {'images': 0x00000803, 'labels': 0x00000801}


class DatasetNotFoundError(DataError, FileNotFoundError):
    """A data set is missing; the message is one line naming the path and the
    command that provides it."""


def _rebuild(path: str) -> str:
    return f'delete it and run `{PREPARE_COMMAND}` to rebuild it'


def check_idx_file(path: str, kind: str) -> int:
    """Check an IDX file's header against its size; return its item count.

    Args:
        path (str): The file.
        kind (str): ``'images'`` (N x rows x columns bytes) or ``'labels'``
            (N bytes).

    Raises:
        DataError: A wrong magic number, or a size that differs from what the
            header promises; the message names the file and the command
            that rebuilds it.
    """
    magic = IDX_MAGIC[kind]
    ndim = magic & 0xFF
    size = osp.getsize(path)
    with open(path, 'rb') as f:
        header = f.read(4 + 4 * ndim)
    if len(header) < 4 + 4 * ndim:
        raise DataError(
            f'Fashion-MNIST file {path} is truncated: {size} bytes, shorter '
            f'than the header of an IDX {kind} file; {_rebuild(path)}')
    fields = np.frombuffer(header, dtype='>u4')
    if fields[0] != magic:
        raise DataError(
            f'Fashion-MNIST file {path} has a wrong header: magic number '
            f'0x{int(fields[0]):08x}, but an IDX {kind} file starts with '
            f'0x{magic:08x}; {_rebuild(path)}')
    expected = len(header) + int(np.prod(fields[1:], dtype=np.int64))
    if size != expected:
        what = 'truncated' if size < expected else 'too long'
        raise DataError(
            f'Fashion-MNIST file {path} is {what}: {size} bytes, but its '
            f'header promises {expected} ({" x ".join(map(str, fields[1:]))} '
            f'{kind}); {_rebuild(path)}')
    return int(fields[1])


@DATASETS.register_module()
class LocalFashionMNIST(FashionMNIST):
    """MMPretrain's :class:`FashionMNIST` that only reads local files.

    ``data_root`` must hold the four extracted IDX files
    (``train-images-idx3-ubyte`` and so on), as
    ``tools/dataset_converters/prepare_fashion_mnist.sh`` leaves them (from
    Debian's ``dataset-fashion-mnist``). A missing file raises
    :class:`DatasetNotFoundError` with a one-line message instead of
    MMPretrain's hint to download; a truncated file, a wrong header, or image
    and label files of different lengths raise :class:`DataError` naming the
    file (see :func:`check_idx_file`).

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
        names = [
            rm_suffix(name) for name, _ in self.train_list + self.test_list
        ]
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
        root = self.data_prefix['root']
        files = self.test_list if self.test_mode else self.train_list
        images, labels = (osp.join(root, rm_suffix(name)) for name, _ in files)
        num_images = check_idx_file(images, 'images')
        num_labels = check_idx_file(labels, 'labels')
        if num_images != num_labels:
            raise DataError(
                f'Fashion-MNIST files {images} and {labels} disagree: '
                f'{num_images} images, {num_labels} labels; delete them and '
                f'run `{PREPARE_COMMAND}` to rebuild them')
        with warnings.catch_warnings():
            # MMPretrain's IDX reader wraps the read-only file buffer in a
            # tensor, and torch warns on stderr; the data are only read
            warnings.filterwarnings(
                'ignore', message='The given NumPy array is not writable')
            return super().load_data_list()
