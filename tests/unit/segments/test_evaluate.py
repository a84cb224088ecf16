"""members / membership on a small hand-computed log."""

from __future__ import annotations

import json
import warnings
from collections.abc import Iterator

import pandas as pd
import pytest

from useropslib.events import EventLog, strict_events
from useropslib.exceptions import (
    InsufficientDataError,
    InsufficientDataWarning,
    InvalidParameterError,
)
from useropslib.models import (
    BehaviourCondition,
    PropertyCondition,
    Segment,
    SegmentRef,
    TagRule,
)
from useropslib.segments import (
    MembershipResult,
    SegmentCycleError,
    evaluate_segment,
    members,
    membership,
)
from useropslib.segments._tags import TagTable, UnknownTagWarning


@pytest.fixture(autouse=True)
def _strict_event_names() -> Iterator[None]:
    """These cases pin the errors for unknown event names (the warning is tested elsewhere)."""
    with strict_events():
        yield


AS_OF = "2024-01-31T00:00:00Z"  # a 10-day window is (Jan 21 00:00, Jan 31 00:00]

ROWS = [
    # user, event, day in January 2024, channel
    ("u1", "purchase", 1, "app"),
    ("u1", "purchase", 10, "web"),
    ("u1", "purchase", 20, "app"),
    ("u1", "purchase", 25, "app"),
    ("u1", "open", 30, "app"),
    ("u2", "purchase", 2, "web"),
    ("u2", "open", 28, "web"),
    ("u3", "purchase", 22, "web"),
    ("u3", "purchase", 23, "web"),
    ("u3", "purchase", 24, "web"),
    ("u4", "purchase", 29, "web"),
    ("u5", "purchase", 3, "web"),
    ("u5", "purchase", 28, "web"),
    ("u6", "open", 15, "web"),
]


@pytest.fixture(scope="module")
def log() -> EventLog:
    df = pd.DataFrame(ROWS, columns=["user_id", "event", "day", "channel"])
    df["timestamp"] = pd.to_datetime("2024-01-01", utc=True) + pd.to_timedelta(
        df["day"] - 1, unit="D"
    )
    return EventLog.from_pandas(df.drop(columns="day"), as_of=AS_OF)


@pytest.fixture(scope="module")
def users() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "user_id": ["u1", "u2", "u3", "u8"],
            "age": [30.0, 17.0, None, 40.0],
            "region": ["cn", "hk", "cn", None],
            "note": ["likes cats", "dogs", None, "cat person"],
        }
    )


@pytest.fixture(scope="module")
def tags() -> TagTable:
    return TagTable.from_mapping({"u1": ["vip"], "u2": ["vip", "churned"], "u7": ["vip"]})


def _b(**kwargs: object) -> Segment:
    return Segment(name="b", condition=BehaviourCondition(**kwargs))  # type: ignore[arg-type]


def ids(index: pd.Index) -> list[str]:
    return sorted(map(str, index))


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({"event": "purchase", "window": "10D"}, ["u1", "u3", "u4", "u5"]),
        ({"event": "purchase", "window": "10D", "times": 3}, ["u3"]),
        ({"event": "purchase", "window": "10D", "comparison": "at_most", "times": 0}, ["u2", "u6"]),
        ({"event": "purchase", "window": "10D", "comparison": "exactly"}, ["u1", "u4", "u5"]),
        ({"event": "purchase", "times": 2}, ["u1", "u3", "u5"]),
        ({"event": ["purchase", "open"], "window": "11D", "times": 2}, ["u1", "u3"]),
        ({"event": "purchase", "behaviour": "first_time", "window": "10D"}, ["u3", "u4"]),
        (
            {"event": "purchase", "behaviour": "first_time", "window": "10D", "times": 2},
            ["u3"],
        ),
        ({"event": "purchase", "behaviour": "stopped", "window": "10D"}, ["u2"]),
        ({"event": "purchase", "behaviour": "stopped", "window": "10D", "times": 2}, []),
        ({"event": "purchase", "behaviour": "started_again", "window": "10D"}, ["u5"]),
        (
            {"event": "purchase", "behaviour": "started_again", "window": "10D", "gap": "24D"},
            [],
        ),
        (
            {"event": "purchase", "start": "2024-01-01", "end": "2024-01-03"},
            ["u1", "u2"],
        ),
        ({"event": "purchase", "start": "2024-01-22"}, ["u1", "u3", "u4", "u5"]),
        (
            {
                "event": "purchase",
                "times": 3,
                "where": [PropertyCondition(property="channel", op="eq", value="app")],
            },
            ["u1"],
        ),
        (
            {
                "event": "purchase",
                "times": 2,
                "where": [PropertyCondition(property="channel", op="ne", value="app")],
            },
            ["u3", "u5"],
        ),
    ],
)
def test_behaviour_hand_computed(
    log: EventLog, kwargs: dict[str, object], expected: list[str]
) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", InsufficientDataWarning)
        assert ids(members(log, _b(**kwargs))) == expected


