"""Selectors: what goes on to the next stage after a selection position.

The pair runner (``mmaccel.models.utils.run_pair``) steps the two views of a
pair stage by stage and, after each of the selector's ``positions`` that is
before the active exit, hands their feature maps to the selector::

    x_q, x_k = selector.select(stage, x_q, x_k, score_fn, key_order)

That call is all the runner knows of a selector. The algorithm supplies
``score_fn`` (its ``score_pairs``: pooled crops ``(N, M, C)`` of each view in,
the loss of every crop pair ``(N, M, M)`` out, higher is harder) and
``key_order`` (how the key view's samples map to the query's, for MoCo's
shuffle-BN; the identity otherwise).

Writing a selector:

1. Subclass :class:`BaseSelector` (it takes and checks ``positions``),
   register it with ``@MODELS.register_module()``, and check your own
   arguments in ``__init__`` with a message naming the argument and value.
2. Implement ``select``: return the two views' maps for the next stage.
   Score under ``torch.no_grad()`` (no gradient may reach the choice), but
   cut the maps outside it, so that gradient reaches the kept parts.
   Score in the query's sample order: ``key_order.to_query`` per-sample
   tensors of the key view before scoring, ``key_order.to_key`` indices
   back before cutting the key's maps.
3. If ``select`` keeps fewer samples than it gets, set
   ``selects_examples = True``: algorithms whose loss needs a fixed batch
   (MoCo's queue, SwAV's crops) then refuse it when built.
4. Draw randomness from torch's global generator, as the others do (seeded
   runs repeat; resumed runs restore it).

Then use it in a config: ``model = dict(selector=dict(type='MySelector',
positions=(1, 2), ...))``. Cost accounting (``cost_model``) counts crops of
selectors with a ``crop_size(height, width)`` method; others are counted as
whole maps.
"""
from .base_selector import BaseSelector, ScoreFn
from .hard_example_selector import HardExampleSelector
from .hard_pair_selector import HardPairSelector
from .key_order import KeyOrder, ShuffledKeyOrder

__all__ = [
    'BaseSelector', 'HardExampleSelector', 'HardPairSelector', 'KeyOrder',
    'ScoreFn', 'ShuffledKeyOrder'
]
