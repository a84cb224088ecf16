"""Hypothesis: revenue, ltv_curve, message_funnel and stickiness_ratio in the engine equal memory.

Random logs on DuckDB and Polars lazy logs, zones with DST changes (one at midnight), half-hour
offsets, every week start and period, the functions' options.  Amounts are multiples of 0.25
below 2**20, so every partial sum is exact and revenue is compared exactly whatever order the
engine sums in.  Asserted each time: the same answer (or the same error), the same warning
types, at most the answer's rows per collect, and the user vocabulary never read.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

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
    "America/Santiago",
)
EVENTS = ["open", "purchase", "signup", "message_sent", "message_delivered", "message_opened"]
EXAMPLES = settings(max_examples=30, deadline=None, derandomize=True)
ENGINES: dict[str, Callable[[pd.DataFrame], Any]] = {
    "duckdb": duckdb.from_df,
    "polars": lambda df: pl.from_pandas(df).lazy(),
}


@st.composite
def logs(draw: st.DrawFn) -> pd.DataFrame:
    n = draw(st.integers(2, 50))
    users = draw(st.lists(st.sampled_from("abcdefg"), min_size=n, max_size=n))
    more = draw(st.lists(st.sampled_from(EVENTS), min_size=n - 2, max_size=n - 2))
    offsets = draw(st.lists(st.integers(0, DAYS * NS_DAY), min_size=n, max_size=n))
    quarters = draw(st.lists(st.integers(-8, 4000), min_size=n, max_size=n))
    values = np.array(quarters, dtype=np.float64) / 4
    missing = draw(st.lists(st.booleans(), min_size=n, max_size=n))
    values[np.array(missing)] = np.nan
    channel = draw(st.lists(st.sampled_from(["email", "sms", None]), min_size=n, max_size=n))
    times = (np.array(offsets) + EPOCH.value) // 1000 * 1000  # microseconds, as the engines
    return pd.DataFrame(
        {
            "user_id": users,
            "event": ["open", "purchase", *more],
            "timestamp": pd.to_datetime(times, utc=True),
            "value": values,
            "channel": channel,
        }
    )


def _day(draw: st.DrawFn) -> str:
    return str((EPOCH + pd.Timedelta(days=draw(st.integers(-5, DAYS + 5)))).date())


@st.composite
def calls(draw: st.DrawFn) -> tuple[str, dict[str, Any]]:
    fn = draw(st.sampled_from(["revenue", "ltv_curve", "message_funnel", "stickiness_ratio"]))
    kw: dict[str, Any] = {}
    if fn in ("revenue", "ltv_curve", "stickiness_ratio"):
        kw["week_start"] = draw(st.integers(0, 6))
    if fn == "revenue":
        kw["period"] = draw(st.sampled_from(["day", "week", "month"]))
        if draw(st.booleans()):
            kw["activity_events"] = draw(st.sampled_from(["open", ["signup", "open"]]))
        if draw(st.booleans()):
            kw["purchase_event"] = draw(st.sampled_from([["purchase", "signup"], "nope"]))
    elif fn == "ltv_curve":
        kw["cohort_period"] = draw(st.sampled_from(["day", "week", "month"]))
        kw["periods"] = draw(st.integers(1, 12))
        if draw(st.booleans()):
            kw["signup_event"] = "signup"
        if draw(st.booleans()):
            kw["as_of"] = _day(draw) + " 13:30"
    elif fn == "message_funnel":
        kw["breakdown"] = draw(st.sampled_from(["channel", None]))
        kw["return_within"] = draw(st.sampled_from(["1D", "7D", "30D"]))
        if draw(st.booleans()):
            kw["return_event"] = draw(st.sampled_from(["open", ["purchase", "open"]]))
        if draw(st.booleans()):
            kw["opened"] = None
        if draw(st.booleans()):
            kw["as_of"] = _day(draw) + " 13:30"
    else:
        pair = draw(
            st.sampled_from([("day", "30D"), ("day", "month"), ("day", "week"), ("2D", "9D")])
        )
        kw["numerator"], kw["denominator"] = pair
        if draw(st.booleans()):
            kw["activity_events"] = "open"
        if draw(st.booleans()):
            kw["as_of"] = _day(draw) + " 13:30"
        if draw(st.booleans()):
            kw["start"] = _day(draw)
        if draw(st.booleans()):
            kw["end"] = _day(draw)
    return fn, kw


def _run(fn: str, log: Any, kw: dict[str, Any]) -> tuple[Any, str | None, set[type]]:
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        try:
            got = getattr(m, fn)(log, **kw)
        except Exception as exc:  # the same error is expected from both routes
            return None, f"{type(exc).__name__}: {exc}", {type(w.message) for w in seen}
    return got, None, {type(w.message) for w in seen}


def _size(got: Any) -> int:
    if isinstance(got, pd.Series):
        return got.size
    if isinstance(got, m.LTVResult):
        return len(got.sizes) * (got.table.shape[1] + 1)
    return max(len(got.table), 1)


def _same(a: Any, b: Any) -> None:
    if isinstance(a, pd.Series):
        pd.testing.assert_series_equal(a, b)
        return
    pd.testing.assert_frame_equal(a.to_frame(), b.to_frame())
    pd.testing.assert_frame_equal(a.table, b.table)
    assert a.params == b.params
    assert a.as_of == b.as_of
    if isinstance(a, m.RevenueResult):
        pd.testing.assert_series_equal(a.totals, b.totals)
    if isinstance(a, m.LTVResult):
        pd.testing.assert_series_equal(a.curve, b.curve)


@EXAMPLES
@given(df=logs(), call=calls(), tz=st.sampled_from(ZONES))
def test_engine_answers_equal_memory(
    df: pd.DataFrame, call: tuple[str, dict[str, Any]], tz: str
) -> None:
    fn, kw = call
    full = EventLog.from_pandas(df, value_col="value", properties=["channel"], tz=tz)
    want, want_err, want_warn = _run(fn, full, kw)
    for engine in ENGINES.values():
        lazy = LazyEventLog.scan(engine(df), value_col="value", properties=["channel"], tz=tz)
        with rows_collected() as sizes:
            got, err, warned = _run(fn, lazy, kw)
        assert err == want_err
        assert warned == want_warn
        if err is None:
            _same(got, want)
            assert all(s <= _size(got) for s in sizes), (sizes, _size(got))
        assert not lazy.users_read
