"""RawFashionMNIST: the stored uint8 images, numbered as PackInputs numbers
them, in one tensor."""
import numpy as np
import pytest
import torch
from mmengine.registry import init_default_scope

from mmaccel.datasets import LocalFashionMNIST, RawFashionMNIST
from mmaccel.registry import DATASETS
from mmaccel.utils.errors import ConfigError

ROOT = 'data/fashion-mnist'


@pytest.mark.parametrize('split, indices', [('train', 300), ('test', None)])
def test_yields_the_stored_images_with_their_index(split, indices):
    init_default_scope('mmaccel')
    raw = DATASETS.build(dict(type='RawFashionMNIST', data_root=ROOT,
                              split=split, indices=indices))
    ref = LocalFashionMNIST(data_root=ROOT, split=split, indices=indices,
                            pipeline=[dict(type='PackInputs')])
    assert len(raw) == len(ref) == (indices or 10000)
    assert raw.images.shape == (len(raw), 1, 28, 28)
    for i in (0, 7, len(raw) - 1):
        item, packed = raw[i], ref[i]
        assert item['inputs'].dtype == torch.uint8
        assert torch.equal(item['inputs'], packed['inputs'])
        assert item['data_samples'].sample_idx == i
        assert item['data_samples'].gt_label.item() == int(
            ref.get_data_info(i)['gt_label'])
    labels = np.bincount(raw.labels.numpy(), minlength=10)
    assert labels.sum() == len(raw) and (labels > 0).all()


def test_a_pipeline_is_refused():
    with pytest.raises(ConfigError, match='pipeline must be empty'):
        RawFashionMNIST(data_root=ROOT, indices=10,
                        pipeline=[dict(type='PackInputs')])
