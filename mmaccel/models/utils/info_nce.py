"""InfoNCE, written once for the selector, the heads and every algorithm."""
from typing import Tuple

import torch


def contrastive_logits(query: torch.Tensor, key: torch.Tensor,
                       negatives: torch.Tensor
                       ) -> Tuple[torch.Tensor, torch.Tensor]:
    """Similarities of queries to their positive key and to the negatives.

    The same einsum forms as MMPretrain's ``MoCo.loss``, so that the logits
    (and through ``ContrastiveHead`` the loss) match it bit for bit.

    Args:
        query (Tensor): ``(..., D)`` queries, L2-normalised.
        key (Tensor): ``(..., D)`` positive keys, L2-normalised.
        negatives (Tensor): ``(D, K)`` negatives shared by all queries, laid
            out as MoCo's queue stores them.

    Returns:
        tuple[Tensor, Tensor]: ``l_pos`` of shape ``(..., 1)`` and ``l_neg``
        of shape ``(..., K)``.
    """
    l_pos = torch.einsum('...c,...c->...', query, key).unsqueeze(-1)  # ..., 1
    l_neg = torch.einsum('...c,ck->...k', query, negatives)
    return l_pos, l_neg


def info_nce(query: torch.Tensor,
             key: torch.Tensor,
             negatives: torch.Tensor,
             temperature: float = 0.1,
             reduction: str = 'mean') -> torch.Tensor:
    """InfoNCE: ``-log(e^(q.k/t) / (e^(q.k/t) + sum_j e^(q.n_j/t)))``.

    ``query`` and ``key`` broadcast against each other, so all M x M crop
    pairs score at once from ``query[:, :, None]`` and ``key[:, None]``. The
    negatives' log-sum-exp is taken once per query (not per pair).

    Args:
        query (Tensor): ``(..., D)`` queries, L2-normalised.
        key (Tensor): ``(..., D)`` positive keys, L2-normalised.
        negatives (Tensor): ``(D, K)`` negatives shared by all queries.
        temperature (float): Softmax temperature. Defaults to 0.1.
        reduction (str): ``'mean'`` or ``'none'`` (one loss per query/key
            pair, the broadcast shape without ``D``). Defaults to ``'mean'``.

    Returns:
        Tensor: the loss.
    """
    if reduction not in ('mean', 'none'):
        raise ValueError(
            f"info_nce: reduction must be 'mean' or 'none', got {reduction!r}")
    l_pos, l_neg = contrastive_logits(query, key, negatives)
    pos = l_pos.squeeze(-1) / temperature
    neg = torch.logsumexp(l_neg / temperature, dim=-1)
    loss = torch.logaddexp(pos, neg) - pos
    return loss.mean() if reduction == 'mean' else loss
