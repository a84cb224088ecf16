"""Hypothesis: churn rates, thresholds, features and warnings in the engine equal in-memory ones.

On random whole-hour logs in any zone, :func:`churn_rate`, :func:`infer_inactivity_threshold`,
:func:`churn_features` and :func:`early_warning` on a lazy Polars or DuckDB log equal the
answers on the same log collected (``to_event_log``: users in id order), and collect their
reductions only: one row per user, per active spell, per distinct day-gap length.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from useropslib.churn import churn_features, churn_rate, early_warning, infer_inactivity_threshold
from useropslib.events import LazyEventLog
from useropslib.events._engine import rows_collected
from useropslib.exceptions import InsufficientDataError, NoPlateauWarning
from useropslib.models import ChurnDefinition

pl = pytest.importorskip("polars")
duckdb = pytest.importorskip("duckdb")

EPOCH = pd.Timestamp("2024-03-01", tz="UTC")  # the days cross the March DST changes
DAYS = 40
NS_HOUR = 3_600 * 10**9
ZONES = ("UTC", "America/New_York", "Europe/Berlin", "Asia/Kolkata", "Australia/Adelaide")
EXAMPLES = settings(max_examples=25, deadline=None, derandomize=True)

pytestmark = [
    pytest.mark.filterwarnings("ignore::useropslib.exceptions.InsufficientDataWarning"),
    pytest.mark.filterwarnings("ignore::useropslib.exceptions.UnknownEventWarning"),
]


@st.composite
def logs(draw: st.DrawFn) -> pd.DataFrame:
    n = draw(st.integers(2, 60))
    users = draw(st.lists(st.sampled_from("abcdefg"), min_size=n, max_size=n))
    more = draw(st.lists(st.sampled_from(["open", "buy", "view"]), min_size=n - 2, max_size=n - 2))
    # whole hours, so ties and gaps of exactly a threshold or a grid value happen
    hours = draw(st.lists(st.integers(0, DAYS * 24), min_size=n, max_size=n))
    values = draw(st.lists(st.sampled_from([0.0, 1.0, 2.5, 10.0]), min_size=n, max_size=n))
    return pd.DataFrame(
        {
            "user_id": users,
            "event": ["open", "buy", *more],
            "timestamp": pd.to_datetime(np.array(hours) * NS_HOUR + EPOCH.value, utc=True),
            "value": values,
        }
    )


def _lazy(df: pd.DataFrame, engine: str, zone: str) -> LazyEventLog:
    native = pl.from_pandas(df).lazy() if engine == "polars" else duckdb.from_df(df)
    return LazyEventLog.scan(native, tz=zone)


def _outcome(f: Any, log: Any) -> tuple[str, Any]:
    """The answer, or the error's type and message."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", NoPlateauWarning)
            return "ok", f(log)
    except InsufficientDataError as exc:
        return "error", str(exc)


@EXAMPLES
@given(
    df=logs(),
    zone=st.sampled_from(ZONES),
    engine=st.sampled_from(["polars", "duckdb"]),
    threshold_h=st.sampled_from([1, 24, 72, 24 * 7]),
    names=st.sampled_from([None, ("open",), ("open", "view")]),
    period=st.sampled_from(["day", "week", "month"]),
    as_of_h=st.one_of(st.none(), st.integers(DAYS * 12, DAYS * 30)),
)
def test_churn_rate_in_the_engine_equals_in_memory(
    df: pd.DataFrame,
    zone: str,
    engine: str,
    threshold_h: int,
    names: tuple[str, ...] | None,
    period: str,
    as_of_h: int | None,
) -> None:
    lazy = _lazy(df, engine, zone)
    full = _lazy(df, engine, zone).to_event_log()  # the same rows, the users in id order
    d = ChurnDefinition(threshold=pd.Timedelta(hours=threshold_h), activity_events=names)
    as_of = None if as_of_h is None else EPOCH + pd.Timedelta(hours=as_of_h)
    want = _outcome(lambda e: churn_rate(e, d, period=period, as_of=as_of), full)
    with rows_collected() as sizes:
        got = _outcome(lambda e: churn_rate(e, d, period=period, as_of=as_of), lazy)
    assert got[0] == want[0]
    if want[0] == "error":
        assert got[1] == want[1]
        return
    pd.testing.assert_frame_equal(got[1], want[1])
    assert sizes[0] <= len(df)  # one row per active spell
    assert not lazy.users_read


