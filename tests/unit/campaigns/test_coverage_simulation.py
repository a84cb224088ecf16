"""Coverage of the 95 % interval over 400 seeded simulated campaigns, and SRM on a 52/48 split."""

from __future__ import annotations

import numpy as np

from useropslib.campaigns import compare_proportions, sample_ratio_mismatch


def test_interval_covers_true_lift_93_to_97_percent() -> None:
    rng = np.random.default_rng(20240601)
    true_lift, base, n = 0.15, 0.12, 3000
    # per-user propensities differ (gamma, mean 1); the lift multiplies each user's probability
    hits = 0
    for _ in range(400):
        g = rng.gamma(2.0, 0.5, size=(2, n))
        p = np.minimum(base * g, 0.8)
        p[1] *= 1 + true_lift
        truth = p[1].mean() / p[0].mean() - 1  # the population lift of this draw's users
        y = rng.random((2, n)) < p
        r = compare_proportions({"n": [n, n], "conversions": y.sum(axis=1).tolist()})
        hits += r.ci[0] <= truth <= r.ci[1]
    coverage = hits / 400
    assert 0.93 <= coverage <= 0.97, coverage


def test_srm_flags_a_52_48_split_and_not_a_fair_one() -> None:
    rng = np.random.default_rng(7)
    n = 50_000
    skewed = rng.random(n) < 0.52
    fair = rng.random(n) < 0.50
    assert sample_ratio_mismatch([skewed.sum(), n - skewed.sum()]).flagged
    assert not sample_ratio_mismatch([fair.sum(), n - fair.sum()]).flagged
