"""Fashion-MNIST from the local IDX files: MMPretrain's dataset and
mmaccel's."""
import numpy as np
import pytest
from mmengine.registry import DefaultScope, init_default_scope

from mmaccel.datasets import DatasetNotFoundError, LocalFashionMNIST
from mmaccel.registry import DATASETS

DATA_ROOT = 'data/fashion-mnist'
PREPARE = 'bash tools/dataset_converters/prepare_fashion_mnist.sh'


@pytest.fixture(scope='module')
def upstream_splits():
    """MMPretrain's own FashionMNIST, built from config dicts, both splits."""
    from mmpretrain.registry import DATASETS as UPSTREAM

    # A module-scoped fixture outlives the per-test scope restore of conftest.
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        return {
            split: UPSTREAM.build(
                dict(
                    type='FashionMNIST',
                    data_root=DATA_ROOT,
                    split=split,
                    # MMPretrain 1.2.0 picks the test files by test_mode only.
                    test_mode=split == 'test',
                    download=False,
                    pipeline=[]))
            for split in ('train', 'test')
        }


def test_upstream_dataset_sizes_and_labels(upstream_splits):
    train, test = upstream_splits['train'], upstream_splits['test']
    assert len(train) == 60000
    assert len(test) == 10000
    for ds in (train, test):
        first, last = ds.get_data_info(0), ds.get_data_info(len(ds) - 1)
        for info in (first, last):
            assert info['img'].shape == (28, 28)
            assert info['img'].dtype == np.uint8
    labels = np.asarray(train.get_gt_labels())
    assert labels.min() == 0 and labels.max() == 9
    assert np.bincount(labels, minlength=10).tolist() == [6000] * 10
    test_labels = np.asarray(test.get_gt_labels())
    assert sorted(set(test_labels.tolist())) == list(range(10))


def test_local_dataset_is_registered_and_matches_upstream(upstream_splits):
    # split='test' alone must give the test files (upstream needs test_mode).
    init_default_scope('mmaccel')
    ds = DATASETS.build(
        dict(type='LocalFashionMNIST', data_root=DATA_ROOT, split='test',
             pipeline=[]))
    assert isinstance(ds, LocalFashionMNIST)
    assert len(ds) == 10000
    upstream = upstream_splits['test']
    for i in (0, 4321, 9999):
        np.testing.assert_array_equal(ds.get_data_info(i)['img'],
                                      upstream.get_data_info(i)['img'])
        assert ds.get_cat_ids(i) == upstream.get_cat_ids(i)


def test_download_is_refused():
    with pytest.raises(ValueError, match='download'):
        LocalFashionMNIST(data_root=DATA_ROOT, download=True)


def test_missing_data_names_path_and_command(tmp_path):
    with pytest.raises(DatasetNotFoundError) as info:
        LocalFashionMNIST(data_root=str(tmp_path))
    message = str(info.value)
    assert isinstance(info.value, FileNotFoundError)
    assert '\n' not in message
    assert str(tmp_path / 'train-images-idx3-ubyte') in message
    assert PREPARE in message


def test_one_missing_file_is_reported(tmp_path, repo_root):
    for name in ('train-images-idx3-ubyte', 'train-labels-idx1-ubyte',
                 't10k-images-idx3-ubyte'):
        (tmp_path / name).symlink_to(repo_root / DATA_ROOT / name)
    with pytest.raises(DatasetNotFoundError,
                       match='t10k-labels-idx1-ubyte is missing'):
        LocalFashionMNIST(data_root=str(tmp_path))
