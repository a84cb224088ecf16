"""Hand-checked cases for TagTable: constructors, validity intervals, evaluation and errors."""

from __future__ import annotations

import datetime as dt
import warnings

import numpy as np
import pandas as pd
import pytest

from useropslib.exceptions import InvalidParameterError, RuleSyntaxError, UseropsWarning
from useropslib.models import parse_rule
from useropslib.segments import TagTable, UnknownTagWarning

USER_TAGS = {
    "u1": ["vip", "cn"],
    "u2": ["vip", "hk", "churned"],
    "u3": ["cn"],
    "u4": [],
}


@pytest.fixture
def table() -> TagTable:
    return TagTable.from_mapping(USER_TAGS)


def utc(text: str) -> pd.Timestamp:
    return pd.Timestamp(text, tz="UTC")


# --------------------------------------------------------------------------------------------------
# from_mapping / basics


def test_from_mapping_basics(table: TagTable) -> None:
    assert len(table) == 4
    assert table.users.tolist() == ["u1", "u2", "u3", "u4"]
    assert table.users.name == "user_id"
    assert table.tags.tolist() == ["vip", "cn", "hk", "churned"]
    assert table.tags_of("u2") == ["churned", "hk", "vip"]
    assert table.tags_of("u4") == []
    assert not table.has_intervals


def test_from_mapping_accepts_single_strings_sets_and_none() -> None:
    table = TagTable.from_mapping({1: "vip", 2: {"a", "b"}, 3: None, 4: ("a",)}, user_col="uid")
    assert table.tags_of(1) == ["vip"]
    assert table.tags_of(2) == ["a", "b"]
    assert table.tags_of(3) == []
    assert table.users_with("a").tolist() == [2, 4]
    assert table.users.name == "uid"


def test_empty_table() -> None:
    table = TagTable.from_mapping({})
    assert len(table) == 0
    assert repr(table) == "TagTable(0 users, 0 tags, 0 pairs)"
    with pytest.warns(UnknownTagWarning):
        assert table.evaluate("vip").empty


def test_repr(table: TagTable) -> None:
    assert repr(table) == (
        "TagTable(4 users, 4 tags, 6 pairs; most common: vip 2, cn 2, hk 1, churned 1)"
    )
    many = TagTable.from_mapping({"u": [f"t{i}" for i in range(7)]})
    assert repr(many).endswith("t3 1, t4 1, ...)")


def test_direct_construction_checks_its_arrays() -> None:
    users = pd.Index(["u1", "u2"], name="user_id")
    tags = pd.Index(["vip"])
    table = TagTable(users=users, tags=tags, user_code=[1], tag_code=[0])
    assert table.select("vip").tolist() == ["u2"]
    with pytest.raises(
        InvalidParameterError,
        match=r"user_code, tag_code, from_ns and to_ns must have one entry per pair; "
        r"got lengths 1, 2, 1, 1",
    ):
        TagTable(users=users, tags=tags, user_code=[0], tag_code=[0, 0])
    with pytest.raises(
        InvalidParameterError, match=r"users must be unique, got duplicates \['u1'\]\. Hint"
    ):
        TagTable(users=pd.Index(["u1", "u1"]), tags=tags, user_code=[0], tag_code=[0])
    with pytest.raises(
        InvalidParameterError,
        match=r"user_code must hold positions in \[0, 2\), got values from 0 to 2",
    ):
        TagTable(users=users, tags=tags, user_code=[0, 2], tag_code=[0, 0])
    with pytest.raises(
        InvalidParameterError, match=r"tag_code must hold positions in \[0, 1\), got values from -1"
    ):
        TagTable(users=users, tags=tags, user_code=[0], tag_code=[-1])


def test_immutable(table: TagTable) -> None:
    with pytest.raises(AttributeError):
        table.extra = 1  # type: ignore[attr-defined]
    with pytest.raises(ValueError, match="read-only"):
        table._user_code[0] = 3


# --------------------------------------------------------------------------------------------------
# from_pairs


def test_from_pairs_registers_users_without_tags_and_drops_duplicates() -> None:
    df = pd.DataFrame(
        {"uid": [7, 7, 7, 8, 9], "label": ["vip", "vip", "t3", None, "cn"], "other": range(5)}
    )
    before = df.copy()
    table = TagTable.from_pairs(df, user_col="uid", tag_col="label")
    pd.testing.assert_frame_equal(df, before)  # the caller's frame is untouched
    assert table.users.tolist() == [7, 8, 9]
    assert table.tags_of(7) == ["t3", "vip"]
    assert table.tags_of(8) == []
    assert repr(table).startswith("TagTable(3 users, 3 tags, 3 pairs")