@EXAMPLES
@given(
    df=logs(),
    zone=st.sampled_from(ZONES),
    engine=st.sampled_from(["polars", "duckdb"]),
    horizon_h=st.sampled_from([24, 72, 24 * 7]),
    grid=st.sampled_from([None, [1, 2, 3], [0.5, 1.25, "36h", 4]]),
    names=st.sampled_from([None, ("open",), ("open", "view")]),
    rule=st.sampled_from(["plateau", "return_probability", "gap_percentile"]),
)
def test_threshold_in_the_engine_equals_in_memory(
    df: pd.DataFrame,
    zone: str,
    engine: str,
    horizon_h: int,
    grid: list[Any] | None,
    names: tuple[str, ...] | None,
    rule: str,
) -> None:
    lazy = _lazy(df, engine, zone)
    full = _lazy(df, engine, zone).to_event_log()  # the same rows, the users in id order
    kw: dict[str, Any] = {
        "horizon": pd.Timedelta(hours=horizon_h),
        "grid": grid,
        "activity_events": names,
        "min_gaps": 1,
        "rule": rule,
    }
    want = _outcome(lambda e: infer_inactivity_threshold(e, **kw), full)
    with rows_collected() as sizes:
        got = _outcome(lambda e: infer_inactivity_threshold(e, **kw), lazy)
    assert got[0] == want[0]
    if want[0] == "error":
        assert got[1] == want[1]
        return
    pd.testing.assert_frame_equal(got[1].curve, want[1].curve)
    pd.testing.assert_frame_equal(got[1].rules, want[1].rules)
    assert got[1].definition == want[1].definition
    assert sizes[0] == 1
    assert sizes[1] <= DAYS + 2  # one row per distinct gap length in days
    assert not lazy.users_read


@EXAMPLES
@given(
    df=logs(),
    zone=st.sampled_from(ZONES),
    engine=st.sampled_from(["polars", "duckdb"]),
    cutoff_h=st.integers(DAYS * 6, DAYS * 18),
    windows=st.sampled_from([["7D"], ["1D", "5D"], ["12h", "3D", "10D"]]),
    horizon=st.sampled_from([None, "2D"]),
    names=st.sampled_from([None, ("open",), ("open", "view")]),
    indicator=st.sampled_from(["active_days", "buy"]),
    drop=st.sampled_from([0.3, 1.0]),
)
def test_features_and_warnings_in_the_engine_equal_in_memory(
    df: pd.DataFrame,
    zone: str,
    engine: str,
    cutoff_h: int,
    windows: list[str],
    horizon: str | None,
    names: tuple[str, ...] | None,
    indicator: str,
    drop: float,
) -> None:
    lazy = _lazy(df, engine, zone)
    full = _lazy(df, engine, zone).to_event_log()  # the same rows, the users in id order
    cutoff = min(EPOCH + pd.Timedelta(hours=cutoff_h), full.as_of - pd.Timedelta("2D"))
    cutoff = max(cutoff, full.start)
    if cutoff + pd.Timedelta("2D") > full.as_of:
        horizon = None  # the label window must end by as_of
    kw: dict[str, Any] = {
        "cutoff": cutoff,
        "windows": windows,
        "horizon": horizon,
        "activity_events": names,
    }
    want = churn_features(full, **kw)
    with rows_collected() as sizes:
        got = churn_features(lazy, **kw)
    money = [c for c in want.columns if str(c).startswith("value")]
    pd.testing.assert_frame_equal(got.drop(columns=money), want.drop(columns=money))
    pd.testing.assert_frame_equal(got[money], want[money], check_exact=False, rtol=1e-12)
    assert max(sizes, default=0) <= df["user_id"].nunique()
    wk: dict[str, Any] = {
        "indicator": indicator,
        "baseline": "10D",
        "recent": "3D",
        "drop": drop,
        "as_of": cutoff,
        "activity_events": names,
    }
    flags = early_warning(full, **wk)
    with rows_collected() as sizes:
        got_flags = early_warning(lazy, **wk)
    pd.testing.assert_frame_equal(got_flags, flags)
    assert sizes[0] <= df["user_id"].nunique()
    assert not lazy.users_read
