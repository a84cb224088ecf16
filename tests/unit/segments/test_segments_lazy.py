"""Segments on a lazy log: per-user reductions in the engine, the in-memory answer, no event rows.

value_tiers, lifecycle_stages, members / evaluate_segment / membership (behaviour, property,
tag, reference and mixed trees, event-property filters) and compare_segments on Polars, DuckDB
and pyarrow (and PySpark in local mode) are compared with the same log collected, and each
collection is counted: one row per user with an event by ``as_of``.
"""

from __future__ import annotations

import re
import warnings
from typing import Any

import numpy as np
import pandas as pd
import pytest

from useropslib.datasets import synthetic_frame
from useropslib.events import EventLog, LazyEventLog, strict_events
from useropslib.events._engine import rows_collected
from useropslib.exceptions import (
    InsufficientDataWarning,
    InvalidParameterError,
    UnknownEventWarning,
)
from useropslib.models import (
    AllOf,
    AnyOf,
    BehaviourCondition,
    ChurnDefinition,
    NoneOf,
    PropertyCondition,
    Segment,
    SegmentRef,
)
from useropslib.segments import (
    TagTable,
    compare_segments,
    evaluate_segment,
    lifecycle_stages,
    members,
    membership,
    value_tiers,
)

pl = pytest.importorskip("polars")
duckdb = pytest.importorskip("duckdb")
pa = pytest.importorskip("pyarrow")

TZ = "Europe/Berlin"  # the log crosses the March DST change
ENGINES = ["polars", "duckdb", "pyarrow"]


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    df = synthetic_frame(n_users=600, days=60, seed=2, start="2024-02-20", tz=TZ)
    rng = np.random.default_rng(0)
    amount = rng.integers(0, 100, len(df)).astype(float)
    df["amount"] = np.where(rng.random(len(df)) < 0.3, np.nan, amount)
    df["vip"] = rng.random(len(df)) < 0.1
    return df


def _native(df: pd.DataFrame, engine: str) -> Any:
    if engine == "polars":
        return pl.from_pandas(df).lazy()
    if engine == "duckdb":
        return duckdb.from_df(df)
    return pa.Table.from_pandas(df, preserve_index=False)


def _logs(df: pd.DataFrame, engine: str, **kw: Any) -> tuple[LazyEventLog, EventLog]:
    native = _native(df, engine)
    return LazyEventLog.scan(native, tz=TZ, **kw), LazyEventLog.scan(
        native, tz=TZ, **kw
    ).to_event_log()


# ------------------------------------------------------------------ tiers and stages
TIERS: list[dict[str, Any]] = [
    {},
    {"as_of": "2024-03-31 03:30", "referral_event": "share", "min_referrals": 2},
    {"purchase_event": ["purchase", "add_to_cart"], "paying_within": "10D", "core_within": "36h"},
]
STAGES: list[dict[str, Any]] = [
    {},
    {"as_of": "2024-03-31 03:30", "declining_drop": None, "new_within": "3D"},
    {
        "activation_event": "purchase",
        "churn_definition": ChurnDefinition(threshold="10D", activity_events=["purchase"]),
        "active_within": "36h",
        "dormant_after": "5D",
        "declining_drop": 1.0,
    },
    {"churn_definition": ChurnDefinition(threshold="3D")},
]


@pytest.mark.parametrize("options", TIERS)
@pytest.mark.parametrize("engine", ENGINES)
def test_value_tiers_in_the_engine(
    frame: pd.DataFrame, engine: str, options: dict[str, Any]
) -> None:
    lazy, full = _logs(frame, engine)
    with rows_collected() as sizes:
        got = value_tiers(lazy, **options)
    want = value_tiers(full, **options)
    pd.testing.assert_frame_equal(got.table, want.table)
    pd.testing.assert_series_equal(got.counts, want.counts)
    assert got.core_threshold == want.core_threshold or np.isnan(want.core_threshold)
    assert got.params == want.params
    assert got.as_of == want.as_of
    assert sizes == [len(got.table)]  # one row per user with an event by as_of
    assert not lazy.users_read


@pytest.mark.parametrize("options", STAGES)
@pytest.mark.parametrize("engine", ENGINES)
def test_lifecycle_stages_in_the_engine(
    frame: pd.DataFrame, engine: str, options: dict[str, Any]
) -> None:
    lazy, full = _logs(frame, engine)
    with rows_collected() as sizes:
        got = lifecycle_stages(lazy, **options)
    want = lifecycle_stages(full, **options)
    pd.testing.assert_frame_equal(got.table, want.table)
    pd.testing.assert_series_equal(got.counts, want.counts)
    assert sizes == [len(got.table)]
    assert not lazy.users_read


