"""Benchmark: the default counterfactual (structural time series) on two years of daily data.

Issue target: two years of daily data with ten comparison series, 1,000 posterior draws, within
10 s on the project's 2-core machine.  Run ``python benchmarks/counterfactual.py``; it prints the
wall time of each repeat (a fresh fit each time), the median, and the load average.
"""

from __future__ import annotations

import os
import statistics
import time

import numpy as np
import pandas as pd

from useropslib.campaigns import counterfactual_effect


def make_data(seed: int = 0) -> tuple[pd.Series, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    days = pd.date_range("2023-01-01", periods=730, freq="D")
    x = 100 + np.cumsum(rng.normal(0, 1, (730, 10)), axis=0)
    week = np.tile([0.0, 0, 0, 0, 0, 3, 3], 105)[:730]
    y = x @ rng.uniform(0.05, 0.15, 10) + week + rng.normal(0, 1, 730)
    y[640:] += 2.0
    controls = pd.DataFrame(x, index=days, columns=[f"region_{i}" for i in range(10)])
    return pd.Series(y, index=days, name="orders"), controls


def main(repeats: int = 3) -> None:
    y, x = make_data()
    # imports of scipy and statsmodels happen once, outside the timing
    counterfactual_effect(
        y.iloc[:200], pre=("2023-01-01", "2023-06-19"), post=("2023-06-20", "2023-07-19"), draws=100
    )
    times = []
    for r in range(repeats):
        t0 = time.perf_counter()
        res = counterfactual_effect(
            y,
            pre=("2023-01-01", "2024-10-01"),
            post=("2024-10-02", "2024-12-30"),
            controls=x,
            seasonality=7,
            draws=1000,
            seed=r,
        )
        times.append(time.perf_counter() - t0)
        print(f"repeat {r}: {times[-1]:.2f} s, effect {res.table.loc['average', 'abs_effect']:.2f}")
    print(
        f"median {statistics.median(times):.2f} s over {repeats} repeats "
        f"(730 days, 10 comparison series, weekly seasonality, 1000 draws); "
        f"load average {os.getloadavg()}"
    )


if __name__ == "__main__":
    main()
