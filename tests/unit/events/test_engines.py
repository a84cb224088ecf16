"""EventLog.from_frame encodes DuckDB, Polars, pyarrow and PySpark frames in their own engine.

Every engine-built log must equal the log built from the same data through pandas.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from useropslib.events import EventLog, LazyEventLog, read_events
from useropslib.exceptions import EventSchemaError, InvalidParameterError

pl = pytest.importorskip("polars")
pa = pytest.importorskip("pyarrow")
duckdb = pytest.importorskip("duckdb")


def _duck(df: pd.DataFrame) -> Any:
    con = duckdb.connect()
    con.execute("SET TimeZone='UTC'")
    return con.from_arrow(pa.Table.from_pandas(df, preserve_index=False))


BACKENDS: dict[str, Callable[[pd.DataFrame], Any]] = {
    "polars": pl.from_pandas,
    "polars_lazy": lambda df: pl.from_pandas(df).lazy(),
    "pyarrow": lambda df: pa.Table.from_pandas(df, preserve_index=False),
    "duckdb": _duck,
}
ROW_ORDERED = ("polars", "polars_lazy", "pyarrow")


def _zone(backend: str) -> str:
    """Zone an aware input column carries: DuckDB TIMESTAMPTZ has only the session's zone."""
    return "UTC" if backend == "duckdb" else "Europe/Berlin"


@pytest.fixture(params=list(BACKENDS))
def backend(request: pytest.FixtureRequest) -> str:
    name: str = request.param
    return name


def _aware() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "user_id": ["u1", "u2", "u1", "u3", "u2"],
            "event": ["signup", "signup", "purchase", "open", "purchase"],
            "timestamp": pd.to_datetime(
                [
                    "2024-03-30T23:30Z",
                    "2024-03-31T00:30Z",
                    "2024-03-31T01:30Z",
                    "2024-04-01T12:00Z",
                    "2024-04-02T08:00Z",
                ],
                utc=True,
            ).tz_convert("Europe/Berlin"),
            "value": [np.nan, np.nan, 19.9, np.nan, 5.0],
            "channel": ["ads", "seo", "ads", None, "seo"],
        }
    )


def _naive() -> pd.DataFrame:
    df = _aware()
    df["timestamp"] = pd.to_datetime(
        [
            "2024-03-09 23:30",
            "2024-03-10 01:59",
            "2024-03-10 03:00",  # after the New York spring-forward gap
            "2024-11-03 00:30",
            "2024-11-04 08:00",
        ]
    )
    return df


def test_aware_times_values_and_properties_equal_pandas(backend: str) -> None:
    df = _aware()
    frame = BACKENDS[backend](df)
    ref = EventLog.from_pandas(df.drop(columns="channel")).with_tz(_zone(backend))
    got = EventLog.from_frame(frame)
    assert got.equals(ref)
    assert got.tz == _zone(backend)
    assert got.property_names == ()  # engine frames keep no property unless named
    ref_p = EventLog.from_pandas(df, properties=["channel"], tz="Asia/Shanghai")
    got_p = EventLog.from_frame(frame, properties=["channel"], tz="Asia/Shanghai")
    assert got_p.equals(ref_p)
    assert got_p.property_names == ("channel",)


def test_naive_times_with_tz_equal_pandas(backend: str) -> None:
    df = _naive()
    ref = EventLog.from_pandas(df, tz="America/New_York", value_col=None, properties=[])
    got = EventLog.from_frame(BACKENDS[backend](df), tz="America/New_York", value_col=None)
    assert got.equals(ref)
    assert got.values is None


def test_as_of_identities_and_week_start_equal_pandas(backend: str) -> None:
    df = _aware().drop(columns="channel")
    links = pd.DataFrame({"anonymous_id": ["u3"], "user_id": ["u1"]})
    opts: dict[str, Any] = {
        "as_of": "2024-04-03",
        "identities": links,
        "week_start": "sunday",
        "tz": "UTC",
    }
    ref = EventLog.from_pandas(df, **opts)
    got = EventLog.from_frame(BACKENDS[backend](df), **opts)
    assert got.equals(ref)
    assert got.n_users == 2
    assert got.as_of_source == "given"
    assert got.summary().identities_merged == 1


