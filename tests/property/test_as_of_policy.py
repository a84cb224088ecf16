"""One as_of for every function: on a daily-dated purchase log, the metrics called with the same
``as_of`` agree on the last period shown, and none shows a period starting at or after it."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

import useropslib as uo
from useropslib.exceptions import InsufficientDataWarning

DAY0 = pd.Timestamp("2024-01-01", tz="UTC")


@st.composite
def purchase_logs(draw: st.DrawFn) -> tuple[uo.EventLog, pd.Timestamp]:
    n = draw(st.integers(1, 60))
    seed = draw(st.integers(0, 2**16))
    rng = np.random.default_rng(seed)
    day = rng.integers(0, 120, n)
    df = pd.DataFrame(
        {
            "user_id": rng.integers(0, 12, n).astype(str),
            "event": "purchase",
            "timestamp": DAY0 + pd.to_timedelta(day, unit="D"),  # dated, not timed
            "value": rng.uniform(1, 50, n).round(2),
        }
    )
    log = uo.EventLog.from_pandas(df)
    # as_of: a midnight from the first purchase day to a month after the last one
    lo, hi = int(day.min()), int(day.max()) + 31
    as_of = DAY0 + pd.Timedelta(days=draw(st.integers(lo, hi)))
    return log, as_of


def _last_month(index: pd.Index) -> pd.Timestamp | None:
    return None if len(index) == 0 else pd.Timestamp(index.max())


@settings(max_examples=40, deadline=None, derandomize=True)
@given(purchase_logs())
def test_metrics_agree_on_the_last_period(case: tuple[uo.EventLog, pd.Timestamp]) -> None:
    log, as_of = case
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", InsufficientDataWarning)
        active = uo.metrics.active_users(log, window="month", as_of=as_of)
        ret = uo.metrics.retention(log, period="month", periods=6, as_of=as_of)
        growth = uo.metrics.growth_accounting(log, period="month", as_of=as_of)
        life = uo.metrics.lifecycle(log, period="month", as_of=as_of)
    # the last month shown is the one holding the instant just before as_of
    before = as_of - pd.Timedelta(1, unit="ns")
    expected = pd.Timestamp(year=before.year, month=before.month, day=1, tz="UTC")
    shown = {
        "active_users": _last_month(active.index),
        "retention": _last_month(ret.counts.index),
        "growth_accounting": _last_month(growth.counts.index),
        "lifecycle": _last_month(life.counts.index),
    }
    first_month = pd.Timestamp(year=log.start.year, month=log.start.month, day=1, tz="UTC")
    for name, last in shown.items():
        if expected < first_month:
            # as_of at the first event's month start: no data month is shown (retention still
            # shows its empty range of cohorts, all before as_of)
            assert last is None or last < first_month, (name, last)
            continue
        assert last is not None, name
        assert last < as_of, (name, last, as_of)
        assert last == expected, (name, last, expected)
    # a month that ends at or before as_of is complete in retention's own cohort cell
    if as_of.day == 1 and expected >= first_month:
        assert not bool(ret.incomplete.iloc[-1, 0])


@settings(max_examples=40, deadline=None, derandomize=True)
@given(purchase_logs())
def test_customer_functions_agree_on_who_and_how_long(
    case: tuple[uo.EventLog, pd.Timestamp],
) -> None:
    """rfm, rfm_summary and churn_labels with the same as_of: the same customers (every user
    with a purchase at or before as_of, the purchase dated as_of included), and the same days
    since the last purchase, counted from as_of itself (no extra day for the day of as_of)."""
    log, as_of = case
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", InsufficientDataWarning)
        scores = uo.segments.rfm(log, as_of=as_of, purchase_event="purchase").table
        summary = uo.churn.rfm_summary(log, purchase_event="purchase", as_of=as_of, period="D")
        labels = uo.churn.churn_labels(log, "30D", as_of=as_of)
    frame = log.to_pandas()
    bought = frame[frame["timestamp"] <= as_of]
    customers = set(bought["user_id"])
    assert set(scores.index) == customers
    assert set(summary.index) == customers
    assert set(labels.index) == customers
    last = bought.groupby("user_id")["timestamp"].max()
    first = bought.groupby("user_id")["timestamp"].min()
    days_since_last = (as_of - last).dt.days.astype(float)
    days_since_first = (as_of - first).dt.days.astype(float)
    ids = sorted(customers)
    np.testing.assert_array_equal(scores.loc[ids, "recency_days"], days_since_last.loc[ids])
    np.testing.assert_array_equal(
        (summary["T"] - summary["recency"]).loc[ids], days_since_last.loc[ids]
    )
    np.testing.assert_array_equal(summary.loc[ids, "T"], days_since_first.loc[ids])
    assert (labels.loc[ids, "last_seen"] == last.loc[ids]).all()
    np.testing.assert_array_equal(
        labels.loc[ids, "days_inactive"].astype(float), days_since_last.loc[ids]
    )
