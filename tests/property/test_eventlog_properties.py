"""Hypothesis invariants of the EventLog."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from useropslib.events import EventLog

EPOCH_2024 = pd.Timestamp("2024-01-01T00:00Z").value
SPAN = 90 * 86_400 * 10**9


@st.composite
def event_frames(draw: st.DrawFn) -> pd.DataFrame:
    n = draw(st.integers(1, 60))
    users = draw(st.lists(st.sampled_from(["a", "b", "c", "d", "e"]), min_size=n, max_size=n))
    events = draw(st.lists(st.sampled_from(["open", "buy", "view"]), min_size=n, max_size=n))
    offsets = draw(st.lists(st.integers(0, SPAN), min_size=n, max_size=n))
    values = draw(
        st.lists(st.one_of(st.none(), st.floats(0, 1e6, allow_nan=False)), min_size=n, max_size=n)
    )
    return pd.DataFrame(
        {
            "user_id": users,
            "event": events,
            "timestamp": pd.to_datetime(np.array(offsets) + EPOCH_2024, utc=True),
            "value": pd.Series(values, dtype="float64"),
        }
    )


@settings(max_examples=60, deadline=None, derandomize=True)
@given(df=event_frames(), seed=st.integers(0, 2**32 - 1))
def test_shuffling_rows_gives_the_same_log(df: pd.DataFrame, seed: int) -> None:
    shuffled = df.sample(frac=1.0, random_state=seed)
    a = EventLog.from_pandas(df, tz="Asia/Shanghai")
    b = EventLog.from_pandas(shuffled, tz="Asia/Shanghai")
    assert a.equals(b)
    assert a.summary().to_dict() == b.summary().to_dict()
    for period in ("day", "week", "month"):
        ca = np.sort(a.period_codes(period))
        cb = np.sort(b.period_codes(period))
        np.testing.assert_array_equal(ca, cb)


@settings(max_examples=60, deadline=None, derandomize=True)
@given(df=event_frames(), cut=st.integers(0, SPAN))
def test_until_never_uses_later_events(df: pd.DataFrame, cut: int) -> None:
    log = EventLog.from_pandas(df)
    as_of = pd.Timestamp(EPOCH_2024 + cut, unit="ns", tz="UTC")
    old = log.until(as_of)
    assert (old.timestamps_ns <= as_of.value).all()
    assert old.n_events == int((df["timestamp"] <= as_of).sum())


@settings(max_examples=60, deadline=None, derandomize=True)
@given(df=event_frames())
def test_no_row_is_lost_and_drop_removes_only_exact_copies(df: pd.DataFrame) -> None:
    doubled = pd.concat([df, df], ignore_index=True)
    kept = EventLog.from_pandas(doubled)
    assert kept.n_events == 2 * len(df)
    dropped = EventLog.from_pandas(doubled, duplicates="drop")
    expected = len(df.drop_duplicates())
    assert dropped.n_events == expected
    assert dropped.summary().duplicates_dropped == 2 * len(df) - expected