def test_as_of_moves_the_window_and_the_universe(log: EventLog) -> None:
    seg = _b(event="purchase", window="10D")
    t = "2024-01-24T12:00:00Z"  # window (Jan 14 12:00, Jan 24 12:00]
    assert ids(members(log, seg, as_of=t)) == ["u1", "u3"]
    # u4's only event is after t: u4 is not in the universe yet
    flags = evaluate_segment(log, Segment(name="n", condition=~seg.condition), as_of=t)
    assert ids(flags.index[flags.to_numpy()]) == ["u2", "u5", "u6"]
    assert ids(members(log.until(t), seg)) == ["u1", "u3"]


def test_result_is_an_index_of_user_ids_in_log_order(log: EventLog) -> None:
    out = members(log, _b(event="purchase", window="10D"))
    assert isinstance(out, pd.Index)
    assert out.name == "user_id"
    assert out.tolist() == ["u1", "u3", "u4", "u5"]


def test_tags_and_user_properties_extend_the_universe(
    log: EventLog, users: pd.DataFrame, tags: TagTable
) -> None:
    vip = Segment(name="vip", rule="vip AND NOT churned")
    assert ids(members(log, vip, tags=tags)) == ["u1", "u7"]
    adult = Segment(name="adult", condition=PropertyCondition(property="age", op="ge", value=18))
    assert ids(members(log, adult, users=users)) == ["u1", "u8"]
    universe = evaluate_segment(log, adult, users=users, tags=tags).index
    assert universe.tolist() == ["u1", "u2", "u3", "u4", "u5", "u6", "u7", "u8"]


@pytest.mark.parametrize(
    ("op", "value", "expected"),
    [
        ("eq", "cn", ["u1", "u3"]),
        ("ne", "cn", ["u2", "u4", "u5", "u6", "u8"]),
        ("in", ["hk", "cn"], ["u1", "u2", "u3"]),
        ("not_in", ["hk"], ["u1", "u3", "u4", "u5", "u6", "u8"]),
        ("is_set", None, ["u1", "u2", "u3"]),
        ("is_not_set", None, ["u4", "u5", "u6", "u8"]),
        ("gt", "cn", ["u2"]),
    ],
)
def test_property_operators_with_missing_values(
    log: EventLog, users: pd.DataFrame, op: str, value: object, expected: list[str]
) -> None:
    seg = Segment(
        name="p",
        condition=PropertyCondition(property="region", op=op, value=value),  # type: ignore[arg-type]
    )
    assert ids(members(log, seg, users=users)) == expected