def test_tiers_and_stages_by_hand_across_the_dst_change() -> None:
    # Berlin moves to summer time on 2024-03-31 at 02:00: 24-hour buckets count back from
    # as_of in UTC, so the local day of the change is 23 hours long and does not matter
    df = pd.DataFrame(
        {
            "user_id": ["a", "a", "a", "b", "b", "c"],
            "event": ["open", "open", "purchase", "open", "open", "open"],
            "timestamp": pd.to_datetime(
                [
                    "2024-03-30T00:30:00Z",  # a: bucket 1 from as_of 2024-03-31T01:00Z
                    "2024-03-31T00:30:00Z",  # a: bucket 0
                    "2024-03-30T23:30:00Z",  # a: bucket 0 (a purchase)
                    "2024-03-20T12:00:00Z",  # b: bucket 10
                    "2024-03-30T00:59:59Z",  # b: bucket 1 (one second before 24 h)
                    "2024-03-31T01:00:00Z",  # c: bucket 0, at as_of
                ],
                utc=True,
            ),
        }
    )
    for engine in ("polars", "duckdb"):
        lazy = LazyEventLog.scan(_native(df, engine), tz=TZ)
        tiers = value_tiers(lazy, core_within="2D", core_quantile=0.9)
        assert tiers.table["active_days"].tolist() == [2, 1, 1]
        assert tiers.table["tier"].tolist() == ["paying", "ordinary", "ordinary"]
        assert tiers.core_threshold == pytest.approx(1.8)  # linear, of [1, 1, 2]
        stages = lifecycle_stages(lazy, new_within="1D", active_within="1D", dormant_after="2D")
        # a: first seen 24.5 h before as_of, came back 24 h later: active (1 day vs 1 day)
        # b: came back 10 days later, silent 24 h: declining; c: first seen at as_of: new
        assert stages.table["stage"].tolist() == ["active", "declining", "new"]
        assert stages.table["activated"].tolist() == [True, True, False]
        full = EventLog.from_pandas(df, tz=TZ)
        pd.testing.assert_frame_equal(
            stages.table,
            lifecycle_stages(full, new_within="1D", active_within="1D", dormant_after="2D").table,
        )


def test_stage_window_bounds_by_hand() -> None:
    # active_within = 1 day before as_of: the window is (as_of - 1D, as_of], so the event at
    # exactly as_of - 1D is the "event before" and x came back after a 1-day silence
    df = pd.DataFrame(
        {
            "user_id": ["x", "x", "x", "y"],
            "event": ["open"] * 4,
            "timestamp": pd.to_datetime(
                ["2024-03-01", "2024-03-10", "2024-03-11", "2024-03-11"], utc=True
            ),
        }
    )
    options = {"active_within": "1D", "dormant_after": "1D", "new_within": "1h"}
    for engine in ENGINES:
        lazy = LazyEventLog.scan(_native(df, engine), tz=TZ)
        got = lifecycle_stages(lazy, **options)
        assert got.table["stage"].tolist() == ["resurrected", "new"]
        want = lifecycle_stages(EventLog.from_pandas(df, tz=TZ), **options)
        pd.testing.assert_frame_equal(got.table, want.table)


def test_value_tiers_with_kol_collects_the_rows(frame: pd.DataFrame) -> None:
    lazy, full = _logs(frame, "duckdb", properties=["vip"])
    with rows_collected() as sizes:
        got = value_tiers(lazy, kol="vip")
    pd.testing.assert_frame_equal(got.table, value_tiers(full, kol="vip").table)
    assert sum(sizes) > len(got.table)  # documented: the latest value per user needs the rows


def test_unknown_names_warn_or_raise_as_in_memory(frame: pd.DataFrame) -> None:
    lazy, full = _logs(frame, "polars")
    with pytest.warns(UnknownEventWarning, match="purchse"):
        got = value_tiers(lazy, purchase_event="purchse")
    assert not got.table["paying"].any()
    with pytest.warns(UnknownEventWarning, match="aktivate"):
        lifecycle_stages(lazy, activation_event="aktivate")
    with strict_events(), pytest.raises(InvalidParameterError, match="purchse"):
        value_tiers(lazy, purchase_event="purchse")
    with pytest.raises(InvalidParameterError) as mem:
        lifecycle_stages(full, as_of="2020-01-01")
    with pytest.raises(InvalidParameterError, match=re.escape(str(mem.value))):
        lifecycle_stages(lazy, as_of="2020-01-01")