def test_integer_ids_and_epoch_times_equal_pandas(backend: str) -> None:
    df = pd.DataFrame(
        {
            "uid": np.array([7, 8, 7, 9], dtype=np.int64),
            "name": ["a", "b", "a", "a"],
            "ts": np.array([1_700_000_000, 1_700_000_100, 1_700_086_400, 1_700_200_000]),
            "amount": np.array([1, 2, 3, 4], dtype=np.int64),
        }
    )
    opts: dict[str, Any] = {
        "user_col": "uid",
        "event_col": "name",
        "time_col": "ts",
        "value_col": "amount",
        "time_unit": "s",
    }
    ref = EventLog.from_pandas(df, **opts)
    got = EventLog.from_frame(BACKENDS[backend](df), **opts)
    assert got.equals(ref)
    assert got.values is not None
    assert got.values.tolist() == [1.0, 2.0, 3.0, 4.0] or sorted(got.values) == [1, 2, 3, 4]


def test_text_times_fall_back_to_the_pandas_checks(backend: str) -> None:
    df = pd.DataFrame(
        {
            "user_id": ["a", "b"],
            "event": ["x", "y"],
            "timestamp": ["2024-01-01T10:00+08:00", "2024-01-02T10:00+08:00"],
            "extra": [1, 2],
        }
    )
    got = EventLog.from_frame(BACKENDS[backend](df))
    assert got.equals(EventLog.from_pandas(df, properties=[]))


def _bad() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "user_id": ["a", None, "a", " ", "b"],
            "event": ["x", "y", "y", None, ""],
            "timestamp": pd.to_datetime(
                [
                    "2024-01-01T00:00Z",
                    "2024-01-02T00:00Z",
                    None,
                    "2024-01-03T00:00Z",
                    "2024-01-05T00:00Z",
                ],
                utc=True,
            ),
            "value": [1.0, np.inf, None, np.nan, 2.0],
        }
    )


def test_bad_rows_raise_the_same_error_as_pandas(backend: str) -> None:
    df = _bad()
    with pytest.raises(EventSchemaError) as want:
        EventLog.from_pandas(df, as_of="2024-01-04")
    with pytest.raises(EventSchemaError, match=r"7 problem\(s\) in 7 check\(s\)") as got:
        EventLog.from_frame(BACKENDS[backend](df), as_of="2024-01-04")
    fc_want, fc_got = want.value.failure_cases, got.value.failure_cases
    assert fc_want is not None
    assert fc_got is not None
    cols = ["column", "check", "value"]
    assert fc_got[cols].equals(fc_want[cols])
    if backend in ROW_ORDERED:
        assert fc_got["row"].tolist() == fc_want["row"].tolist()
        assert str(got.value).splitlines()[:-1] == str(want.value).splitlines()[:-1]
    else:
        assert fc_got["row"].isna().all()  # SQL engines have no row order


def test_failure_cases_are_limited_but_counts_exact() -> None:
    n = 2500
    df = pd.DataFrame(
        {
            "user_id": [None] * n,
            "event": ["x"] * n,
            "timestamp": pd.Timestamp("2024-01-01", tz="UTC"),
        }
    )
    with pytest.raises(EventSchemaError, match=r"null_user_id in column 'user_id': 2500 row") as e:
        EventLog.from_frame(pl.from_pandas(df))
    assert e.value.failure_cases is not None
    assert len(e.value.failure_cases) == 1000


def test_naive_times_without_tz_raise(backend: str) -> None:
    with pytest.raises(EventSchemaError, match=r"naive_timestamp.*\n.*Hint: pass tz="):
        EventLog.from_frame(BACKENDS[backend](_naive()))


def test_integer_times_without_unit_fall_back_and_raise(backend: str) -> None:
    df = pd.DataFrame({"user_id": ["a"], "event": ["x"], "timestamp": [1_700_000_000]})
    with pytest.raises(EventSchemaError, match=r"numeric_timestamp.*\n.*Hint: pass time_unit="):
        EventLog.from_frame(BACKENDS[backend](df))


