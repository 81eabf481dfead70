"""Weighted kNN classification against a slow reference and closed forms."""
import pytest
import torch

from mmaccel.evaluation import knn_top1, weighted_knn_predict


def slow_knn(train, labels, test, num_classes, k, t):
    """InstDisc's vote written out one query at a time."""
    train = torch.nn.functional.normalize(train, dim=1)
    preds = []
    for q in torch.nn.functional.normalize(test, dim=1):
        sims = [(float(q @ x), int(y)) for x, y in zip(train, labels)]
        sims.sort(key=lambda s: -s[0])
        votes = [0.0] * num_classes
        for s, y in sims[:k]:
            votes[y] += torch.exp(torch.tensor(s / t)).item()
        preds.append(max(range(num_classes), key=lambda c: votes[c]))
    return torch.tensor(preds)


@pytest.mark.parametrize('k,t', [(1, 0.07), (5, 0.07), (20, 0.5),
                                 (40, 0.1)])
def test_matches_slow_reference(k, t):
    g = torch.Generator().manual_seed(k)
    train = torch.randn(40, 6, generator=g)
    labels = torch.randint(0, 4, (40, ), generator=g)
    test = torch.randn(25, 6, generator=g)
    fast = weighted_knn_predict(train, labels, test, 4, k=k, temperature=t,
                                chunk_size=7)
    assert torch.equal(fast, slow_knn(train, labels, test, 4, k, t))


def test_nearest_neighbour_and_separated_clusters():
    train = torch.eye(3).repeat(4, 1) + 0.01 * torch.arange(12)[:, None]
    labels = torch.tensor([0, 1, 2] * 4)
    # k = 1: the label of the most similar training feature (cosine, so
    # scale does not matter)
    test = torch.tensor([[0., 5., 0.2], [3., 0., 0.], [0., 0.1, 2.]])
    assert weighted_knn_predict(train, labels, test, 3, k=1).tolist() == \
        [1, 0, 2]
    assert knn_top1(train, labels, test, torch.tensor([1, 0, 0]), 3,
                    k=4) == pytest.approx(200 / 3)


def test_bad_settings():
    x, y = torch.randn(5, 2), torch.zeros(5, dtype=torch.long)
    with pytest.raises(ValueError, match=r'k must be in 1\.\.5'):
        weighted_knn_predict(x, y, x, 2, k=6)
    with pytest.raises(ValueError, match='temperature must be > 0; got 0'):
        weighted_knn_predict(x, y, x, 2, k=2, temperature=0)
