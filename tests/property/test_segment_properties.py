"""Invariants of segment evaluation: De Morgan, complements, disjoint sizes, as-of."""

from __future__ import annotations

import warnings

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from useropslib.events import EventLog
from useropslib.exceptions import InsufficientDataWarning
from useropslib.models import (
    AllOf,
    AnyOf,
    BehaviourCondition,
    NoneOf,
    PropertyCondition,
    Segment,
    TagRule,
)
from useropslib.segments import evaluate_segment, members, membership
from useropslib.segments._tags import TagTable

SETTINGS = settings(
    max_examples=25,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)
T0 = pd.Timestamp("2024-01-01", tz="UTC")
TAGS = TagTable.from_mapping({"u0": ["vip"], "u1": ["vip", "cn"], "u3": ["cn"], "u9": ["vip"]})
USERS = pd.DataFrame({"user_id": ["u0", "u2", "u4", "u8"], "age": [15, 30, None, 50]})

events_st = st.lists(
    st.tuples(
        st.integers(0, 6),  # user
        st.sampled_from(["open", "buy"]),
        st.integers(0, 60 * 24),  # hours after T0
        st.sampled_from(["app", "web"]),
    ),
    min_size=1,
    max_size=40,
)

leaf_st = st.one_of(
    st.builds(
        BehaviourCondition,
        event=st.sampled_from(["open", "buy"]),
        behaviour=st.sampled_from(["performed", "first_time", "stopped", "started_again"]),
        comparison=st.sampled_from(["at_least", "at_most", "exactly"]),
        times=st.integers(0, 3),
        window=st.sampled_from(["1D", "7D", "20D"]),
    ),
    st.builds(
        BehaviourCondition,
        event=st.just("buy"),
        times=st.integers(1, 2),
        where=st.just([PropertyCondition(property="channel", op="eq", value="app")]),
    ),
    st.builds(
        PropertyCondition,
        property=st.just("age"),
        op=st.sampled_from(["lt", "ge", "ne"]),
        value=st.integers(10, 60),
    ),
    st.sampled_from([TagRule(rule="vip"), TagRule(rule="cn AND NOT vip")]),
)

tree_st = st.recursive(
    leaf_st,
    lambda children: st.one_of(
        st.builds(AllOf, conditions=st.lists(children, min_size=1, max_size=3)),
        st.builds(AnyOf, conditions=st.lists(children, min_size=1, max_size=3)),
        st.builds(NoneOf, conditions=st.lists(children, min_size=1, max_size=2)),
    ),
    max_leaves=6,
)


def make_log(rows: list[tuple[int, str, int, str]]) -> EventLog:
    df = pd.DataFrame(rows, columns=["user_id", "event", "hours", "channel"])
    df["user_id"] = "u" + df["user_id"].astype(str)
    df["timestamp"] = T0 + pd.to_timedelta(df["hours"], unit="h")
    # both event names always exist in the vocabulary
    extra = pd.DataFrame(
        {"user_id": ["u0", "u0"], "event": ["open", "buy"], "channel": ["app", "app"]}
    )
    extra["timestamp"] = T0
    return EventLog.from_pandas(pd.concat([df.drop(columns="hours"), extra], ignore_index=True))


def flags(cond: object, log: EventLog, as_of: object = None) -> pd.Series:
    seg = Segment(name="s", condition=cond)  # type: ignore[arg-type]
    return evaluate_segment(log, seg, tags=TAGS, users=USERS, as_of=as_of)


@SETTINGS
@given(events_st, tree_st, tree_st)
def test_de_morgan(rows: list[tuple[int, str, int, str]], a: object, b: object) -> None:
    log = make_log(rows)
    not_or = flags(NoneOf(conditions=(a, b)), log)  # type: ignore[arg-type]
    and_not = flags(AllOf(conditions=(~a, ~b)), log)  # type: ignore[operator]
    pd.testing.assert_series_equal(not_or, and_not)
    not_and = flags(~AllOf(conditions=(a, b)), log)  # type: ignore[arg-type]
    or_not = flags(AnyOf(conditions=(~a, ~b)), log)  # type: ignore[operator]
    pd.testing.assert_series_equal(not_and, or_not)


@SETTINGS
@given(events_st, tree_st)
def test_not_is_the_complement(rows: list[tuple[int, str, int, str]], a: object) -> None:
    log = make_log(rows)
    yes, no = flags(a, log), flags(~a, log)  # type: ignore[operator]
    assert yes.index.equals(no.index)
    assert ((yes.to_numpy()) ^ (no.to_numpy())).all()