# ------------------------------------------------------------------ condition trees
BUY = BehaviourCondition(event="purchase", times=1, window="14D")
SEGMENTS: list[tuple[Segment, dict[str, Any]]] = [
    (Segment(name="buyers", condition=BUY), {}),
    (
        Segment(
            name="mixed",
            condition=AllOf(
                conditions=(
                    PropertyCondition(property="plan", op="eq", value="pro"),
                    AnyOf(
                        conditions=(
                            BUY,
                            BehaviourCondition(event="share", behaviour="stopped", window="7D"),
                        )
                    ),
                )
            ),
        ),
        {"users": True},
    ),
    (
        Segment(
            name="filtered",
            condition=AnyOf(
                conditions=(
                    BehaviourCondition(
                        event="purchase",
                        where=(PropertyCondition(property="channel", op="eq", value="email"),),
                        window="30D",
                    ),
                    BehaviourCondition(event="like", behaviour="started_again", window="7D"),
                )
            ),
        ),
        {"tags": True},
    ),
    (
        Segment(
            name="not_big",
            condition=NoneOf(
                conditions=(
                    BehaviourCondition(
                        event="purchase",
                        where=(
                            PropertyCondition(property="amount", op="ge", value=50),
                            PropertyCondition(property="channel", op="not_in", value=("push",)),
                        ),
                    ),
                )
            ),
        ),
        {"as_of": "2024-03-20"},
    ),
    (
        Segment(
            name="ref",
            condition=AnyOf(
                conditions=(
                    SegmentRef(segment="buyers"),
                    BehaviourCondition(
                        event="like", behaviour="first_time", start="2024-03-01", end="2024-03-10"
                    ),
                    BehaviourCondition(
                        event="app_open", comparison="at_most", times=0, window="3D"
                    ),
                )
            ),
        ),
        {"segments": True},
    ),
    (
        Segment(name="props_only", condition=PropertyCondition(property="age", op="lt", value=30)),
        {"users": True},
    ),
]


def _kw(options: dict[str, Any]) -> dict[str, Any]:
    rng = np.random.default_rng(1)
    out = dict(options)
    if out.pop("users", False):
        out["users"] = pd.DataFrame(
            {
                "user_id": [f"u{i:03d}" for i in range(0, 700, 2)],
                "plan": rng.choice(["free", "pro"], 350),
                "age": rng.integers(18, 70, 350),
            }
        )
    if out.pop("tags", False):
        out["tags"] = TagTable.from_mapping({"u001": ["vip"], "zz": ["vip"]})
    if out.pop("segments", False):
        out["segments"] = [SEGMENTS[0][0]]
    return out


