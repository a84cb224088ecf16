"""lifecycle and growth_accounting on a lazy log: statuses counted whole in the engine.

Hand-computed cases per engine in Europe/Berlin across the March DST change, the row counter
(one row per period with activity, plus one for what lies before a given start), the user
vocabulary left unread, the routes that still collect (``created_at``, property filters,
pyarrow) and the errors, which are the in-memory path's.
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

TZ = "Europe/Berlin"


def _frame() -> pd.DataFrame:
    # Berlin: 2024-03-31 02:00 local is the spring change; "c" is active at 23:30 UTC on the
    # 30th, which is already Sunday the 31st in Berlin
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


ENGINES: dict[str, Callable[[pd.DataFrame], Any]] = {
    "duckdb": lambda df: duckdb.from_df(df),
    "polars": lambda df: pl.from_pandas(df).lazy(),
}


@pytest.fixture(params=sorted(ENGINES))
def lazy(request: pytest.FixtureRequest) -> LazyEventLog:
    return LazyEventLog.scan(ENGINES[request.param](_frame()), tz=TZ)


def _full() -> EventLog:
    return EventLog.from_pandas(_frame(), tz=TZ)


def _life(lazy: LazyEventLog, **kw: Any) -> tuple[m.LifecycleResult, list[int]]:
    with rows_collected() as sizes:
        got = m.lifecycle(lazy, **kw)
    expected = m.lifecycle(_full(), **kw)
    pd.testing.assert_frame_equal(got.counts, expected.counts)
    assert got.params == expected.params
    assert repr(got) == repr(expected)
    return got, sizes


def _growth(lazy: LazyEventLog, **kw: Any) -> tuple[m.GrowthAccountingResult, list[int]]:
    with rows_collected() as sizes:
        got = m.growth_accounting(lazy, **kw)
    expected = m.growth_accounting(_full(), **kw)
    pd.testing.assert_frame_equal(got.counts, expected.counts)
    pd.testing.assert_frame_equal(got.rates, expected.rates)
    assert got.to_dict() == expected.to_dict()
    return got, sizes


def test_daily_lifecycle_by_hand(lazy: LazyEventLog) -> None:
    got, sizes = _life(lazy, period="day")
    # Berlin days 25 March .. 2 April: a, b new | both gone | a back | a gone | - | - |
    # c new (the 31st) | c gone | a, b back
    c = got.counts
    assert c["new"].tolist() == [2, 0, 0, 0, 0, 0, 1, 0, 0]
    assert c["returning"].tolist() == [0] * 9
    assert c["resurrecting"].tolist() == [0, 0, 1, 0, 0, 0, 0, 0, 2]
    assert c["dormant"].tolist() == [0, -2, 0, -1, 0, 0, 0, -1, 0]
    assert str(c.index[6]) == "2024-03-31 00:00:00+01:00"
    assert str(c.index[-1]) == "2024-04-02 00:00:00+02:00"
    assert sizes == [4]  # the four days with activity, nothing else
    assert not lazy.users_read


def test_weekly_lifecycle_and_week_starts_by_hand(lazy: LazyEventLog) -> None:
    monday, sizes = _life(lazy)
    assert monday.counts.to_dict("list") == {
        "new": [3, 0],
        "returning": [0, 2],
        "resurrecting": [0, 0],
        "dormant": [0, -1],
    }
    assert sizes == [2]
    sunday, _ = _life(lazy, week_start="sunday", dormant_sign="positive")
    # weeks from Sunday 24 March (a, b new) and Sunday 31 March (c new; a, b returning)
    assert sunday.counts.to_dict("list") == {
        "new": [2, 1],
        "returning": [0, 2],
        "resurrecting": [0, 0],
        "dormant": [0, 0],
    }
    month, _ = _life(lazy, period="month")
    assert month.counts["returning"].tolist() == [0, 2]
    hours, sizes = _life(lazy, period="hour", start="2024-03-25", end="2024-03-25 12:00")
    assert int(hours.counts["new"].sum()) == 2
    assert sizes[0] <= hours.counts.shape[0]
    assert not lazy.users_read


def test_activity_events_use_the_first_event_of_any_kind(lazy: LazyEventLog) -> None:
    got, _ = _life(lazy, period="day", activity_events="buy")
    # a buys on the 25th (its first day: new); b buys on 2 April, first seen on the 25th:
    # resurrecting, not new
    assert got.counts["new"].tolist() == [1] + [0] * 8
    assert got.counts["resurrecting"].tolist() == [0] * 8 + [1]
    assert got.counts["dormant"].tolist() == [0, -1] + [0] * 7
    assert not lazy.users_read


def test_growth_accounting_by_hand(lazy: LazyEventLog) -> None:
    got, sizes = _growth(lazy, period="week", activity_events="buy")
    # growth accounting's "new" is the first qualifying period: b is new in April's week
    c = got.counts
    assert c["new"].tolist() == [1, 1]
    assert c["churned"].tolist() == [0, 1]
    assert c["ever_active"].tolist() == [1, 2]
    assert c["lapsed"].tolist() == [0, 1]
    assert got.rates["retention_rate"].tolist()[1] == 0.0
    assert sizes == [2]
    daily, sizes = _growth(lazy, period="day")
    assert daily.counts["active"].tolist() == [2, 0, 1, 0, 0, 0, 1, 0, 2]
    assert sizes == [4]
    assert not lazy.users_read


def test_a_start_looks_back_and_folds_the_past_into_one_row(lazy: LazyEventLog) -> None:
    got, sizes = _growth(lazy, period="day", start="2024-03-28", end="2024-04-02")
    # before the 27th: the 25th (a, b first seen); the look-back day 27 (a)
    assert got.counts["churned"].tolist()[0] == 1  # a, active on the 27th
    assert got.counts["ever_active"].tolist() == [2, 2, 2, 3, 3, 3]
    assert len(sizes) == 1
    assert sizes[0] <= 4  # the folded past, the 27th, the 31st and 2 April
    life, sizes = _life(lazy, period="day", start="2024-03-27", end="2024-04-01")
    assert life.counts["resurrecting"].tolist()[0] == 1
    assert sizes[0] <= life.counts.shape[0]
    assert not lazy.users_read


def test_as_of_cuts_the_events(lazy: LazyEventLog) -> None:
    got, _ = _life(lazy, period="day", as_of="2024-03-27 12:00")
    assert got.counts["resurrecting"].tolist() == [0, 0, 1]
    acc, _ = _growth(lazy, period="day", as_of="2024-03-31 12:00", activity_events="view")
    assert acc.counts["new"].tolist() == [1]
    _life(lazy, period="week", as_of="2024-03-31 12:00", activity_events=["open", "buy"])
    assert not lazy.users_read


def test_a_calendar_zone_other_than_the_logs(lazy: LazyEventLog) -> None:
    for zone in ("Asia/Kolkata", "America/Santiago", "Pacific/Chatham"):
        _life(lazy, period="day", tz=zone)
        _growth(lazy, period="week", tz=zone, week_start=3)
    assert not lazy.users_read


def test_unknown_names_warn_or_raise_as_in_memory(lazy: LazyEventLog) -> None:
    with (
        pytest.warns(UnknownEventWarning, match="nope"),
        pytest.warns(InsufficientDataWarning, match="lifecycle: no qualifying event"),
    ):
        got = m.lifecycle(lazy, activity_events="nope")
    assert got.counts.empty
    with strict_events(), pytest.raises(InvalidParameterError, match="nope"):
        m.growth_accounting(lazy, activity_events="nope")
    assert not lazy.users_read


def test_an_empty_range_warns_and_counts_zeros(lazy: LazyEventLog) -> None:
    with pytest.warns(InsufficientDataWarning, match="growth_accounting: no qualifying event"):
        got, _ = _growth(lazy, period="day", start="2024-05-01", end="2024-05-03")
    assert got.counts["active"].tolist() == [0, 0, 0]
    assert got.counts["ever_active"].tolist() == [3, 3, 3]
    with pytest.warns(InsufficientDataWarning, match="lifecycle: no qualifying event"):
        _life(lazy, start="2024-01-01", end="2024-01-02")


def test_errors_are_the_in_memory_ones(lazy: LazyEventLog) -> None:
    with pytest.raises(InvalidParameterError, match=r"Invalid dormant_sign='neg'.*'negative'"):
        m.lifecycle(lazy, dormant_sign="neg")  # type: ignore[arg-type]
    with pytest.raises(InvalidParameterError, match=r"end=.* is before start="):
        m.growth_accounting(lazy, start="2024-04-01", end="2024-03-01")
    with pytest.raises(InvalidParameterError, match="Unknown time zone 'Mars/Olympus'"):
        m.lifecycle(lazy, tz="Mars/Olympus")
    with pytest.raises(InvalidParameterError, match="period"):
        m.growth_accounting(lazy, period="fortnight")  # type: ignore[arg-type]
    assert not lazy.users_read


def test_empty_lazy_log_warns_and_returns_nothing() -> None:
    schema = {"user_id": pl.String, "event": pl.String, "timestamp": pl.Datetime("ns", "UTC")}
    lazy = LazyEventLog.scan(pl.LazyFrame(schema=schema), tz="UTC", allow_empty=True)
    with pytest.warns(InsufficientDataWarning):
        got = m.lifecycle(lazy)
    assert got.counts.empty
    with pytest.warns(InsufficientDataWarning):
        acc = m.growth_accounting(lazy, period="day", start="2024-01-01", end="2024-01-03")
    assert acc.counts["active"].tolist() == [0, 0, 0]


def test_created_at_property_filters_and_pyarrow_take_the_roll_up_route() -> None:
    lazy = LazyEventLog.scan(duckdb.from_df(_frame()), tz=TZ)
    created = {"a": "2024-03-20", "b": "2024-04-01"}
    got = m.lifecycle(lazy, period="day", created_at=created)
    pd.testing.assert_frame_equal(
        got.counts, m.lifecycle(_full(), period="day", created_at=created).counts
    )
    assert lazy.users_read  # created_at is looked up by user id
    df = _frame().assign(plan=["pro", "free", "pro", "pro", "free", "pro", "free"])
    props = LazyEventLog.scan(duckdb.from_df(df), tz=TZ, properties=["plan"])
    spec = [("open", {"plan": "pro"})]
    acc = m.growth_accounting(props, period="day", activity_events=spec)
    full = EventLog.from_pandas(df, tz=TZ)
    expected = m.growth_accounting(full, period="day", activity_events=spec)
    pd.testing.assert_frame_equal(acc.counts, expected.counts)
    assert props.users_read  # event rows were collected for the property filter
    pa = pytest.importorskip("pyarrow")
    table = LazyEventLog.scan(pa.Table.from_pandas(_frame()), tz=TZ)
    pd.testing.assert_frame_equal(m.lifecycle(table).counts, m.lifecycle(_full()).counts)


def test_pyspark_counts_statuses_in_spark(spark: Any) -> None:
    from useropslib.datasets import synthetic_frame

    df = synthetic_frame(n_users=60, days=40, seed=3, start="2024-03-01", tz=TZ)
    df = df.drop(columns="channel")
    df["timestamp"] = df["timestamp"].dt.tz_convert("UTC")
    lazy = LazyEventLog.scan(spark.createDataFrame(df), tz=TZ)
    full = EventLog.from_pandas(df, tz=TZ)
    options: list[dict[str, Any]] = [
        {},
        {"period": "day"},
        {"period": "month", "activity_events": "purchase"},
        {"period": "week", "week_start": "sunday", "start": "2024-03-10"},
        {"period": "day", "as_of": "2024-03-20 12:00", "activity_events": "app_open"},
    ]
    for kw in options:
        with rows_collected() as sizes:
            life = m.lifecycle(lazy, **kw)
        pd.testing.assert_frame_equal(life.counts, m.lifecycle(full, **kw).counts)
        assert len(sizes) == 1
        assert sizes[0] <= life.counts.size
        with rows_collected() as sizes:
            acc = m.growth_accounting(lazy, **kw)
        expected = m.growth_accounting(full, **kw)
        pd.testing.assert_frame_equal(acc.counts, expected.counts)
        pd.testing.assert_frame_equal(acc.rates, expected.rates)
        assert len(sizes) == 1
        assert sizes[0] <= acc.counts.size
    for skw in [{}, {"start": "2024-03-05", "activity_events": "purchase"}, {"week_days": 3}]:
        with rows_collected() as sizes:
            states = m.growth_states(lazy, **skw)
        want = m.growth_states(full, **skw)
        pd.testing.assert_frame_equal(states.counts, want.counts)
        pd.testing.assert_frame_equal(states.transitions, want.transitions)
        pd.testing.assert_frame_equal(states.rates, want.rates)
        assert sum(sizes) <= states.counts.size + states.rates.size + states.transitions.size
    assert not lazy.users_read


# ============================================================================ growth states
def _states(lazy: LazyEventLog, full: EventLog, **kw: Any) -> tuple[Any, list[int]]:
    with rows_collected() as sizes:
        got = m.growth_states(lazy, **kw)
    expected = m.growth_states(full, **kw)
    for name in ("counts", "active", "transitions", "rates"):
        pd.testing.assert_frame_equal(getattr(got, name), getattr(expected, name))
    pd.testing.assert_series_equal(got.pooled_rates, expected.pooled_rates)
    assert got.params == expected.params
    assert got.to_dict() == expected.to_dict()
    answer = got.counts.size + got.active.size + got.rates.size + got.transitions.size
    assert sum(sizes) <= answer
    return got, sizes


@pytest.mark.parametrize("engine", sorted(ENGINES))
def test_growth_states_by_hand(engine: str) -> None:
    days = [0, 1, 2, 5, 13]
    df = pd.DataFrame(
        {
            "user_id": "u1",
            "event": "lesson",
            "timestamp": pd.Timestamp("2024-01-01", tz="UTC") + pd.to_timedelta(days, "D"),
        }
    )
    lazy = LazyEventLog.scan(ENGINES[engine](df), tz="UTC")
    full = EventLog.from_pandas(df, tz="UTC")
    got, sizes = _states(lazy, full, start="2024-01-01", end="2024-01-15")
    assert got.counts.idxmax(axis=1).tolist()[:8] == [
        "new",
        "current",
        "current",
        "at_risk_wau",
        "at_risk_wau",
        "current",
        "at_risk_wau",
        "at_risk_wau",
    ]
    assert got.transitions.loc["current", ["current", "at_risk_wau"]].tolist() == [1, 2]
    assert round(float(got.pooled_rates["CURR"]), 3) == 0.333
    assert len(sizes) == 1  # a given start: one query
    assert not lazy.users_read
    assert got.user_states().to_dict() == {"u1": "at_risk_wau"}
    assert lazy.users_read  # the per-user answer reads the users, once asked for
    _, sizes = _states(lazy, full)
    assert len(sizes) == 2  # the first qualifying day, then the tallies


def test_growth_states_options_by_hand(lazy: LazyEventLog) -> None:
    full = _full()
    got, _ = _states(lazy, full)
    # Berlin days 25 March .. 2 April; on 2 April: a, b back after 6 and 8 days, c at risk
    assert got.counts.iloc[-1][["current", "reactivated", "at_risk_wau"]].tolist() == [1, 1, 1]
    assert got.active["ever_active"].tolist()[-1] == 3
    short, _ = _states(lazy, full, week_days=2, month_days=4)
    assert short.counts.iloc[-1][["reactivated", "resurrected", "dormant"]].tolist() == [0, 2, 0]
    _states(lazy, full, activity_events="buy", as_of="2024-04-02 12:30")
    _states(lazy, full, start="2024-03-31", end="2024-03-31")  # a one-day snapshot
    _states(lazy, full, tz="America/Santiago", start="2024-03-20")
    assert not lazy.users_read


def test_growth_states_errors_and_empty_ranges(lazy: LazyEventLog) -> None:
    with pytest.raises(InvalidParameterError, match="month_days=7 must be larger than week_days"):
        m.growth_states(lazy, week_days=7, month_days=7)
    with pytest.raises(InvalidParameterError, match="week_days"):
        m.growth_states(lazy, week_days=1)
    with pytest.raises(InvalidParameterError, match=r"end=.* is before start="):
        m.growth_states(lazy, start="2024-04-01", end="2024-03-01")
    with pytest.warns(InsufficientDataWarning, match="growth_states: no qualifying event"):
        got = m.growth_states(lazy, start="2024-01-01", end="2024-01-05")
    assert got.counts.to_numpy().sum() == 0
    with pytest.warns(InsufficientDataWarning, match="growth_states: no qualifying event"):
        none = m.growth_states(lazy, activity_events="buy", end="2024-03-20")
    assert none.counts.empty
    assert not lazy.users_read
    pa = pytest.importorskip("pyarrow")
    table = LazyEventLog.scan(pa.Table.from_pandas(_frame()), tz=TZ)  # the roll-up route
    pd.testing.assert_frame_equal(m.growth_states(table).counts, m.growth_states(_full()).counts)
