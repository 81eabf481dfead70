from .fashion_mnist import DatasetNotFoundError, LocalFashionMNIST
from .raw_fashion_mnist import RawFashionMNIST

__all__ = ['DatasetNotFoundError', 'LocalFashionMNIST', 'RawFashionMNIST']
