"""Invariants of the counterfactual summaries and the synthetic-control weights (seeded)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from useropslib.campaigns import (
    simplex_weights,
    summarize_draws,
    tail_p_value,
    two_sided_p_value,
)

SETTINGS = settings(max_examples=40, deadline=None, derandomize=True)


@SETTINGS
@given(
    seed=st.integers(0, 10_000),
    draws=st.integers(2, 60),
    horizon=st.integers(1, 12),
    shift=st.floats(-100, 100, allow_nan=False),
)
def test_shifting_the_observed_values_shifts_the_effect(
    seed: int, draws: int, horizon: int, shift: float
) -> None:
    rng = np.random.default_rng(seed)
    samples = rng.normal(50, 5, (draws, horizon))
    y = rng.normal(50, 5, horizon)
    base, p = summarize_draws(y, samples)
    moved, _ = summarize_draws(y + shift, samples)
    for col in ("abs_effect", "abs_effect_lower", "abs_effect_upper"):
        assert moved.loc["cumulative", col] == pytest.approx(
            base.loc["cumulative", col] + shift * horizon, abs=1e-6
        )
    # the counterfactual does not depend on the observed values
    for col in ("predicted", "predicted_lower", "predicted_upper", "predicted_sd"):
        assert moved.loc["average", col] == base.loc["average", col]
    assert 1 / (draws + 1) <= p <= 1


@SETTINGS
@given(seed=st.integers(0, 10_000), draws=st.integers(1, 80))
def test_tail_p_is_symmetric_and_bounded(seed: int, draws: int) -> None:
    rng = np.random.default_rng(seed)
    sums = rng.normal(0, 1, draws)
    obs = float(rng.normal(0, 1))
    p = tail_p_value(obs, sums)
    assert 1 / (draws + 1) <= p <= 1
    assert tail_p_value(-obs, -sums) == pytest.approx(p)


@SETTINGS
@given(
    seed=st.integers(0, 10_000),
    draws=st.integers(2, 120),
    horizon=st.integers(1, 8),
    shift=st.floats(-20, 20, allow_nan=False),
    alpha=st.floats(0.001, 0.499),
    rounded=st.booleans(),
)
def test_two_sided_p_below_alpha_exactly_when_the_interval_excludes_zero(
    seed: int, draws: int, horizon: int, shift: float, alpha: float, rounded: bool
) -> None:
    # the same arithmetic as counterfactual_effect: the table's cumulative interval and the
    # p of the observed sum minus each draw's sum; ties (rounded draws) included
    rng = np.random.default_rng(seed)
    samples = rng.normal(50, 3, (draws, horizon))
    if rounded:
        samples = np.round(samples)
    y = samples.mean(axis=0) + shift / horizon
    table, p_one = summarize_draws(y, samples, alpha=alpha)
    p = two_sided_p_value(float(np.sum(y)) - np.sum(samples, axis=1))
    cum = table.loc["cumulative"]
    excludes = bool(cum["abs_effect_lower"] > 0 or cum["abs_effect_upper"] < 0)
    assert excludes == (p < alpha)
    assert 0 <= p <= 1
    # R's one-sided tail area is about half of it (the +1 of R's count aside)
    assert abs(p - 2 * p_one) <= 6 / (draws + 1) or p == 1


@SETTINGS
@given(seed=st.integers(0, 10_000), k=st.integers(1, 6), donors=st.integers(2, 7))
def test_simplex_weights_lie_on_the_simplex_and_follow_the_donors(
    seed: int, k: int, donors: int
) -> None:
    rng = np.random.default_rng(seed)
    x0 = rng.normal(0, 1, (k, donors))
    x1 = rng.normal(0, 1, k)
    w = simplex_weights(x1, x0)
    assert w.min() >= 0
    assert w.sum() == pytest.approx(1.0)
    # relabelling the donors relabels the weights (the fit is unchanged)
    perm = rng.permutation(donors)
    w_perm = simplex_weights(x1, x0[:, perm])
    fit = np.sum((x1 - x0 @ w) ** 2)
    fit_perm = np.sum((x1 - x0[:, perm] @ w_perm) ** 2)
    assert fit_perm == pytest.approx(fit, abs=1e-6)
    # a target inside the donors' hull is matched exactly
    w_true = rng.dirichlet(np.ones(donors))
    w_fit = simplex_weights(x0 @ w_true, x0)
    assert np.sum((x0 @ w_fit - x0 @ w_true) ** 2) == pytest.approx(0.0, abs=1e-8)
