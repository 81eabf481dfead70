"""Augmentations drawn from ``(seed, epoch, sample index)``: the batches of a
seed do not depend on the number of loader workers, and reading a sample in
the main process leaves its random stream alone."""
import pytest
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmengine.runner import Runner

import mmaccel  # noqa: F401
from mmaccel.datasets import SeededAugmentDataset, SeededAugmentSampler
from mmaccel.utils import use_reliable_runtime
from mmaccel.utils.random_state import get_random_state

CONFIG = ('configs/accel_mocov2/'
          'accel-mocov2_resnet18-tiny_1xb256-coslr-50e_fmnist.py')


def tiny_loader_cfg() -> dict:
    """The tiny MoCo v2 config's loader on 24 images, as tools/train.py
    builds it (use_reliable_runtime)."""
    cfg = Config.fromfile(CONFIG)
    cfg.train_dataloader.batch_size = 8
    cfg.train_dataloader.dataset.update(split='test', indices=24)
    use_reliable_runtime(cfg)
    return cfg.train_dataloader


def epochs_of_batches(loader_cfg, workers: int, epochs=(0, 1)):
    init_default_scope('mmaccel')
    loader = Runner.build_dataloader(
        dict(loader_cfg, num_workers=workers, persistent_workers=workers > 0),
        seed=0)
    batches = []
    for epoch in epochs:
        loader.sampler.set_epoch(epoch)
        for batch in loader:
            batches.append((torch.stack(batch['inputs']),
                            [s.sample_idx for s in batch['data_samples']]))
    return batches


def test_every_config_gets_seeded_augmentations():
    loader = tiny_loader_cfg()
    assert loader.dataset.type == 'mmaccel.SeededAugmentDataset'
    assert loader.dataset.dataset.type == 'LocalFashionMNIST'
    assert loader.sampler == dict(type='mmaccel.SeededAugmentSampler',
                                  sampler=dict(type='DefaultSampler',
                                               shuffle=True))
    cfg = Config(dict(train_dataloader=loader))
    use_reliable_runtime(cfg)  # twice: not wrapped again
    assert cfg.train_dataloader.dataset.dataset.type == 'LocalFashionMNIST'


def test_raw_images_for_the_device_are_not_wrapped():
    # the device preprocessor draws its own views by the same rule; a data
    # set without a pipeline has nothing to seed
    cfg = Config.fromfile('configs/mocov2/'
                          'mocov2_resnet18_1xb64-coslr-8e_fmnist-224px_'
                          'device-aug.py')
    use_reliable_runtime(cfg)
    assert cfg.train_dataloader.dataset.type == 'RawFashionMNIST'
    assert cfg.train_dataloader.sampler.type == 'DefaultSampler'


def test_same_seed_same_batches_with_0_1_2_workers():
    loader_cfg = tiny_loader_cfg()
    without = epochs_of_batches(loader_cfg, 0)
    assert len(without) == 6  # 3 batches x 2 epochs
    for workers in (1, 2):
        batches = epochs_of_batches(loader_cfg, workers)
        for (views, order), (ref_views, ref_order) in zip(batches, without):
            assert order == ref_order
            assert torch.equal(views, ref_views), f'{workers} workers'
    # the views depend on the epoch: sample i's views differ between epochs
    views = {(e, i): v[:, n] for e, (v, order) in
             zip([0] * 3 + [1] * 3, without) for n, i in enumerate(order)}
    assert not any(torch.equal(views[0, i], views[1, i]) for i in range(24))


def test_a_sample_is_a_function_of_seed_epoch_index_and_leaves_the_state():
    init_default_scope('mmaccel')
    dataset = SeededAugmentDataset(tiny_loader_cfg().dataset.dataset)
    torch.manual_seed(123)
    state = get_random_state()
    first = torch.stack(dataset[(0, 2, 5)]['inputs'])
    assert not any(k for k, v in get_random_state().items()
                   if k != 'cuda' and not _same(v, state[k]))
    again = torch.stack(dataset[(0, 2, 5)]['inputs'])
    assert torch.equal(first, again)
    for key in ((1, 2, 5), (0, 3, 5), (0, 2, 6)):
        assert not torch.equal(first, torch.stack(dataset[key]['inputs']))
    # a batch, as the DataLoader reads it (the state put back once)
    batch = dataset.__getitems__([(0, 2, 6), (0, 2, 5)])
    assert torch.equal(torch.stack(batch[1]['inputs']), first)
    assert torch.equal(torch.stack(batch[0]['inputs']),
                       torch.stack(dataset[(0, 2, 6)]['inputs']))
    assert not any(k for k, v in get_random_state().items()
                   if k != 'cuda' and not _same(v, state[k]))
    assert len(dataset) == 24 and dataset.metainfo == dataset.dataset.metainfo
    # a plain index reads the wrapped data set (random state as it stands)
    assert dataset[5]['data_samples'].sample_idx == 5


def _same(a, b) -> bool:
    if isinstance(a, torch.Tensor):
        return torch.equal(a, b)
    if isinstance(a, tuple):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    if hasattr(a, 'shape'):
        return (a == b).all()
    return a == b


@pytest.mark.parametrize('endless', [False, True])
def test_sampler_yields_seed_epoch_and_index(endless):
    init_default_scope('mmaccel')
    dataset = list(range(6))
    inner = dict(type='InfiniteSampler' if endless else 'DefaultSampler',
                 shuffle=False)
    sampler = SeededAugmentSampler(inner, dataset=dataset, seed=7)
    assert sampler.seed == 7 and len(sampler) == 6
    sampler.set_epoch(3)
    keys = iter(sampler)
    first = [next(keys) for _ in range(12 if endless else 6)]
    if endless:  # the epoch is the pass over the data
        assert first == [(7, n // 6, n % 6) for n in range(12)]
    else:
        assert first == [(7, 3, i) for i in range(6)]
    sampler.seed = 9  # a resumed run restores the sampler's seed
    assert sampler.sampler.seed == 9 and next(iter(sampler))[0] == 9
