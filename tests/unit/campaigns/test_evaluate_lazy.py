"""evaluate() on a LazyEventLog gives the answer of the in-memory log (Polars and DuckDB)."""

from __future__ import annotations

import pandas as pd
import pytest

from useropslib.campaigns import evaluate
from useropslib.datasets import synthetic_campaign
from useropslib.events import EventLog


@pytest.mark.parametrize("engine", ["polars", "duckdb"])
def test_lazy_equals_eager(engine: str) -> None:
    data = synthetic_campaign(n_users=2000, lift=0.3, seed=8)
    frame = data.log.to_pandas()
    frame["timestamp"] = frame["timestamp"].dt.tz_convert("UTC")
    if engine == "polars":
        pl = pytest.importorskip("polars")
        native = pl.from_pandas(frame).lazy()
    else:
        duckdb = pytest.importorskip("duckdb")
        con = duckdb.connect()
        con.execute("SET TimeZone='UTC'")
        native = con.from_df(frame)
    lazy = EventLog.scan(native, properties=["variant", "channel", "campaign"], tz="Asia/Shanghai")
    eager = evaluate(data.campaign, data.log)
    got = evaluate(data.campaign, lazy)
    cols = ["n_control", "n_treatment", "estimate", "ci_low", "ci_high", "p_value"]
    pd.testing.assert_frame_equal(got.table[cols], eager.table[cols], rtol=1e-9)
    pd.testing.assert_series_equal(got.economics, eager.economics, rtol=1e-9)