@pytest.mark.parametrize("tag", [1, "1", "vip gold", "AND", "not", "渠道", "a b"])
def test_from_pairs_warns_of_tags_no_rule_can_reference(tag: object) -> None:
    with pytest.warns(UseropsWarning, match=r"tag name\(s\) no rule can reference.*not in"):
        table = TagTable.from_pairs(pd.DataFrame({"user_id": ["a", "b"], "tag": ["vip", tag]}))
    assert table.users_with(str(tag)).tolist() == ["b"]


def test_from_pairs_reads_the_user_id_from_the_index() -> None:
    df = pd.DataFrame({"tag": ["vip", "cn"]}, index=pd.Index(["u1", "u2"], name="user_id"))
    assert TagTable.from_pairs(df).select("vip").tolist() == ["u1"]


def test_from_pairs_missing_column() -> None:
    df = pd.DataFrame({"uid": [1], "tag": ["a"]})
    with pytest.raises(
        InvalidParameterError,
        match=r"The user column 'user_id' is not in the frame\. Available columns: "
        r"\['uid', 'tag'\]\. Hint: did you mean user_col='uid'\?",
    ):
        TagTable.from_pairs(df)
    with pytest.raises(
        InvalidParameterError,
        match=r"The user column 'customer' is not in the frame.*Hint: pass user_col='\.\.\.'",
    ):
        TagTable.from_pairs(df, user_col="customer")
    with pytest.raises(
        InvalidParameterError,
        match=r"The tag column 'tags' is not in the frame.*Hint: did you mean tag_col='tag'\?",
    ):
        TagTable.from_pairs(df, user_col="uid", tag_col="tags")


def test_from_pairs_missing_user_ids() -> None:
    df = pd.DataFrame({"user_id": ["a", None, None], "tag": ["x", "y", "z"]}, index=[10, 11, 12])
    with pytest.raises(
        InvalidParameterError,
        match=r"The user column 'user_id' has 2 missing value\(s\) \(first at row 11\).*"
        r"Hint: drop those rows first, e\.g\. df\.dropna\(subset=\['user_id'\]\)",
    ):
        TagTable.from_pairs(df)


def test_from_pairs_empty_tag_names() -> None:
    df = pd.DataFrame({"user_id": ["a", "b", "c"], "tag": ["x", "  ", None]})
    with pytest.raises(
        InvalidParameterError,
        match=r"The tag column 'tag' has 1 empty tag name\(s\) \(first at row 1\).*"
        r"Hint: set them to None",
    ):
        TagTable.from_pairs(df)


def test_from_pairs_needs_a_dataframe() -> None:
    with pytest.raises(
        InvalidParameterError,
        match=r"df must be a pandas DataFrame, got dict\. Hint: convert it first",
    ):
        TagTable.from_pairs({"user_id": [1], "tag": ["a"]})  # type: ignore[arg-type]


# --------------------------------------------------------------------------------------------------
# validity intervals


@pytest.fixture
def history() -> TagTable:
    df = pd.DataFrame(
        {
            "user_id": ["u1", "u1", "u2", "u3"],
            "tag": ["trial", "vip", "trial", "vip"],
            "valid_from": pd.to_datetime(
                ["2024-01-01", None, "2024-02-01", "2024-01-15T08:00:00+08:00"],
                utc=True,
                format="ISO8601",
            ),
            "valid_to": pd.to_datetime(["2024-03-01", None, None, "2024-02-01"], utc=True),
        }
    )
    return TagTable.from_pairs(df, valid_from_col="valid_from", valid_to_col="valid_to")


@pytest.mark.parametrize(
    ("as_of", "trial", "vip"),
    [
        ("2023-12-31T23:59:59.999999999Z", [], ["u1"]),
        ("2024-01-01T00:00:00Z", ["u1"], ["u1"]),  # valid_from is inclusive
        ("2024-01-15T00:00:00Z", ["u1"], ["u1", "u3"]),  # 08:00+08:00 is 00:00 UTC
        ("2024-02-01T00:00:00Z", ["u1", "u2"], ["u1"]),  # valid_to is exclusive
        ("2024-03-01T07:59:59+08:00", ["u1", "u2"], ["u1"]),
        ("2024-03-01T08:00:00+08:00", ["u2"], ["u1"]),
        (None, ["u2"], ["u1"]),  # end of the recorded history: open-ended pairs
    ],
)
def test_validity_as_of(
    history: TagTable, as_of: str | None, trial: list[str], vip: list[str]
) -> None:
    assert history.select("trial", as_of=as_of).tolist() == trial
    assert history.select("vip", as_of=as_of).tolist() == vip
    assert history.users_with("trial", as_of=as_of).tolist() == trial


