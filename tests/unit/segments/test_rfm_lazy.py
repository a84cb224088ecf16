"""rfm on a lazy log: one GROUP BY user in the engine, the in-memory answer, no event rows."""

from __future__ import annotations

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
from useropslib.segments import rfm

pl = pytest.importorskip("polars")
duckdb = pytest.importorskip("duckdb")
pa = pytest.importorskip("pyarrow")

TZ = "Europe/Berlin"
OPTIONS: list[dict[str, Any]] = [
    {},
    {"as_of": "2024-03-25 10:00", "bins": 3, "segment_map": [("Best", (3, 3), (2, 3), None)]},
    {
        "purchase_event": ["purchase", "add_to_cart"],
        "method": "fixed",
        "edges": {
            "recency": [7, 14, 21, 28],
            "frequency": [1, 2, 3, 4],
            "monetary": [10, 50, 100, 200],
        },
    },
]


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    return synthetic_frame(n_users=1500, days=60, seed=2, start="2024-02-20", tz=TZ)


def _native(df: pd.DataFrame, engine: str) -> Any:
    if engine == "polars":
        return pl.from_pandas(df).lazy()
    if engine == "duckdb":
        return duckdb.from_df(df)
    return pa.Table.from_pandas(df, preserve_index=False)


def _equal(a: Any, b: Any) -> None:
    # money sums may differ in the last bit with the engine's order of addition
    pd.testing.assert_frame_equal(a.table, b.table, check_exact=False, rtol=1e-12)
    pd.testing.assert_frame_equal(a.edges, b.edges, check_exact=False, rtol=1e-12)
    pd.testing.assert_series_equal(a.counts, b.counts)
    pd.testing.assert_frame_equal(a.rules, b.rules)
    assert a.params == b.params
    assert a.as_of == b.as_of


@pytest.mark.parametrize("options", OPTIONS)
@pytest.mark.parametrize("engine", ["polars", "duckdb", "pyarrow"])
def test_rfm_in_the_engine_equals_in_memory(
    frame: pd.DataFrame, engine: str, options: dict[str, Any]
) -> None:
    native = _native(frame, engine)
    full = LazyEventLog.scan(native, tz=TZ).to_event_log()
    lazy = LazyEventLog.scan(native, tz=TZ)
    with rows_collected() as sizes:
        got = rfm(lazy, **options)
    _equal(got, rfm(full, **options))
    assert sizes == [len(got.table)]  # one row per customer
    assert len(got.table) > 0
    assert not lazy.users_read


def test_rfm_equals_the_pandas_log(frame: pd.DataFrame) -> None:
    lazy = LazyEventLog.scan(_native(frame, "duckdb"), tz=TZ)
    # text ids in pandas' own text dtype (str under pandas 3), as the engine's ids come back
    text = frame.astype({"user_id": pd.Index(["id"]).dtype})
    _equal(rfm(lazy), rfm(EventLog.from_pandas(text, tz=TZ)))


def test_rfm_lazy_errors_and_warnings(frame: pd.DataFrame) -> None:
    native = _native(frame, "polars")
    lazy = LazyEventLog.scan(native, tz=TZ)
    with (
        pytest.warns(UnknownEventWarning, match="purchse"),
        pytest.warns(InsufficientDataWarning, match="No customer"),
    ):
        none = rfm(lazy, purchase_event="purchse")
    assert none.table.empty
    with strict_events(), pytest.raises(InvalidParameterError, match="purchse"):
        rfm(lazy, purchase_event="purchse")
    with pytest.raises(InvalidParameterError, match="is before the first event of the log"):
        rfm(lazy, as_of="2020-01-01")
    no_values = LazyEventLog.scan(pl.from_pandas(frame.drop(columns="value")).lazy(), tz=TZ)
    with pytest.raises(InvalidParameterError, match="The event log has no values"):
        rfm(no_values)


def test_rfm_collect_routes_left_give_the_same_answer(frame: pd.DataFrame) -> None:
    # a property value column and purchase_event=None read the rows (documented)
    df = frame.assign(amount=np.where(frame["event"] == "purchase", 5.0, np.nan))
    native = pl.from_pandas(df).lazy()
    full = LazyEventLog.scan(native, tz=TZ, properties=["amount"]).to_event_log()
    lazy = LazyEventLog.scan(native, tz=TZ, properties=["amount"])
    _equal(rfm(lazy, value_col="amount"), rfm(full, value_col="amount"))
    _equal(rfm(lazy, purchase_event=None), rfm(full, purchase_event=None))
