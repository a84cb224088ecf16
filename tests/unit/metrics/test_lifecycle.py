"""Hand-computed cases for lifecycle(): every option and every error."""

from __future__ import annotations

import json
from collections.abc import Iterator

import matplotlib
import numpy as np
import pandas as pd
import pytest

from useropslib.events import EventLog, strict_events
from useropslib.exceptions import (
    EventSchemaError,
    InsufficientDataWarning,
    InvalidParameterError,
)
from useropslib.metrics import LifecycleResult, lifecycle


@pytest.fixture(autouse=True)
def _strict_event_names() -> Iterator[None]:
    """These cases pin the errors for unknown event names (the warning is tested elsewhere)."""
    with strict_events():
        yield


matplotlib.use("Agg")

T0 = pd.Timestamp("2024-01-01", tz="UTC")  # a Monday


def at(day: int, hour: int = 12) -> pd.Timestamp:
    return T0 + pd.Timedelta(days=day, hours=hour)


@pytest.fixture
def df() -> pd.DataFrame:
    """Days: a 0, 1, 3 (open) and 2 (signup); b 1 (signup), 2; c 3 (open, buy), 4 (buy)."""
    rows = [
        ("a", "open", at(0)),
        ("a", "open", at(1)),
        ("a", "signup", at(2)),
        ("a", "open", at(3)),
        ("b", "signup", at(1)),
        ("b", "open", at(2)),
        ("c", "open", at(3)),
        ("c", "buy", at(3)),
        ("c", "buy", at(4)),
    ]
    out = pd.DataFrame(rows, columns=["user_id", "event", "timestamp"])
    out["joined"] = out["user_id"].map(
        {"a": "2024-01-01 12:00", "b": "2023-12-25 08:00", "c": None}
    )
    return out


@pytest.fixture
def log(df: pd.DataFrame) -> EventLog:
    return EventLog.from_pandas(df)


def counts(r: LifecycleResult) -> dict[str, list[int]]:
    return {c: r.counts[c].tolist() for c in r.counts.columns}


def test_daily_statuses(log: EventLog) -> None:
    r = lifecycle(log, period="day")
    assert r.counts.index.tolist() == [T0 + pd.Timedelta(days=d) for d in range(5)]
    assert counts(r) == {
        "new": [1, 1, 0, 1, 0],
        "returning": [0, 1, 2, 1, 1],
        "resurrecting": [0, 0, 0, 0, 0],
        "dormant": [0, 0, 0, -1, -1],
    }
    np.testing.assert_array_equal(r.active.to_numpy(), [1, 2, 2, 2, 1])


def test_positive_dormant_sign(log: EventLog) -> None:
    r = lifecycle(log, period="day", dormant_sign="positive")
    assert r.counts["dormant"].tolist() == [0, 0, 0, 1, 1]
    assert r.params["dormant_sign"] == "positive"


def test_event_filter_keeps_new_by_first_event_of_any_kind(log: EventLog) -> None:
    r = lifecycle(log, period="day", activity_events="open")
    # b's first event (signup, day 1) makes b new on day 1 although b opens on day 2 only
    assert counts(r) == {
        "new": [1, 0, 0, 1, 0],
        "returning": [0, 1, 0, 0, 0],
        "resurrecting": [0, 0, 1, 1, 0],
        "dormant": [0, 0, -1, -1, -2],
    }


def test_previous_period_before_start_is_looked_up(log: EventLog) -> None:
    r = lifecycle(log, period="day", start=at(2), end=at(3))
    assert counts(r) == {
        "new": [0, 1],
        "returning": [2, 1],
        "resurrecting": [0, 0],
        "dormant": [0, -1],
    }
    with pytest.warns(InsufficientDataWarning):
        later = lifecycle(log, period="day", start=at(6), end=at(7))
    assert later.counts["dormant"].tolist() == [0, 0]
    assert lifecycle(log, period="day", start=at(5), end=at(5)).counts["dormant"].tolist() == [-1]


def test_weeks_and_week_start(log: EventLog) -> None:
    monday = lifecycle(log, period="week")
    assert monday.counts.index.tolist() == [T0]
    assert counts(monday) == {"new": [3], "returning": [0], "resurrecting": [0], "dormant": [0]}
    sunday = lifecycle(log, period="week", week_start="sunday")
    assert sunday.counts.index.tolist() == [T0 - pd.Timedelta(days=1)]


def test_time_zone_moves_day_boundaries() -> None:
    df = pd.DataFrame(
        {
            "user_id": ["a", "a"],
            "event": ["open", "open"],
            "timestamp": pd.to_datetime(["2024-01-01 15:00Z", "2024-01-01 17:00Z"]),
        }
    )
    utc = lifecycle(df, period="day")
    assert counts(utc)["new"] == [1]
    shanghai = lifecycle(df, period="day", tz="Asia/Shanghai")
    assert shanghai.counts.index[0] == pd.Timestamp("2024-01-01", tz="Asia/Shanghai")
    assert counts(shanghai) == {
        "new": [1, 0],
        "returning": [0, 1],
        "resurrecting": [0, 0],
        "dormant": [0, 0],
    }