@pytest.mark.parametrize(
    ("prop", "op", "value", "expected"),
    [
        ("age", "lt", 18, ["u2"]),
        ("age", "le", 30, ["u1", "u2"]),
        ("age", "gt", 30, ["u8"]),
        ("age", "eq", 17, ["u2"]),
        ("note", "contains", "cat", ["u1", "u8"]),
    ],
)
def test_numeric_and_text_operators(
    log: EventLog, users: pd.DataFrame, prop: str, op: str, value: object, expected: list[str]
) -> None:
    cond = PropertyCondition(property=prop, op=op, value=value)  # type: ignore[arg-type]
    assert ids(members(log, Segment(name="p", condition=cond), users=users)) == expected


def test_users_frame_indexed_by_user_id(log: EventLog, users: pd.DataFrame) -> None:
    by_index = users.set_index("user_id")
    seg = Segment(name="cn", condition=PropertyCondition(property="region", op="eq", value="cn"))
    assert ids(members(log, seg, users=by_index)) == ["u1", "u3"]


def test_segment_references_and_combination(log: EventLog, tags: TagTable) -> None:
    buyers = _b(event="purchase", window="10D").model_copy(update={"name": "buyers"})
    vip = Segment(name="vip", rule="vip")
    seg = Segment(
        name="vip_buyers", condition=SegmentRef(segment="vip") & SegmentRef(segment="buyers")
    )
    assert ids(members(log, seg, tags=tags, segments=[buyers, vip])) == ["u1"]
    assert ids(members(log, seg, tags=tags, segments={"vip": vip, "buyers": buyers})) == ["u1"]


def test_events_may_be_none_for_tag_only_segments(tags: TagTable) -> None:
    seg = Segment(name="vip", rule="vip AND NOT churned")
    assert ids(members(None, seg, tags=tags)) == ["u1", "u7"]


def test_membership_by_day() -> None:
    df = pd.DataFrame(
        {
            "user_id": ["a", "b", "a", "b"],
            "event": ["open"] * 4,
            "timestamp": pd.to_datetime(
                ["2024-01-01 10:00", "2024-01-02 10:00", "2024-01-02 11:00", "2024-01-04 09:00"],
                utc=True,
            ),
        }
    )
    seg = _b(event="open", window="1D")
    res = membership(df, seg, period="day")
    assert isinstance(res, MembershipResult)
    out = res.changes
    assert list(out.columns) == ["period", "user_id", "change"]
    got = [(str(p.date()), u, c) for p, u, c in out.itertuples(index=False)]
    assert got == [
        ("2024-01-01", "a", "entered"),
        ("2024-01-02", "b", "entered"),
        ("2024-01-03", "a", "left"),
        ("2024-01-03", "b", "left"),
        ("2024-01-04", "b", "entered"),
    ]
    # per period: members at the end (the last day is read at as_of = Jan 4 09:00)
    table = res.table
    assert table.index.name == "period_start"
    assert [str(p.date()) for p in table.index] == [
        "2024-01-01",
        "2024-01-02",
        "2024-01-03",
        "2024-01-04",
    ]
    assert table["size"].tolist() == [1, 2, 0, 1]
    assert table["entered"].tolist() == [1, 1, 0, 1]
    assert table["left"].tolist() == [0, 0, 2, 0]
    # size(t) = size(t - 1) + entered(t) - left(t)
    prev = table["size"].shift(1, fill_value=0)
    assert (table["size"] == prev + table["entered"] - table["left"]).all()
    assert res.entered("2024-01-02").tolist() == ["b"]
    assert res.left("2024-01-03").tolist() == ["a", "b"]
    assert res.left(pd.Timestamp("2024-01-01", tz="UTC")).tolist() == []
    assert res.params == {"segment": "b", "period": "day"}
    assert res.as_of == pd.Timestamp("2024-01-04 09:00", tz="UTC")
    # counts per period agree with members at each period end
    for end, n in [("2024-01-02T23:59:59.999999999Z", 2), ("2024-01-03T23:59:59.999999999Z", 0)]:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", InsufficientDataWarning)
            assert len(members(df, seg, as_of=end)) == n


