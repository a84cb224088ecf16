"""Hypothesis: active users counted whole in the engine equal the in-memory answer exactly.

Random logs, DuckDB and Polars lazy logs, zones with DST changes (one at midnight), half-hour
offsets, every week start, calendar and rolling windows, ``every``, ``start``/``end``,
``activity_events`` and ``as_of``.  The engine returns one row per period (at most the answer's
length is collected) and the user vocabulary is never read.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from useropslib import metrics as m
from useropslib.events import EventLog, LazyEventLog
from useropslib.events._engine import rows_collected

pl = pytest.importorskip("polars")
duckdb = pytest.importorskip("duckdb")

EPOCH = pd.Timestamp("2024-02-20", tz="UTC")  # 80 days cross the March and April DST changes
DAYS = 80
NS_DAY = 86_400 * 10**9
ZONES = (
    "UTC",
    "America/New_York",
    "Europe/Berlin",
    "Asia/Kolkata",
    "Australia/Adelaide",
    "America/Santiago",  # changes at midnight: local days are not monotone in time
)
EXAMPLES = settings(max_examples=40, deadline=None, derandomize=True)


@st.composite
def logs(draw: st.DrawFn) -> pd.DataFrame:
    n = draw(st.integers(2, 60))
    users = draw(st.lists(st.sampled_from("abcdefgh"), min_size=n, max_size=n))
    more = draw(st.lists(st.sampled_from(["open", "buy", "view"]), min_size=n - 2, max_size=n - 2))
    offsets = draw(st.lists(st.integers(0, DAYS * NS_DAY), min_size=n, max_size=n))
    return pd.DataFrame(
        {
            "user_id": users,
            "event": ["open", "buy", *more],
            "timestamp": pd.to_datetime(np.array(offsets) + EPOCH.value, utc=True),
        }
    )


def _day(draw: st.DrawFn) -> str:
    return str((EPOCH + pd.Timedelta(days=draw(st.integers(-5, DAYS + 5)))).date())


@st.composite
def options(draw: st.DrawFn) -> dict[str, object]:
    kw: dict[str, object] = {}
    window = draw(st.sampled_from(["hour", "day", "week", "month", "1D", "3D", "7D", "30D"]))
    kw["window"] = window
    if window[-1] == "D" and draw(st.booleans()):
        kw["every"] = draw(st.sampled_from(["day", "week", "month"]))
    kw["week_start"] = draw(st.integers(0, 6))
    if draw(st.booleans()):
        kw["activity_events"] = draw(st.sampled_from(["buy", ["open", "view"], "nope"]))
    if draw(st.booleans()):
        kw["as_of"] = _day(draw) + " 13:30"
    if window != "hour":  # an hourly range over months is long; hours keep the defaults
        if draw(st.booleans()):
            kw["start"] = _day(draw)
        if draw(st.booleans()):
            kw["end"] = _day(draw)
    return kw


def _run(log: object, kw: dict[str, object]) -> tuple[pd.Series | None, str | None]:
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        try:
            out = m.active_users(log, **kw)  # type: ignore[arg-type]
        except Exception as exc:
            return None, f"{type(exc).__name__}: {exc}"
    kinds = sorted({type(w.message).__name__ for w in seen})
    return out, ",".join(kinds)


@EXAMPLES
@given(
    df=logs(),
    zone=st.sampled_from(ZONES),
    engine=st.sampled_from(["polars", "duckdb"]),
    kw=options(),
)
def test_active_users_in_the_engine_equal_the_in_memory_answer(
    df: pd.DataFrame, zone: str, engine: str, kw: dict[str, object]
) -> None:
    if "start" in kw and "end" in kw and str(kw["end"]) < str(kw["start"]):
        kw["start"], kw["end"] = kw["end"], kw["start"]
    full = EventLog.from_pandas(df, tz=zone)
    native = pl.from_pandas(df).lazy() if engine == "polars" else duckdb.from_df(df)
    lazy = LazyEventLog.scan(native, tz=zone)
    want, want_notes = _run(full, kw)
    with rows_collected() as sizes:
        got, got_notes = _run(lazy, kw)
    assert got_notes == want_notes
    if want is None:
        return
    assert got is not None
    pd.testing.assert_series_equal(got, want)
    assert not lazy.users_read
    assert len(sizes) <= 1
    assert sum(sizes) <= len(want)


@st.composite
def stickiness_options(draw: st.DrawFn) -> dict[str, object]:
    kw: dict[str, object] = {"week_start": draw(st.integers(0, 6))}
    within = draw(st.sampled_from(["range", "range", "week", "month"]))
    kw["within"] = within
    if within == "range":
        kw["period"] = draw(st.sampled_from(["day", "week", "month", "hour"]))
        kw["interval_count"] = draw(st.sampled_from([1, 1, 2, 3]))
    else:
        kw["period"] = draw(st.sampled_from(["day", "day", "hour"]))
    kw["cumulative"] = draw(st.booleans())
    if draw(st.booleans()):
        kw["min_events"] = draw(st.integers(1, 3))
    if draw(st.booleans()):
        kw["max_events"] = draw(st.integers(int(kw.get("min_events", 1)), 4))  # type: ignore[call-overload]
    if draw(st.booleans()):
        kw["activity_events"] = draw(st.sampled_from(["buy", ["open", "view"], "nope"]))
    if draw(st.booleans()):
        kw["as_of"] = _day(draw) + " 13:30"
    if kw["period"] != "hour" or within != "range":
        if draw(st.booleans()):
            kw["start"] = _day(draw)
        if draw(st.booleans()):
            kw["end"] = _day(draw)
    return kw


def _stick(log: object, kw: dict[str, object]) -> tuple[object, str]:
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        try:
            out = m.stickiness(log, **kw)  # type: ignore[arg-type]
        except Exception as exc:
            return None, f"{type(exc).__name__}: {exc}"
    return out, ",".join(sorted({type(w.message).__name__ for w in seen}))


@EXAMPLES
@given(
    df=logs(),
    zone=st.sampled_from(ZONES),
    engine=st.sampled_from(["polars", "duckdb"]),
    kw=stickiness_options(),
)
def test_stickiness_in_the_engine_equals_the_in_memory_answer(
    df: pd.DataFrame, zone: str, engine: str, kw: dict[str, object]
) -> None:
    if "start" in kw and "end" in kw and str(kw["end"]) < str(kw["start"]):
        kw["start"], kw["end"] = kw["end"], kw["start"]
    df = df.assign(timestamp=df["timestamp"].dt.floor("us"))  # DuckDB keeps microseconds
    full = EventLog.from_pandas(df, tz=zone)
    native = pl.from_pandas(df).lazy() if engine == "polars" else duckdb.from_df(df)
    lazy = LazyEventLog.scan(native, tz=zone)
    want, want_notes = _stick(full, kw)
    with rows_collected() as sizes:
        got, got_notes = _stick(lazy, kw)
    assert got_notes == want_notes
    if want is None:
        return
    assert isinstance(got, m.StickinessResult)
    assert isinstance(want, m.StickinessResult)
    pd.testing.assert_series_equal(got.counts, want.counts)
    pd.testing.assert_series_equal(got.rates, want.rates)
    assert got.total == want.total
    assert got.params == want.params
    assert got.as_of == want.as_of
    if want.table is None:
        assert got.table is None
    else:
        assert got.table is not None
        pd.testing.assert_frame_equal(got.table, want.table)
        assert sum(sizes) <= want.table.size + len(want.table)  # cells, and 0-interval rows
    if want.table is None:
        assert sum(sizes) <= len(want.counts) + 1  # one row per number of intervals (and 0)
    assert len(sizes) <= 1
    assert not lazy.users_read
    # the per-user rows are computed on demand, then equal (users in id order on a lazy log)
    cols = ["user_id", "window_start"] if kw["within"] != "range" else ["user_id"]
    a = want.per_user().sort_values(cols).reset_index(drop=True)
    b = got.per_user().sort_values(cols).reset_index(drop=True)
    pd.testing.assert_frame_equal(b, a, check_dtype=False)


@st.composite
def retention_options(draw: st.DrawFn) -> dict[str, object]:
    period = draw(st.sampled_from(["day", "week", "week", "month", "hour"]))
    kw: dict[str, object] = {
        "period": period,
        "periods": draw(st.integers(1, 6)),
        "cohort": draw(st.sampled_from(["recurring", "first_time"])),
        "mode": draw(st.sampled_from(["on", "on_or_after"])),
        "week_start": draw(st.integers(0, 6)),
    }
    if draw(st.booleans()):
        kw["min_occurrences"] = draw(st.integers(1, 3))
    if draw(st.booleans()):
        kw["start_event"] = draw(st.sampled_from(["buy", ["open", "view"]]))
    if draw(st.booleans()):
        kw["return_event"] = draw(st.sampled_from(["open", "buy", "nope"]))
    if draw(st.booleans()):
        kw["as_of"] = _day(draw) + " 13:30"
    if period != "hour" and draw(st.booleans()):
        kw["start"] = _day(draw)
    if draw(st.booleans()):
        kw["end"] = _day(draw)
    return kw


@EXAMPLES
@given(
    df=logs(),
    zone=st.sampled_from(ZONES),
    engine=st.sampled_from(["polars", "duckdb"]),
    kw=retention_options(),
)
def test_retention_in_the_engine_equals_the_in_memory_answer(
    df: pd.DataFrame, zone: str, engine: str, kw: dict[str, object]
) -> None:
    df = df.assign(timestamp=df["timestamp"].dt.floor("us"))  # DuckDB keeps microseconds
    full = EventLog.from_pandas(df, tz=zone)
    native = pl.from_pandas(df).lazy() if engine == "polars" else duckdb.from_df(df)
    lazy = LazyEventLog.scan(native, tz=zone)

    def run(log: object) -> tuple[object, str]:
        with warnings.catch_warnings(record=True) as seen:
            warnings.simplefilter("always")
            try:
                out = m.retention(log, **kw)  # type: ignore[arg-type]
            except Exception as exc:
                return None, f"{type(exc).__name__}: {exc}"
        return out, ",".join(sorted({type(w.message).__name__ for w in seen}))

    want, want_notes = run(full)
    with rows_collected() as sizes:
        got, got_notes = run(lazy)
    assert got_notes == want_notes
    if want is None:
        return
    assert isinstance(got, m.RetentionResult)
    assert isinstance(want, m.RetentionResult)
    pd.testing.assert_frame_equal(got.counts, want.counts)
    pd.testing.assert_frame_equal(got.rates, want.rates)
    pd.testing.assert_frame_equal(got.incomplete, want.incomplete)
    pd.testing.assert_frame_equal(got.mean, want.mean)
    assert got.params == want.params
    assert got.as_of == want.as_of
    assert not lazy.users_read
    assert len(sizes) <= 2  # the cells, and the first event's time when as_of is given
    if sizes:
        assert sizes[-1] <= want.counts.size
