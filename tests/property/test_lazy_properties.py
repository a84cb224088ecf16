"""Hypothesis: on random logs, a lazy log (rows left in Polars or DuckDB) answers as the full log.

The roll-up the engine computes must give every calendar metric the same answer as the event
rows, in any time zone (DST changes and half-hour offsets included), week start and period.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from useropslib import metrics as m
from useropslib.events import EventLog, LazyEventLog

pl = pytest.importorskip("polars")
duckdb = pytest.importorskip("duckdb")

EPOCH = pd.Timestamp("2024-02-20", tz="UTC")  # 60 days cross the March DST changes
DAYS = 60
NS_DAY = 86_400 * 10**9
ZONES = ("UTC", "America/New_York", "Europe/Berlin", "Asia/Kolkata", "Australia/Adelaide")
EXAMPLES = settings(max_examples=30, deadline=None, derandomize=True)

pytestmark = pytest.mark.filterwarnings("ignore::useropslib.exceptions.InsufficientDataWarning")


@st.composite
def logs(draw: st.DrawFn) -> pd.DataFrame:
    n = draw(st.integers(2, 60))
    users = draw(st.lists(st.sampled_from("abcdefgh"), min_size=n, max_size=n))
    # the first two rows make sure the named events exist (unknown names are errors)
    more = draw(st.lists(st.sampled_from(["open", "buy", "view"]), min_size=n - 2, max_size=n - 2))
    events = ["open", "buy", *more]
    offsets = draw(st.lists(st.integers(0, DAYS * NS_DAY), min_size=n, max_size=n))
    values = draw(st.lists(st.floats(0, 100, allow_nan=False), min_size=n, max_size=n))
    return pd.DataFrame(
        {
            "user_id": users,
            "event": events,
            "timestamp": pd.to_datetime(np.array(offsets) + EPOCH.value, utc=True),
            "value": values,
        }
    )


def _both(df: pd.DataFrame, zone: str, engine: str) -> tuple[EventLog, object]:
    native = pl.from_pandas(df).lazy() if engine == "polars" else duckdb.from_df(df)
    return EventLog.from_pandas(df, tz=zone), LazyEventLog.scan(native, tz=zone)


@EXAMPLES
@given(
    df=logs(),
    zone=st.sampled_from(ZONES),
    engine=st.sampled_from(["polars", "duckdb"]),
    period=st.sampled_from(["hour", "day", "week", "month"]),
    week_start=st.integers(0, 6),
)
def test_calendar_metrics_equal_on_the_roll_up(
    df: pd.DataFrame, zone: str, engine: str, period: str, week_start: int
) -> None:
    full, lazy = _both(df, zone, engine)
    a = m.active_users(full, window=period, week_start=week_start)
    b = m.active_users(lazy, window=period, week_start=week_start)  # type: ignore[arg-type]
    pd.testing.assert_series_equal(a, b)
    if period != "hour":
        la = m.lifecycle(full, period=period, week_start=week_start).to_frame()  # type: ignore[arg-type]
        lb = m.lifecycle(lazy, period=period, week_start=week_start).to_frame()  # type: ignore[arg-type]
        pd.testing.assert_frame_equal(la, lb)
        ra = m.revenue(full, period=period, purchase_event="buy", week_start=week_start).table
        rb = m.revenue(lazy, period=period, purchase_event="buy", week_start=week_start).table  # type: ignore[arg-type]
        pd.testing.assert_frame_equal(ra, rb, check_exact=False, rtol=1e-9)
    ta = m.retention(full, period=period, periods=4, week_start=week_start, return_event="open")
    tb = m.retention(lazy, period=period, periods=4, week_start=week_start, return_event="open")  # type: ignore[arg-type]
    pd.testing.assert_frame_equal(ta.to_frame(), tb.to_frame())