def test_membership_result_shape() -> None:
    df = pd.DataFrame(
        {
            "user_id": ["a", "b", "a"],
            "event": ["open"] * 3,
            "timestamp": pd.to_datetime(["2024-05-01", "2024-05-08", "2024-05-15"], utc=True),
        }
    )
    res = membership(df, _b(event="open", window="7D"))
    frame = res.to_frame()
    assert list(frame.columns) == ["period_start", "size", "entered", "left"]
    assert len(frame) == 3
    data = json.loads(json.dumps(res.to_dict()))
    assert set(data) == {"params", "as_of", "table", "changes"}
    assert data["table"][0] == {
        "period_start": "2024-04-29T00:00:00+00:00",
        "size": 1,
        "entered": 1,
        "left": 0,
    }
    assert data["changes"][-1] == {
        "period": "2024-05-13T00:00:00+00:00",
        "user_id": "b",
        "change": "left",
    }
    assert "MembershipResult(segment='b', period='week')" in repr(res)
    with pytest.raises(InvalidParameterError, match=r"period_start='2024-05-14' is not the start"):
        res.entered("2024-05-14")
    with pytest.raises(InvalidParameterError, match=r"is not the start of a period"):
        res.left("soon")


def test_membership_plot() -> None:
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    df = pd.DataFrame(
        {
            "user_id": ["a", "b"],
            "event": ["open"] * 2,
            "timestamp": pd.to_datetime(["2024-05-01", "2024-05-08"], utc=True),
        }
    )
    res = membership(df, _b(event="open", window="7D"))
    ax = res.plot()
    assert ax.get_ylabel() == "users"
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["size", "entered", "left"]
    _fig, given = plt.subplots()
    assert res.plot(ax=given) is given
    plt.close("all")


# ----------------------------------------------------------------------------------- errors


def test_unknown_user_property_has_did_you_mean(log: EventLog, users: pd.DataFrame) -> None:
    seg = Segment(name="p", condition=PropertyCondition(property="regoin", op="eq", value="cn"))
    with pytest.raises(InvalidParameterError, match=r"Unknown user property 'regoin'.*'region'"):
        members(log, seg, users=users)


def test_unknown_event_property_and_event_name(log: EventLog) -> None:
    bad_prop = _b(
        event="purchase", where=[PropertyCondition(property="chanel", op="eq", value="app")]
    )
    with pytest.raises(InvalidParameterError, match=r"no property 'chanel'.*'channel'"):
        members(log, bad_prop)
    with pytest.raises(InvalidParameterError, match=r"Unknown event name\(s\) \['purchse'\]"):
        members(log, _b(event="purchse"))


def test_type_mismatch_is_a_typed_error(log: EventLog, users: pd.DataFrame) -> None:
    seg = Segment(name="p", condition=PropertyCondition(property="age", op="lt", value="old"))
    with pytest.raises(InvalidParameterError, match=r"cannot be compared with 'old' \(str\)"):
        members(log, seg, users=users)
    text = Segment(name="p", condition=PropertyCondition(property="age", op="contains", value="1"))
    with pytest.raises(InvalidParameterError, match="cannot be compared"):
        members(log, text, users=users)


def test_missing_inputs_are_explained(log: EventLog) -> None:
    with pytest.raises(InvalidParameterError, match="no tags= table was given"):
        members(log, Segment(name="v", rule="vip"))
    prop = Segment(name="p", condition=PropertyCondition(property="age", op="is_set"))
    with pytest.raises(InvalidParameterError, match="no users= frame was given"):
        members(log, prop)
    with pytest.raises(InvalidParameterError, match="no events were given"):
        members(None, _b(event="purchase"))
    with pytest.raises(
        InvalidParameterError, match=r"segment must be a useropslib\.models\.Segment"
    ):
        members(log, "vip")  # type: ignore[arg-type]
    with pytest.raises(InvalidParameterError, match="tags must be a TagTable"):
        members(log, Segment(name="v", rule="vip"), tags={"u1": ["vip"]})  # type: ignore[arg-type]


