"""Hand-computed cases for growth_accounting() and growth_states(), options and errors."""

from __future__ import annotations

import json
from collections.abc import Iterator

import matplotlib
import numpy as np
import pandas as pd
import pytest

from useropslib.events import EventLog, strict_events
from useropslib.exceptions import InsufficientDataWarning, InvalidParameterError
from useropslib.metrics import (
    GROWTH_STATES,
    GrowthAccountingResult,
    growth_accounting,
    growth_states,
)


@pytest.fixture(autouse=True)
def _strict_event_names() -> Iterator[None]:
    """These cases pin the errors for unknown event names (the warning is tested elsewhere)."""
    with strict_events():
        yield


matplotlib.use("Agg")

T0 = pd.Timestamp("2024-01-01", tz="UTC")


def at(day: int, hour: int = 12) -> pd.Timestamp:
    return T0 + pd.Timedelta(days=day, hours=hour)


def frame(rows: list[tuple[str, str, pd.Timestamp]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["user_id", "event", "timestamp"])


# ============================================================================ growth accounting
@pytest.fixture
def monthly() -> EventLog:
    """Months Jan..Apr: a J, F, A; b J, M (buy in M); c F, M (buy in F); d M."""
    m = {"J": "2024-01-10", "F": "2024-02-10", "M": "2024-03-10", "A": "2024-04-10"}
    rows = [
        ("a", "open", m["J"]),
        ("a", "open", m["F"]),
        ("a", "open", m["A"]),
        ("b", "open", m["J"]),
        ("b", "buy", m["M"]),
        ("c", "buy", m["F"]),
        ("c", "open", m["M"]),
        ("d", "open", m["M"]),
    ]
    df = frame([(u, e, pd.Timestamp(t, tz="UTC")) for u, e, t in rows])
    return EventLog.from_pandas(df)


def test_growth_accounting_counts(monthly: EventLog) -> None:
    r = growth_accounting(monthly)
    assert isinstance(r, GrowthAccountingResult)
    assert r.counts.index.tolist() == [
        pd.Timestamp(f"2024-0{m}-01", tz="UTC") for m in (1, 2, 3, 4)
    ]
    got = {c: r.counts[c].tolist() for c in r.counts.columns}
    assert got == {
        "active": [2, 2, 3, 1],
        "new": [2, 1, 1, 0],
        "retained": [0, 1, 1, 0],
        "resurrected": [0, 0, 1, 1],
        "churned": [0, 1, 1, 3],
        "net_change": [2, 0, 1, -2],
        "ever_active": [2, 3, 4, 4],
        "lapsed": [0, 1, 1, 3],
    }
    c = r.counts
    np.testing.assert_array_equal(c["active"], c["new"] + c["retained"] + c["resurrected"])
    np.testing.assert_array_equal(c["net_change"], c["new"] + c["resurrected"] - c["churned"])


def test_growth_accounting_rates(monthly: EventLog) -> None:
    r = growth_accounting(monthly)
    np.testing.assert_allclose(r.rates["quick_ratio"], [np.nan, 1.0, 2.0, 1 / 3])
    np.testing.assert_allclose(r.rates["retention_rate"], [np.nan, 0.5, 0.5, 0.0])
    np.testing.assert_allclose(r.rates["churn_rate"], [np.nan, 0.5, 0.5, 1.0])
    np.testing.assert_allclose(r.rates["growth_rate"], [np.nan, 0.0, 0.5, -2 / 3])


def test_growth_accounting_new_is_first_qualifying_activity(monthly: EventLog) -> None:
    # paying users: b pays first in March (new then, not resurrected)
    r = growth_accounting(monthly, activity_events="buy")
    assert r.counts["active"].tolist() == [1, 1, 0]
    assert r.counts["new"].tolist() == [1, 1, 0]
    assert r.counts["churned"].tolist() == [0, 1, 1]
    assert r.counts.index[0] == pd.Timestamp("2024-02-01", tz="UTC")


def test_growth_accounting_range_with_history(monthly: EventLog) -> None:
    r = growth_accounting(monthly, start="2024-03-05", end="2024-04-30")
    # February is looked up: a and c were active; the pool already holds a, b, c
    assert r.counts["retained"].tolist() == [1, 0]
    assert r.counts["resurrected"].tolist() == [1, 1]
    assert r.counts["churned"].tolist() == [1, 3]
    assert r.counts["ever_active"].tolist() == [4, 4]
    assert r.rates["retention_rate"].tolist() == [0.5, 0.0]


def test_growth_accounting_weeks_and_tz(monthly: EventLog) -> None:
    r = growth_accounting(monthly, period="week", week_start="sunday", tz="Asia/Shanghai")
    assert r.counts.index[0] == pd.Timestamp("2024-01-07", tz="Asia/Shanghai")
    assert int(r.counts["new"].sum()) == 4


def test_growth_accounting_result_shapes(monthly: EventLog) -> None:
    r = growth_accounting(monthly)
    tidy = r.to_frame()
    assert list(tidy.columns) == ["period_start", "metric", "value"]
    assert len(tidy) == 4 * 12
    json.dumps(r.to_dict())
    assert "GrowthAccountingResult(period='month'" in repr(r)
    assert r.plot().get_ylabel() == "users"


def test_growth_accounting_empty(monthly: EventLog) -> None:
    with pytest.warns(InsufficientDataWarning, match="growth_accounting"):
        r = growth_accounting(monthly, start="2030-01-01", end="2030-02-01")
    assert r.counts["active"].tolist() == [0, 0]
    assert r.counts["ever_active"].tolist() == [4, 4]
    with pytest.warns(InsufficientDataWarning):
        empty = growth_accounting(monthly.filter_events("open"), activity_events="buy")
    assert empty.counts.empty
    assert empty.rates.empty


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"period": "quarter"}, "Unsupported period 'quarter'"),
        ({"start": "2024-03-01", "end": "2024-01-01"}, "is before start"),
        ({"tz": "UTC+8"}, "Unknown time zone 'UTC\\+8'"),
        ({"activity_events": "bye"}, r"Unknown event name\(s\) \['bye'\]"),
    ],
)
def test_growth_accounting_errors(monthly: EventLog, kwargs: dict[str, object], match: str) -> None:
    with pytest.raises(InvalidParameterError, match=match):
        growth_accounting(monthly, **kwargs)  # type: ignore[arg-type]


