from .info_nce import contrastive_logits, info_nce
from .multi_view_data_preprocessor import MultiViewDataPreprocessor
from .pair_runner import Stream, run_pair

__all__ = [
    'contrastive_logits', 'info_nce', 'MultiViewDataPreprocessor', 'Stream',
    'run_pair'
]
