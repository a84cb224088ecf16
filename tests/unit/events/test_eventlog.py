"""EventLog construction, encoding, filters and output."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

import useropslib as uo
from useropslib.events import EventLog, as_event_log, read_events
from useropslib.exceptions import InvalidParameterError
from useropslib.models import Event


def test_from_pandas_encodes_once(small_df: pd.DataFrame) -> None:
    log = EventLog.from_pandas(small_df, tz="Asia/Shanghai")
    assert log.n_events == 5
    assert log.n_users == 3
    assert list(log.users.take(log.user_codes)) == list(small_df["user_id"])
    assert list(log.event_names.take(log.event_codes)) == list(small_df["event"])
    assert log.user_codes.dtype == np.int32
    assert log.timestamps_ns.dtype == np.int64
    # naive 09:00 in Shanghai is 01:00 UTC
    assert log.timestamps_ns[0] == pd.Timestamp("2024-05-01T01:00Z").value
    assert log.tz == "Asia/Shanghai"
    assert log.values is not None
    assert np.isnan(log.values[0])
    assert log.values[1] == pytest.approx(19.9)
    assert list(log.properties.columns) == ["channel"]


def test_arrays_are_read_only(small_df: pd.DataFrame) -> None:
    log = EventLog.from_pandas(small_df, tz="UTC")
    with pytest.raises(ValueError, match="read-only"):
        log.user_codes[0] = 5
    with pytest.raises(ValueError, match="read-only"):
        log.timestamps_ns[0] = 5


def test_caller_frame_is_never_mutated(small_df: pd.DataFrame) -> None:
    before = small_df.copy(deep=True)
    log = EventLog.from_pandas(
        small_df, tz="Asia/Shanghai", duplicates="drop", identities={"u3": "u1"}
    )
    log.between("2024-05-02", "2024-05-05").to_pandas()
    pd.testing.assert_frame_equal(small_df, before)


def test_default_value_column_is_optional() -> None:
    df = pd.DataFrame(
        {"user_id": [1], "event": ["a"], "timestamp": pd.to_datetime(["2024-01-01"], utc=True)}
    )
    log = EventLog.from_pandas(df)
    assert log.values is None
    assert log.tz == "UTC"


def test_aware_input_keeps_its_zone_for_calendars() -> None:
    ts = pd.to_datetime(["2024-01-01 23:30"]).tz_localize("Asia/Shanghai")
    df = pd.DataFrame({"user_id": ["a"], "event": ["x"], "timestamp": ts})
    log = EventLog.from_pandas(df)
    assert log.tz == "Asia/Shanghai"
    assert str(log.start) == "2024-01-01 23:30:00+08:00"
    # tz= given wins for calendars, the instant is unchanged
    log2 = EventLog.from_pandas(df, tz="UTC")
    assert log2.tz == "UTC"
    assert log2.timestamps_ns[0] == log.timestamps_ns[0]


def test_iso_strings_with_offsets() -> None:
    df = pd.DataFrame(
        {
            "user_id": ["a", "b", "c"],
            "event": ["x", "x", "x"],
            "timestamp": ["2024-01-01T08:00:00+08:00", "2024-01-01T00:00:00Z", "2024-01-01T00:00Z"],
        }
    )
    log = EventLog.from_pandas(df)
    assert set(log.timestamps_ns.tolist()) == {pd.Timestamp("2024-01-01T00:00Z").value}


def test_epoch_numbers_with_time_unit() -> None:
    df = pd.DataFrame({"user_id": ["a", "b"], "event": ["x", "x"], "timestamp": [0, 86400]})
    log = EventLog.from_pandas(df, time_unit="s")
    assert log.timestamps_ns.tolist() == [0, 86_400_000_000_000]


def test_python_datetime_objects() -> None:
    tz8 = dt.timezone(dt.timedelta(hours=8))
    df = pd.DataFrame(
        {
            "user_id": ["a", "b"],
            "event": ["x", "x"],
            "timestamp": pd.Series(
                [
                    dt.datetime(2024, 1, 1, 8, tzinfo=tz8),
                    dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc),
                ],
                dtype=object,
            ),
        }
    )
    log = EventLog.from_pandas(df)
    assert log.timestamps_ns.tolist() == [pd.Timestamp("2024-01-01T00:00Z").value] * 2


def test_pyarrow_backed_columns() -> None:
    pa = pytest.importorskip("pyarrow")
    table = pa.table(
        {
            "user_id": ["a", "b"],
            "event": ["x", "y"],
            "timestamp": pa.array(
                [dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc)] * 2,
                type=pa.timestamp("us", tz="UTC"),
            ),
            "value": [1.5, None],
        }
    )
    df = table.to_pandas(types_mapper=pd.ArrowDtype)
    log = EventLog.from_pandas(df)
    assert log.n_events == 2
    assert log.timestamps_ns.tolist() == [pd.Timestamp("2024-01-01T00:00Z").value] * 2
    assert log.values is not None
    assert log.values[0] == 1.5


def test_duplicates_policies() -> None:
    df = pd.DataFrame(
        {
            "user_id": ["a", "a", "a"],
            "event": ["x", "x", "x"],
            "timestamp": ["2024-01-01T00:00Z", "2024-01-01T00:00Z", "2024-01-02T00:00Z"],
        }
    )
    assert EventLog.from_pandas(df).n_events == 3
    dropped = EventLog.from_pandas(df, duplicates="drop")
    assert dropped.n_events == 2
    assert dropped.summary().duplicates_dropped == 1
    assert "duplicates dropped: 1" in str(dropped)


def test_from_records_events_and_dicts() -> None:
    t = dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc)
    log = EventLog.from_records(
        [
            Event(user_id="u1", event="signup", timestamp=t, properties={"channel": "ads"}),
            {
                "user_id": "u2",
                "event": "purchase",
                "timestamp": "2024-01-02T00:00:00+08:00",
                "value": 3.0,
            },
        ],
        tz="Asia/Shanghai",
    )
    assert log.n_users == 2
    assert log.tz == "Asia/Shanghai"
    assert list(log.properties.columns) == ["channel"]
    assert log.values is not None
    assert log.values[1] == 3.0
    assert log.timestamps_ns[1] == pd.Timestamp("2024-01-01T16:00Z").value


def test_from_records_anonymous_ids_merge() -> None:
    t = dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc)
    log = EventLog.from_records(
        [
            Event(anonymous_id="dev-1", event="open", timestamp=t),
            Event(user_id="u1", anonymous_id="dev-1", event="signup", timestamp=t),
            Event(user_id="u1", event="purchase", timestamp=t),
        ]
    )
    assert log.n_users == 1
    assert set(log.to_pandas()["user_id"]) == {"u1"}


def test_from_frame_backends() -> None:
    pl = pytest.importorskip("polars")
    duckdb = pytest.importorskip("duckdb")
    pa = pytest.importorskip("pyarrow")
    base = pd.DataFrame(
        {
            "user_id": ["a", "b", "a"],
            "event": ["x", "y", "y"],
            "timestamp": pd.to_datetime(
                ["2024-01-01T00:00Z", "2024-01-02T00:00Z", "2024-01-03T00:00Z"], utc=True
            ),
        }
    )
    ref = EventLog.from_pandas(base)
    assert EventLog.from_frame(pl.from_pandas(base)).equals(ref)
    assert EventLog.from_frame(pl.from_pandas(base).lazy()).equals(ref)
    assert EventLog.from_frame(pa.Table.from_pandas(base)).equals(ref)
    con = duckdb.connect()
    con.execute("SET TimeZone='UTC'")
    rel = con.from_arrow(pa.Table.from_pandas(base))
    assert EventLog.from_frame(rel).equals(ref)
    assert as_event_log(base).equals(ref)
    assert as_event_log(ref) is ref


def test_from_frame_rejects_non_frames() -> None:
    with pytest.raises(InvalidParameterError, match="not a data frame useropslib can read"):
        EventLog.from_frame([1, 2, 3])
    with pytest.raises(InvalidParameterError, match="expects a pandas DataFrame, got list"):
        EventLog.from_pandas([1, 2])  # type: ignore[arg-type]


def test_read_events_parquet_and_csv(tmp_path: pytest.TempPathFactory) -> None:
    pytest.importorskip("pyarrow")
    df = pd.DataFrame(
        {
            "user_id": ["a", "b"],
            "event": ["x", "y"],
            "timestamp": pd.to_datetime(["2024-01-01T00:00Z", "2024-01-02T00:00Z"], utc=True),
            "value": [1.0, 2.0],
        }
    )
    ref = EventLog.from_pandas(df)
    pq = tmp_path / "e.parquet"  # type: ignore[operator]
    csv = tmp_path / "e.csv"  # type: ignore[operator]
    df.to_parquet(pq)
    df.to_csv(csv, index=False)
    assert read_events(pq).equals(ref)
    assert read_events(csv).equals(ref)
    with pytest.raises(InvalidParameterError, match="No such file"):
        read_events(tmp_path / "missing.parquet")  # type: ignore[operator]
    other = tmp_path / "e.json"  # type: ignore[operator]
    other.write_text("{}")
    with pytest.raises(InvalidParameterError, match=r"Cannot tell the format .* \.parquet"):
        read_events(other)


def test_filters_share_encoding(small_df: pd.DataFrame) -> None:
    log = EventLog.from_pandas(small_df, tz="Asia/Shanghai")
    sub = log.between("2024-05-02", "2024-05-06")  # local dates, end exclusive
    assert sub.n_events == 2
    assert sub.users is log.users
    assert log.filter_events(["signup"]).n_events == 3
    assert log.filter_events("signup", exclude=True).n_events == 2
    assert log.filter_users(["u2", "nobody"]).n_events == 2
    assert log.filter_users(["u2"], exclude=True).n_users == 2
    assert log.filter_events("purchase").n_users == 1
    assert sub.as_of == log.as_of


def test_unknown_event_filter_suggests_names(small_df: pd.DataFrame) -> None:
    log = EventLog.from_pandas(small_df, tz="UTC")
    with pytest.raises(InvalidParameterError, match=r"Unknown event name\(s\) \['purchse'\].*"):
        log.filter_events(["purchse"])
    with pytest.raises(InvalidParameterError, match="did you mean 'purchase'"):
        log.filter_events(["purchse"])


def test_between_checks_order(small_df: pd.DataFrame) -> None:
    log = EventLog.from_pandas(small_df, tz="UTC")
    with pytest.raises(InvalidParameterError, match="end='2024-01-01' is before start"):
        log.between("2024-02-01", "2024-01-01")
    with pytest.raises(InvalidParameterError, match="Cannot read start='soon'"):
        log.between("soon")


def test_until_never_keeps_later_events(small_df: pd.DataFrame) -> None:
    log = EventLog.from_pandas(small_df, tz="Asia/Shanghai")
    old = log.until("2024-05-03")
    assert old.n_events == 2
    assert old.as_of_source == "given"
    assert str(old.as_of) == "2024-05-03 00:00:00+08:00"
    assert int(old.timestamps_ns.max()) <= old.as_of_ns  # type: ignore[operator]


def test_as_of_default_is_last_event_and_stated(small_df: pd.DataFrame) -> None:
    log = EventLog.from_pandas(small_df, tz="Asia/Shanghai")
    assert log.as_of == log.end
    assert log.as_of_source == "last event"
    assert "(last event)" in str(log)
    given = EventLog.from_pandas(small_df, tz="Asia/Shanghai", as_of="2024-06-01")
    assert str(given.as_of) == "2024-06-01 00:00:00+08:00"
    assert given.as_of_source == "given"


def test_to_pandas_round_trip(small_df: pd.DataFrame) -> None:
    log = EventLog.from_pandas(small_df, tz="Asia/Shanghai")
    out = log.to_pandas()
    assert list(out.columns) == ["user_id", "event", "timestamp", "value", "channel"]
    assert str(out["timestamp"].dt.tz) == "Asia/Shanghai"
    again = EventLog.from_pandas(out)
    assert again.equals(log)
    assert again == log


def test_with_tz_and_week_start(small_df: pd.DataFrame) -> None:
    log = EventLog.from_pandas(small_df, tz="Asia/Shanghai")
    assert log.with_tz("UTC").tz == "UTC"
    assert log.with_week_start("sunday").week_start == 6
    assert not log.with_tz("UTC").equals(log)
    with pytest.raises(InvalidParameterError, match="Unknown time zone 'Asia/Shanghia'"):
        log.with_tz("Asia/Shanghia")


def test_summary_and_repr(small_df: pd.DataFrame) -> None:
    log = EventLog.from_pandas(small_df, tz="Asia/Shanghai")
    text = str(log)
    assert "EventLog: 5 events, 3 users, 3 event types" in text
    assert "signup" in text
    assert repr(log).startswith("EventLog(5 events, 3 users, 3 event types, 2024-05-01 09:00:00")
    d = log.summary().to_dict()
    assert d["top_events"] == {"signup": 3, "purchase": 1, "open": 1}
    assert d["as_of_source"] == "last event"
    assert d["properties"] == ["channel"]


def test_empty_log_allowed_explicitly() -> None:
    df = pd.DataFrame({"user_id": [], "event": [], "timestamp": pd.to_datetime([], utc=True)})
    log = EventLog.from_pandas(df, allow_empty=True)
    assert log.n_events == 0
    assert log.as_of is None
    assert "empty" in repr(log)


def test_top_level_lazy_names() -> None:
    assert uo.EventLog is EventLog
    assert uo.events.EventLog is EventLog
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        _ = uo.nope  # type: ignore[attr-defined]
