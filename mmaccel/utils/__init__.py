from .config import load_config, rescope_config

__all__ = ['load_config', 'rescope_config']
