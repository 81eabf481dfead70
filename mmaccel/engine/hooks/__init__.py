from .partial_backprop_hook import PartialBackpropHook

__all__ = ['PartialBackpropHook']
