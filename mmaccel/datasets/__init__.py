from .fashion_mnist import DatasetNotFoundError, LocalFashionMNIST

__all__ = ['DatasetNotFoundError', 'LocalFashionMNIST']