def test_bad_users_frames(log: EventLog) -> None:
    seg = Segment(name="p", condition=PropertyCondition(property="age", op="is_set"))
    dup = pd.DataFrame({"user_id": ["u1", "u1"], "age": [1, 2]})
    with pytest.raises(InvalidParameterError, match=r"repeated ids \['u1'\]"):
        members(log, seg, users=dup)
    with pytest.raises(InvalidParameterError, match="must be a pandas DataFrame"):
        members(log, seg, users={"u1": 3})  # type: ignore[arg-type]


def test_cycles_are_detected_and_named(log: EventLog) -> None:
    a = Segment(name="a", condition=SegmentRef(segment="b"))
    b = Segment(name="b", condition=TagRule(rule="x") | SegmentRef(segment="a"))
    with pytest.raises(SegmentCycleError, match=r"cycle: a -> b -> a") as info:
        members(log, a, segments=[a, b], tags=TagTable.from_mapping({"u1": ["x"]}))
    assert info.value.cycle == ["a", "b", "a"]
    me = Segment(name="me", condition=SegmentRef(segment="me"))
    with pytest.raises(SegmentCycleError, match=r"cycle: me -> me"):
        members(log, me)


def test_unknown_reference_has_did_you_mean(log: EventLog) -> None:
    seg = Segment(name="s", condition=SegmentRef(segment="payng"))
    paying = Segment(name="paying", condition=BehaviourCondition(event="purchase"))
    with pytest.raises(InvalidParameterError, match=r"refers to segment 'payng'.*'paying'"):
        members(log, seg, segments=[paying])


def test_as_of_before_the_data(log: EventLog) -> None:
    with pytest.raises(InvalidParameterError, match=r"is before the first event of the log"):
        members(log, _b(event="purchase"), as_of="2023-12-31")
    with pytest.raises(InvalidParameterError, match="Cannot read as_of='soon'"):
        members(log, _b(event="purchase"), as_of="soon")
    empty = log.filter_events(["purchase", "open"], exclude=True)
    with pytest.raises(InsufficientDataError, match=r"The event log has no events"):
        members(empty, _b(event="purchase"))


def test_empty_segment_warns_and_returns_empty_index(log: EventLog) -> None:
    with pytest.warns(InsufficientDataWarning, match="'b' has no members among 6 users"):
        out = members(log, _b(event="purchase", times=99))
    assert len(out) == 0
    assert isinstance(out, pd.Index)


def test_unknown_tag_warns(log: EventLog, tags: TagTable) -> None:
    with pytest.warns(UnknownTagWarning, match=r"'vpi' \(did you mean 'vip'\?\)"):
        members(log, Segment(name="v", rule="vpi OR vip"), tags=tags)


def test_membership_errors(log: EventLog) -> None:
    with pytest.raises(InvalidParameterError, match="Unsupported period 'fortnight'"):
        membership(log, _b(event="purchase"), period="fortnight")
    with pytest.raises(InvalidParameterError, match=r"is before the first event of the log"):
        membership(log, _b(event="purchase"), as_of="2023-12-31")
    with pytest.raises(InvalidParameterError, match=r"segment must be a useropslib\.models"):
        membership(log, "vip")  # type: ignore[arg-type]
    with pytest.warns(InsufficientDataWarning, match="no members in any week"):
        res = membership(log, _b(event="purchase", times=99))
    assert res.changes.empty
    assert list(res.changes.columns) == ["period", "user_id", "change"]
    assert len(res.table) == 5  # the weeks of January 2024 stay, with zero members
    assert (res.table[["size", "entered", "left"]].to_numpy() == 0).all()


def test_callers_frames_are_not_mutated(log: EventLog, users: pd.DataFrame) -> None:
    before = users.copy()
    seg = Segment(name="p", condition=PropertyCondition(property="region", op="ne", value="cn"))
    members(log, seg, users=users)
    pd.testing.assert_frame_equal(users, before)
