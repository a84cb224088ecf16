"""Aha moments and the growth path: a hand-computed 2x2 table and every bad input."""

from __future__ import annotations

import math
from collections.abc import Iterator

import pandas as pd
import pytest

from useropslib.churn import CAUSATION_CAVEAT, aha_moments, growth_path
from useropslib.events import strict_events
from useropslib.exceptions import (
    InsufficientDataError,
    InsufficientDataWarning,
    InvalidParameterError,
)
from useropslib.models import ChurnDefinition

T0 = pd.Timestamp("2024-01-01", tz="UTC")


@pytest.fixture(autouse=True)
def _strict() -> Iterator[None]:
    """Unknown event names raise here, so the messages below stay pinned."""
    with strict_events():
        yield


def log() -> pd.DataFrame:
    """8 signups; u0-u3 invite (u0, u1 twice); u0-u2 and u6 come back on day 30."""
    rows = []
    for i in range(8):
        rows.append((f"u{i}", "signup", T0))
        if i < 4:
            rows.append((f"u{i}", "invite", T0 + pd.Timedelta("1D")))
        if i < 2:
            rows.append((f"u{i}", "invite", T0 + pd.Timedelta("2D")))
        if i in (0, 1, 2, 6):
            rows.append((f"u{i}", "open", T0 + pd.Timedelta("30D")))
    rows.append(("u7", "invite", T0 + pd.Timedelta("9D")))  # outside the 7-day window
    return pd.DataFrame(rows, columns=["user_id", "event", "timestamp"])


def test_two_by_two_table_by_hand() -> None:
    r = aha_moments(
        log(), signup_event="signup", thresholds=[1, 2], as_of="2024-03-31", candidates=["invite"]
    )
    tab = r.table.set_index("threshold")
    one = tab.loc[1]
    # did invite >= 1 within 7 days: u0-u3 (retained u0-u2); not: u4-u7 (retained u6)
    assert (
        one["did_retained"],
        one["did_not_retained"],
        one["not_did_retained"],
        one["not_did_not_retained"],
    ) == (3, 1, 1, 3)
    assert one["phi"] == pytest.approx((3 * 3 - 1 * 1) / math.sqrt(4 * 4 * 4 * 4))
    assert one["ppv"] == 0.75
    assert one["coverage"] == 0.75
    assert one["base_rate"] == 0.5
    assert one["lift"] == 1.5
    assert one["lift_ci_low"] < 1.5 < one["lift_ci_high"]
    assert one["odds_ratio"] == pytest.approx((4 * 4) / (2 * 2))
    two = tab.loc[2]
    assert (two["did_retained"], two["did_not_retained"]) == (2, 0)
    # two invites: (2, 0, 2, 4), phi = 8 / sqrt(2*4*6*4) = 0.577 beats one invite's 0.5
    assert r.best["threshold"].tolist() == [2]
    assert r.best["phi"].item() == r.table["phi"].max()
    assert (r.users, r.retained, r.excluded) == (8, 4, 0)
    assert r.caveat == CAUSATION_CAVEAT
    assert "Correlation, not cause" in repr(r)


def test_outcome_window_excludes_unobservable_signups() -> None:
    df = pd.concat(
        [
            log(),
            pd.DataFrame(
                {"user_id": ["late"], "event": ["signup"], "timestamp": [T0 + pd.Timedelta("40D")]}
            ),
        ]
    )
    r = aha_moments(df, signup_event="signup", as_of="2024-03-01", thresholds=[1])
    assert r.excluded == 1
    assert r.users == 8
    with pytest.raises(InsufficientDataError, match=r"retention window is longer than the log"):
        aha_moments(log(), signup_event="signup", retained=("28D", "56D"), as_of="2024-02-01")


def test_churn_definition_outcome_and_thresholds_nobody_reaches() -> None:
    with pytest.warns(InsufficientDataWarning, match=r"No user reaches threshold\(s\) \[5\]"):
        r = aha_moments(
            log(),
            signup_event="signup",
            retained=ChurnDefinition(threshold="40D"),
            thresholds=[1, 5],
            as_of="2024-02-15",
        )
    assert set(r.table["threshold"]) == {1}
    # active within 40 days of 2024-02-15: u0-u2, u6 (day 30) and u7 (day 9); not u3-u5
    assert r.retained == 5


def test_bad_inputs() -> None:
    with pytest.raises(InvalidParameterError, match=r"thresholds must be positive integers"):
        aha_moments(log(), thresholds=[0, 1], as_of="2024-03-31")
    with pytest.raises(InvalidParameterError, match=r"confidence must be one of"):
        aha_moments(log(), confidence=0.5, as_of="2024-03-31")
    with pytest.raises(InvalidParameterError, match=r"retained must be a \(from, to\) pair"):
        aha_moments(log(), retained="30D", as_of="2024-03-31")
    with pytest.raises(InvalidParameterError, match=r"ends .* at or before it starts"):
        aha_moments(log(), retained=("30D", "10D"), as_of="2024-03-31")
    with pytest.raises(InvalidParameterError, match=r"Unknown event name.*'sigup'.*did you mean"):
        aha_moments(log(), signup_event="sigup")
    with pytest.raises(InvalidParameterError, match=r"censored must be"):
        aha_moments(log(), censored="drop", as_of="2024-03-31")
    with pytest.raises(InvalidParameterError, match=r"not both"):
        aha_moments(log(), outcome_event="open", retained=ChurnDefinition(threshold="9D"))


def test_growth_path_medians_by_group() -> None:
    g = growth_path(log(), key_events=["invite", "open"], signup_event="signup", as_of="2024-03-31")
    tab = g.table.set_index(["event", "group"])
    assert tab.loc[("invite", "retained"), "did"] == 3
    assert tab.loc[("invite", "retained"), "median_time"] == pd.Timedelta("1D")
    assert tab.loc[("invite", "churned"), "did"] == 2  # u3 on day 1, u7 on day 9
    assert tab.loc[("invite", "churned"), "median_time"] == pd.Timedelta("5D")
    assert tab.loc[("open", "churned"), "did"] == 0
    assert pd.isna(tab.loc[("open", "churned"), "median_time"])
    with pytest.raises(InvalidParameterError, match=r"key_events must be a non-empty list"):
        growth_path(log(), key_events=[])


def test_plots() -> None:
    import matplotlib

    matplotlib.use("Agg")
    assert (
        aha_moments(log(), signup_event="signup", thresholds=[1], as_of="2024-03-31").plot()
        is not None
    )
    assert (
        growth_path(log(), key_events=["invite"], signup_event="signup", as_of="2024-03-31").plot()
        is not None
    )