# ============================================================================ growth states
@pytest.fixture
def daily() -> EventLog:
    """u: days 0, 1, 3, 12; v: days 2, 40 (a lesson on 40); w: day 5 (an email only)."""
    rows = [
        ("u", "lesson", at(0)),
        ("u", "lesson", at(1)),
        ("u", "lesson", at(3)),
        ("u", "lesson", at(12)),
        ("v", "lesson", at(2)),
        ("v", "lesson", at(40)),
        ("w", "email", at(5)),
    ]
    return EventLog.from_pandas(frame(rows))


def test_growth_states_counts_partition_the_users(daily: EventLog) -> None:
    r = growth_states(daily, start=at(0), end=at(41))
    assert list(r.counts.columns) == list(GROWTH_STATES)
    ever = r.active["ever_active"]
    np.testing.assert_array_equal(r.counts.sum(axis=1), ever)
    assert ever.tolist()[:6] == [1, 1, 2, 2, 2, 3]
    day = r.counts.loc[T0 + pd.Timedelta(days=12)]
    # u reactivated (gap 9), v at risk MAU (gap 10), w at risk WAU (gap 7 -> MAU)
    assert day["reactivated"] == 1
    assert day["at_risk_mau"] == 2
    assert r.counts.loc[T0 + pd.Timedelta(days=40), "resurrected"] == 1
    assert r.user_states().to_dict() == {"u": "at_risk_mau", "v": "at_risk_wau", "w": "dormant"}


