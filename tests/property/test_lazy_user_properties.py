"""Hypothesis: per-user churn answers computed in the engine equal the in-memory ones.

On random logs, in any zone, :func:`churn_labels`, :func:`survival_frame` (both churn kinds,
both clocks) and :func:`natural_churn_rate` on a lazy Polars or DuckDB log equal the answers on
the same rows in memory, and collect at most one row per user (per user and event for the early
counts).
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from useropslib.churn import churn_labels, natural_churn_rate, survival_frame
from useropslib.events import EventLog, LazyEventLog
from useropslib.events._engine import rows_collected
from useropslib.exceptions import InsufficientDataError
from useropslib.models import ChurnDefinition

pl = pytest.importorskip("polars")
duckdb = pytest.importorskip("duckdb")

EPOCH = pd.Timestamp("2024-03-01", tz="UTC")  # the days cross the March DST changes
DAYS = 40
NS_HOUR = 3_600 * 10**9
ZONES = ("UTC", "America/New_York", "Europe/Berlin", "Asia/Kolkata", "Australia/Adelaide")
EXAMPLES = settings(max_examples=30, deadline=None, derandomize=True)

pytestmark = [
    pytest.mark.filterwarnings("ignore::useropslib.exceptions.InsufficientDataWarning"),
    pytest.mark.filterwarnings("ignore::useropslib.exceptions.UnknownEventWarning"),
]


@st.composite
def logs(draw: st.DrawFn) -> pd.DataFrame:
    n = draw(st.integers(2, 50))
    users = draw(st.lists(st.sampled_from("abcdefg"), min_size=n, max_size=n))
    more = draw(st.lists(st.sampled_from(["open", "buy", "view"]), min_size=n - 2, max_size=n - 2))
    # whole hours, so equal times (ties) and gaps of exactly the threshold happen
    hours = draw(st.lists(st.integers(0, DAYS * 24), min_size=n, max_size=n))
    return pd.DataFrame(
        {
            "user_id": users,
            "event": ["open", "buy", *more],
            "timestamp": pd.to_datetime(np.array(hours) * NS_HOUR + EPOCH.value, utc=True),
        }
    )


@EXAMPLES
@given(
    df=logs(),
    zone=st.sampled_from(ZONES),
    engine=st.sampled_from(["polars", "duckdb"]),
    threshold_h=st.sampled_from([1, 24, 72, 24 * 7]),
    names=st.sampled_from([None, ("open",), ("open", "view")]),
    as_of_h=st.one_of(st.none(), st.integers(DAYS * 12, DAYS * 30)),
    kind=st.sampled_from(["terminal", "first_lapse"]),
    clock=st.sampled_from(["churn", "last_activity"]),
)
def test_per_user_churn_in_the_engine_equals_in_memory(
    df: pd.DataFrame,
    zone: str,
    engine: str,
    threshold_h: int,
    names: tuple[str, ...] | None,
    as_of_h: int | None,
    kind: str,
    clock: str,
) -> None:
    native = pl.from_pandas(df).lazy() if engine == "polars" else duckdb.from_df(df)
    lazy = LazyEventLog.scan(native, tz=zone)
    full = EventLog.from_pandas(df, tz=zone)
    d = ChurnDefinition(threshold=pd.Timedelta(hours=threshold_h), activity_events=names)
    as_of = None if as_of_h is None else EPOCH + pd.Timedelta(hours=as_of_h)
    if as_of is not None and as_of < full.start:
        as_of = full.start
    with rows_collected() as sizes:
        got = churn_labels(lazy, d, as_of=as_of)
    pd.testing.assert_frame_equal(got, churn_labels(full, d, as_of=as_of).sort_index())
    assert sizes == [len(got)]
    if got.empty:
        return
    silence = d if kind == "terminal" else pd.Timedelta(hours=threshold_h)
    signup = None if clock == "churn" else "buy"
    period = "week" if kind == "terminal" else "day"
    options = {"cohort_period": period, "silence": silence, "signup_event": signup}
    try:
        want_rate = natural_churn_rate(full, as_of=as_of, **options)  # type: ignore[arg-type]
    except InsufficientDataError as exc:  # nobody signed up by as_of: the same error
        with pytest.raises(InsufficientDataError, match=re.escape(str(exc))):
            natural_churn_rate(lazy, as_of=as_of, **options)  # type: ignore[arg-type]
    else:
        with rows_collected() as sizes:
            rate = natural_churn_rate(lazy, as_of=as_of, **options)  # type: ignore[arg-type]
        pd.testing.assert_frame_equal(rate, want_rate)
        assert sizes == [int(rate["signups"].sum())]
    options = {"as_of": as_of, "kind": kind, "clock": clock, "early_window": "2D"}
    with rows_collected() as sizes:
        surv = survival_frame(lazy, d, **options)  # type: ignore[arg-type]
    want = survival_frame(full, d, **options).sort_index()  # type: ignore[arg-type]
    pd.testing.assert_frame_equal(surv, want, check_like=True)
    assert sizes[0] == len(surv)
    assert max(sizes) <= len(surv) * len(full.event_names)
    assert not lazy.users_read
