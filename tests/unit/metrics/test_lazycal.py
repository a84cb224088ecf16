"""active_users on a lazy log: counted whole in DuckDB, Polars and PySpark, the answer collected.

Hand-computed cases per engine, the row counter (at most one row per period of the answer), the
user vocabulary left unread, the routes that still collect (property filters, pyarrow) and the
errors, which are the in-memory path's.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pandas as pd
import pytest

from useropslib import metrics as m
from useropslib.events import EventLog, LazyEventLog, strict_events
from useropslib.events._engine import rows_collected
from useropslib.exceptions import (
    InsufficientDataWarning,
    InvalidParameterError,
    UnknownEventWarning,
)

pl = pytest.importorskip("polars")
duckdb = pytest.importorskip("duckdb")


def _frame() -> pd.DataFrame:
    # Europe/Berlin: 2024-03-31 02:00 local is the spring change; "c" is active at 23:30 UTC on
    # the 30th, which is already the 31st in Berlin
    rows = [
        ("a", "open", "2024-03-25 09:00"),
        ("a", "buy", "2024-03-25 10:00"),
        ("b", "open", "2024-03-25 11:00"),
        ("a", "open", "2024-03-27 08:00"),
        ("c", "view", "2024-03-30 23:30"),
        ("b", "buy", "2024-04-02 12:00"),
        ("a", "open", "2024-04-02 13:00"),
    ]
    return pd.DataFrame(
        {
            "user_id": [r[0] for r in rows],
            "event": [r[1] for r in rows],
            "timestamp": pd.to_datetime([r[2] for r in rows], utc=True),
        }
    )


def _duckdb(df: pd.DataFrame) -> Any:
    return duckdb.from_df(df)


def _polars(df: pd.DataFrame) -> Any:
    return pl.from_pandas(df).lazy()


ENGINES: dict[str, Callable[[pd.DataFrame], Any]] = {"duckdb": _duckdb, "polars": _polars}


@pytest.fixture(params=sorted(ENGINES))
def lazy(request: pytest.FixtureRequest) -> LazyEventLog:
    return LazyEventLog.scan(ENGINES[request.param](_frame()), tz="Europe/Berlin")


def _counted(lazy: LazyEventLog, **kw: Any) -> tuple[pd.Series, list[int]]:
    with rows_collected() as sizes:
        got = m.active_users(lazy, **kw)
    return got, sizes


def test_daily_active_users_by_hand(lazy: LazyEventLog) -> None:
    got, sizes = _counted(lazy)
    # Berlin days 25 .. 2 April: a,b | - | a | - | - | - | c (23:30 UTC on the 30th) | - | a,b
    assert got.tolist() == [2, 0, 1, 0, 0, 0, 1, 0, 2]
    assert str(got.index[0]) == "2024-03-25 00:00:00+01:00"
    assert str(got.index[-1]) == "2024-04-02 00:00:00+02:00"
    assert sizes == [4]  # the four days with activity, nothing else
    assert not lazy.users_read
    assert got.equals(m.active_users(EventLog.from_pandas(_frame(), tz="Europe/Berlin")))


def test_weekly_monthly_and_hourly_by_hand(lazy: LazyEventLog) -> None:
    week, sizes = _counted(lazy, window="week")
    assert week.tolist() == [3, 2]
    assert sizes == [2]
    sunday, _ = _counted(lazy, window="week", week_start="sunday")
    assert sunday.tolist() == [2, 3]  # the 31st (Sunday) starts the second week
    month, _ = _counted(lazy, window="month")
    assert month.tolist() == [3, 2]
    hours, sizes = _counted(lazy, window="hour", start="2024-03-25", end="2024-03-25 12:00")
    assert hours.sum() == 3
    assert hours.size == 13
    assert sizes == [3]
    assert not lazy.users_read


def test_rolling_windows_by_hand(lazy: LazyEventLog) -> None:
    got, sizes = _counted(lazy, window="3D")
    # 3-day windows ending on each Berlin day from the 25th
    assert got.tolist() == [2, 2, 2, 1, 1, 0, 1, 1, 3]
    assert len(sizes) == 1
    assert sizes[0] <= got.size
    weekly, sizes = _counted(lazy, window="7D", every="week")
    # evaluated on Mondays 25 March (19 .. 25: a, b) and 1 April (26 March .. 1 April: a, c)
    assert weekly.tolist() == [2, 2]
    assert sizes[0] <= 2
    ranged, _ = _counted(lazy, window="2D", start="2024-03-28", end="2024-03-31")
    assert ranged.tolist() == [1, 0, 0, 1]
    assert not lazy.users_read


def test_filters_as_of_and_bounds_by_hand(lazy: LazyEventLog) -> None:
    buys, _ = _counted(lazy, activity_events="buy")
    assert buys.tolist() == [1] + [0] * 7 + [1]
    early, _ = _counted(lazy, as_of="2024-03-27 12:00")
    assert early.tolist() == [2, 0, 1]
    with pytest.warns(InsufficientDataWarning, match="active_users: no qualifying event"):
        none, sizes = _counted(lazy, start="2024-05-01", end="2024-05-03")
    assert none.tolist() == [0, 0, 0]
    assert sizes == [0]
    assert not lazy.users_read


def test_unknown_names_warn_or_raise_as_in_memory(lazy: LazyEventLog) -> None:
    with (
        pytest.warns(UnknownEventWarning, match="nope"),
        pytest.warns(InsufficientDataWarning),
    ):
        got = m.active_users(lazy, activity_events="nope")
    assert got.size == 0
    with strict_events(), pytest.raises(InvalidParameterError, match="nope"):
        m.active_users(lazy, activity_events="nope")
    assert not lazy.users_read


def test_errors_are_the_in_memory_ones(lazy: LazyEventLog) -> None:
    with pytest.raises(InvalidParameterError, match="every='week' applies to rolling windows"):
        m.active_users(lazy, window="day", every="week")
    with pytest.raises(InvalidParameterError, match="Unsupported window '7X'"):
        m.active_users(lazy, window="7X")
    with pytest.raises(InvalidParameterError, match="Unsupported every='hour'"):
        m.active_users(lazy, window="7D", every="hour")
    with pytest.raises(InvalidParameterError, match=r"end=.* is before start="):
        m.active_users(lazy, start="2024-04-01", end="2024-03-01")
    with pytest.raises(InvalidParameterError, match="Unknown time zone 'Mars/Olympus'"):
        m.active_users(lazy, tz="Mars/Olympus")
    assert not lazy.users_read


def test_a_calendar_zone_other_than_the_logs(lazy: LazyEventLog) -> None:
    full = EventLog.from_pandas(_frame(), tz="Europe/Berlin")
    for zone in ("Asia/Kolkata", "America/Santiago"):
        pd.testing.assert_series_equal(m.active_users(lazy, tz=zone), m.active_users(full, tz=zone))
        pd.testing.assert_series_equal(
            m.active_users(lazy, window="3D", tz=zone), m.active_users(full, window="3D", tz=zone)
        )
        got = m.stickiness(lazy, within="week", tz=zone)
        assert got.table is not None
        pd.testing.assert_frame_equal(got.table, m.stickiness(full, within="week", tz=zone).table)
        pd.testing.assert_frame_equal(
            m.retention(lazy, period="day", periods=5, tz=zone).counts,
            m.retention(full, period="day", periods=5, tz=zone).counts,
        )
    assert not lazy.users_read


def test_empty_lazy_log_warns_and_returns_nothing() -> None:
    schema = {"user_id": pl.String, "event": pl.String, "timestamp": pl.Datetime("ns", "UTC")}
    lazy = LazyEventLog.scan(pl.LazyFrame(schema=schema), tz="UTC", allow_empty=True)
    with pytest.warns(InsufficientDataWarning):
        got = m.active_users(lazy)
    assert got.size == 0
    with pytest.warns(InsufficientDataWarning):
        ranged = m.active_users(lazy, window="7D", start="2024-01-01", end="2024-01-03")
    assert ranged.tolist() == [0, 0, 0]


def test_property_filters_and_pyarrow_take_the_roll_up_route() -> None:
    df = _frame().assign(plan=["pro", "free", "pro", "pro", "free", "pro", "free"])
    lazy = LazyEventLog.scan(duckdb.from_df(df), tz="Europe/Berlin", properties=["plan"])
    full = EventLog.from_pandas(df, tz="Europe/Berlin")
    spec = [("open", {"plan": "pro"})]
    got = m.active_users(lazy, activity_events=spec)
    assert got.equals(m.active_users(full, activity_events=spec))
    assert lazy.users_read  # event rows were collected for the property filter
    pa = pytest.importorskip("pyarrow")
    table = LazyEventLog.scan(pa.Table.from_pandas(_frame()), tz="Europe/Berlin")
    assert m.active_users(table).equals(m.active_users(full))


def _stick(lazy: LazyEventLog, **kw: Any) -> tuple[m.StickinessResult, list[int]]:
    with rows_collected() as sizes:
        got = m.stickiness(lazy, **kw)
    return got, sizes


def test_stickiness_by_hand(lazy: LazyEventLog) -> None:
    got, sizes = _stick(lazy)
    # Berlin days 25 March .. 2 April: a on 3 days (25, 27, 2), b on 2 (25, 2), c on 1 (31)
    assert got.counts.tolist() == [1, 1, 1, 0, 0, 0, 0, 0, 0]
    assert got.total == 3
    assert sizes == [3]  # one row per number of active days
    weekly, sizes = _stick(lazy, within="week")
    # week of 25 March: a 2 days, b 1, c 1 (the 31st); week of 1 April: a 1, b 1
    assert weekly.table is not None
    assert weekly.table.to_numpy().tolist() == [[2, 1] + [0] * 5, [2, 0] + [0] * 5]
    assert weekly.counts.tolist()[:2] == [4, 1]
    assert len(sizes) == 1
    assert sizes[0] <= weekly.table.size
    twice, _ = _stick(lazy, min_events=2)
    assert twice.counts.sum() == 1  # only a, on the 25th (open and buy)
    grouped, _ = _stick(lazy, interval_count=3, cumulative=True)
    # 3-day intervals back from 2 April: 31 .. 2 (a, b, c), 28 .. 30 (-), 25 .. 27 (a, b)
    assert grouped.counts.tolist() == [3, 2, 0]
    assert not lazy.users_read


def test_stickiness_per_user_rows_come_on_demand(lazy: LazyEventLog) -> None:
    got, _ = _stick(lazy, within="week")
    assert not lazy.users_read
    rows = got.per_user()
    assert lazy.users_read  # the per-user answer reads the users, once asked for
    want = m.stickiness(EventLog.from_pandas(_frame(), tz="Europe/Berlin"), within="week")
    pd.testing.assert_frame_equal(rows, want.per_user(), check_dtype=False)
    assert got.to_dict() == want.to_dict()
    assert repr(got) == repr(want)


def test_stickiness_errors_are_the_in_memory_ones(lazy: LazyEventLog) -> None:
    with pytest.raises(InvalidParameterError, match="interval_count=2 applies to within='range'"):
        m.stickiness(lazy, within="week", interval_count=2)
    with pytest.raises(InvalidParameterError, match="max_events=1 is below min_events=2"):
        m.stickiness(lazy, min_events=2, max_events=1)
    with pytest.raises(InvalidParameterError, match="Invalid within='fortnight'"):
        m.stickiness(lazy, within="fortnight")  # type: ignore[arg-type]
    with pytest.raises(InvalidParameterError, match="does not nest in it"):
        m.stickiness(lazy, within="week", period="month")
    with pytest.warns(InsufficientDataWarning, match="stickiness: no qualifying event"):
        empty, _ = _stick(lazy, start="2024-06-01", end="2024-06-03")
    assert empty.total == 0
    assert not lazy.users_read


def _retained(lazy: LazyEventLog, **kw: Any) -> tuple[m.RetentionResult, list[int]]:
    with rows_collected() as sizes:
        got = m.retention(lazy, **kw)
    return got, sizes


def test_retention_by_hand(lazy: LazyEventLog) -> None:
    got, sizes = _retained(lazy, period="week", periods=2, cohort="first_time")
    # first weeks: a, b, c in the week of 25 March; a and b come back the week after
    assert got.counts.to_numpy(dtype=float, na_value=-1).tolist() == [[3, 2], [0, -1]]
    assert sizes == [2]  # (cohort, offset) cells with members, nothing per user
    days, sizes = _retained(lazy, period="day", periods=3, start="2024-03-25", end="2024-03-27")
    # day cohorts 25 (a, b), 26 (-), 27 (a): a is back two days after the 25th
    assert days.counts.to_numpy(dtype=float, na_value=-1).tolist() == [
        [2, 0, 1],
        [0, 0, -1],
        [1, -1, -1],
    ]
    assert len(sizes) == 1
    assert sizes[0] <= days.counts.size
    later, _ = _retained(
        lazy, period="day", periods=3, start="2024-03-25", end="2024-03-27", mode="on_or_after"
    )
    assert later.counts[1].tolist()[:2] == [1, 0]  # a at +2 counts at +1 "or after"
    buys, _ = _retained(lazy, period="week", periods=2, start_event="buy", return_event="open")
    # buyers: a (week of 25 March), b (week of 1 April); a opens again on 2 April
    assert buys.counts[0].tolist() == [1, 1]
    assert buys.counts[1].tolist()[0] == 1
    assert not lazy.users_read


def test_retention_as_of_before_the_first_event_raises_as_in_memory(lazy: LazyEventLog) -> None:
    full = EventLog.from_pandas(_frame(), tz="Europe/Berlin")
    for log in (full, lazy):
        with pytest.raises(InvalidParameterError, match="is before the first event of the log"):
            m.retention(log, start_event="buy", as_of="2024-03-25 09:30")  # type: ignore[arg-type]
    assert not lazy.users_read


def test_retention_options_outside_the_engine_take_the_roll_up_route() -> None:
    lazy = LazyEventLog.scan(_duckdb(_frame()), tz="Europe/Berlin")
    full = EventLog.from_pandas(_frame(), tz="Europe/Berlin")
    got = m.retention(lazy, period="day", periods=3, bucket="rolling")
    pd.testing.assert_frame_equal(
        got.counts, m.retention(full, period="day", periods=3, bucket="rolling").counts
    )
    assert lazy.users_read  # rolling windows need each member's exact start time


# ---------------------------------------------------------------------------- PySpark
@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_pyspark_counts_active_users_in_spark(spark: Any) -> None:
    from useropslib.datasets import synthetic_frame

    df = synthetic_frame(n_users=60, days=40, seed=3, start="2024-03-01", tz="Europe/Berlin")
    df = df.drop(columns="channel")
    df["timestamp"] = df["timestamp"].dt.tz_convert("UTC")
    lazy = LazyEventLog.scan(spark.createDataFrame(df), tz="Europe/Berlin")
    full = EventLog.from_pandas(df, tz="Europe/Berlin")
    options: list[dict[str, Any]] = [
        {},
        {"window": "week", "week_start": "sunday"},
        {"window": "month"},
        {"window": "7D"},
        {"window": "30D", "every": "week", "start": "2024-03-10"},
        {"window": "day", "activity_events": "app_open", "as_of": "2024-03-20 12:00"},
    ]
    for kw in options:
        with rows_collected() as sizes:
            got = m.active_users(lazy, **kw)
        pd.testing.assert_series_equal(got, m.active_users(full, **kw))
        assert len(sizes) == 1
        assert sizes[0] <= got.size
    for rkw in [{}, {"cohort": "first_time", "mode": "on_or_after"}, {"period": "month"}]:
        with rows_collected() as sizes:
            kept = m.retention(lazy, **rkw)
        pd.testing.assert_frame_equal(kept.to_frame(), m.retention(full, **rkw).to_frame())
        assert len(sizes) == 1
        assert sizes[0] <= kept.counts.size
    for skw in [{}, {"within": "week", "min_events": 2}, {"period": "week", "interval_count": 2}]:
        with rows_collected() as sizes:
            stick = m.stickiness(lazy, **skw)
        want = m.stickiness(full, **skw)
        pd.testing.assert_series_equal(stick.counts, want.counts)
        assert stick.params == want.params
        assert len(sizes) == 1
    assert not lazy.users_read