@SETTINGS
@given(events_st, tree_st, tree_st)
def test_disjoint_segments_add_up(
    rows: list[tuple[int, str, int, str]], a: object, b: object
) -> None:
    log = make_log(rows)
    both = flags(AllOf(conditions=(a, b)), log)  # type: ignore[arg-type]
    only_a = flags(AllOf(conditions=(a, ~b)), log)  # type: ignore[arg-type,operator]
    all_a = flags(a, log)
    assert not (both & only_a).any()
    assert int(both.sum()) + int(only_a.sum()) == int(all_a.sum())


@SETTINGS
@given(events_st, tree_st, st.integers(0, 60 * 24 * 60))
def test_as_of_never_reads_later_events(
    rows: list[tuple[int, str, int, str]], a: object, minutes: int
) -> None:
    log = make_log(rows)
    t = T0 + pd.Timedelta(minutes=minutes)
    full = flags(a, log, as_of=t)
    cut = flags(a, log.until(t))
    pd.testing.assert_series_equal(full, cut)
    # rebuilt from scratch (a new encoding) the answer is the same set of users
    fresh = EventLog.from_pandas(log.to_pandas().loc[lambda d: d["timestamp"] <= t])
    again = flags(a, fresh, as_of=t)
    assert sorted(full.index[full.to_numpy()]) == sorted(again.index[again.to_numpy()])


behaviour_tree_st = st.recursive(
    st.one_of(leaf_st.filter(lambda c: isinstance(c, BehaviourCondition))),
    lambda children: st.one_of(
        st.builds(AllOf, conditions=st.lists(children, min_size=1, max_size=3)),
        st.builds(AnyOf, conditions=st.lists(children, min_size=1, max_size=3)),
        st.builds(NoneOf, conditions=st.lists(children, min_size=1, max_size=2)),
    ),
    max_leaves=5,
)


@SETTINGS
@given(events_st, behaviour_tree_st, st.integers(0, 60 * 24 * 60))
def test_members_equals_the_universe_evaluation(
    rows: list[tuple[int, str, int, str]], a: object, minutes: int
) -> None:
    """members() skips the universe for event-only trees; the answer is the same."""
    log = make_log(rows)
    t = T0 + pd.Timedelta(minutes=minutes)
    seg = Segment(name="s", condition=a)  # type: ignore[arg-type]
    full = evaluate_segment(log, seg, as_of=t)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", InsufficientDataWarning)
        got = members(log, seg, as_of=t)
    pd.testing.assert_index_equal(got, full.index[full.to_numpy()])


@SETTINGS
@given(
    events_st,
    st.sampled_from(["open", "buy"]),
    st.sampled_from(["at_least", "at_most", "exactly"]),
    st.integers(0, 3),
    st.integers(1, 30 * 24),
    st.integers(0, 60 * 24 * 60),
)
def test_rolling_window_count_equals_the_obvious_one(
    rows: list[tuple[int, str, int, str]],
    event: str,
    comparison: str,
    times: int,
    window_hours: int,
    minutes: int,
) -> None:
    """performed E (compared with N) in the last W: a pandas filter and value_counts."""
    log = make_log(rows)
    t = T0 + pd.Timedelta(minutes=minutes)
    window = pd.Timedelta(hours=window_hours)
    cond = BehaviourCondition(
        event=event,
        comparison=comparison,  # type: ignore[arg-type]
        times=times,
        window=window.to_pytimedelta(),
    )
    df = log.to_pandas()
    known = df.loc[df["timestamp"] <= t, "user_id"].unique()
    inside = df[(df["event"] == event) & (df["timestamp"] > t - window) & (df["timestamp"] <= t)]
    n = inside["user_id"].value_counts().reindex(known, fill_value=0)
    op = {"at_least": n >= times, "at_most": n <= times, "exactly": n == times}[comparison]
    expected = sorted(op.index[op.to_numpy()])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", InsufficientDataWarning)
        got = members(log, Segment(name="s", condition=cond), as_of=t)
    assert sorted(got) == expected


@SETTINGS
@given(events_st, behaviour_tree_st, st.integers(0, 60 * 24 * 60))
def test_membership_never_reads_later_events(
    rows: list[tuple[int, str, int, str]], a: object, minutes: int
) -> None:
    """Per-period membership up to t is the same with or without the events after t."""
    log = make_log(rows)
    t = T0 + pd.Timedelta(minutes=minutes)
    seg = Segment(name="s", condition=a)  # type: ignore[arg-type]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", InsufficientDataWarning)
        full = membership(log, seg, period="week", as_of=t)
        cut = membership(log.until(t), seg, period="week")
    pd.testing.assert_frame_equal(full.table, cut.table)
    pd.testing.assert_frame_equal(full.changes, cut.changes)
    assert full.as_of == cut.as_of
