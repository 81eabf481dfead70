import itertools

import pytest
import torch
import torch.nn.functional as F

from mmaccel.models import HardPairSelector
from mmaccel.models.selectors import KeyOrder
from mmaccel.models.utils import info_nce


@pytest.mark.parametrize('ratio,size,expected', [
    (0.75, 56, 42), (0.75, 21, 16), (0.75, 8, 6), (0.75, 3, 2), (0.75, 1, 1),
    (0.5, 7, 4), (1.0, 5, 5), (0.1, 2, 1)
])
def test_crop_size_rounds_half_up(ratio, size, expected):
    sel = HardPairSelector(crop_ratio=ratio)
    assert sel.crop_size(size, size + 1)[0] == expected


def test_crop_and_pooling_match_slicing():
    sel = HardPairSelector(num_candidates=3)
    x = torch.randn(5, 4, 9, 7)
    size = sel.crop_size(9, 7)
    off = sel.sample_offsets(x)
    assert off.shape == (5, 3, 2)
    assert (off >= 0).all() and (off[..., 0] <= 9 - size[0]).all() and (
        off[..., 1] <= 7 - size[1]).all()
    pooled = sel.pooled_crops(x, off, size)
    crops = sel.crop(x, off[:, 1], size)
    for n in range(5):
        for m in range(3):
            y, xx = off[n, m].tolist()
            ref = x[n, :, y:y + size[0], xx:xx + size[1]]
            torch.testing.assert_close(pooled[n, m], ref.mean((1, 2)))
            if m == 1:
                assert torch.equal(crops[n], ref)


def make_score_fn(proj, negs):
    def score(stage, pq, pk):
        q = F.normalize(proj(pq), dim=-1)
        k = F.normalize(proj(pk), dim=-1)
        return info_nce(q[:, :, None], k[:, None], negs, 0.2, 'none')
    return score


@pytest.mark.parametrize('mode', ['hard', 'easy'])
@pytest.mark.parametrize('m', [2, 3])
def test_choice_equals_brute_force(mode, m):
    torch.manual_seed(m)
    c, n, d = 6, 8, 5
    proj = torch.nn.Linear(c, d)
    negs = F.normalize(torch.randn(d, 20), dim=0)
    sel = HardPairSelector(num_candidates=m, mode=mode)
    x_q, x_k = torch.randn(n, c, 8, 8), torch.randn(n, c, 8, 8)
    size = sel.crop_size(8, 8)
    torch.manual_seed(7)
    out_q, out_k = sel.select(1, x_q, x_k, make_score_fn(proj, negs),
                              KeyOrder())
    torch.manual_seed(7)  # the same offsets again
    off_q, off_k = sel.sample_offsets(x_q), sel.sample_offsets(x_k)
    with torch.no_grad():
        for i in range(n):
            best = None
            for a, b in itertools.product(range(m), range(m)):
                (yq, xq), (yk, xk) = off_q[i, a].tolist(), off_k[i, b].tolist()
                cq = x_q[i, :, yq:yq + size[0], xq:xq + size[1]]
                ck = x_k[i, :, yk:yk + size[0], xk:xk + size[1]]
                zq = F.normalize(proj(cq.mean((1, 2))), dim=0)
                zk = F.normalize(proj(ck.mean((1, 2))), dim=0)
                s = info_nce(zq[None], zk[None], negs, 0.2).item()
                if best is None or (s > best[0] if mode == 'hard' else
                                    s < best[0]):
                    best = (s, cq, ck)
            assert torch.equal(out_q[i], best[1])
            assert torch.equal(out_k[i], best[2])


def test_no_gradient_reaches_the_scores():
    sel = HardPairSelector(num_candidates=2)
    proj = torch.nn.Linear(3, 4)
    negs = F.normalize(torch.randn(4, 6), dim=0)
    seen = []

    def score(stage, pq, pk):
        seen.append(
            (pq.requires_grad, pk.requires_grad, torch.is_grad_enabled()))
        return make_score_fn(proj, negs)(stage, pq, pk)

    x_q = torch.randn(4, 3, 6, 6, requires_grad=True)
    x_k = torch.randn(4, 3, 6, 6, requires_grad=True)
    out_q, out_k = sel.select(1, x_q, x_k, score, KeyOrder())
    assert seen == [(False, False, False)]
    (out_q.sum() + out_k.sum()).backward()
    assert proj.weight.grad is None
    # the crops themselves stay differentiable: gradient reaches the map
    assert x_q.grad is not None and x_q.grad.abs().sum() > 0


def test_random_mode_scores_nothing():
    sel = HardPairSelector(num_candidates=2, mode='random')

    def score(*_):
        raise AssertionError('random mode must not score')

    out_q, _ = sel.select(1, torch.randn(3, 2, 8, 8),
                          torch.randn(3, 2, 8, 8), score, KeyOrder())
    assert out_q.shape == (3, 2, 6, 6)


@pytest.mark.parametrize('kwargs,match', [
    (dict(crop_ratio=0), 'crop_ratio'), (dict(crop_ratio=1.5), 'crop_ratio'),
    (dict(crop_ratio=-0.2), 'crop_ratio'),
    (dict(num_candidates=0), 'num_candidates'),
    (dict(num_candidates=1.5), 'num_candidates'),
    (dict(mode='hardest'), 'mode'), (dict(positions=(2, 1)), 'positions')
])
def test_rejects_bad_settings(kwargs, match):
    with pytest.raises(ValueError, match=match):
        HardPairSelector(**kwargs)
