"""Funnels on a lazy log computed in the engine: the same answer, result-sized collections.

Each case is checked against the in-memory funnel on the same rows (an EventLog built from the
frame); the row counter (``rows_collected``) shows what the engine sends back.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

from useropslib import metrics as m
from useropslib.events import EventLog, LazyEventLog
from useropslib.events._engine import rows_collected
from useropslib.exceptions import (
    InsufficientDataWarning,
    InvalidParameterError,
    UnknownEventWarning,
)

pl = pytest.importorskip("polars")
duckdb = pytest.importorskip("duckdb")

ENGINES = ("duckdb", "polars")
STEPS = ["signup", "view", "buy"]


def _frame() -> pd.DataFrame:
    """Hand-made log: repeated entries, ties at one instant, a late step, values per event."""
    rows = [
        # a: two entries; the second reaches buy within 1 day
        ("a", "signup", "2024-03-01 09:00", "web"),
        ("a", "signup", "2024-03-03 09:00", "app"),
        ("a", "view", "2024-03-03 09:00", None),  # same instant as the entry: counts
        ("a", "buy", "2024-03-03 12:00", "app"),
        # b: view before signup (ignored), then signup and view, no buy
        ("b", "view", "2024-03-01 08:00", "web"),
        ("b", "signup", "2024-03-01 10:00", None),
        ("b", "view", "2024-03-02 10:00", "web"),
        # c: entry only; two identical entries at one instant
        ("c", "signup", "2024-03-05 10:00", "app"),
        ("c", "signup", "2024-03-05 10:00", "app"),
        # d: buy 3 days after the entry (outside a 2-day window)
        ("d", "signup", "2024-03-02 00:00", "web"),
        ("d", "view", "2024-03-02 01:00", "web"),
        ("d", "buy", "2024-03-05 01:00", "web"),
        # e: no entry at all
        ("e", "view", "2024-03-02 00:00", "app"),
        ("e", "open", "2024-03-02 00:00", "app"),
    ]
    df = pd.DataFrame(rows, columns=["user_id", "event", "timestamp", "channel"])
    df["timestamp"] = pd.to_datetime(df["timestamp"]).dt.tz_localize("UTC")
    return df


def _lazy(df: pd.DataFrame, engine: str, tz: str = "UTC") -> LazyEventLog:
    native = duckdb.from_df(df) if engine == "duckdb" else pl.from_pandas(df).lazy()
    props = ["channel"] if "channel" in df else None
    return LazyEventLog.scan(native, tz=tz, properties=props)


def _eager(df: pd.DataFrame, tz: str = "UTC") -> EventLog:
    props = ["channel"] if "channel" in df else None
    return EventLog.from_pandas(df, tz=tz, properties=props)


def assert_same(a: m.FunnelResult, b: m.FunnelResult) -> None:
    pd.testing.assert_frame_equal(a.table, b.table)
    if a.breakdown_table is None:
        assert b.breakdown_table is None
    else:
        assert b.breakdown_table is not None
        pd.testing.assert_frame_equal(a.breakdown_table, b.breakdown_table)
    assert a.bottleneck == b.bottleneck
    assert a.excluded_users == b.excluded_users
    assert a.params == b.params
    assert a.as_of == b.as_of
    pd.testing.assert_frame_equal(a.per_user, b.per_user)


CASES: list[dict[str, Any]] = [
    {},
    {"window": "2D"},
    {"attempts": "first"},
    {"attempts": "first", "window": "2D"},
    {"breakdown": "channel"},
    {"breakdown": "channel", "attribution": "last_touch"},
    {"breakdown": "channel", "attribution": ("step", 1), "attempts": "first"},
    {"breakdown": "channel", "attribution": ("step", 2)},
    {"start": "2024-03-02", "end": "2024-03-05"},
    {"as_of": "2024-03-03 10:00"},
    {"tz": "Asia/Shanghai", "start": "2024-03-03"},
    {"exclusions": ["open"]},
    {"exclusions": [("open", 0, 1)], "attempts": "first"},
    {"exclusions": [("open", 1, 2), "open"], "breakdown": "channel"},
]


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("kw", CASES, ids=[str(c) for c in CASES])
def test_engine_funnel_equals_in_memory(engine: str, kw: dict[str, Any]) -> None:
    df = _frame()
    lazy = _lazy(df, engine)
    want = m.funnel(_eager(df), STEPS, **kw)
    with rows_collected() as sizes:
        got = m.funnel(lazy, STEPS, **kw)
    groups = 0 if want.breakdown_table is None else want.breakdown_table.iloc[:, 0].nunique()
    assert sizes == [groups + 1]  # one row per group, plus everyone together
    assert not lazy.users_read
    assert_same(want, got)


@pytest.mark.parametrize("engine", ENGINES)
def test_hand_computed_counts_and_times(engine: str) -> None:
    got = m.funnel(_lazy(_frame(), engine), STEPS, window="2D")
    assert got.table["users"].tolist() == [4, 3, 1]
    # a: view at the entry (0 s), b: 1 day, d: 1 hour -> mean 25 h / 3, median 1 h
    assert got.table["mean_time_to_convert"][1] == pd.Timedelta(hours=25) / 3
    assert got.table["median_time_to_convert"][1] == pd.Timedelta(hours=1)
    assert got.table["median_time_to_convert"][2] == pd.Timedelta(hours=3)
    first = m.funnel(_lazy(_frame(), engine), STEPS, window="2D", attempts="first")
    # a's first entry: its view falls exactly at the end of the window (inclusive); no buy
    assert first.table["users"].tolist() == [4, 3, 0]


@pytest.mark.parametrize("engine", ENGINES)
def test_per_user_is_read_only_when_asked(engine: str) -> None:
    lazy = _lazy(_frame(), engine)
    with rows_collected() as sizes:
        res = m.funnel(lazy, STEPS, breakdown="channel")
    assert sizes == [3]
    with rows_collected() as sizes:
        per_user = res.per_user
    assert sizes == [4]  # one row per person in the funnel
    assert per_user["user_id"].tolist() == ["a", "b", "c", "d"]
    assert per_user["furthest_step"].tolist() == [2, 1, 0, 2]
    assert per_user["channel"].tolist() == ["web", "web", "app", "web"]
    assert not lazy.users_read


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize(
    "kw",
    [
        {"order": "strict"},
        {"order": "unordered"},
        {"exclusions": [("view", 0, 2)]},
        {"breakdown": {"a": "x", "b": "y"}},
    ],
    ids=["strict", "unordered", "exclusion-is-a-step", "mapping"],
)
def test_options_outside_the_engine_route_collect_the_steps(
    engine: str, kw: dict[str, Any]
) -> None:
    df = _frame()
    with rows_collected() as sizes:
        got = m.funnel(_lazy(df, engine), STEPS, **kw)
    assert sum(sizes) > 4  # the step (and exclusion) events came back
    assert_same(m.funnel(_eager(df), STEPS, **kw), got)


@pytest.mark.parametrize("engine", ENGINES)
def test_filtered_repeated_and_any_steps_fall_back_with_the_same_answer(engine: str) -> None:
    df = _frame()
    for steps in (
        ["signup", ("view", {"channel": "web"})],
        ["signup", "signup"],
        ["signup", None],
    ):
        got = m.funnel(_lazy(df, engine), steps)
        assert_same(m.funnel(_eager(df), steps), got)


@pytest.mark.parametrize("engine", ENGINES)
def test_unknown_step_warns_and_counts_zero(engine: str) -> None:
    df = _frame()
    with pytest.warns(UnknownEventWarning, match="purchse"):
        got = m.funnel(_lazy(df, engine), ["signup", "purchse"])
    with pytest.warns(UnknownEventWarning, match="purchse"):
        want = m.funnel(_eager(df), ["signup", "purchse"])
    assert_same(want, got)
    assert got.table["users"].tolist() == [4, 0]


@pytest.mark.parametrize("engine", ENGINES)
def test_nobody_counted_gives_the_same_empty_per_user_table(engine: str) -> None:
    # one event, not a step: no one in the funnel; the empty id column has the in-memory dtype
    df = pd.DataFrame(
        {"user_id": ["p"], "event": ["b"], "timestamp": pd.to_datetime(["2024-03-05"], utc=True)}
    )
    with pytest.warns(UnknownEventWarning), pytest.warns(InsufficientDataWarning):
        want = m.funnel(_eager(df), ["a"], window="1h")
    with pytest.warns(UnknownEventWarning), pytest.warns(InsufficientDataWarning):
        got = m.funnel(_lazy(df, engine), ["a"], window="1h")
    assert got.per_user.empty
    pd.testing.assert_frame_equal(want.per_user, got.per_user)


@pytest.mark.parametrize("engine", ENGINES)
def test_no_entry_warns_and_gives_zeros(engine: str) -> None:
    df = _frame()
    with pytest.warns(InsufficientDataWarning, match="No entry event"):
        got = m.funnel(_lazy(df, engine), STEPS, start="2024-04-01")
    with pytest.warns(InsufficientDataWarning, match="No entry event"):
        want = m.funnel(_eager(df), STEPS, start="2024-04-01")
    assert_same(want, got)
    with pytest.warns(InsufficientDataWarning):
        empty = m.funnel(_lazy(df, engine), STEPS, start="2024-04-01", breakdown="channel")
    assert empty.breakdown_table is not None
    assert empty.breakdown_table.empty


@pytest.mark.parametrize("engine", ENGINES)
def test_as_of_is_checked_against_the_first_event_of_the_log(engine: str) -> None:
    df = _frame()
    late = df.assign(timestamp=df["timestamp"] + pd.Timedelta(days=10))
    early = pd.DataFrame(
        {
            "user_id": ["z"],
            "event": ["open"],
            "timestamp": [pd.Timestamp("2024-03-01", tz="UTC")],
            "channel": ["web"],
        }
    )
    both = pd.concat([early, late], ignore_index=True)
    for log in (_eager(both), _lazy(both, engine)):
        with pytest.raises(InvalidParameterError, match="before the first event of the log"):
            m.funnel(log, STEPS, as_of="2024-02-28")
    # after the first event but before any step event: an empty funnel, as in memory
    with pytest.warns(InsufficientDataWarning, match="No entry event"):
        want = m.funnel(_eager(both), STEPS, as_of="2024-03-05")
    with pytest.warns(InsufficientDataWarning, match="No entry event"):
        got = m.funnel(_lazy(both, engine), STEPS, as_of="2024-03-05")
    assert_same(want, got)


@pytest.mark.parametrize("engine", ENGINES)
def test_single_step_and_numeric_breakdown(engine: str) -> None:
    df = _frame()
    df["channel"] = df["channel"].map({"web": 1.5, "app": np.nan, None: np.nan})
    for kw in ({}, {"attempts": "first"}, {"breakdown": "channel"}):
        got = m.funnel(_lazy(df, engine), ["signup"], **kw)
        assert_same(m.funnel(_eager(df), ["signup"], **kw), got)
    got = m.funnel(_lazy(df, engine), STEPS, breakdown="channel")
    assert_same(m.funnel(_eager(df), STEPS, breakdown="channel"), got)


@pytest.mark.parametrize("engine", ENGINES)
def test_text_none_and_missing_values_are_one_group(engine: str) -> None:
    df = _frame()
    df.loc[df["channel"] == "app", "channel"] = "(none)"
    got = m.funnel(_lazy(df, engine), STEPS, breakdown="channel")
    assert_same(m.funnel(_eager(df), STEPS, breakdown="channel"), got)
    assert got.breakdown_table is not None
    assert sorted(set(got.breakdown_table["channel"])) == ["(none)", "web"]


@pytest.mark.parametrize("engine", ENGINES)
def test_long_windows_and_the_far_future_fall_back(engine: str) -> None:
    df = _frame()
    with rows_collected() as sizes:
        got = m.funnel(_lazy(df, engine), STEPS, window="60D")
    assert sum(sizes) > 4  # beyond 2**52 ns the in-memory kernel runs
    assert_same(m.funnel(_eager(df), STEPS, window="60D"), got)
    far = df.assign(
        timestamp=df["timestamp"] + (pd.Timestamp("2149-12-20", tz="UTC") - df["timestamp"].max())
    )
    got = m.funnel(_lazy(far, engine), STEPS, window="30D")
    assert_same(m.funnel(_eager(far), STEPS, window="30D"), got)


# ---------------------------------------------------------------------------- PySpark
@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_pyspark_funnel_in_the_engine(spark: Any) -> None:
    df = _frame()
    lazy = LazyEventLog.scan(spark.createDataFrame(df), tz="UTC", properties=["channel"])
    for kw in CASES[:8]:
        want = m.funnel(_eager(df), STEPS, **kw)
        with rows_collected() as sizes:
            got = m.funnel(lazy, STEPS, **kw)
        groups = 0 if want.breakdown_table is None else want.breakdown_table.iloc[:, 0].nunique()
        assert sizes == [groups + 1]
        assert_same(want, got)
    assert not lazy.users_read


@pytest.mark.parametrize("engine", ENGINES)
def test_integer_ids_and_a_missing_breakdown_column(engine: str) -> None:
    df = _frame()
    df["user_id"] = df["user_id"].map({u: i * 7 for i, u in enumerate("abcde")})
    got = m.funnel(_lazy(df, engine), STEPS, window="2D")
    assert_same(m.funnel(_eager(df), STEPS, window="2D"), got)
    assert got.per_user["user_id"].tolist() == [0, 7, 14, 21]
    for log in (_eager(df), _lazy(df, engine)):
        with pytest.raises(InvalidParameterError, match="Missing breakdown column 'chanel'"):
            m.funnel(log, STEPS, breakdown="chanel")


@pytest.mark.parametrize("engine", ENGINES)
def test_exclusions_in_the_engine_count_the_excluded(engine: str) -> None:
    df = _frame()
    extra = pd.DataFrame(
        {
            "user_id": ["b", "d"],
            "event": ["open", "open"],
            "timestamp": pd.to_datetime(["2024-03-01 12:00", "2024-03-02 00:00"], utc=True),
            "channel": ["web", "web"],
        }
    )
    df = pd.concat([df, extra], ignore_index=True)
    lazy = _lazy(df, engine)
    with rows_collected() as sizes:
        got = m.funnel(lazy, STEPS, window="2D", exclusions=[("open", 0, 1)])
    assert sizes == [1]
    # b: "open" between its entry and its view; d: "open" at its entry's instant (not after)
    assert got.excluded_users == 1
    assert got.table["users"].tolist() == [3, 2, 1]
    assert "b" not in got.per_user["user_id"].tolist()
    assert_same(m.funnel(_eager(df), STEPS, window="2D", exclusions=[("open", 0, 1)]), got)


def test_a_property_duckdb_holds_without_a_type_is_collected() -> None:
    df = _frame().assign(channel=None)  # all NULL: DuckDB gives the column no type
    got = m.funnel(_lazy(df, "duckdb"), STEPS, breakdown="channel")
    assert_same(m.funnel(_eager(df), STEPS, breakdown="channel"), got)


@pytest.mark.parametrize("engine", ENGINES)
def test_an_exclusion_the_log_lacks_still_keeps_every_entry(engine: str) -> None:
    # with any exclusion the kernel keeps every entry; a person who never reaches step 1 is
    # then shown with their earliest entry (the best attempt's tie rule), not the latest
    times = pd.to_datetime(["2024-03-05 00:00", "2024-03-05 00:00", "2024-03-05 01:00"], utc=True)
    df = pd.DataFrame({"user_id": ["p"] * 3, "event": ["a"] * 3, "timestamp": times})
    kw: dict[str, Any] = {"window": "1h", "exclusions": [("x", 0, 1)]}
    with pytest.warns(UnknownEventWarning):
        got = m.funnel(_lazy(df, engine), ["a", "b"], **kw)
    with pytest.warns(UnknownEventWarning):
        want = m.funnel(_eager(df), ["a", "b"], **kw)
    assert_same(want, got)
    assert got.per_user["step_0_time"].tolist() == [times[0]]


@pytest.mark.parametrize("engine", ENGINES)
def test_a_group_of_excluded_people_only_is_not_collected(engine: str) -> None:
    times = pd.to_datetime(["2024-03-05 00:00", "2024-03-13 23:00", "2024-03-14 00:00"], utc=True)
    df = pd.DataFrame(
        {
            "user_id": ["p", "t", "t"],
            "event": ["a", "a", "y"],
            "timestamp": times,
            "channel": ["web", "app", "web"],
        }
    )
    kw: dict[str, Any] = {"window": "4h", "exclusions": [("y", 0, 1)], "breakdown": "channel"}
    lazy = _lazy(df, engine)
    with pytest.warns(UnknownEventWarning), rows_collected() as sizes:
        got = m.funnel(lazy, ["a", "b"], **kw)
    assert sizes == [2]  # the web group and everyone; t (app) was excluded
    assert got.excluded_users == 1
    with pytest.warns(UnknownEventWarning):
        assert_same(m.funnel(_eager(df), ["a", "b"], **kw), got)