@pytest.mark.parametrize(
    ("local", "check"),
    [("2024-03-10 02:30", "nonexistent_local_time"), ("2024-11-03 01:30", "ambiguous_local_time")],
)
def test_dst_problems_of_naive_times_raise(backend: str, local: str, check: str) -> None:
    df = pd.DataFrame(
        {
            "user_id": ["a", "b"],
            "event": ["x", "x"],
            "timestamp": pd.to_datetime(["2024-03-01 10:00", local]),
        }
    )
    with pytest.raises(EventSchemaError, match=f"{check} in column 'timestamp': 1 row") as e:
        EventLog.from_frame(BACKENDS[backend](df), tz="America/New_York")
    assert e.value.failure_cases is not None
    assert e.value.failure_cases["value"].tolist() == [f"{local}:00"]
    if backend in ROW_ORDERED:
        assert e.value.failure_cases["row"].tolist() == [1]


def test_naive_times_after_as_of_raise(backend: str) -> None:
    with pytest.raises(EventSchemaError, match="after_as_of in column 'timestamp': 1 row"):
        EventLog.from_frame(BACKENDS[backend](_naive()), tz="America/New_York", as_of="2024-11-04")


def test_empty_frames(backend: str) -> None:
    df = _aware().iloc[:0]
    with pytest.raises(EventSchemaError, match="empty_log"):
        EventLog.from_frame(BACKENDS[backend](df))
    log = EventLog.from_frame(BACKENDS[backend](df), allow_empty=True)
    assert log.n_events == 0
    assert log.tz == _zone(backend)


def test_missing_columns_and_bad_options(backend: str) -> None:
    frame = BACKENDS[backend](_aware())
    with pytest.raises(EventSchemaError, match=r"missing column\(s\) \['ts'\].*pass time_col="):
        EventLog.from_frame(frame, time_col="ts")
    with pytest.raises(EventSchemaError, match=r"missing column\(s\) \['nope'\]"):
        EventLog.from_frame(frame, properties=["nope"])
    with pytest.raises(InvalidParameterError, match="Invalid time_unit='h'"):
        EventLog.from_frame(frame, time_unit="h")  # type: ignore[arg-type]
    with pytest.raises(InvalidParameterError, match="Unknown time zone 'Asia/Shanghi'"):
        EventLog.from_frame(frame, tz="Asia/Shanghi")


def test_duplicates_and_anonymous_ids_use_the_pandas_checks(backend: str) -> None:
    df = pd.concat([_aware(), _aware().iloc[:1]], ignore_index=True).drop(columns="channel")
    ref = EventLog.from_pandas(df, duplicates="drop", tz="UTC")
    got = EventLog.from_frame(BACKENDS[backend](df), duplicates="drop", tz="UTC")
    assert got.equals(ref)
    assert got.summary().duplicates_dropped == 1


@pytest.fixture
def parquet_file(tmp_path: Path) -> Path:
    path = tmp_path / "events.parquet"
    _aware().to_parquet(path)
    return path


@pytest.mark.parametrize("engine", ["duckdb", "polars"])
def test_read_events_in_engine(parquet_file: Path, engine: str) -> None:
    ref = read_events(parquet_file, properties=["channel"], tz="UTC")
    got = read_events(
        parquet_file,
        engine=engine,  # type: ignore[arg-type]
        properties=["channel"],
        tz="UTC",
    )
    assert got.equals(ref)
    plain = read_events(parquet_file, engine=engine)  # type: ignore[arg-type]
    assert plain.property_names == ()
    assert plain.tz == "Europe/Berlin"  # the file's zone, as with engine="pandas"


def test_read_events_engine_errors(parquet_file: Path, tmp_path: Path) -> None:
    with pytest.raises(InvalidParameterError, match="Invalid engine='spark'"):
        read_events(parquet_file, engine="spark")  # type: ignore[arg-type]
    csv = tmp_path / "events.csv"
    _aware().to_csv(csv, index=False)
    with pytest.raises(InvalidParameterError, match="reads Parquet files only"):
        read_events(csv, engine="duckdb")


