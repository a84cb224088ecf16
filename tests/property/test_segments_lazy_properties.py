"""Hypothesis: segment answers computed in the engine equal the in-memory ones.

On random logs, in any zone, :func:`value_tiers`, :func:`lifecycle_stages`, :func:`members`,
:func:`membership` and :func:`compare_segments` on a lazy Polars or DuckDB log equal the
answers on the same rows in memory (``EventLog.from_pandas``), and each query collects at most
one row per user.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from useropslib.events import EventLog, LazyEventLog
from useropslib.events._engine import rows_collected
from useropslib.models import (
    AllOf,
    AnyOf,
    BehaviourCondition,
    ChurnDefinition,
    NoneOf,
    PropertyCondition,
    Segment,
)
from useropslib.segments import (
    compare_segments,
    lifecycle_stages,
    members,
    membership,
    value_tiers,
)

pl = pytest.importorskip("polars")
duckdb = pytest.importorskip("duckdb")

EPOCH = pd.Timestamp("2024-03-01", tz="UTC")  # the days cross the March DST changes
DAYS = 40
NS_HOUR = 3_600 * 10**9
ZONES = ("UTC", "America/New_York", "Europe/Berlin", "Asia/Kolkata", "Australia/Adelaide")
EXAMPLES = settings(max_examples=15, deadline=None, derandomize=True)

pytestmark = [
    pytest.mark.filterwarnings("ignore::useropslib.exceptions.InsufficientDataWarning"),
    pytest.mark.filterwarnings("ignore::useropslib.exceptions.UnknownEventWarning"),
]


@st.composite
def logs(draw: st.DrawFn) -> pd.DataFrame:
    n = draw(st.integers(2, 50))
    users = draw(st.lists(st.sampled_from("abcdefg"), min_size=n, max_size=n))
    more = draw(st.lists(st.sampled_from(["open", "buy", "view"]), min_size=n - 2, max_size=n - 2))
    # whole hours, so equal times (ties) and windows of exactly the bounds happen
    hours = draw(st.lists(st.integers(0, DAYS * 24), min_size=n, max_size=n))
    amount = draw(st.lists(st.sampled_from([None, 1.0, 5.0, 9.0]), min_size=n, max_size=n))
    return pd.DataFrame(
        {
            "user_id": users,
            "event": ["open", "buy", *more],
            "timestamp": pd.to_datetime(np.array(hours) * NS_HOUR + EPOCH.value, utc=True),
            "value": np.array([np.nan if a is None else a for a in amount]),
            "amount": np.array([np.nan if a is None else a for a in amount]),
        }
    )


def _segment(kind: int, window_h: int) -> Segment:
    window = pd.Timedelta(hours=window_h)
    buy = BehaviourCondition(event="buy", window=window)
    cond: object
    if kind == 0:
        cond = buy
    elif kind == 1:
        cond = AnyOf(
            conditions=(
                BehaviourCondition(event="open", behaviour="stopped", window=window),
                BehaviourCondition(event=("view", "buy"), behaviour="first_time", window=window),
            )
        )
    elif kind == 2:
        cond = AllOf(
            conditions=(
                PropertyCondition(property="plan", op="eq", value="pro"),
                NoneOf(
                    conditions=(
                        BehaviourCondition(
                            event="open", behaviour="started_again", window=window, times=1
                        ),
                    )
                ),
            )
        )
    else:
        cond = BehaviourCondition(
            event="buy",
            times=2,
            comparison="at_most",
            where=(PropertyCondition(property="amount", op="ge", value=5),),
        )
    return Segment(name=f"s{kind}", condition=cond)  # type: ignore[arg-type]


USERS = pd.DataFrame({"user_id": list("aceg"), "plan": ["pro", "free", "pro", "pro"]})


@EXAMPLES
@given(
    df=logs(),
    zone=st.sampled_from(ZONES),
    engine=st.sampled_from(["polars", "duckdb"]),
    window_h=st.sampled_from([1, 24, 72, 24 * 7]),
    as_of_h=st.one_of(st.none(), st.integers(DAYS * 12, DAYS * 30)),
    kind=st.integers(0, 3),
    period=st.sampled_from(["day", "week"]),
)
def test_segments_in_the_engine_equal_in_memory(
    df: pd.DataFrame,
    zone: str,
    engine: str,
    window_h: int,
    as_of_h: int | None,
    kind: int,
    period: str,
) -> None:
    native = pl.from_pandas(df).lazy() if engine == "polars" else duckdb.from_df(df)
    lazy = LazyEventLog.scan(native, tz=zone, properties=["amount"])
    full = EventLog.from_pandas(df, tz=zone, properties=["amount"])
    as_of = None if as_of_h is None else EPOCH + pd.Timedelta(hours=as_of_h)
    if as_of is not None and as_of < full.start:
        as_of = full.start
    window = pd.Timedelta(hours=window_h)
    n_users = full.n_users

    with rows_collected() as sizes:
        tiers = value_tiers(
            lazy,
            as_of=as_of,
            purchase_event="buy",
            core_within=window,
            paying_within=window,
            referral_event="view",
            min_referrals=2,
        )
    want_tiers = value_tiers(
        full,
        as_of=as_of,
        purchase_event="buy",
        core_within=window,
        paying_within=window,
        referral_event="view",
        min_referrals=2,
    )
    pd.testing.assert_frame_equal(tiers.table, want_tiers.table.sort_index())
    assert sizes == [len(tiers.table)]

    churn = ChurnDefinition(threshold=window, activity_events=["open"])
    options = {
        "as_of": as_of,
        "active_within": window,
        "dormant_after": window * 2,
        "new_within": window,
        "churn_definition": churn,
        "activation_event": "buy",
    }
    with rows_collected() as sizes:
        stages = lifecycle_stages(lazy, **options)  # type: ignore[arg-type]
    want_stages = lifecycle_stages(full, **options)  # type: ignore[arg-type]
    pd.testing.assert_frame_equal(stages.table, want_stages.table.sort_index())
    assert sizes == [len(stages.table)]

    seg = _segment(kind, window_h)
    kw = {"users": USERS} if kind == 2 else {}
    with rows_collected() as sizes:
        got = members(lazy, seg, as_of=as_of, **kw)
    assert sorted(got) == sorted(members(full, seg, as_of=as_of, **kw))
    assert len(sizes) == 1
    assert sizes[0] <= n_users
    with rows_collected() as sizes:
        res = membership(lazy, seg, period=period, as_of=as_of, **kw)
    want = membership(full, seg, period=period, as_of=as_of, **kw)
    pd.testing.assert_frame_equal(res.table, want.table)
    key = ["period", "change", "user_id"]
    pd.testing.assert_frame_equal(
        res.changes.sort_values(key, ignore_index=True),
        want.changes.sort_values(key, ignore_index=True),
    )
    assert max(sizes) <= n_users  # one grouped query per about 16 counts

    segs = {"x": list("abc"), "y": list("cdez")}
    options = {
        "metrics": ["size", "conversion", "arpu", "churn_rate"],
        "conversion_event": "buy",
        "arpu_within": window,
        "as_of": as_of,
        "churn_definition": churn,
    }
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # tests on constant samples
        with rows_collected() as sizes:
            cmp = compare_segments(lazy, segs, **options)  # type: ignore[arg-type]
        want_cmp = compare_segments(full, segs, **options)  # type: ignore[arg-type]
    pd.testing.assert_frame_equal(cmp.table, want_cmp.table, check_exact=False, rtol=1e-12)
    assert len(sizes) == 1
    assert sizes[0] <= n_users
    assert not lazy.users_read