def test_validity_accepts_datetimes_and_timestamps(history: TagTable) -> None:
    moment = dt.datetime(2024, 1, 20, tzinfo=dt.timezone.utc)
    assert history.tags_of("u1", as_of=moment) == ["trial", "vip"]
    assert history.tags_of("u3", as_of=utc("2024-01-20")) == ["vip"]
    assert history.tags_of("u3") == []
    assert history.has_intervals


def test_inactive_tags_are_not_unknown(history: TagTable) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert history.select("trial", as_of="2020-01-01T00:00:00Z").empty


def test_membership_as_of(history: TagTable) -> None:
    got = history.membership(["vip", "trial"], as_of="2024-02-15T00:00:00Z")
    expected = pd.DataFrame(
        {"vip": [True, False, False], "trial": [True, True, False]},
        index=pd.Index(["u1", "u2", "u3"], name="user_id"),
    )
    pd.testing.assert_frame_equal(got, expected, check_index_type=False)


def test_naive_validity_column() -> None:
    df = pd.DataFrame({"user_id": [1], "tag": ["a"], "since": pd.to_datetime(["2024-01-01"])})
    with pytest.raises(
        InvalidParameterError,
        match=r"The validity column 'since' holds naive timestamps \(dtype datetime64\[\w+\]\); "
        r"expected timezone-aware ones.*Hint: localize it, e\.g\. "
        r"df\['since'\]\.dt\.tz_localize\('Asia/Shanghai'\)",
    ):
        TagTable.from_pairs(df, valid_from_col="since")


def test_string_validity_column() -> None:
    df = pd.DataFrame({"user_id": [1], "tag": ["a"], "until": ["2024-01-01"]})
    with pytest.raises(
        InvalidParameterError,
        match=r"The validity column 'until' has dtype (object|str); "
        r"expected timezone-aware timestamps.*"
        r"pd\.to_datetime\(df\['until'\], utc=True\)",
    ):
        TagTable.from_pairs(df, valid_to_col="until")


def test_all_missing_validity_column_is_open() -> None:
    df = pd.DataFrame({"user_id": [1], "tag": ["a"], "until": [None]})
    table = TagTable.from_pairs(df, valid_to_col="until")
    assert not table.has_intervals
    assert table.select("a").tolist() == [1]


def test_missing_validity_column_name() -> None:
    df = pd.DataFrame({"user_id": [1], "tag": ["a"], "valid_from": [utc("2024-01-01")]})
    with pytest.raises(
        InvalidParameterError,
        match=r"The valid_to column 'valid_until' is not in the frame",
    ):
        TagTable.from_pairs(df, valid_to_col="valid_until")


def test_inverted_interval() -> None:
    df = pd.DataFrame(
        {
            "user_id": ["u1", "u2"],
            "tag": ["a", "b"],
            "valid_from": [utc("2024-01-01"), utc("2024-03-01")],
            "valid_to": [utc("2024-02-01"), utc("2024-02-01")],
        }
    )
    with pytest.raises(
        InvalidParameterError,
        match=r"1 tag validity interval\(s\) end before they start \(first: user 'u2', tag 'b'\)",
    ):
        TagTable.from_pairs(df, valid_from_col="valid_from", valid_to_col="valid_to")


def test_empty_interval_never_holds() -> None:
    moment = utc("2024-01-01")
    df = pd.DataFrame(
        {"user_id": ["u1"], "tag": ["a"], "valid_from": [moment], "valid_to": [moment]}
    )
    table = TagTable.from_pairs(df, valid_from_col="valid_from", valid_to_col="valid_to")
    assert table.select("a", as_of=moment).empty


def test_naive_as_of(history: TagTable) -> None:
    with pytest.raises(
        InvalidParameterError,
        match=r"as_of='2024-01-01' is a naive time; expected a timezone-aware instant.*"
        r"Hint: pass e\.g\. pd\.Timestamp\('2024-01-01 00:00:00', tz='Asia/Shanghai'\)",
    ):
        history.evaluate("vip", as_of="2024-01-01")


def test_as_of_outside_the_timestamp_range(history: TagTable) -> None:
    with pytest.raises(
        InvalidParameterError,
        match=r"as_of=.* is outside the supported span of instants, 1900-01-01 to 2149-12-31",
    ):
        history.select("vip", as_of=dt.datetime(9999, 1, 1, tzinfo=dt.timezone.utc))


