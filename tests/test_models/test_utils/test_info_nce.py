"""info_nce against a slow reference written from the formula, closed forms,
and MMPretrain's ContrastiveHead (which the algorithms use for the loss)."""
import math

import pytest
import torch
import torch.nn.functional as F
from mmpretrain.models import ContrastiveHead

from mmaccel.models.utils import contrastive_logits, info_nce


def slow_info_nce(q, k, negatives, t):
    """-log(exp(q.k/t) / (exp(q.k/t) + sum_j exp(q.n_j/t))), one query at a
    time, in float64."""
    losses = []
    for qi, ki in zip(q.double(), k.double()):
        pos = math.exp(float(qi @ ki) / t)
        neg = sum(math.exp(float(qi @ n) / t) for n in negatives.double().t())
        losses.append(-math.log(pos / (pos + neg)))
    return torch.tensor(losses, dtype=torch.float64)


@pytest.mark.parametrize('n,d,k', [(1, 2, 1), (4, 8, 16), (7, 32, 5)])
@pytest.mark.parametrize('t', [0.07, 0.2, 1.0])
def test_matches_slow_reference(n, d, k, t):
    g = torch.Generator().manual_seed(n * 100 + d + k)
    q = F.normalize(torch.randn(n, d, generator=g), dim=1)
    key = F.normalize(torch.randn(n, d, generator=g), dim=1)
    negs = F.normalize(torch.randn(d, k, generator=g), dim=0)
    got = info_nce(q, key, negs, t, reduction='none')
    torch.testing.assert_close(
        got.double(), slow_info_nce(q, key, negs, t), rtol=1e-5, atol=1e-5)
    assert info_nce(q, key, negs, t).item() == pytest.approx(
        got.mean().item(), rel=1e-6)


def test_closed_forms():
    d, k = 16, 9
    q = F.normalize(torch.randn(5, d), dim=1)
    # every logit equal (negatives equal to the key): log(K + 1)
    negs = q[0:1].t().repeat(1, k)
    loss = info_nce(q[0:1], q[0:1], negs, 0.5)
    assert loss.item() == pytest.approx(math.log(k + 1), rel=1e-6)
    # key = query, negatives orthogonal to it: log(1 + K e^(-1/t))
    e = torch.eye(d)
    t = 0.5
    loss = info_nce(e[0:1], e[0:1], e[:, 1:k + 1], t)
    assert loss.item() == pytest.approx(
        math.log(1 + k * math.exp(-1 / t)), rel=1e-5)


def test_broadcasts_over_crop_pairs():
    """Scores of all M x M pairs at once equal pair-by-pair calls."""
    n, m, d = 3, 4, 8
    q = F.normalize(torch.randn(n, m, d), dim=-1)
    k = F.normalize(torch.randn(n, m, d), dim=-1)
    negs = F.normalize(torch.randn(d, 10), dim=0)
    grid = info_nce(q[:, :, None], k[:, None], negs, 0.2, reduction='none')
    assert grid.shape == (n, m, m)
    for a in range(m):
        for b in range(m):
            torch.testing.assert_close(
                grid[:, a, b],
                info_nce(q[:, a], k[:, b], negs, 0.2, reduction='none'))


def test_agrees_with_contrastive_head():
    q = F.normalize(torch.randn(6, 8), dim=1)
    k = F.normalize(torch.randn(6, 8), dim=1)
    negs = F.normalize(torch.randn(8, 12), dim=0)
    head = ContrastiveHead(loss=dict(type='CrossEntropyLoss'), temperature=0.2)
    torch.testing.assert_close(
        head.loss(*contrastive_logits(q, k, negs)), info_nce(q, k, negs, 0.2))


def test_rejects_unknown_reduction():
    with pytest.raises(ValueError, match='reduction'):
        info_nce(torch.ones(1, 2), torch.ones(1, 2), torch.ones(2, 1), 0.1,
                 reduction='sum')
