"""The threshold rules on a synthetic log whose true return curve is known in closed form.

The generator (seeded, vectorised): each of ``N`` users starts on a uniform day of the first
30, then after every activity either churns for good (probability ``c``) or comes back after an
exponential gap of mean ``mu`` days.  For a silence that has lasted ``k`` days, the chance of a
return within the horizon ``H`` is

    P(k) = (1 - c) (e^{-k/mu} - e^{-(k+H)/mu}) / ((1 - c) e^{-k/mu} + c),

which falls to 0: the true return-probability threshold (P < p) and the true plateau (P within
the tolerance of its floor 0) solve ``P(k) = p`` in closed form.  Gaps between activity days:
a gap ``g`` starting at a uniform time of day spans ``D`` calendar days with
``P(D >= d | D >= 1) = e^{-(d-1)/mu}``, so the q-th percentile of the positive day gaps is the
smallest ``d`` with ``e^{-d/mu} <= 1 - q``.

Documented tolerances (the sampling error of 20,000 users; seed fixed, so the test is
deterministic): return-probability and plateau thresholds within 2 days of the truth (the
curve falls by about P/mu = 1 point per day there, and its standard error is about 0.4 points),
the gap percentile within 1 day, the rate at the chosen threshold within 0.01.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import pytest

from useropslib.churn._definition import infer_inactivity_threshold
from useropslib.events import EventLog

N_USERS = 20_000
MU = 5.0  # mean gap between activities, days
C = 0.1  # chance of churning for good after an activity
WINDOW = 360  # days of data
H = 14.0  # horizon, days
START = pd.Timestamp("2024-01-01", tz="UTC")


def two_state_log(seed: int = 7) -> EventLog:
    rng = np.random.default_rng(seed)
    n_returns = rng.geometric(C, size=N_USERS) - 1  # P(n) = (1 - c)^n c
    n_events = n_returns + 1
    user = np.repeat(np.arange(N_USERS), n_events)
    step = rng.exponential(MU, size=user.size)
    first = np.concatenate(([0], np.cumsum(n_events)[:-1]))
    step[first] = rng.uniform(0, 30, size=N_USERS)  # the start day
    t = np.cumsum(step)
    t -= np.repeat(t[first] - step[first], n_events)  # restart the sum at each user
    keep = t < WINDOW
    df = pd.DataFrame(
        {
            "user_id": pd.Series(user[keep]).map("u{:05d}".format),
            "event": "open",
            "timestamp": START + pd.to_timedelta(t[keep], unit="D"),
        }
    )
    return EventLog.from_pandas(df, as_of=START + pd.Timedelta(days=WINDOW))


def true_rate(k: float) -> float:
    alive = (1 - C) * math.exp(-k / MU)
    return alive * (1 - math.exp(-H / MU)) / (alive + C)


def true_crossing(p: float) -> float:
    """The silence at which the true return rate equals p."""
    x = p * C / ((1 - C) * (1 - math.exp(-H / MU) - p))
    return -MU * math.log(x)


@pytest.fixture(scope="module")
def result() -> object:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return infer_inactivity_threshold(two_state_log(), horizon=f"{H:g}D")


def test_the_generator_matches_its_own_model() -> None:
    assert true_rate(0) == pytest.approx(0.9 * (1 - math.exp(-2.8)))
    assert true_rate(true_crossing(0.05)) == pytest.approx(0.05)


def test_return_curve_follows_the_true_curve(result: object) -> None:
    curve = result.curve  # type: ignore[attr-defined]
    for k in (1.0, 5.0, 10.0, 20.0):
        assert curve.loc[k, "return_rate"] == pytest.approx(true_rate(k), abs=0.02)


def test_return_probability_rule_finds_the_true_crossing(result: object) -> None:
    row = result.rules.loc["return_probability"]  # type: ignore[attr-defined]
    truth = true_crossing(0.05)  # 25.4 days
    assert truth == pytest.approx(25.37, abs=0.01)
    assert abs(row["threshold_days"] - truth) <= 2
    assert row["found"]
    assert row["return_rate"] == pytest.approx(0.05, abs=0.01)


def test_plateau_rule_finds_the_true_plateau(result: object) -> None:
    # the floor is 0 (everyone silent long enough has churned), so the plateau starts where the
    # true rate reaches the tolerance 0.01: 33.6 days
    truth = true_crossing(0.01)
    assert truth == pytest.approx(33.6, abs=0.1)
    assert result.rule == "plateau"  # type: ignore[attr-defined]
    assert abs(result.threshold_days - truth) <= 2  # type: ignore[attr-defined]
    assert result.plateau_found  # type: ignore[attr-defined]
    assert abs(result.end_slope) < 1e-4  # type: ignore[attr-defined]
    # 1 % of 20,000 users
    assert result.min_gaps == 200  # type: ignore[attr-defined]


def test_gap_percentile_rule_finds_the_true_percentile(result: object) -> None:
    truth = math.ceil(MU * math.log(1 / 0.05))  # 15 days
    row = result.rules.loc["gap_percentile"]  # type: ignore[attr-defined]
    assert abs(row["threshold_days"] - truth) <= 1
    assert row["found"]
