"""Bad or odd input to the event log: a typed error naming the rows, or the right answer.

Each test covers one class of failure with several inputs (issue: reliability).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pandas as pd
import pytest

from useropslib.events import EventLog, check_tz
from useropslib.events._time import to_utc_ns
from useropslib.exceptions import EventSchemaError, InvalidParameterError
from useropslib.models import parse_window


def frame(ts: Any, **cols: Any) -> pd.DataFrame:
    n = len(ts)
    data: dict[str, Any] = {
        "user_id": cols.pop("users", [f"u{i}" for i in range(n)]),
        "event": cols.pop("events", ["open"] * n),
        "timestamp": ts,
    }
    data.update(cols)
    return pd.DataFrame(data)


def checks(err: pytest.ExceptionInfo[EventSchemaError]) -> set[str]:
    return set(err.value.failure_cases["check"])


# 1. an offset or zone in the text is honoured ---------------------------------------------------
@pytest.mark.parametrize(
    ("text", "utc"),
    [
        ("2024-05-01T08+08:00", "2024-05-01T00:00Z"),
        ("20240501T080000+0800", "2024-05-01T00:00Z"),
        ("Wed, 01 May 2024 08:00:00 +0000 (UTC)", "2024-05-01T08:00Z"),
        ("2024-05-01 08:00 UTC", "2024-05-01T08:00Z"),
        ("2024-05-01 08:00 GMT", "2024-05-01T08:00Z"),
        ("2024-05-01T08:00:00-05:00", "2024-05-01T13:00Z"),
        ("2024-05-01T08:00:00.5+0530", "2024-05-01T02:30:00.5Z"),
    ],
)
def test_an_offset_in_the_text_is_honoured_then_converted_to_tz(text: str, utc: str) -> None:
    log = EventLog.from_pandas(frame([text]), tz="Asia/Shanghai")
    assert log.start == pd.Timestamp(utc)
    assert str(log.start.tz) == "Asia/Shanghai"


@pytest.mark.parametrize(
    "text", ["2024-05-01 08:00 EST", "2024-05-01 08:00 CST", "2024-05-01 8:00pm IST"]
)
def test_a_zone_abbreviation_is_an_error_with_a_hint(text: str) -> None:
    with pytest.raises(EventSchemaError, match=r"ambiguous_time_zone.*\n.*Hint: zone abbrev") as e:
        EventLog.from_pandas(frame(["2024-05-01T00:00Z", text]), tz="UTC")
    assert e.value.failure_cases["row"].tolist() == [1]


# 2. one format per column ----------------------------------------------------------------------
@pytest.mark.parametrize(
    ("texts", "expected"),
    [
        (["01/02/2024", "13/02/2024"], ["2024-02-01", "2024-02-13"]),  # day first, shown by 13
        (["01/02/2024", "02/13/2024"], ["2024-01-02", "2024-02-13"]),  # month first, shown by 13
        (["1.2.2024 10:00", "25.12.2024"], ["2024-02-01 10:00", "2024-12-25"]),
    ],
)
def test_numeric_dates_use_the_order_the_column_shows(
    texts: list[str], expected: list[str]
) -> None:
    log = EventLog.from_pandas(frame(texts), tz="UTC")
    got = sorted(log.to_pandas()["timestamp"].dt.tz_localize(None))
    assert got == sorted(pd.Timestamp(x) for x in expected)


@pytest.mark.parametrize("texts", [["01/02/2024", "03/04/2024"], ["1-2-2024"], ["05.06.2024"]])
def test_an_ambiguous_day_month_order_is_an_error_naming_the_rows(texts: list[str]) -> None:
    with pytest.raises(EventSchemaError, match=r"ambiguous_date_order.*\n.*dayfirst=True") as e:
        EventLog.from_pandas(frame(texts), tz="UTC")
    assert e.value.failure_cases["row"].tolist() == list(range(len(texts)))
    first = EventLog.from_pandas(frame(texts[:1]), tz="UTC", dayfirst=True).start
    other = EventLog.from_pandas(frame(texts[:1]), tz="UTC", dayfirst=False).start
    assert first != other


def test_day_first_and_month_first_rows_together_are_an_error() -> None:
    with pytest.raises(EventSchemaError, match="inconsistent_date_order"):
        EventLog.from_pandas(frame(["13/02/2024", "02/13/2024"]), tz="UTC")


@pytest.mark.parametrize(
    ("fmt", "texts", "first"),
    [
        ("%d/%m/%Y", ["01/02/2024", "03/04/2024"], "2024-02-01"),
        ("%m/%d/%Y %H:%M", ["01/02/2024 10:00"], "2024-01-02 10:00"),
        ("%Y%m%d %H%M%S %z", ["20240501 080000 +0800"], "2024-05-01 00:00"),
    ],
)
def test_time_format_reads_every_row_with_one_format(
    fmt: str, texts: list[str], first: str
) -> None:
    log = EventLog.from_pandas(frame(texts), tz="UTC", time_format=fmt)
    assert log.start == pd.Timestamp(first, tz="UTC")


@pytest.mark.parametrize(
    ("option", "value"), [("time_format", "ymd"), ("time_format", 5), ("dayfirst", "yes")]
)
def test_time_options_are_type_checked(option: str, value: Any) -> None:
    with pytest.raises(InvalidParameterError, match=f"Invalid {option}="):
        EventLog.from_pandas(frame(["2024-05-01T00:00Z"]), **{option: value})


# 3. numbers are epochs only with time_unit, wherever they sit ----------------------------------
@pytest.mark.parametrize(
    "column",
    [
        pd.Series([1714550400, 1714550460], dtype=object),
        pd.Series([1714550400, "2024-05-01T00:00Z"], dtype=object),
        pd.Series(pd.Categorical([1714550400, 1714550460])),
        pd.Series([1714550400.0, 1714550460.0]),
    ],
)
@pytest.mark.parametrize("tz", [None, "UTC"])
def test_numbers_in_any_time_column_need_time_unit(column: pd.Series, tz: str | None) -> None:
    with pytest.raises(EventSchemaError, match=r"numeric_timestamp.*\n.*time_unit='s'") as e:
        EventLog.from_pandas(frame(column), tz=tz)
    assert "numeric_timestamp" in checks(e)


@pytest.mark.parametrize(
    "column",
    [
        pd.Series([1714550400, 1714550460], dtype=object),
        pd.Series(pd.Categorical([1714550400, 1714550460])),
        pd.Series([1714550400, 1714550460]),
    ],
)
def test_numbers_with_time_unit_are_utc_epochs(column: pd.Series) -> None:
    log = EventLog.from_pandas(frame(column), time_unit="s")
    assert log.start == pd.Timestamp("2024-05-01T08:00Z")


@pytest.mark.parametrize("value", [1714550400, 1714550400.0, np.int64(1714550400), True])
def test_a_bare_number_is_not_an_instant_parameter(value: Any) -> None:
    with pytest.raises(InvalidParameterError, match="a bare number is not a point in time"):
        EventLog.from_pandas(frame(["2024-05-01T00:00Z"]), as_of=value)
    log = EventLog.from_pandas(frame(["2024-05-01T00:00Z"]))
    with pytest.raises(InvalidParameterError, match="bare number"):
        log.until(value)
    with pytest.raises(InvalidParameterError, match="bare number"):
        log.between(value, None)


# 4. property columns never hide core columns -----------------------------------------------
@pytest.mark.parametrize(
    ("extra", "opts"),
    [
        ({"uid": ["real"], "user_id": ["prop"]}, {"user_col": "uid"}),
        ({"ts": ["2024-05-01T00:00Z"], "timestamp": ["x"]}, {"time_col": "ts"}),
        ({"name": ["open"], "event": ["x"]}, {"event_col": "name"}),
        ({"amount": [1.0], "value": [2.0]}, {"value_col": "amount"}),
    ],
)
def test_a_property_named_like_a_core_column_is_refused(
    extra: dict[str, Any], opts: dict[str, str]
) -> None:
    base = {"user_id": ["u"], "event": ["open"], "timestamp": ["2024-05-01T00:00Z"]}
    df = pd.DataFrame({**base, **extra})
    with pytest.raises(EventSchemaError, match=r"Property column\(s\) \[.*\] have the name"):
        EventLog.from_pandas(df, **opts)


def test_value_col_none_keeps_a_value_column_as_a_property() -> None:
    df = frame(["2024-05-01T00:00Z"], value=[3.0])
    out = EventLog.from_pandas(df, value_col=None).to_pandas()
    assert out["value"].tolist() == [3.0]


# 5. the value column refuses what is not an amount --------------------------------------------
@pytest.mark.parametrize(
    "values",
    [
        pd.Series([True, 1.0], dtype=object),
        pd.Series([True, False]),
        pd.Series([1 + 2j, 1.0], dtype=object),
        pd.Series([1 + 2j, 3 + 0j]),
        pd.Series([pd.Timestamp("2024-01-01"), 1.0], dtype=object),
        pd.Series(pd.to_datetime(["2024-01-01", "2024-01-02"])),
        pd.Series(pd.to_timedelta(["1D", "2D"])),
        pd.Series([[1.0], 1.0], dtype=object),
    ],
)
def test_the_value_column_refuses_non_amounts_naming_rows(values: pd.Series) -> None:
    df = frame(["2024-05-01T00:00Z"] * 2, value=values)
    with pytest.raises(EventSchemaError, match=r"non_numeric_value.*first rows \[0") as e:
        EventLog.from_pandas(df)
    assert 0 in e.value.failure_cases["row"].tolist()


def test_numeric_text_values_are_still_read() -> None:
    df = frame(["2024-05-01T00:00Z"] * 2, value=pd.Series(["1.5", 2], dtype=object))
    assert EventLog.from_pandas(df).values.tolist() == [1.5, 2.0]


# 6. one identifier policy ----------------------------------------------------------------------
@pytest.mark.parametrize(
    ("ids", "check"),
    [
        (pd.Series([1, "1"], dtype=object), "colliding_user_id"),
        (pd.Series([2.0, "2"], dtype=object), "colliding_user_id"),
        (pd.Series([True, 1], dtype=object), "invalid_user_id"),
        (pd.Series([True, False]), "invalid_user_id"),
        (pd.Series([["a"], ["b"]], dtype=object), "invalid_user_id"),
        (pd.Series([{"a": 1}, "b"], dtype=object), "invalid_user_id"),
        (pd.Series(["\u200b", "a"]), "empty_user_id"),
        (pd.Series(["\ufeff \u2060", "a"]), "empty_user_id"),
    ],
)
def test_user_ids_follow_one_policy(ids: pd.Series, check: str) -> None:
    with pytest.raises(EventSchemaError, match=check) as e:
        EventLog.from_pandas(frame(["2024-05-01T00:00Z"] * 2, users=ids))
    assert check in checks(e)
    assert 0 in e.value.failure_cases["row"].tolist()


@pytest.mark.parametrize(
    ("names", "check"),
    [
        (pd.Series([1, "1"], dtype=object), "colliding_event"),
        (pd.Series([True, "a"], dtype=object), "invalid_event"),
        (pd.Series(["\u200b\u200c", "a"]), "empty_event"),
    ],
)
def test_event_names_follow_one_policy(names: pd.Series, check: str) -> None:
    with pytest.raises(EventSchemaError, match=check):
        EventLog.from_pandas(frame(["2024-05-01T00:00Z"] * 2, events=names))


@pytest.mark.parametrize(
    ("names", "expected"),
    [([1, 2], ["1", "2"]), ([1.0, 2.0], ["1", "2"]), (pd.Categorical(["a", "b"]), ["a", "b"])],
)
def test_event_names_become_text(names: Any, expected: list[str]) -> None:
    log = EventLog.from_pandas(frame(["2024-05-01T00:00Z"] * 2, events=names))
    assert sorted(log.event_names) == expected
    assert all(isinstance(x, str) for x in log.event_names)


def test_integer_and_text_ids_that_do_not_collide_are_kept_as_given() -> None:
    ids = pd.Series([1, "a", 1], dtype=object)
    log = EventLog.from_pandas(frame(["2024-05-01T00:00Z"] * 3, users=ids))
    assert sorted(map(str, log.users)) == ["1", "a"]


# 7. bounds --------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "when", ["1677-09-22T00:00Z", "1899-12-31T23:59Z", "2150-01-01T00:00Z", "2262-04-10T00:00Z"]
)
def test_times_outside_the_supported_span_are_an_error(when: str) -> None:
    with pytest.raises(EventSchemaError, match=r"out_of_range_timestamp.*\n.*1900-01-01"):
        EventLog.from_pandas(frame([when, "2024-05-01T00:00Z"]), tz="Pacific/Kiritimati")


@pytest.mark.parametrize("when", ["1500-01-01", "3000-01-01", "1899-01-01", "2262-04-10"])
def test_instant_parameters_outside_the_span_are_an_error(when: str) -> None:
    log = EventLog.from_pandas(frame(["2024-05-01T00:00Z"]))
    with pytest.raises(InvalidParameterError, match="outside the supported span"):
        log.until(when)
    with pytest.raises(InvalidParameterError, match="outside the supported span"):
        to_utc_ns(when, tz="UTC", name="as_of")


@pytest.mark.parametrize(
    "window", ["99999999999D", "200000D", "7306D", "1100W", dt.timedelta(days=10_000)]
)
def test_windows_longer_than_20_years_are_an_error(window: Any) -> None:
    with pytest.raises(InvalidParameterError, match="longest supported window, 20 years"):
        parse_window(window)


def test_period_codes_at_the_edge_of_the_span_are_right() -> None:
    log = EventLog.from_pandas(frame(["2149-12-31T23:00Z", "1900-01-01T00:00Z"]))
    for zone in ("Pacific/Kiritimati", "Pacific/Pago_Pago", "UTC"):
        codes = log.with_tz(zone).period_codes("day")
        starts = log.with_tz(zone).period_starts(codes, "day")
        local = log.with_tz(zone).to_pandas()["timestamp"].dt.floor("D")
        assert [s.date() for s in starts] == [t.date() for t in local]


# 8. parameter types ----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("opts", "match"),
    [
        ({"user_col": 5}, r"Invalid user_col=5 \(int\)"),
        ({"user_col": None}, r"Invalid user_col=None"),
        ({"event_col": ["event"]}, r"Invalid event_col="),
        ({"time_col": ""}, r"Invalid time_col=''"),
        ({"value_col": 3}, r"Invalid value_col=3"),
        ({"identities": 5}, r"Invalid identities='5' \(int\)"),
        ({"identities": "d1"}, r"Invalid identities="),
        ({"tz": "localtime"}, r"Unknown time zone 'localtime'"),
        ({"tz": "posixrules"}, r"Unknown time zone"),
        ({"tz": 8}, r"Invalid time zone 8"),
        ({"properties": [1]}, r"Invalid properties"),
        ({"allow_empty": "no"}, r"Invalid allow_empty="),
    ],
)
def test_from_pandas_checks_parameter_types(opts: dict[str, Any], match: str) -> None:
    with pytest.raises(InvalidParameterError, match=match):
        EventLog.from_pandas(frame(["2024-05-01T00:00Z"], channel=["x"]), **opts)


def test_localtime_is_not_a_zone() -> None:
    with pytest.raises(InvalidParameterError, match="Expected an IANA time-zone name"):
        check_tz("localtime")


@pytest.mark.parametrize(
    ("ids", "n"), [("u001", 1), (["u001"], 1), (("u001", "zz"), 1), ("u0", 0), ({"u002"}, 1)]
)
def test_filter_users_takes_one_id_or_several(ids: Any, n: int) -> None:
    log = EventLog.from_pandas(frame(["2024-05-01T00:00Z"] * 2, users=["u001", "u002"]))
    assert log.filter_users(ids).n_users == n


def test_filter_users_refuses_unhashable_ids() -> None:
    log = EventLog.from_pandas(frame(["2024-05-01T00:00Z"], users=["u001"]))
    with pytest.raises(InvalidParameterError, match="hashable ids"):
        log.filter_users([["u001"]])


# 9. odd but legal data -------------------------------------------------------------------------
def test_unhashable_property_values_are_kept() -> None:
    df = frame(["2024-05-01T00:00Z"] * 2, users=["u", "u"], tags=[["a"], ["a"]])
    assert EventLog.from_pandas(df).n_events == 2
    assert EventLog.from_pandas(df, duplicates="drop").n_events == 1


@pytest.mark.parametrize(
    "column",
    [
        pd.Series(pd.Categorical(["2024-05-01T00:00Z", "2024-05-01T10:00+08:00"])),
        pd.Series(["2024-05-01T00:00Z", pd.Timestamp("2024-05-01T02:00Z")], dtype=object),
        pd.Series(
            ["2024-05-01T08:00+08:00", dt.datetime(2024, 5, 1, 2, tzinfo=dt.timezone.utc)],
            dtype=object,
        ),
    ],
)
def test_aware_text_and_aware_objects_mix(column: pd.Series) -> None:
    log = EventLog.from_pandas(frame(column))
    assert log.start == pd.Timestamp("2024-05-01T00:00Z")


def test_naive_text_and_aware_objects_are_mixed() -> None:
    column = pd.Series(["2024-05-01 00:00", pd.Timestamp("2024-05-01T02:00Z")], dtype=object)
    with pytest.raises(EventSchemaError, match="mixed_naive_aware"):
        EventLog.from_pandas(frame(column), tz="UTC")


def test_a_multiindex_header_is_refused_with_a_usable_hint() -> None:
    df = frame(["2024-05-01T00:00Z"])
    df.columns = pd.MultiIndex.from_tuples([("a", "user_id"), ("a", "event"), ("a", "timestamp")])
    with pytest.raises(EventSchemaError, match=r"MultiIndex.*flatten it first"):
        EventLog.from_pandas(df)


@pytest.mark.parametrize("props", ["channel", ["channel"], ("channel",)])
def test_properties_takes_one_name_or_several(props: Any) -> None:
    df = frame(["2024-05-01T00:00Z"], channel=["x"], other=[1])
    assert EventLog.from_pandas(df, properties=props).property_names == ("channel",)


def test_the_input_frame_is_unchanged_after_any_error() -> None:
    df = frame(pd.Series([1714550400, "2024-05-01T00:00Z"], dtype=object), value=[True, 1.0])
    before = df.copy(deep=True)
    with pytest.raises(EventSchemaError):
        EventLog.from_pandas(df)
    pd.testing.assert_frame_equal(df, before)


# 11. two logs of the same events are equal whatever the property dtype ----------------------
@pytest.mark.parametrize("dtype", ["category", "string", object])
def test_equal_events_compare_equal_whatever_the_property_dtype(dtype: Any) -> None:
    df = frame(["2024-05-01T00:00Z"] * 2, channel=["x", "y"])
    other = df.assign(channel=df["channel"].astype(dtype))
    assert EventLog.from_pandas(df) == EventLog.from_pandas(other)
    assert EventLog.from_pandas(df) != EventLog.from_pandas(other.assign(channel=["x", "z"]))


@pytest.mark.parametrize("engine", ["polars", "polars-lazy", "duckdb"])
@pytest.mark.parametrize("when", ["1850-01-01 00:00:00+00", "2200-01-01 00:00:00+00"])
def test_engine_frames_check_the_supported_span_in_the_engine(engine: str, when: str) -> None:
    pl = pytest.importorskip("polars")
    duckdb = pytest.importorskip("duckdb")
    from useropslib.events import LazyEventLog

    if engine == "duckdb":
        frame: Any = duckdb.sql(
            "SELECT 'a' AS user_id, 'x' AS event, "
            f"TIMESTAMPTZ '{when}' AS timestamp UNION ALL "
            "SELECT 'b', 'x', TIMESTAMPTZ '2024-01-01 00:00:00+00'"
        )
    else:
        stamps = list(pd.to_datetime([when, "2024-01-01 00:00:00+00"], utc=True).to_pydatetime())
        frame = pl.DataFrame({"user_id": ["a", "b"], "event": ["x", "x"], "timestamp": stamps})
        frame = frame.lazy() if engine == "polars-lazy" else frame
    for build in (EventLog.from_frame, LazyEventLog.scan):
        with pytest.raises(EventSchemaError, match="out_of_range_timestamp"):
            build(frame)


@pytest.mark.parametrize("engine", ["polars", "pyarrow", "duckdb"])
@pytest.mark.parametrize("blank", ["\u200b", " \u2060", "", "\ufeff"])
def test_engine_frames_refuse_invisible_only_ids(engine: str, blank: str) -> None:
    pl = pytest.importorskip("polars")
    pytest.importorskip("pyarrow")
    duckdb = pytest.importorskip("duckdb")
    stamps = [dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc)] * 2
    frame: Any = pl.DataFrame({"user_id": ["a", blank], "event": ["x", "x"], "timestamp": stamps})
    if engine == "pyarrow":
        frame = frame.to_arrow()
    elif engine == "duckdb":
        con = duckdb.connect()
        con.register("ev", frame.to_arrow())
        frame = con.sql("SELECT * FROM ev")
    with pytest.raises(EventSchemaError, match="empty_user_id"):
        EventLog.from_frame(frame)
