"""Lazy sessions with the event names coded in the engine: same answers, same errors."""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest

from useropslib.events import EventLog, LazyEventLog
from useropslib.exceptions import UseropsError
from useropslib.paths import sessions

pl = pytest.importorskip("polars")
duckdb = pytest.importorskip("duckdb")

T0 = pd.Timestamp("2024-03-01 09:00", tz="UTC")


def _frame() -> pd.DataFrame:
    """Names with a quote, a space, upper case and non-ASCII text; ties at session edges.

    Code point order of the names: ``Z`` < ``a b`` < ``it's`` < ``ü`` < ``日本``.
    """
    rows = [
        # user "ü1": session 1 starts with a tie (Z before "a b"), ends with a tie (ü before 日本)
        ("ü1", "a b", 0),
        ("ü1", "Z", 0),
        ("ü1", "it's", 5),
        ("ü1", "日本", 10),
        ("ü1", "ü", 10),
        # 2 hours later: session 2, one event
        ("ü1", "it's", 130),
        # user "u'2": a start event inside a run of activity
        ("u'2", "Z", 0),
        ("u'2", "it's", 1),
        ("u'2", "a b", 2),
        ("u'2", "日本", 2),
    ]
    return pd.DataFrame(
        {
            "user_id": [r[0] for r in rows],
            "event": [r[1] for r in rows],
            "timestamp": [T0 + pd.Timedelta(minutes=r[2]) for r in rows],
        }
    )


def _lazy(df: pd.DataFrame, engine: str) -> Any:
    native = pl.from_pandas(df).lazy() if engine == "polars" else duckdb.from_df(df)
    return LazyEventLog.scan(native, tz="UTC")


@pytest.mark.parametrize("engine", ["polars", "duckdb"])
def test_ties_are_ordered_by_name_with_awkward_names(engine: str) -> None:
    df = _frame()
    lazy = _lazy(df, engine)
    got = sessions(lazy).table
    # hand-computed: "ü1" has two sessions, "u'2" one; ties go in code point order of the name
    s = got.set_index(["user_id", "session"])
    assert s.loc[("ü1", 1), "first_event"] == "Z"
    assert s.loc[("ü1", 1), "last_event"] == "日本"
    assert s.loc[("ü1", 1), "events"] == 5
    assert s.loc[("ü1", 2), "first_event"] == "it's"
    assert s.loc[("u'2", 1), "first_event"] == "Z"
    assert s.loc[("u'2", 1), "last_event"] == "日本"
    eager = EventLog.from_pandas(df, tz="UTC")
    for kwargs in ({}, {"start_event": "it's"}, {"start_event": ["a b", "日本"]}):
        a = sessions(eager, **kwargs).table  # type: ignore[arg-type]
        b = sessions(lazy, **kwargs).table  # type: ignore[arg-type]
        # the eager log numbers users by first appearance, the lazy one by id: sort both
        key = ["user_id", "session"]
        pd.testing.assert_frame_equal(
            a.sort_values(key, ignore_index=True),
            b.sort_values(key, ignore_index=True),
            check_dtype=False,
        )


@pytest.mark.parametrize("engine", ["polars", "duckdb"])
def test_a_start_event_splits_in_the_engine(engine: str) -> None:
    got = sessions(_lazy(_frame(), engine), start_event="it's").table
    two = got[got["user_id"] == "u'2"]
    # "u'2": Z | it's, a b, 日本 (the start event opens a second session)
    assert two["events"].tolist() == [1, 3]
    assert two["first_event"].tolist() == ["Z", "it's"]


@pytest.mark.parametrize("engine", ["polars", "duckdb"])
def test_the_engine_codes_the_names(engine: str) -> None:
    from useropslib.events._windows import _session_rows

    lazy = _lazy(_frame(), engine)
    _, coded = _session_rows(
        lazy, timeout_ns=1_800 * 10**9, split=">=", start_events=[], until_ns=None, coded=True
    )
    assert coded


def test_integer_event_names_keep_the_text_route() -> None:
    rel = duckdb.sql(
        "SELECT 'u' || (i % 2) AS user_id, (i % 3) AS event, TIMESTAMPTZ "
        "'2024-01-01 00:00:00+00' + i * INTERVAL 10 MINUTE AS timestamp FROM range(6) t(i)"
    )
    got = sessions(LazyEventLog.scan(rel, tz="UTC")).table
    assert got["events"].tolist() == [3, 3]
    assert got["first_event"].astype(str).tolist() == ["0", "1"]
    assert got["last_event"].astype(str).tolist() == ["1", "2"]


def _table(con: Any) -> Any:
    con.execute("SET TimeZone='UTC'")
    con.execute(
        "CREATE TABLE ev AS SELECT * FROM (VALUES "
        "('u1', 'open', TIMESTAMPTZ '2024-01-01 00:00:00+00'), "
        "('u2', 'open', TIMESTAMPTZ '2024-01-01 01:00:00+00')) t(user_id, event, timestamp)"
    )
    return con.table("ev")


@pytest.mark.parametrize(
    "row",
    [
        # inside the scanned time range (the log's as_of is the last scanned event)
        "('u1', 'refund', TIMESTAMPTZ '2024-01-01 00:30:00+00')",  # a new event name
        "('u9', 'open', TIMESTAMPTZ '2024-01-01 00:30:00+00')",  # a new user
    ],
)
def test_a_table_changed_after_scan_is_an_error(row: str) -> None:
    con = duckdb.connect()
    lazy = LazyEventLog.scan(_table(con), tz="UTC")
    assert sessions(lazy).table["events"].tolist() == [1, 1]
    con.execute(f"INSERT INTO ev VALUES {row}")
    with pytest.raises(UseropsError, match=r"The table changed after LazyEventLog\.scan: .*scan"):
        sessions(lazy)