@pytest.mark.parametrize("case", range(len(SEGMENTS)))
@pytest.mark.parametrize("engine", ENGINES)
def test_members_and_membership_in_the_engine(frame: pd.DataFrame, engine: str, case: int) -> None:
    seg, options = SEGMENTS[case]
    kw = _kw(options)
    lazy, full = _logs(frame, engine, properties=["channel", "amount"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", InsufficientDataWarning)
        with rows_collected() as sizes:
            got = members(lazy, seg, **kw)
        pd.testing.assert_index_equal(got, members(full, seg, **kw))
        n_present = lazy.to_event_log().n_users
        assert len(sizes) == 1
        assert sizes[0] <= n_present
        with rows_collected() as sizes:
            flags = evaluate_segment(lazy, seg, **kw)
        pd.testing.assert_series_equal(flags, evaluate_segment(full, seg, **kw))
        assert len(sizes) == 1
        assert sizes[0] <= n_present
        with rows_collected() as sizes:
            res = membership(lazy, seg, period="week", **kw)
        want = membership(full, seg, period="week", **kw)
    pd.testing.assert_frame_equal(res.table, want.table)
    pd.testing.assert_frame_equal(res.changes, want.changes)
    assert res.as_of == want.as_of
    assert max(sizes) <= n_present  # every week from grouped queries of about 16 counts


def test_membership_by_hour_splits_the_query(frame: pd.DataFrame) -> None:
    small = frame[frame["timestamp"] < pd.Timestamp("2024-03-05", tz=TZ)]
    lazy, full = _logs(small, "duckdb")
    seg = Segment(name="w", condition=BehaviourCondition(event="like", window="2h"))
    with rows_collected() as sizes:
        got = membership(lazy, seg, period="hour")
    want = membership(full, seg, period="hour")
    pd.testing.assert_frame_equal(got.table, want.table)
    pd.testing.assert_frame_equal(got.changes, want.changes)
    assert len(sizes) > 1
    assert max(sizes) <= full.n_users


@pytest.mark.parametrize(
    "where",
    [
        PropertyCondition(property="vip", op="eq", value=True),  # a boolean column
        PropertyCondition(property="amount", op="eq", value="50"),  # text against numbers
        PropertyCondition(property="amount", op="contains", value="5"),  # an error in memory
        PropertyCondition(property="nope", op="is_set"),  # an unknown property
    ],
)
def test_filters_without_an_engine_form_collect(frame: pd.DataFrame, where: Any) -> None:
    lazy, full = _logs(frame, "polars", properties=["channel", "amount", "vip"])
    seg = Segment(name="s", condition=BehaviourCondition(event="purchase", where=(where,)))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", InsufficientDataWarning)
        try:
            want = members(full, seg)
        except InvalidParameterError as exc:
            with pytest.raises(InvalidParameterError, match=re.escape(str(exc))):
                members(lazy, seg)
            return
        with rows_collected() as sizes:
            got = members(lazy, seg)
    pd.testing.assert_index_equal(got, want)
    assert sum(sizes) >= len(frame)  # collected


def test_filters_in_the_engine_by_hand() -> None:
    df = pd.DataFrame(
        {
            "user_id": ["a", "b", "c", "d", "e", "f"],
            "event": ["buy"] * 6,
            "timestamp": pd.to_datetime(["2024-01-01"] * 6, utc=True),
            "amount": [5.0, np.nan, 50.0, 7.0, None, 100.0],
            "note": ["café", None, "tea", "CAFÉ", "un café", "x"],
        }
    )
    cases = {
        ("amount", "ge", 7): ["c", "d", "f"],
        ("amount", "ne", 5): ["b", "c", "d", "e", "f"],  # missing is "not equal"
        ("amount", "in", (5, 100.0)): ["a", "f"],
        ("amount", "is_not_set", None): ["b", "e"],
        ("note", "contains", "café"): ["a", "e"],
        ("note", "lt", "d"): ["a", "d"],  # "CAFÉ" < "café" < "d" < "tea" by code point
    }
    for engine in ("polars", "duckdb", "pyarrow"):
        lazy = LazyEventLog.scan(_native(df, engine), tz="UTC", properties=["amount", "note"])
        full = EventLog.from_pandas(df, tz="UTC", properties=["amount", "note"])
        for (prop, op, value), expected in cases.items():
            cond = PropertyCondition(property=prop, op=op, value=value)
            seg = Segment(name="s", condition=BehaviourCondition(event="buy", where=(cond,)))
            with rows_collected() as sizes:
                got = members(lazy, seg)
            pd.testing.assert_index_equal(got, members(full, seg))
            assert sizes == [6]
            assert got.tolist() == expected, (engine, prop, op)


def test_empty_and_unknown_names_follow_memory(frame: pd.DataFrame) -> None:
    lazy, _full = _logs(frame, "duckdb")
    seg = Segment(name="s", condition=BehaviourCondition(event="purchse"))
    with (
        pytest.warns(UnknownEventWarning, match="purchse"),
        pytest.warns(InsufficientDataWarning, match="no members"),
    ):
        assert members(lazy, seg).empty
    with strict_events(), pytest.raises(InvalidParameterError, match="purchse"):
        members(lazy, seg)
    with pytest.raises(InvalidParameterError, match="no users= frame"):
        members(lazy, Segment(name="p", condition=PropertyCondition(property="x", op="is_set")))
    with pytest.raises(InvalidParameterError, match="tags must be a TagTable"):
        members(lazy, seg, tags="vip")  # type: ignore[arg-type]
    none = pd.DataFrame(
        {
            "user_id": pd.Series([], dtype=str),
            "event": pd.Series([], dtype=str),
            "timestamp": pd.Series([], dtype="datetime64[ns, UTC]"),
        }
    )
    empty = LazyEventLog.scan(pl.from_pandas(none).lazy(), tz=TZ, allow_empty=True)
    with pytest.warns(InsufficientDataWarning, match="no events"):
        assert members(empty, Segment(name="b", condition=BUY)).empty


# ------------------------------------------------------------------ compare_segments
COMPARE: list[dict[str, Any]] = [
    {"metrics": ["size", "conversion", "arpu", "churn_rate"], "conversion_event": "purchase"},
    {
        "metrics": ["size", "conversion", "arpu", "churn_rate"],
        "conversion_event": ["purchase", "share"],
        "conversion_within": "14D",
        "arpu_within": "20D",
        "as_of": "2024-03-31 03:30",
        "churn_definition": ChurnDefinition(threshold="7D", activity_events=["like"]),
        "arpu_test": "mannwhitney",
    },
]


@pytest.mark.parametrize("options", COMPARE)
@pytest.mark.parametrize("engine", ENGINES)
def test_compare_segments_in_the_engine(
    frame: pd.DataFrame, engine: str, options: dict[str, Any]
) -> None:
    ids = [f"u{i:03d}" for i in range(600)]
    segs = {
        "a": ids[::3],
        "b": pd.Series(np.arange(600) % 5 == 0, index=ids),
        "c": ["u001", "not-a-user"],
    }
    lazy, full = _logs(frame, engine)
    with rows_collected() as sizes:
        got = compare_segments(lazy, segs, **options)
    want = compare_segments(full, segs, **options)
    # ARPU sums may differ in the last bit with the engine's order of addition
    pd.testing.assert_frame_equal(got.table, want.table, check_exact=False, rtol=1e-12)
    pd.testing.assert_frame_equal(got.overlap, want.overlap)
    assert len(sizes) == 1
    assert sizes[0] <= full.n_users
    assert not lazy.users_read


def test_compare_segments_retention_and_funnel_use_their_lazy_routes(frame: pd.DataFrame) -> None:
    segs = {"a": [f"u{i:03d}" for i in range(0, 600, 4)]}
    lazy, full = _logs(frame, "polars")
    for options in ({}, {"conversion_steps": ["signup", "purchase"]}):
        with rows_collected() as sizes:
            got = compare_segments(lazy, segs, **options)
        want = compare_segments(full, segs, **options)
        pd.testing.assert_frame_equal(got.table, want.table, check_exact=False, rtol=1e-12)
        assert max(sizes) < len(frame)  # reductions only: no event rows


# ------------------------------------------------------------------ PySpark
def test_pyspark_segments_in_spark(spark: Any) -> None:
    df = synthetic_frame(n_users=60, days=40, seed=3, start="2024-03-01", tz=TZ)
    df["timestamp"] = df["timestamp"].dt.tz_convert("UTC")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        sdf = spark.createDataFrame(df.assign(channel=df["channel"].fillna("none")))
    lazy = LazyEventLog.scan(sdf, tz=TZ, properties=["channel"])
    full = EventLog.from_pandas(
        df.assign(channel=df["channel"].fillna("none")), tz=TZ, properties=["channel"]
    )
    n = full.n_users
    for fn, kw in (
        (value_tiers, {"referral_event": "share", "min_referrals": 2}),
        (lifecycle_stages, {"churn_definition": ChurnDefinition(threshold="5D")}),
    ):
        with rows_collected() as sizes:
            got = fn(lazy, **kw)  # type: ignore[operator]
        pd.testing.assert_frame_equal(got.table.sort_index(), fn(full, **kw).table.sort_index())  # type: ignore[operator]
        assert sizes == [len(got.table)]
        assert len(got.table) <= n
    seg = Segment(
        name="m",
        condition=AnyOf(
            conditions=(
                BehaviourCondition(
                    event="purchase",
                    where=(PropertyCondition(property="channel", op="ne", value="push"),),
                    window="7D",
                ),
                BehaviourCondition(event="like", behaviour="stopped", window="5D"),
            )
        ),
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", InsufficientDataWarning)
        with rows_collected() as sizes:
            got_m = members(lazy, seg)
        assert sorted(got_m) == sorted(members(full, seg))
        assert sizes[0] <= n
        with rows_collected() as sizes:
            res = membership(lazy, seg, period="week")
        assert (
            res.table["size"].tolist()
            == membership(full, seg, period="week").table["size"].tolist()
        )
        assert max(sizes) <= n


def test_a_table_changed_between_queries_raises() -> None:
    from useropslib.exceptions import UseropsError
    from useropslib.segments._lazyseg import same_rows

    same_rows(3, 3)
    with pytest.raises(UseropsError, match="table changed between two queries of one call: 2"):
        same_rows(2, 3)
