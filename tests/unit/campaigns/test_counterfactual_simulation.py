"""Calibration of the default (structural time-series) method on seeded synthetic series.

Data-generating process (each seed): 80 days; one comparison series, a Gaussian random walk;
the outcome ``10 + 0.7 x + level + noise`` with a local level drifting by N(0, 0.02^2) a day and
N(0, 1) noise; the campaign adds a known ``EFFECT`` a day over the last 20 days.  The issue's
targets: the 95 % interval of the cumulative effect covers the true effect in 90-98 % of 200
series, and on series without effect it excludes zero in at most 7 %.

The counterfactual draws depend only on the pre-period and the comparison series, so the
no-effect version of a series (the same series minus the effect) has the same draws and its
interval is the effect series' interval shifted by ``EFFECT * 20``: one fit per seed answers both
questions (checked on a few seeds through the public function).

Measured at this commit (300 draws a series): coverage 0.940, false positives 0.060; 70 s for
the 200 fits on the shared 2-core machine at load average 9 (about 0.35 s a fit).  With a
faster drift (0.05 a day) the same test measured coverage 0.915 (false positives 0.085): the
level prior of CausalImpact (s.d. guess 0.01 of the series' s.d.) is too tight for a series
whose level wanders that much; ``level_sd=0.1`` is the remedy the docs give.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from useropslib.campaigns import counterfactual_effect, pull_forward

N_SERIES = 200
DRAWS = 300
LEVEL_DRIFT = 0.02
EFFECT = 1.5
H = 20
PRE = ("2024-01-01", "2024-02-29")
POST = ("2024-03-01", "2024-03-20")
IDX = pd.date_range("2024-01-01", periods=80, freq="D")


def _make(seed: int) -> tuple[pd.Series, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    x = np.cumsum(rng.normal(0, 1, 80))
    level = np.cumsum(rng.normal(0, LEVEL_DRIFT, 80))
    y = 10 + 0.7 * x + level + rng.normal(0, 1, 80)
    y[-H:] += EFFECT
    return pd.Series(y, index=IDX, name="y"), pd.DataFrame({"x": x}, index=IDX)


# a random-walk comparison series now and then shifts at the launch twice as much as at any
# earlier split; the advisory warning about treated controls is not what this test measures
@pytest.mark.slow
@pytest.mark.filterwarnings("ignore::useropslib.exceptions.CounterfactualWarning")
def test_coverage_and_false_positives_over_200_series() -> None:
    covered = 0
    false_pos = 0
    for seed in range(N_SERIES):
        y, x = _make(seed)
        res = counterfactual_effect(y, pre=PRE, post=POST, controls=x, draws=DRAWS, seed=seed)
        lo, hi = res.table.loc["cumulative", ["abs_effect_lower", "abs_effect_upper"]]
        truth = EFFECT * H
        covered += lo <= truth <= hi
        false_pos += not (lo - truth <= 0 <= hi - truth)
    coverage = covered / N_SERIES
    fp_rate = false_pos / N_SERIES
    assert 0.90 <= coverage <= 0.98, coverage
    assert fp_rate <= 0.07, fp_rate


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_no_effect_series_has_the_shifted_interval(seed: int) -> None:
    y, x = _make(seed)
    with_effect = counterfactual_effect(y, pre=PRE, post=POST, controls=x, draws=100, seed=seed)
    y0 = y.copy()
    y0.iloc[-H:] -= EFFECT
    without = counterfactual_effect(y0, pre=PRE, post=POST, controls=x, draws=100, seed=seed)
    for col in ("abs_effect_lower", "abs_effect_upper"):
        assert without.table.loc["cumulative", col] == pytest.approx(
            with_effect.table.loc["cumulative", col] - EFFECT * H
        )


@pytest.mark.slow
def test_pull_forward_recovers_injected_dips() -> None:
    hits = 0
    n = 30
    for seed in range(n):
        rng = np.random.default_rng(500 + seed)
        idx = pd.date_range("2024-01-01", periods=110, freq="D")
        y = pd.Series(100 + np.cumsum(rng.normal(0, 0.02, 110)) + rng.normal(0, 1, 110), index=idx)
        y.iloc[80:90] += 6.0  # +60 during the campaign
        y.iloc[90:110] -= 1.2  # -24 after: a true share of 0.4
        res = pull_forward(
            y,
            pre=("2024-01-01", "2024-03-20"),
            campaign=("2024-03-21", "2024-03-30"),
            after=("2024-03-31", "2024-04-19"),
            draws=200,
            seed=seed,
        )
        row = res.table.loc["pull_forward_share"]
        hits += row["lower"] <= 0.4 <= row["upper"]
    assert hits / n >= 0.85, hits / n
