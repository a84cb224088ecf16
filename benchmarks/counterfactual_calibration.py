"""Calibration of the default counterfactual on 200 seeded series: coverage and false positives.

The same data-generating process as ``tests/unit/campaigns/test_counterfactual_simulation.py``
(80 days, one random-walk comparison series, a drifting local level, N(0, 1) noise; an effect of
1.5 a day over the last 20 days).  For each seed it fits the series with the effect and the same
series without it, and prints:

- coverage: the 95 % interval of the cumulative effect covers the truth (target 90-98 %);
- ``significant`` on the no-effect series: the interval excludes zero, i.e. two-sided
  ``p_value < alpha`` (target at most 7 %);
- R CausalImpact's rule on the no-effect series: one-sided tail area ``< alpha``
  (``causalimpact_significant``, a test at ``2 alpha``);

with the wall time and the load average.  Run ``python benchmarks/counterfactual_calibration.py
[n_series] [draws]`` (defaults 200 and 300).
"""

from __future__ import annotations

import os
import sys
import time
import warnings

import numpy as np
import pandas as pd

from useropslib.campaigns import counterfactual_effect
from useropslib.exceptions import CounterfactualWarning

EFFECT = 1.5
H = 20
PRE = ("2024-01-01", "2024-02-29")
POST = ("2024-03-01", "2024-03-20")
IDX = pd.date_range("2024-01-01", periods=80, freq="D")


def make(seed: int) -> tuple[pd.Series, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    x = np.cumsum(rng.normal(0, 1, 80))
    level = np.cumsum(rng.normal(0, 0.02, 80))
    y = 10 + 0.7 * x + level + rng.normal(0, 1, 80)
    y[-H:] += EFFECT
    return pd.Series(y, index=IDX, name="y"), pd.DataFrame({"x": x}, index=IDX)


def main(n_series: int = 200, draws: int = 300) -> None:
    covered = significant = r_rule = 0
    t0 = time.perf_counter()
    for seed in range(n_series):
        y, x = make(seed)
        with warnings.catch_warnings():
            # a random walk now and then moves at the launch; advisory, not measured here
            warnings.simplefilter("ignore", CounterfactualWarning)
            res = counterfactual_effect(y, pre=PRE, post=POST, controls=x, draws=draws, seed=seed)
            y0 = y.copy()
            y0.iloc[-H:] -= EFFECT
            null = counterfactual_effect(y0, pre=PRE, post=POST, controls=x, draws=draws, seed=seed)
        lo, hi = res.table.loc["cumulative", ["abs_effect_lower", "abs_effect_upper"]]
        covered += bool(lo <= EFFECT * H <= hi)
        significant += null.significant
        r_rule += null.causalimpact_significant
    elapsed = time.perf_counter() - t0
    print(
        f"{n_series} series, {draws} draws: coverage {covered / n_series:.3f}; no-effect series "
        f"called significant (interval excludes zero) {significant / n_series:.3f}; R's rule "
        f"(one-sided tail area < alpha) {r_rule / n_series:.3f}; {elapsed:.0f} s for "
        f"{2 * n_series} fits; load average {os.getloadavg()}"
    )


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:3]))
