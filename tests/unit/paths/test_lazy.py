"""Sessions and transitions of a lazy log (window functions in the engine) equal eager ones."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pandas as pd
import pytest

from useropslib.datasets import synthetic_frame
from useropslib.events import EventLog, LazyEventLog, strict_events
from useropslib.exceptions import InvalidParameterError
from useropslib.paths import sessions, transitions

pl = pytest.importorskip("polars")
duckdb = pytest.importorskip("duckdb")


@pytest.fixture(autouse=True)
def _strict() -> Iterator[None]:
    """Unknown event names raise here, so the messages below stay pinned."""
    with strict_events():
        yield


@pytest.fixture(scope="module")
def df() -> pd.DataFrame:
    return synthetic_frame(n_users=120, days=20, seed=4)


def _lazy(df: pd.DataFrame, engine: str) -> Any:
    native = pl.from_pandas(df).lazy() if engine == "polars" else duckdb.from_df(df)
    return LazyEventLog.scan(native, tz="Asia/Shanghai")


def _same(a: pd.DataFrame, b: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(a.drop(columns="mean_time"), b.drop(columns="mean_time"))
    assert (abs(a["mean_time"] - b["mean_time"]).dropna() <= pd.Timedelta("1us")).all()
    assert a["mean_time"].isna().tolist() == b["mean_time"].isna().tolist()


@pytest.mark.parametrize("engine", ["polars", "duckdb"])
@pytest.mark.parametrize("split", [">=", ">"])
def test_sessions_equal(df: pd.DataFrame, engine: str, split: str) -> None:
    log = EventLog.from_pandas(df, tz="Asia/Shanghai")
    lazy = _lazy(df, engine)
    for kwargs in ({}, {"timeout": "10min"}, {"start_event": "app_open"}, {"as_of": "2024-01-10"}):
        a = sessions(log, split=split, **kwargs)  # type: ignore[arg-type]
        b = sessions(lazy, split=split, **kwargs)  # type: ignore[arg-type]
        # engines hand ids back as object text, pandas 3 keeps its str dtype: compare values
        pd.testing.assert_frame_equal(a.table, b.table, check_dtype=False)
        assert a.as_of == b.as_of


@pytest.mark.parametrize("engine", ["polars", "duckdb"])
@pytest.mark.parametrize("within", ["user", "session"])
@pytest.mark.parametrize("count", ["occurrences", "paths", "users"])
def test_transitions_equal(df: pd.DataFrame, engine: str, within: str, count: str) -> None:
    log = EventLog.from_pandas(df, tz="Asia/Shanghai")
    lazy = _lazy(df, engine)
    for kwargs in (
        {},
        {"markers": True, "collapse": "first"},
        {"collapse": "last", "exclude": ["app_open"]},
        {"include": ["view_item", "add_to_cart", "purchase"], "min_weight": 2},
        {"as_of": "2024-01-10", "timeout": "5min"},
    ):
        a = transitions(log, within=within, count=count, **kwargs)  # type: ignore[arg-type]
        b = transitions(lazy, within=within, count=count, **kwargs)  # type: ignore[arg-type]
        _same(a.table, b.table)
        assert a.labels == b.labels
        assert a.n_paths == b.n_paths


def test_lazy_errors_match_eager(df: pd.DataFrame) -> None:
    lazy = _lazy(df, "duckdb")
    with pytest.raises(InvalidParameterError, match=r"Unknown event name.*'purchse'"):
        transitions(lazy, exclude=["purchse"])
    with pytest.raises(InvalidParameterError, match=r"Invalid session timeout '0min'"):
        sessions(lazy, timeout="0min")
    # options the engine does not run collect the rows and still answer
    log = EventLog.from_pandas(df, tz="Asia/Shanghai")
    a = transitions(lazy, group={"message_*": "message"}).table
    pd.testing.assert_frame_equal(a, transitions(log, group={"message_*": "message"}).table)


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_pyspark_sessions_and_transitions(spark: Any, df: pd.DataFrame) -> None:
    d = df.drop(columns="channel")
    d["timestamp"] = d["timestamp"].dt.tz_convert("UTC")
    lazy = LazyEventLog.scan(spark.createDataFrame(d), tz="Asia/Shanghai")
    log = EventLog.from_pandas(d, tz="Asia/Shanghai")
    pd.testing.assert_frame_equal(sessions(log).table, sessions(lazy).table)
    _same(
        transitions(log, within="session", count="paths").table,
        transitions(lazy, within="session", count="paths").table,
    )
