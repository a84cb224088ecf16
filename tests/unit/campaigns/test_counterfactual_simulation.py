"""Calibration of the default (structural time-series) method on seeded synthetic series.

Data-generating process (each seed): 80 days; one comparison series, a Gaussian random walk;
the outcome ``10 + 0.7 x + level + noise`` with a local level drifting by N(0, 0.02^2) a day and
N(0, 1) noise; the campaign adds a known ``EFFECT`` a day over the last 20 days.  This is a
local-level-plus-regression world of the kind CausalImpact's priors describe: the level's
innovation s.d. is 0.004-0.012 of the outcome's pre-period s.d. (prior guess 0.01) and the
comparison series explains 50-95 % of the pre-period variance (prior guess 80 %).

The issue's targets: the 95 % interval of the cumulative effect covers the true effect in
90-98 % of 200 series, and on series without effect an effect is found in at most 7 %.  "Finds
an effect" is ``significant``: the two-sided 95 % interval of the cumulative effect excludes
zero, which is exactly ``p_value < alpha`` for the two-sided tail probability (a 5 % test when
the posterior is calibrated).  R CausalImpact's rule, ``p < alpha`` on the one-sided tail area
(``causalimpact_significant``), is a two-sided test at ``2 alpha``: about 10 % of no-effect
series are called significant by it however honest the interval is, so the test only bounds
it by ``2 alpha`` plus sampling error.

Measured (300 draws a series, R's priors; ``python benchmarks/counterfactual_calibration.py``):
coverage 0.940, ``significant`` on no-effect series 0.060, R's rule 0.135.
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
    excludes_zero = 0
    called_significant = 0
    r_rule = 0
    truth = EFFECT * H
    for seed in range(N_SERIES):
        y, x = _make(seed)
        res = counterfactual_effect(y, pre=PRE, post=POST, controls=x, draws=DRAWS, seed=seed)
        lo, hi = res.table.loc["cumulative", ["abs_effect_lower", "abs_effect_upper"]]
        covered += lo <= truth <= hi
        y0 = y.copy()
        y0.iloc[-H:] -= EFFECT
        null = counterfactual_effect(y0, pre=PRE, post=POST, controls=x, draws=DRAWS, seed=seed)
        lo0, hi0 = null.table.loc["cumulative", ["abs_effect_lower", "abs_effect_upper"]]
        excludes_zero += not (lo0 <= 0 <= hi0)
        assert null.significant == (not (lo0 <= 0 <= hi0)) == (null.p_value < null.alpha)
        called_significant += null.significant
        r_rule += null.causalimpact_significant
    coverage = covered / N_SERIES
    assert 0.90 <= coverage <= 0.98, coverage
    assert called_significant / N_SERIES <= 0.07, called_significant / N_SERIES
    # R's rule p < alpha: nominal 2 * alpha = 0.10; three binomial s.e. (0.021 each) above it
    assert r_rule / N_SERIES <= 0.10 + 3 * 0.021, r_rule / N_SERIES


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