def test_created_at_mapping(log: EventLog) -> None:
    # c was created on day 1, before its first event on day 3
    r = lifecycle(log, period="day", created_at={"a": at(0), "b": at(1), "c": at(1)})
    assert r.counts["new"].tolist() == [1, 1, 0, 0, 0]
    assert r.counts["resurrecting"].tolist() == [0, 0, 0, 1, 0]
    assert r.params["created_at"] == "given"


def test_created_at_series_frame_and_fallback(log: EventLog) -> None:
    # b created a week earlier: b's first activity is then resurrecting; c falls back to its
    # first event; unknown ids are ignored
    series = pd.Series({"a": "2024-01-01 00:30", "b": "2023-12-25", "zz": "2024-01-02"})
    r = lifecycle(log, period="day", created_at=series)
    assert r.counts["new"].tolist() == [1, 0, 0, 1, 0]
    assert r.counts["resurrecting"].tolist() == [0, 1, 0, 0, 0]
    table = series.rename_axis("user_id").rename("created_at").reset_index()
    pd.testing.assert_frame_equal(lifecycle(log, period="day", created_at=table).counts, r.counts)


def test_created_at_property_column(log: EventLog) -> None:
    r = lifecycle(log, period="day", created_at="joined")
    assert r.counts["new"].tolist() == [1, 0, 0, 1, 0]


def test_naive_created_at_is_read_in_the_calendar_zone(log: EventLog) -> None:
    # 2024-01-02 07:00 in Shanghai is 2024-01-01 23:00 UTC: created on day 0 in UTC
    r = lifecycle(log, period="day", created_at={"b": "2024-01-02 07:00"}, tz="Asia/Shanghai")
    assert r.params["tz"] == "Asia/Shanghai"
    utc = lifecycle(log, period="day", created_at={"b": "2024-01-02 07:00+08:00"})
    assert utc.counts["new"].tolist() == [1, 0, 0, 1, 0]
    assert utc.counts["resurrecting"].tolist() == [0, 1, 0, 0, 0]


def test_result_shapes(log: EventLog) -> None:
    r = lifecycle(log, period="day")
    tidy = r.to_frame()
    assert list(tidy.columns) == ["period_start", "status", "users"]
    assert len(tidy) == 20
    d = r.to_dict()
    json.dumps(d)
    assert d["params"]["period"] == "day"
    assert len(d["counts"]) == 5
    assert "LifecycleResult(period='day'" in repr(r)
    ax = r.plot()
    assert ax.get_ylabel() == "users"


def test_frame_input_is_not_mutated(df: pd.DataFrame) -> None:
    before = df.copy()
    lifecycle(df, period="day", created_at="joined")
    pd.testing.assert_frame_equal(df, before)


def test_empty_range_warns(log: EventLog) -> None:
    with pytest.warns(InsufficientDataWarning, match="lifecycle"):
        r = lifecycle(log, period="day", start="2025-01-01", end="2025-01-02")
    assert counts(r) == {s: [0, 0] for s in ("new", "returning", "resurrecting", "dormant")}
    with pytest.warns(InsufficientDataWarning):
        empty = lifecycle(log.filter_events("open"), activity_events="buy")
    assert empty.counts.empty
    assert list(empty.counts.columns) == [
        "new",
        "returning",
        "resurrecting",
        "dormant",
    ]


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"period": "fortnight"}, "Unsupported period 'fortnight'"),
        ({"dormant_sign": "negativ"}, "Invalid dormant_sign='negativ'.*did you mean 'negative'"),
        ({"start": "2024-01-05", "end": "2024-01-01"}, "is before start"),
        ({"tz": "Mars/Olympus"}, "Unknown time zone 'Mars/Olympus'"),
        ({"activity_events": "opn"}, r"Unknown event name\(s\) \['opn'\]"),
        ({"created_at": "join"}, "created_at='join' is not a property column.*'joined'"),
        ({"created_at": 5}, "Invalid created_at of type int"),
        (
            {"created_at": pd.DataFrame({"user": ["a"], "created": ["2024-01-01"]})},
            r"lacks column\(s\) \['user_id', 'created_at'\]",
        ),
    ],
)
def test_bad_parameters(log: EventLog, kwargs: dict[str, object], match: str) -> None:
    with pytest.raises(InvalidParameterError, match=match):
        lifecycle(log, **kwargs)  # type: ignore[arg-type]


def test_unreadable_created_at(log: EventLog) -> None:
    with pytest.raises(EventSchemaError, match="created_at failed validation"):
        lifecycle(log, created_at={"a": "not a time"})