# ---------------------------------------------------------------------------- differential
_ROWS = st.lists(
    st.tuples(
        st.sampled_from(["a", "b", "c", "d"]),
        st.sampled_from(["open", "buy", "view"]),
        st.integers(0, 400 * 24 * 3600),
        st.one_of(st.none(), st.floats(-1e6, 1e6)),
    ),
    min_size=1,
    max_size=25,
)


@settings(max_examples=25, deadline=None, derandomize=True)
@given(
    rows=_ROWS,
    tz=st.sampled_from(["UTC", "Asia/Shanghai", "America/New_York"]),
    naive=st.booleans(),
)
def test_engines_equal_pandas_on_random_frames(
    rows: list[tuple[str, str, int, float | None]], tz: str, naive: bool
) -> None:
    users, events, secs, values = zip(*rows, strict=True)
    times = pd.to_datetime(np.array(secs, dtype=np.int64) + 1_700_000_000, unit="s", utc=True)
    df = pd.DataFrame(
        {
            "user_id": list(users),
            "event": list(events),
            "timestamp": times.tz_localize(None) if naive else times.tz_convert(tz),
            "value": pd.array(values, dtype="Float64").to_numpy(dtype=float, na_value=np.nan),
        }
    )
    try:
        ref: EventLog | str = EventLog.from_pandas(df, tz=tz)
    except EventSchemaError as exc:  # DST gaps / repeats in the naive case
        ref = str(exc).splitlines()[1]
    for make in (BACKENDS["duckdb"], BACKENDS["polars_lazy"]):
        if isinstance(ref, str):
            with pytest.raises(EventSchemaError) as err:
                EventLog.from_frame(make(df), tz=tz)
            assert str(err.value).splitlines()[1].split(",")[0] == ref.split(",")[0]
        else:
            assert EventLog.from_frame(make(df), tz=tz).equals(ref)


# ---------------------------------------------------------------------------- PySpark
@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_pyspark_equals_pandas(spark: Any) -> None:
    df = _aware().drop(columns="channel")
    df["timestamp"] = df["timestamp"].dt.tz_convert("UTC")
    sdf = spark.createDataFrame(pa.Table.from_pandas(df, preserve_index=False).to_pandas())
    got = EventLog.from_frame(sdf, tz="Europe/Berlin")
    assert got.equals(EventLog.from_pandas(df, tz="Europe/Berlin"))
    naive = _naive().drop(columns="channel")
    from pyspark.sql import functions as sf

    sdf_naive = spark.createDataFrame(naive).withColumn(
        "timestamp", sf.col("timestamp").cast("timestamp_ntz")
    )
    got_naive = EventLog.from_frame(sdf_naive, tz="America/New_York")
    assert got_naive.equals(EventLog.from_pandas(naive, tz="America/New_York"))
    with pytest.raises(EventSchemaError, match="null_user_id in column 'user_id': 1 row"):
        EventLog.from_frame(spark.createDataFrame(_bad()))


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_pyspark_lazy_log_reduces_in_spark(spark: Any) -> None:
    from useropslib import metrics
    from useropslib.datasets import ONBOARDING_STEPS, synthetic_frame

    df = synthetic_frame(n_users=60, days=40, seed=3, start="2024-03-01", tz="Europe/Berlin")
    df = df.drop(columns="channel")
    df["timestamp"] = df["timestamp"].dt.tz_convert("UTC")
    sdf = spark.createDataFrame(df)
    lazy = LazyEventLog.scan(sdf, tz="Europe/Berlin")
    full = EventLog.from_pandas(df, tz="Europe/Berlin")
    assert lazy.n_events == full.n_events
    assert metrics.active_users(lazy).equals(metrics.active_users(full))
    week = metrics.retention(lazy, period="week", periods=4).to_frame()
    pd.testing.assert_frame_equal(
        week, metrics.retention(full, period="week", periods=4).to_frame()
    )
    got = metrics.funnel(lazy, ONBOARDING_STEPS[:3], window="1D").table
    pd.testing.assert_frame_equal(
        got, metrics.funnel(full, ONBOARDING_STEPS[:3], window="1D").table
    )
    assert lazy.rollup("day").n_events < lazy.n_events
    assert lazy._hashes is not None  # user ids travel as Spark's xxhash64
