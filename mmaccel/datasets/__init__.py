from .fashion_mnist import DatasetNotFoundError, LocalFashionMNIST
from .raw_fashion_mnist import RawFashionMNIST
from .seeded_augment import (SeededAugmentDataset, SeededAugmentSampler,
                             seed_generators)

__all__ = [
    'DatasetNotFoundError', 'LocalFashionMNIST', 'RawFashionMNIST',
    'SeededAugmentDataset', 'SeededAugmentSampler', 'seed_generators'
]
