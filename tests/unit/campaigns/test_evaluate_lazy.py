"""evaluate() on a LazyEventLog gives the answer of the in-memory log (Polars and DuckDB)."""

from __future__ import annotations

import pandas as pd
import pytest

from useropslib.campaigns import evaluate
from useropslib.datasets import synthetic_campaign
from useropslib.events import LazyEventLog
from useropslib.exceptions import InvalidParameterError


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
    lazy = LazyEventLog.scan(
        native, properties=["variant", "channel", "campaign"], tz="Asia/Shanghai"
    )
    eager = evaluate(data.campaign, data.log)
    got = evaluate(data.campaign, lazy)
    cols = ["n_control", "n_treatment", "estimate", "ci_low", "ci_high", "p_value"]
    pd.testing.assert_frame_equal(got.table[cols], eager.table[cols], rtol=1e-9)
    pd.testing.assert_series_equal(got.economics, eager.economics, rtol=1e-9)


def _native(frame: pd.DataFrame, engine: str) -> object:
    if engine == "polars":
        pl = pytest.importorskip("polars")
        return pl.from_pandas(frame).lazy()
    if engine == "pyspark":
        pytest.importorskip("pyspark")
        from pyspark.sql import SparkSession

        spark = SparkSession.builder.master("local[1]").getOrCreate()
        spark.conf.set("spark.sql.session.timeZone", "UTC")
        # Spark keeps microseconds: give it the times it can hold
        return spark.createDataFrame(frame.assign(timestamp=frame["timestamp"].dt.floor("us")))
    duckdb = pytest.importorskip("duckdb")
    con = duckdb.connect()
    con.execute("SET TimeZone='UTC'")
    return con.from_df(frame)


@pytest.mark.parametrize("engine", ["polars", "duckdb", "pyspark"])
@pytest.mark.parametrize("control", ["holdout", "exposure"])
def test_engine_group_by_collects_users_sized(
    engine: str, control: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import useropslib.events._lazy as lazy_mod

    data = synthetic_campaign(n_users=3000, lift=0.3, seed=4, control=control)
    frame = data.log.to_pandas()
    frame["timestamp"] = frame["timestamp"].dt.tz_convert("UTC")
    props = [c for c in ("variant", "channel", "campaign") if c in frame.columns]
    lazy = LazyEventLog.scan(_native(frame, engine), properties=props, tz="Asia/Shanghai")
    sizes: list[int] = []
    real = lazy_mod.collect_native

    def counting(frame: object) -> object:
        got = real(frame)
        sizes.append(len(got))
        return got

    monkeypatch.setattr(lazy_mod, "collect_native", counting)
    got = evaluate(data.campaign, lazy)
    monkeypatch.undo()
    eager = evaluate(data.campaign, data.log)
    cols = ["n_control", "n_treatment", "estimate", "ci_low", "ci_high", "p_value", "cuped"]
    pd.testing.assert_frame_equal(got.table[cols], eager.table[cols], rtol=1e-9)
    pd.testing.assert_series_equal(got.economics, eager.economics, rtol=1e-9)
    pd.testing.assert_frame_equal(got.arms, eager.arms, rtol=1e-9)
    expo = getattr(data.campaign.control, "event", None)
    n_exposures = int((frame["event"] == expo).sum()) if control == "exposure" else 0
    assert sizes, "nothing was collected"
    # every collection is at most one row per user (or the exposure events themselves)
    assert max(sizes) <= max(lazy.n_users, n_exposures) < lazy.n_events
    assert sum(sizes) <= lazy.n_users + n_exposures, sizes


def test_user_totals_messages() -> None:
    duckdb = pytest.importorskip("duckdb")
    rel = duckdb.sql(
        "SELECT 'u' || (i % 3) AS user_id, CASE WHEN i % 2 = 0 THEN 'open' ELSE 'buy' END "
        "AS event, TIMESTAMPTZ '2024-01-01 00:00:00+00' + i * INTERVAL 2 HOUR AS timestamp "
        "FROM range(12) t(i)"
    )
    lazy = LazyEventLog.scan(rel, tz="UTC")
    with pytest.raises(InvalidParameterError, match="no column asked for"):
        lazy.user_totals({})
    with pytest.raises(InvalidParameterError, match="expected 'count' or 'sum'"):
        lazy.user_totals({"x": ("buy", None, None, "mean")})  # type: ignore[dict-item]
    with pytest.raises(InvalidParameterError, match="no value column"):
        lazy.user_totals({"x": ("buy", None, None, "sum")})
    with pytest.raises(InvalidParameterError, match="reserved for the user key"):
        lazy.user_totals({"uh": ("buy", None, None, "count")})
    got = lazy.user_totals({"late": ("buy", "2024-01-01 20:00+00", None, "count")})
    # buys at hours 1, 3, ..., 21: after 20:00 only hour 21 (i = 11, user u2)
    assert got.to_dict() == {"late": {"u2": 1.0}}


def test_holdout_over_an_audience_on_duckdb() -> None:
    from useropslib.models import BehaviourCondition, Segment

    data = synthetic_campaign(n_users=3000, lift=0.3, seed=4, control="holdout")
    audience = Segment(
        name="bought_before",
        condition=BehaviourCondition(
            event="purchase", comparison="at_least", times=1, window="28D"
        ),
    )
    campaign = data.campaign.model_copy(update={"audience": audience})
    frame = data.log.to_pandas()
    frame["timestamp"] = frame["timestamp"].dt.tz_convert("UTC")
    props = [c for c in ("channel", "campaign") if c in frame.columns]
    lazy = LazyEventLog.scan(_native(frame, "duckdb"), properties=props, tz="Asia/Shanghai")
    got = evaluate(campaign, lazy)
    eager = evaluate(campaign, data.log)
    cols = ["n_control", "n_treatment", "estimate", "ci_low", "ci_high", "p_value", "cuped"]
    pd.testing.assert_frame_equal(got.table[cols], eager.table[cols], rtol=1e-9)
    assert int(got.table["n_control"].iloc[0] + got.table["n_treatment"].iloc[0]) < 3000
