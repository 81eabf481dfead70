from .info_nce import contrastive_logits, info_nce
from .pair_runner import Stream, run_pair

__all__ = ['contrastive_logits', 'info_nce', 'Stream', 'run_pair']
