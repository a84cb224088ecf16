"""Every bad input the Foundation issue names gives a typed error with a hint; nothing dropped."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from useropslib.events import EventLog
from useropslib.exceptions import (
    EventSchemaError,
    IdentityConflictError,
    InvalidParameterError,
    UseropsError,
)


def _df(**cols: list[object]) -> pd.DataFrame:
    base: dict[str, list[object]] = {
        "user_id": ["u1", "u2", "u3"],
        "event": ["a", "b", "c"],
        "timestamp": ["2024-01-01T00:00Z", "2024-01-02T00:00Z", "2024-01-03T00:00Z"],
    }
    base.update(cols)
    return pd.DataFrame(base)


def _checks(err: pytest.ExceptionInfo[EventSchemaError]) -> list[str]:
    fc = err.value.failure_cases
    assert fc is not None
    return list(fc["check"])


def test_errors_are_useropserrors_and_valueerrors() -> None:
    with pytest.raises(ValueError, match="failed validation"):
        EventLog.from_pandas(_df(user_id=["u1", None, "u3"]))
    with pytest.raises(UseropsError):
        EventLog.from_pandas(_df(user_id=["u1", None, "u3"]))


def test_missing_columns_did_you_mean() -> None:
    df = _df().rename(columns={"timestamp": "ts", "user_id": "uid"})
    with pytest.raises(
        EventSchemaError,
        match=r"missing column\(s\) \['timestamp', 'user_id'\]\. Available: \['uid', 'event', "
        r"'ts'\]\. Hint: did you mean 'ts'\? pass time_col='ts'; did you mean 'uid'\? pass "
        r"user_col='uid'",
    ):
        EventLog.from_pandas(df)


def test_missing_named_value_column() -> None:
    with pytest.raises(EventSchemaError, match=r"missing column\(s\) \['revenue'\]"):
        EventLog.from_pandas(_df(), value_col="revenue")


def test_duplicated_column_names() -> None:
    df = pd.concat([_df(), _df()[["event"]]], axis=1)
    with pytest.raises(EventSchemaError, match=r"duplicated column name\(s\) \['event'\]"):
        EventLog.from_pandas(df)


def test_null_and_blank_user_ids() -> None:
    with pytest.raises(EventSchemaError) as err:
        EventLog.from_pandas(_df(user_id=["u1", None, "  "]))
    assert _checks(err) == ["null_user_id", "empty_user_id"]
    assert "null_user_id in column 'user_id': 1 row(s), first rows [1]" in str(err.value)
    assert "Hint: every event needs a user id" in str(err.value)
    assert list(err.value.failure_cases["row"]) == [1, 2]  # type: ignore[index]


def test_null_and_blank_event_names() -> None:
    with pytest.raises(EventSchemaError, match=r"null_event.*\n.*Hint: every event needs a name"):
        EventLog.from_pandas(_df(event=["a", None, "c"]))
    with pytest.raises(EventSchemaError, match="empty_event in column 'event': 1 row"):
        EventLog.from_pandas(_df(event=["a", "", "c"]))


def test_null_and_unparseable_timestamps_count_and_first_rows() -> None:
    df = _df(timestamp=["2024-01-01T00:00Z", None, "not a date"])
    df.index = pd.Index([10, 20, 30])
    with pytest.raises(EventSchemaError) as err:
        EventLog.from_pandas(df)
    msg = str(err.value)
    assert "null_timestamp in column 'timestamp': 1 row(s), first rows [20]" in msg
    assert (
        "unparseable_timestamp in column 'timestamp': 1 row(s), first rows [30], "
        "values ['not a date']" in msg
    )
    assert _checks(err) == ["null_timestamp", "unparseable_timestamp"]


def test_many_bad_rows_are_all_listed() -> None:
    n = 50
    df = pd.DataFrame(
        {"user_id": [None] * n, "event": ["a"] * n, "timestamp": ["2024-01-01T00:00Z"] * n}
    )
    with pytest.raises(
        EventSchemaError, match=r"50 row\(s\), first rows \[0, 1, 2, 3, 4\] \.\.\."
    ) as err:
        EventLog.from_pandas(df)
    assert len(err.value.failure_cases) == n  # type: ignore[arg-type]


def test_naive_timestamps_need_tz() -> None:
    df = _df(timestamp=["2024-01-01 08:00", "2024-01-02 08:00", "2024-01-03 08:00"])
    with pytest.raises(
        EventSchemaError, match=r"naive_timestamp.*\n.*Hint: pass tz='Asia/Shanghai'"
    ):
        EventLog.from_pandas(df)
    naive_dt = _df(timestamp=list(pd.to_datetime(["2024-01-01", "2024-01-02", "2024-01-03"])))
    with pytest.raises(EventSchemaError, match="naive_timestamp in column 'timestamp'"):
        EventLog.from_pandas(naive_dt)


def test_mixed_naive_and_aware() -> None:
    df = _df(timestamp=["2024-01-01T00:00Z", "2024-01-02 00:00", "2024-01-03T00:00+08:00"])
    with pytest.raises(
        EventSchemaError,
        match=r"mixed_naive_aware in column 'timestamp': 1 row\(s\), first rows \[1\]",
    ):
        EventLog.from_pandas(df, tz="UTC")
    objs = pd.Series(
        [
            dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc),
            dt.datetime(2024, 1, 2),
            dt.datetime(2024, 1, 3),
        ],
        dtype=object,
    )
    with pytest.raises(EventSchemaError, match="mixed_naive_aware"):
        EventLog.from_pandas(_df(timestamp=list(objs)), tz="UTC")


def test_numeric_timestamps_need_time_unit() -> None:
    with pytest.raises(EventSchemaError, match=r"numeric_timestamp.*\n.*Hint: pass time_unit='s'"):
        EventLog.from_pandas(_df(timestamp=[1, 2, 3]))
    with pytest.raises(InvalidParameterError, match="Invalid time_unit='days'"):
        EventLog.from_pandas(_df(timestamp=[1, 2, 3]), time_unit="days")  # type: ignore[arg-type]


def test_dst_gap_and_repeat_are_errors_not_guesses() -> None:
    df = _df(
        timestamp=["2024-03-31 02:30", "2024-10-27 02:30", "2024-06-01 12:00"]  # Berlin gap/repeat
    )
    with pytest.raises(EventSchemaError) as err:
        EventLog.from_pandas(df, tz="Europe/Berlin")
    assert _checks(err) == ["nonexistent_local_time", "ambiguous_local_time"]
    assert "skipped by a DST change" in str(err.value)


def test_timestamps_after_as_of() -> None:
    with pytest.raises(
        EventSchemaError,
        match=r"after_as_of in column 'timestamp': 2 row\(s\), first rows \[1, 2\].*\n.*"
        r"Hint: pass a later as_of=",
    ):
        EventLog.from_pandas(_df(), as_of="2024-01-01T12:00Z")


def test_non_numeric_and_infinite_values() -> None:
    with pytest.raises(EventSchemaError) as err:
        EventLog.from_pandas(_df(value=["1.5", "ten", float("inf")]))
    assert _checks(err) == ["non_numeric_value", "non_finite_value"]
    assert "values ['ten']" in str(err.value)
    with pytest.raises(EventSchemaError, match="non_numeric_value"):
        EventLog.from_pandas(_df(value=[True, False, True]))


def test_duplicates_error_policy_and_bad_policy() -> None:
    df = _df(
        user_id=["u1", "u1", "u2"],
        event=["a", "a", "b"],
        timestamp=["2024-01-01T00:00Z", "2024-01-01T00:00Z", "2024-01-01T00:00Z"],
    )
    with pytest.raises(
        EventSchemaError,
        match=r"duplicate_row in column '\*': 1 row\(s\), first rows \[1\].*\n.*duplicates='keep'",
    ):
        EventLog.from_pandas(df, duplicates="error")
    with pytest.raises(InvalidParameterError, match="Invalid duplicates='first'"):
        EventLog.from_pandas(df, duplicates="first")  # type: ignore[arg-type]


def test_empty_log() -> None:
    df = _df().iloc[:0]
    with pytest.raises(EventSchemaError, match=r"empty_log.*\n.*Hint: pass allow_empty=True"):
        EventLog.from_pandas(df)


def test_unknown_time_zone() -> None:
    with pytest.raises(
        InvalidParameterError,
        match=r"Unknown time zone 'Europe/Berln'.*Did you mean 'Europe/Berlin'",
    ):
        EventLog.from_pandas(_df(), tz="Europe/Berln")


def test_bad_week_start() -> None:
    with pytest.raises(InvalidParameterError, match="Invalid week_start='someday'"):
        EventLog.from_pandas(_df(), week_start="someday")  # type: ignore[arg-type]


def test_conflicting_identity_links() -> None:
    links = pd.DataFrame({"anonymous_id": ["d1", "d1", "d2"], "user_id": ["u1", "u2", "u1"]})
    with pytest.raises(
        IdentityConflictError,
        match=r"1 anonymous id\(s\) are linked to more than one user, "
        r"e\.g\. 'd1' -> \['u1', 'u2'\]",
    ) as err:
        EventLog.from_pandas(_df(), identities=links)
    assert err.value.conflicts is not None
    assert len(err.value.conflicts) == 2
    assert isinstance(err.value, ValueError)


def test_conflict_from_rows_with_both_ids() -> None:
    df = _df(user_id=["u1", "u2", None])
    df["device"] = ["d1", "d1", "d1"]
    with pytest.raises(IdentityConflictError, match="'d1' -> \\['u1', 'u2'\\]"):
        EventLog.from_pandas(df, anonymous_col="device")


def test_identity_cycle() -> None:
    with pytest.raises(IdentityConflictError, match="cycle"):
        EventLog.from_pandas(_df(), identities={"u1": "u2", "u2": "u1"})


def test_bad_identity_inputs() -> None:
    with pytest.raises(InvalidParameterError, match=r"missing column\(s\) \['anonymous_id'\]"):
        EventLog.from_pandas(_df(), identities=pd.DataFrame({"device": ["d"], "user_id": ["u"]}))
    with pytest.raises(InvalidParameterError, match="identities item 0 is 5"):
        EventLog.from_pandas(_df(), identities=[5])
    with pytest.raises(InvalidParameterError, match="not a valid link"):
        EventLog.from_pandas(_df(), identities=[("", "u1")])
    with pytest.raises(InvalidParameterError, match=r"1 link\(s\) with a missing id"):
        EventLog.from_pandas(_df(), identities={"d1": None})


def test_records_wrong_types_name_the_field() -> None:
    records = [
        {"user_id": "u1", "event": "a", "timestamp": "2024-01-01T00:00:00Z"},
        {"user_id": "u2", "event": "a", "timestamp": "2024-01-01T00:00:00"},
        {"user_id": "u3", "event": "", "timestamp": "yesterday", "extra": 1},
    ]
    with pytest.raises(EventSchemaError) as err:
        EventLog.from_records(records)
    msg = str(err.value)
    assert msg.startswith("4 problem(s) in 2 of 3 event record(s):")
    assert "record 1, field 'timestamp': Input should have timezone info" in msg
    assert "record 2, field 'event'" in msg
    assert "record 2, field 'extra': Extra inputs are not permitted" in msg
    fc = err.value.failure_cases
    assert fc is not None
    assert set(fc["row"]) == {1, 2}


def test_records_property_clash() -> None:
    t = dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc)
    with pytest.raises(EventSchemaError, match=r"properties \['value'\] clash"):
        EventLog.from_records(
            [{"user_id": "u", "event": "a", "timestamp": t, "properties": {"value": 1}}]
        )


def test_all_problems_collected_in_one_error() -> None:
    df = _df(
        user_id=[None, "u2", "u3"],
        event=["a", None, "c"],
        timestamp=["2024-01-01T00:00Z", "2024-01-02T00:00Z", "garbage"],
        value=[1, 2, "x"],
    )
    with pytest.raises(EventSchemaError) as err:
        EventLog.from_pandas(df)
    assert _checks(err) == [
        "null_user_id",
        "null_event",
        "unparseable_timestamp",
        "non_numeric_value",
    ]
    assert str(err.value).startswith("Event table failed validation: 4 problem(s) in 4 check(s):")
