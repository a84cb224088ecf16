"""Hand-computed cases for active_users, stickiness_ratio and stickiness, and their errors."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator

import matplotlib
import numpy as np
import pandas as pd
import pytest

from useropslib.events import EventLog, strict_events
from useropslib.exceptions import InsufficientDataWarning, InvalidParameterError
from useropslib.metrics import (
    StickinessResult,
    active_users,
    stickiness,
    stickiness_ratio,
)


@pytest.fixture(autouse=True)
def _strict_event_names() -> Iterator[None]:
    """These cases pin the errors for unknown event names (the warning is tested elsewhere)."""
    with strict_events():
        yield


matplotlib.use("Agg")

T0 = pd.Timestamp("2024-01-01", tz="UTC")  # a Monday


def at(day: int, hour: int = 12) -> pd.Timestamp:
    return T0 + pd.Timedelta(days=day, hours=hour)


def frame(rows: list[tuple[str, str, pd.Timestamp]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["user_id", "event", "timestamp"])


@pytest.fixture
def df() -> pd.DataFrame:
    """a: days 0, 1, 9 (open); b: day 1 (buy), day 20; c: day 3 and twice on day 4."""
    return frame(
        [
            ("a", "open", at(0)),
            ("a", "open", at(1)),
            ("b", "buy", at(1)),
            ("c", "open", at(3)),
            ("c", "open", at(4, 1)),
            ("c", "buy", at(4, 2)),
            ("a", "open", at(9)),
            ("b", "open", at(20)),
        ]
    )


@pytest.fixture
def log(df: pd.DataFrame) -> EventLog:
    return EventLog.from_pandas(df)


# ============================================================================ active_users
def test_dau_per_calendar_day(log: EventLog) -> None:
    s = active_users(log, start=at(0), end=at(4))
    assert s.name == "active_users"
    assert s.index.name == "period_start"
    assert s.index[0] == T0
    assert s.tolist() == [1, 2, 0, 1, 1]


def test_calendar_week_and_month(log: EventLog) -> None:
    weeks = active_users(log, window="week")
    assert weeks.index.tolist() == [T0 + pd.Timedelta(days=7 * k) for k in range(3)]
    assert weeks.tolist() == [3, 1, 1]
    assert active_users(log, window="month").tolist() == [3]


def test_calendar_hour(log: EventLog) -> None:
    s = active_users(log, window="hour", start=at(4, 0), end=at(4, 3))
    assert s.tolist() == [0, 1, 1, 0]


def test_default_range_runs_from_first_event_to_as_of(df: pd.DataFrame) -> None:
    log = EventLog.from_pandas(df, as_of=at(22))
    s = active_users(log)
    assert s.index[0] == T0
    assert s.index[-1] == T0 + pd.Timedelta(days=22)
    assert s.iloc[-1] == 0


def test_rolling_window_looks_back_before_start(log: EventLog) -> None:
    s = active_users(log, window="7D", start=at(5), end=at(10))
    # day 5 covers days -1..5: a, b, c; day 8 covers 2..8: c; day 9 covers 3..9: c, a
    assert s.tolist() == [3, 3, 3, 1, 2, 2]
    assert s.index[0] == T0 + pd.Timedelta(days=5)


def test_rolling_window_spellings_agree(log: EventLog) -> None:
    ref = active_users(log, window="7D")
    pd.testing.assert_series_equal(active_users(log, window="1W"), ref)
    pd.testing.assert_series_equal(active_users(log, window=dt.timedelta(days=7)), ref)
    pd.testing.assert_series_equal(active_users(log, window="1D"), active_users(log, window="day"))


def test_rolling_window_every_week_and_month(log: EventLog) -> None:
    weekly = active_users(log, window="7D", every="week")
    assert weekly.index.tolist() == [T0 + pd.Timedelta(days=7 * k) for k in range(3)]
    # Mondays 0, 7, 14 each count the 7 days ending on them: {a}, {a, b, c}, {a}
    assert weekly.tolist() == [1, 3, 1]
    monthly = active_users(log, window="30D", every="month")
    assert monthly.index.tolist() == [T0]
    assert monthly.tolist() == [1]


def test_week_start_and_time_zone(log: EventLog) -> None:
    sunday = active_users(log, window="week", week_start="sunday")
    assert sunday.index[0] == pd.Timestamp("2023-12-31", tz="UTC")
    # c's events of 2024-01-05 01:00 and 02:00 UTC fall on Jan 4 in New York
    utc = active_users(log, start="2024-01-04", end="2024-01-05")
    ny = active_users(log, tz="America/New_York", start="2024-01-04", end="2024-01-05")
    assert str(ny.index.tz) == "America/New_York"
    assert utc.tolist() == [1, 1]
    assert ny.tolist() == [1, 0]


def test_event_filter(log: EventLog) -> None:
    assert active_users(log, window="month", activity_events="buy").tolist() == [2]
    assert active_users(log, window="month", activity_events=["buy", "open"]).tolist() == [3]


def test_frame_input_is_not_mutated(df: pd.DataFrame) -> None:
    before = df.copy()
    active_users(df, window="7D")
    pd.testing.assert_frame_equal(df, before)


def test_empty_range_gives_zeros_and_a_warning(log: EventLog) -> None:
    with pytest.warns(InsufficientDataWarning, match="no qualifying event"):
        s = active_users(log, start="2025-01-01", end="2025-01-03")
    assert s.tolist() == [0, 0, 0]


def test_no_qualifying_event_gives_an_empty_series(log: EventLog) -> None:
    view = log.filter_events("open")  # 'buy' is still a known name, with no event here
    with pytest.warns(InsufficientDataWarning):
        s = active_users(view, activity_events="buy")
    assert s.empty
    assert s.dtype == np.int64
    assert str(s.index.tz) == "UTC"


def test_start_after_as_of_gives_an_empty_series(log: EventLog) -> None:
    with pytest.warns(InsufficientDataWarning):
        assert active_users(log, start="2030-01-01").empty


@pytest.mark.parametrize(
    ("window", "match"),
    [
        ("fortnight", "Unsupported window 'fortnight'"),
        ("weak", "did you mean 'week'"),
        ("36h", "whole number of days"),
        ("0D", "Unsupported window '0D'"),
        ("3M", "Unsupported window '3M'"),
        (7, "Expected a calendar period"),
    ],
)
def test_bad_window(log: EventLog, window: object, match: str) -> None:
    with pytest.raises(InvalidParameterError, match=match):
        active_users(log, window=window)  # type: ignore[arg-type]


def test_every_with_a_calendar_window(log: EventLog) -> None:
    with pytest.raises(InvalidParameterError, match="applies to rolling windows only"):
        active_users(log, window="day", every="week")


def test_every_hour_and_unknown_every(log: EventLog) -> None:
    with pytest.raises(InvalidParameterError, match="Unsupported every='hour'"):
        active_users(log, window="7D", every="hour")
    with pytest.raises(InvalidParameterError, match="Unsupported period 'fortnight'"):
        active_users(log, window="7D", every="fortnight")  # type: ignore[arg-type]


def test_end_before_start(log: EventLog) -> None:
    with pytest.raises(InvalidParameterError, match="end='2024-01-01' is before start"):
        active_users(log, start="2024-01-05", end="2024-01-01")


def test_unreadable_bound(log: EventLog) -> None:
    with pytest.raises(InvalidParameterError, match="Cannot read start='yesterday'"):
        active_users(log, start="yesterday")


def test_invalid_time_zone(log: EventLog) -> None:
    with pytest.raises(InvalidParameterError, match="Unknown time zone 'Asia/Shanghia'"):
        active_users(log, tz="Asia/Shanghia")


def test_invalid_week_start(log: EventLog) -> None:
    with pytest.raises(InvalidParameterError, match="Invalid week_start='someday'"):
        active_users(log, window="week", week_start="someday")  # type: ignore[arg-type]


def test_unknown_event(log: EventLog) -> None:
    with pytest.raises(InvalidParameterError, match=r"Unknown event name\(s\) \['opne'\].*'open'"):
        active_users(log, activity_events="opne")


@pytest.mark.parametrize(
    ("event", "match"), [([], "names no event"), (5, "Invalid activity_events=5")]
)
def test_bad_event_argument(log: EventLog, event: object, match: str) -> None:
    with pytest.raises(InvalidParameterError, match=match):
        active_users(log, activity_events=event)  # type: ignore[arg-type]


# ============================================================================ stickiness_ratio
def test_dau_over_rolling_mau(log: EventLog) -> None:
    r = stickiness_ratio(log, start=at(0), end=at(4))
    # DAU 1, 2, 0, 1, 1 over 30-day MAU 1, 2, 2, 3, 3
    np.testing.assert_allclose(r.to_numpy(), [1, 1, 0, 1 / 3, 1 / 3])
    assert r.name == "stickiness_ratio"


def test_wau_over_mau_and_zero_denominator(log: EventLog) -> None:
    r = stickiness_ratio(log, numerator="7D", denominator="30D", start=at(8), end=at(9))
    np.testing.assert_allclose(r.to_numpy(), [1 / 3, 2 / 3])
    with pytest.warns(InsufficientDataWarning):
        empty = stickiness_ratio(log, start="2025-06-01", end="2025-06-02")
    assert empty.isna().all()


def test_mean_dau_over_calendar_month(log: EventLog) -> None:
    r = stickiness_ratio(log, denominator="month")
    # 7 active user-days in January over 31 days, 3 users
    assert r.index.tolist() == [T0]
    assert r.iloc[0] == pytest.approx(7 / 31 / 3)
    w = stickiness_ratio(log, denominator="week")
    assert w.iloc[0] == pytest.approx(5 / 7 / 3)


@pytest.mark.parametrize(
    ("num", "den", "match"),
    [
        ("week", "30D", "Unsupported numerator='week'"),
        ("7D", "7D", "must be a longer window"),
        ("7D", "month", "calendar denominator"),
        ("day", "day", "calendar denominator"),
    ],
)
def test_bad_ratio_windows(log: EventLog, num: str, den: str, match: str) -> None:
    with pytest.raises(InvalidParameterError, match=match):
        stickiness_ratio(log, numerator=num, denominator=den)


# ============================================================================ stickiness
def test_stickiness_range_exact_and_cumulative(log: EventLog) -> None:
    r = stickiness(log, start=at(0), end=at(9))
    assert isinstance(r, StickinessResult)
    # a: 3 days (0, 1, 9); b: 1 day (1; day 20 is outside); c: 2 days
    assert r.counts.index.tolist() == list(range(1, 11))
    assert r.counts.tolist()[:4] == [1, 1, 1, 0]
    assert r.total == 3
    np.testing.assert_allclose(r.rates.to_numpy()[:3], [1 / 3] * 3)
    cum = stickiness(log, start=at(0), end=at(9), cumulative=True)
    assert cum.counts.tolist()[:4] == [3, 2, 1, 0]
    assert cum.rates.iloc[0] == 1.0
    assert r.per_user().set_index("user_id")["intervals"].to_dict() == {"a": 3, "b": 1, "c": 2}


def test_stickiness_weeks_and_hours(log: EventLog) -> None:
    assert stickiness(log, period="week").counts.tolist() == [1, 2, 0]
    hours = stickiness(log, period="hour", start=at(4, 0), end=at(4, 3))
    assert hours.counts.tolist() == [0, 1, 0, 0]


def test_interval_count_groups_from_the_end(log: EventLog) -> None:
    # days 0..4 in groups of 2 counted back from day 4: {4, 3}, {2, 1}, {0}
    r = stickiness(log, start=at(0), end=at(4), interval_count=2)
    assert r.counts.index.name == "intervals"
    assert r.counts.index.tolist() == [1, 2, 3]
    # a: {0} and {1} -> 2 intervals; b: {1} -> 1; c: {3, 4} -> 1
    assert r.counts.tolist() == [2, 1, 0]


def test_stickiness_criteria(log: EventLog) -> None:
    # c has 2 events on day 4, everyone else 1 event per active day
    at_least_two = stickiness(log, start=at(0), end=at(9), min_events=2)
    assert at_least_two.total == 1
    assert at_least_two.counts.iloc[0] == 1
    at_most_one = stickiness(log, start=at(0), end=at(9), max_events=1)
    assert at_most_one.per_user().set_index("user_id")["intervals"].to_dict() == {
        "a": 3,
        "b": 1,
        "c": 1,
    }
    exactly_two = stickiness(log, start=at(0), end=at(9), min_events=2, max_events=2)
    assert exactly_two.per_user()["user_id"].tolist() == ["c"]


def test_stickiness_within_week_amplitude(log: EventLog) -> None:
    r = stickiness(log, within="week")
    assert r.counts.index.tolist() == list(range(1, 8))
    # user-weeks: a wk0 2 days, b wk0 1, c wk0 2, a wk1 1, b wk2 1
    assert r.counts.tolist() == [3, 2, 0, 0, 0, 0, 0]
    assert r.counts.name == "user_weeks"
    assert r.total == 5
    assert r.table is not None
    assert r.table.index.name == "week_start"
    assert r.table.to_numpy()[:, :2].tolist() == [[1, 2], [1, 0], [1, 0]]
    frame = r.per_user()
    assert list(frame.columns) == ["user_id", "window_start", "intervals"]
    assert len(frame) == 5


def test_stickiness_within_month(log: EventLog) -> None:
    r = stickiness(log, within="month", cumulative=True)
    assert len(r.counts) == 31
    # user-months: a 3 days, b 2 days (1 and 20), c 2 days
    assert r.counts.tolist()[:4] == [3, 3, 1, 0]


def test_stickiness_result_shapes(log: EventLog) -> None:
    r = stickiness(log, start=at(0), end=at(9))
    assert r.table is None
    tidy = r.to_frame()
    assert list(tidy.columns) == ["intervals", "count", "rate"]
    assert len(tidy) == 10
    d = r.to_dict()
    json.dumps(d)
    assert d["params"]["within"] == "range"
    assert d["total"] == 3
    assert "_per_user" not in d
    assert "StickinessResult(period='day'" in repr(r)
    ax = r.plot()
    assert ax.get_ylabel() == "users"


def test_stickiness_empty_range(log: EventLog) -> None:
    with pytest.warns(InsufficientDataWarning):
        r = stickiness(log, start="2025-01-01", end="2025-01-02")
    assert r.total == 0
    assert r.counts.tolist() == [0, 0]
    view = log.filter_events("open")
    with pytest.warns(InsufficientDataWarning):
        empty = stickiness(view, activity_events="buy", within="week")
    assert empty.counts.empty
    assert empty.per_user().empty


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"within": "weekly"}, "Invalid within='weekly'.*did you mean 'week'"),
        ({"within": "week", "period": "week"}, "does not nest"),
        ({"within": "week", "interval_count": 2}, "applies to within='range' only"),
        ({"interval_count": 0}, "Invalid interval_count=0"),
        ({"min_events": 0}, "Invalid min_events=0"),
        ({"min_events": 3, "max_events": 2}, "max_events=2 is below min_events=3"),
        ({"max_events": 1.5}, "Invalid max_events=1.5"),
        ({"cumulative": "yes"}, "Invalid cumulative='yes'"),
        ({"period": "year"}, "Unsupported period 'year'"),
    ],
)
def test_stickiness_bad_parameters(log: EventLog, kwargs: dict[str, object], match: str) -> None:
    with pytest.raises(InvalidParameterError, match=match):
        stickiness(log, **kwargs)  # type: ignore[arg-type]


def test_sort_path_equals_bitmap_path(log: EventLog, monkeypatch: pytest.MonkeyPatch) -> None:
    """Large user x period grids use one sort instead of a bitmap: same answers."""
    from useropslib.metrics import _activity, growth_states, lifecycle

    def run() -> list[object]:
        return [
            active_users(log, window="7D").tolist(),
            active_users(log, window="week").tolist(),
            stickiness_ratio(log, denominator="month").tolist(),
            stickiness(log, min_events=2).counts.tolist(),
            stickiness(log, within="week").counts.tolist(),
            lifecycle(log, period="day").counts.to_numpy().tolist(),
            growth_states(log).counts.to_numpy().tolist(),
        ]

    bitmap = run()
    monkeypatch.setattr(_activity, "_BITMAP_CELLS", 0)
    monkeypatch.setattr(_activity, "_CELLS_PER_EVENT", 0)
    assert run() == bitmap