def test_far_future_sentinel_is_an_open_end() -> None:
    until = pd.Series(
        [pd.Timestamp("9999-12-31", tz="UTC"), pd.Timestamp("2024-01-01", tz="UTC")],
        dtype="datetime64[us, UTC]",
    )
    df = pd.DataFrame({"user_id": ["u1", "u2"], "tag": ["vip", "vip"], "valid_to": until})
    table = TagTable.from_pairs(df, valid_to_col="valid_to")
    assert table.select("vip").tolist() == ["u1"]
    assert table.select("vip", as_of="2023-06-01T00:00:00Z").tolist() == ["u1", "u2"]


def test_unreadable_as_of(history: TagTable) -> None:
    with pytest.raises(
        InvalidParameterError, match=r"Cannot read as_of='yesterday' as a point in time"
    ):
        history.select("vip", as_of="yesterday")


def test_to_frame_round_trips_intervals(history: TagTable) -> None:
    frame = history.to_frame()
    assert frame.columns.tolist() == ["user_id", "tag", "valid_from", "valid_to"]
    assert str(frame["valid_from"].dtype) == "datetime64[ns, UTC]"
    assert frame["valid_to"].isna().tolist() == [False, True, True, False]
    again = TagTable.from_pairs(frame, valid_from_col="valid_from", valid_to_col="valid_to")
    pd.testing.assert_frame_equal(again.to_frame(), frame)


# --------------------------------------------------------------------------------------------------
# from_properties


def test_from_properties() -> None:
    users = pd.DataFrame(
        {
            "user_id": [1, 2, 3, 4],
            "region": ["cn", "hk", None, "cn"],
            "tier": [1.0, None, 2.0, None],
            "is_paying": [True, False, True, False],
        }
    )
    before = users.copy()
    table = TagTable.from_properties(users)
    pd.testing.assert_frame_equal(users, before)
    assert table.users.tolist() == [1, 2, 3, 4]
    assert table.tags_of(1) == ["is_paying", "region:cn", "tier:1"]
    assert table.tags_of(4) == ["region:cn"]
    assert table.select("region:cn AND NOT is_paying").tolist() == [4]
    only_region = TagTable.from_properties(users, columns="region")
    assert only_region.tags.tolist() == ["region:cn", "region:hk"]
    assert only_region.tags_of(3) == []  # a missing property gives no tag, the user stays


def test_from_properties_nullable_and_object_booleans() -> None:
    users = pd.DataFrame(
        {
            "uid": ["a", "b", "c"],
            "vip": pd.array([True, None, False], dtype="boolean"),
            "kol": [None, True, False],  # object dtype
            "score": [0.5, 2.0, np.inf],
        }
    )
    table = TagTable.from_properties(users, user_col="uid")
    assert table.users_with("vip").tolist() == ["a"]
    assert table.users_with("kol").tolist() == ["b"]
    assert table.tags_of("b") == ["kol", "score:2.0"]  # not all whole numbers: kept as floats
    assert table.tags_of("c") == ["score:inf"]


def test_from_properties_missing_column() -> None:
    users = pd.DataFrame({"user_id": [1], "region": ["cn"]})
    with pytest.raises(
        InvalidParameterError,
        match=r"The property column 'regoin' is not in the frame.*did you mean columns='region'",
    ):
        TagTable.from_properties(users, columns=["regoin"])


# --------------------------------------------------------------------------------------------------
# concat


def test_concat_and_or_operator() -> None:
    first = TagTable.from_mapping({"u1": ["vip"], "u2": []})
    second = TagTable.from_mapping({"u3": ["cn"], "u1": ["cn", "vip"]})
    both = TagTable.concat([first, second])
    assert both.users.tolist() == ["u1", "u2", "u3"]
    assert both.tags_of("u1") == ["cn", "vip"]
    assert repr(both).startswith("TagTable(3 users, 2 tags, 3 pairs")  # duplicate pair dropped
    assert (first | second).to_frame().equals(both.to_frame())


def test_concat_keeps_intervals(history: TagTable) -> None:
    merged = history | TagTable.from_mapping({"u9": ["trial"]})
    assert merged.has_intervals
    assert merged.select("trial", as_of="2024-02-15T00:00:00Z").tolist() == ["u1", "u2", "u9"]


def test_concat_errors(table: TagTable) -> None:
    with pytest.raises(
        InvalidParameterError, match=r"concat needs at least one TagTable, got none"
    ):
        TagTable.concat([])
    with pytest.raises(
        InvalidParameterError, match=r"concat combines TagTable objects only, got \['dict'\]"
    ):
        TagTable.concat([table, {}])  # type: ignore[list-item]
    with pytest.raises(TypeError):
        table | {}  # type: ignore[operator]


