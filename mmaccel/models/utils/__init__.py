from .hard_example_selector import HardExampleSelector
from .hard_pair_selector import HardPairSelector
from .info_nce import contrastive_logits, info_nce
from .pair_runner import KeyOrder, ShuffledKeyOrder, run_pair

__all__ = [
    'HardExampleSelector', 'HardPairSelector', 'contrastive_logits',
    'info_nce', 'KeyOrder', 'ShuffledKeyOrder', 'run_pair'
]
