"""Hypothesis: lifecycle and growth accounting counted in the engine equal the in-memory answer.

Random logs on DuckDB and Polars lazy logs, zones with DST changes (one at midnight), half-hour
offsets, every week start and period, ``start``/``end`` (the look-back before the range),
``activity_events`` (an unknown name included) and ``as_of``.  Asserted each time: the same
answer or the same error, the same warning types, one collect of at most the answer's size
(periods with activity, plus the folded past) and the user vocabulary never read.
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
    stamps = pd.to_datetime(np.array(offsets) + EPOCH.value, utc=True)
    return pd.DataFrame(
        {
            "user_id": users,
            "event": ["open", "buy", *more],
            "timestamp": stamps.floor("us"),  # DuckDB keeps microseconds
        }
    )


def _day(draw: st.DrawFn) -> str:
    return str((EPOCH + pd.Timedelta(days=draw(st.integers(-5, DAYS + 5)))).date())


@st.composite
def options(draw: st.DrawFn) -> dict[str, object]:
    kw: dict[str, object] = {"period": draw(st.sampled_from(["day", "week", "month", "hour"]))}
    kw["week_start"] = draw(st.integers(0, 6))
    if draw(st.booleans()):
        kw["activity_events"] = draw(st.sampled_from(["buy", ["open", "view"], "nope"]))
    if draw(st.booleans()):
        kw["as_of"] = _day(draw) + " 13:30"
    if kw["period"] != "hour":  # an hourly range over months is long; hours keep the defaults
        if draw(st.booleans()):
            kw["start"] = _day(draw)
        if draw(st.booleans()):
            kw["end"] = _day(draw)
    return kw


def _run(fn: object, log: object, kw: dict[str, object]) -> tuple[object, str]:
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        try:
            out = fn(log, **kw)  # type: ignore[operator]
        except Exception as exc:
            return None, f"{type(exc).__name__}: {exc}"
    return out, ",".join(sorted({type(w.message).__name__ for w in seen}))


def _pair(df: pd.DataFrame, zone: str, engine: str) -> tuple[EventLog, LazyEventLog]:
    full = EventLog.from_pandas(df, tz=zone)
    native = pl.from_pandas(df).lazy() if engine == "polars" else duckdb.from_df(df)
    return full, LazyEventLog.scan(native, tz=zone)


def _ordered(kw: dict[str, object]) -> dict[str, object]:
    if "start" in kw and "end" in kw and str(kw["end"]) < str(kw["start"]):
        kw["start"], kw["end"] = kw["end"], kw["start"]
    return kw


@EXAMPLES
@given(
    df=logs(),
    zone=st.sampled_from(ZONES),
    engine=st.sampled_from(["polars", "duckdb"]),
    kw=options(),
    positive=st.booleans(),
)
def test_lifecycle_in_the_engine_equals_the_in_memory_answer(
    df: pd.DataFrame, zone: str, engine: str, kw: dict[str, object], positive: bool
) -> None:
    kw = _ordered(kw)
    if positive:
        kw["dormant_sign"] = "positive"
    full, lazy = _pair(df, zone, engine)
    want, want_notes = _run(m.lifecycle, full, kw)
    with rows_collected() as sizes:
        got, got_notes = _run(m.lifecycle, lazy, kw)
    assert got_notes == want_notes
    if want is None:
        return
    assert isinstance(got, m.LifecycleResult)
    assert isinstance(want, m.LifecycleResult)
    pd.testing.assert_frame_equal(got.counts, want.counts)
    assert got.params == want.params
    assert got.as_of == want.as_of
    assert not lazy.users_read
    assert len(sizes) <= 1
    assert sum(sizes) <= max(want.counts.size, 1)


@EXAMPLES
@given(
    df=logs(),
    zone=st.sampled_from(ZONES),
    engine=st.sampled_from(["polars", "duckdb"]),
    kw=options(),
)
def test_growth_accounting_in_the_engine_equals_the_in_memory_answer(
    df: pd.DataFrame, zone: str, engine: str, kw: dict[str, object]
) -> None:
    kw = _ordered(kw)
    full, lazy = _pair(df, zone, engine)
    want, want_notes = _run(m.growth_accounting, full, kw)
    with rows_collected() as sizes:
        got, got_notes = _run(m.growth_accounting, lazy, kw)
    assert got_notes == want_notes
    if want is None:
        return
    assert isinstance(got, m.GrowthAccountingResult)
    assert isinstance(want, m.GrowthAccountingResult)
    pd.testing.assert_frame_equal(got.counts, want.counts)
    pd.testing.assert_frame_equal(got.rates, want.rates)
    assert got.params == want.params
    assert not lazy.users_read
    assert len(sizes) <= 1
    assert sum(sizes) <= max(want.counts.size, 1)


@st.composite
def state_options(draw: st.DrawFn) -> dict[str, object]:
    kw: dict[str, object] = {}
    if draw(st.booleans()):
        w = draw(st.integers(2, 8))
        kw.update(week_days=w, month_days=draw(st.integers(w + 1, 31)))
    if draw(st.booleans()):
        kw["activity_events"] = draw(st.sampled_from(["buy", ["open", "view"], "nope"]))
    if draw(st.booleans()):
        kw["as_of"] = _day(draw) + " 13:30"
    if draw(st.booleans()):
        kw["start"] = _day(draw)
    if draw(st.booleans()):
        kw["end"] = _day(draw)
    return kw


@EXAMPLES
@given(
    df=logs(),
    zone=st.sampled_from(ZONES),
    engine=st.sampled_from(["polars", "duckdb"]),
    kw=state_options(),
)
def test_growth_states_in_the_engine_equal_the_in_memory_answer(
    df: pd.DataFrame, zone: str, engine: str, kw: dict[str, object]
) -> None:
    kw = _ordered(kw)
    full, lazy = _pair(df, zone, engine)
    want, want_notes = _run(m.growth_states, full, kw)
    with rows_collected() as sizes:
        got, got_notes = _run(m.growth_states, lazy, kw)
    assert got_notes == want_notes
    if want is None:
        return
    assert isinstance(got, m.GrowthStatesResult)
    assert isinstance(want, m.GrowthStatesResult)
    for name in ("counts", "active", "transitions", "rates"):
        pd.testing.assert_frame_equal(getattr(got, name), getattr(want, name))
    pd.testing.assert_series_equal(got.pooled_rates, want.pooled_rates)
    assert got.params == want.params
    assert not lazy.users_read
    assert len(sizes) <= 2  # the first qualifying day (no start), then the tallies
    answer = want.counts.size + want.active.size + want.rates.size + want.transitions.size
    assert sum(sizes) <= answer
    # the per-user states come on demand and equal the in-memory ones (users in id order)
    pd.testing.assert_series_equal(
        got.user_states().sort_index(), want.user_states().sort_index(), check_index_type=False
    )