# --------------------------------------------------------------------------------------------------
# evaluation


def test_evaluate_returns_a_named_bool_series(table: TagTable) -> None:
    got = table.evaluate("vip and (cn or hk) and not churned")
    assert got.dtype == bool
    assert got.name == "vip AND (cn OR hk) AND NOT churned"
    assert got.index.name == "user_id"
    assert got.to_dict() == {"u1": True, "u2": False, "u3": False, "u4": False}


def test_evaluate_accepts_parsed_rules(table: TagTable) -> None:
    node = parse_rule("cn OR hk")
    assert table.evaluate(node).equals(table.evaluate("cn OR hk"))
    assert table.select(node).tolist() == ["u1", "u2", "u3"]


def test_users_universe_adds_untagged_users(table: TagTable) -> None:
    got = table.evaluate("NOT vip", users=["u9", "u1", "u9", "u8"])
    assert got.to_dict() == {
        "u1": False,
        "u2": False,
        "u3": True,
        "u4": True,
        "u9": True,
        "u8": True,
    }
    assert table.select("vip", users=pd.Series(["u7"])).tolist() == ["u1", "u2"]
    frame = table.membership("cn", users=["u5"])
    assert frame["cn"].tolist() == [True, False, True, False, False]


def test_users_universe_rejects_missing_ids(table: TagTable) -> None:
    with pytest.raises(InvalidParameterError, match=r"users holds 1 missing id\(s\)"):
        table.evaluate("vip", users=["u1", None])


def test_bad_rule_types(table: TagTable) -> None:
    with pytest.raises(InvalidParameterError, match=r"rule must be rule text such as .* got list"):
        table.evaluate(["vip"])  # type: ignore[arg-type]
    with pytest.raises(RuleSyntaxError, match=r"'&&' at position 4 is not a rule operator"):
        table.select("vip && cn")


def test_unknown_tags_warn_with_suggestions(table: TagTable) -> None:
    with pytest.warns(
        UnknownTagWarning,
        match=r"No user in this TagTable carries tag\(s\) 'Vip' \(did you mean 'vip'\?\), 'zzz'; "
        r"they are treated as false for every user",
    ):
        got = table.evaluate("Vip OR zzz OR cn")
    assert got.tolist() == [True, False, True, False]
    assert issubclass(UnknownTagWarning, UseropsWarning)


def test_unknown_tag_warning_points_at_the_caller(table: TagTable) -> None:
    calls = [
        lambda: table.select("nope"),
        lambda: table.evaluate("nope"),
        lambda: table.membership(["nope"]),
        lambda: table.users_with("nope"),
    ]
    for call in calls:
        with pytest.warns(UnknownTagWarning) as record:
            call()
        assert [w.filename for w in record] == [__file__]


def test_membership(table: TagTable) -> None:
    got = table.membership(["hk", "vip", "hk"])
    assert got.columns.tolist() == ["hk", "vip"]
    assert got.dtypes.tolist() == [np.dtype(bool)] * 2
    assert got["vip"].tolist() == [True, True, False, False]
    with pytest.raises(InvalidParameterError, match=r"tag names must be strings, got \[1\]"):
        table.membership(["vip", 1])  # type: ignore[list-item]


def test_users_with_any_string(table: TagTable) -> None:
    with pytest.warns(UseropsWarning, match="no rule can reference"):
        odd = TagTable.from_pairs(pd.DataFrame({"user_id": [1], "tag": ["高价值 user"]}))
    assert odd.users_with("高价值 user").tolist() == [1]
    assert table.users_with("vip").tolist() == ["u1", "u2"]


def test_tags_of_unknown_user(table: TagTable) -> None:
    with pytest.raises(
        InvalidParameterError,
        match=r"User 'u11' is not in this TagTable \(4 users\)\. Hint: did you mean 'u1'\?",
    ):
        table.tags_of("u11")
    with pytest.raises(InvalidParameterError, match=r"Hint: check the id and its type"):
        table.tags_of(12345)


def test_to_frame_keeps_untagged_users(table: TagTable) -> None:
    frame = table.to_frame()
    assert frame.columns.tolist() == ["user_id", "tag"]
    assert frame["user_id"].tolist() == ["u1", "u1", "u2", "u2", "u2", "u3", "u4"]
    assert frame["tag"].isna().tolist() == [False] * 6 + [True]
    again = TagTable.from_pairs(frame)
    assert again.to_frame().equals(frame)
    assert again.users.tolist() == table.users.tolist()