def test_growth_states_active_columns(daily: EventLog) -> None:
    r = growth_states(daily, start=at(3), end=at(3))
    assert r.active.iloc[0].to_dict() == {"dau": 1, "wau": 2, "mau": 2, "ever_active": 2}


def test_growth_states_event_filter_and_windows(daily: EventLog) -> None:
    r = growth_states(daily, activity_events="lesson", start=at(0), end=at(13))
    assert "w" not in r.user_states().index
    # with a 3-day week and a 10-day month, u's day 12 (gap 9) is reactivated and v is dormant
    short = growth_states(
        daily, activity_events="lesson", start=at(12), end=at(12), week_days=3, month_days=10
    )
    assert short.user_states().to_dict() == {"u": "reactivated", "v": "dormant"}
    assert short.params["week_days"] == 3


def test_growth_states_transitions_and_rates(daily: EventLog) -> None:
    r = growth_states(daily, start=at(0), end=at(3))
    # day 0 -> 1: u new -> current; 1 -> 2: u current -> at_risk_wau, v enters (not counted);
    # 2 -> 3: u at_risk_wau -> current, v new -> at_risk_wau
    t = r.transitions
    assert t.loc["new", "current"] == 1
    assert t.loc["current", "at_risk_wau"] == 1
    assert t.loc["at_risk_wau", "current"] == 1
    assert t.loc["new", "at_risk_wau"] == 1
    assert int(t.to_numpy().sum()) == 4
    assert r.rates.index.tolist() == [T0 + pd.Timedelta(days=d) for d in range(3)]
    assert r.rates["NURR"].tolist()[0] == 1.0
    assert np.isnan(r.rates["NURR"].tolist()[1])
    assert r.pooled_rates["NURR"] == 0.5
    assert r.pooled_rates["iWAURR"] == 1.0
    assert np.isnan(r.pooled_rates["SURR"])


def test_growth_states_time_zone() -> None:
    df = frame(
        [
            ("a", "x", pd.Timestamp("2024-01-01 20:00Z")),
            ("a", "x", pd.Timestamp("2024-01-02 01:00Z")),
        ]
    )
    assert growth_states(df).counts["current"].tolist() == [0, 1]
    # in Shanghai both events are on 2024-01-02
    sh = growth_states(df, tz="Asia/Shanghai")
    assert sh.counts.index.tolist() == [pd.Timestamp("2024-01-02", tz="Asia/Shanghai")]
    assert sh.counts["new"].tolist() == [1]


def test_growth_states_result_shapes(daily: EventLog) -> None:
    r = growth_states(daily, start=at(0), end=at(5))
    tidy = r.to_frame()
    assert list(tidy.columns) == ["period_start", "state", "users"]
    assert len(tidy) == 6 * 7
    d = r.to_dict()
    json.dumps(d)
    assert "_states" not in d
    assert d["params"]["month_days"] == 30
    assert r.user_states().dtype == "category"
    assert "GrowthStatesResult(" in repr(r)
    assert r.plot().get_ylabel() == "users"


def test_growth_states_empty(daily: EventLog) -> None:
    with pytest.warns(InsufficientDataWarning, match="growth_states"):
        r = growth_states(daily.filter_events("email"), activity_events="lesson")
    assert r.counts.empty
    assert r.rates.empty
    assert r.user_states().empty
    assert np.isnan(r.pooled_rates).all()


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"week_days": 1}, "Invalid week_days=1"),
        ({"month_days": True}, "Invalid month_days=True"),
        ({"week_days": 7, "month_days": 7}, "must be larger than week_days=7"),
        ({"start": "2024-02-01", "end": "2024-01-01"}, "is before start"),
        ({"tz": "Europe/Berln"}, "Did you mean 'Europe/Berlin'"),
        ({"activity_events": "lessons"}, r"Unknown event name\(s\) \['lessons'\]"),
    ],
)
def test_growth_states_errors(daily: EventLog, kwargs: dict[str, object], match: str) -> None:
    with pytest.raises(InvalidParameterError, match=match):
        growth_states(daily, **kwargs)  # type: ignore[arg-type]
