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


def _exact(got: object, eager: object) -> None:
    """Integer statistics equal exactly; sums of money values up to summation order."""
    cols = ["n_control", "n_treatment", "control_mean", "treatment_mean", "estimate", "ci_low"]
    cols += ["ci_high", "p_value", "p_adjusted", "cuped", "chance_to_win", "risk_control"]
    pd.testing.assert_frame_equal(got.table[cols], eager.table[cols], rtol=1e-12)  # type: ignore[attr-defined]
    pd.testing.assert_series_equal(got.economics, eager.economics, rtol=1e-12)  # type: ignore[attr-defined]
    pd.testing.assert_frame_equal(got.arms, eager.arms, rtol=1e-12)  # type: ignore[attr-defined]
    assert got.arms["n"].tolist() == eager.arms["n"].tolist()  # type: ignore[attr-defined]
    assert got.params == eager.params  # type: ignore[attr-defined]


@pytest.mark.parametrize("engine", ["polars", "duckdb", "pyspark"])
@pytest.mark.parametrize("control", ["holdout", "exposure"])
def test_engine_evaluate_collects_arms_or_units_sized(engine: str, control: str) -> None:
    from useropslib.events._engine import rows_collected

    data = synthetic_campaign(n_users=3000, lift=0.3, seed=4, control=control)
    frame = data.log.to_pandas()
    frame["timestamp"] = frame["timestamp"].dt.tz_convert("UTC")
    props = [c for c in ("variant", "channel", "campaign") if c in frame.columns]
    native = _native(frame, engine)
    with rows_collected() as scanned:
        lazy = LazyEventLog.scan(native, properties=props, tz="Asia/Shanghai")
    # the scan: one aggregate query, one row per event name (and none for the users)
    assert scanned == [frame["event"].nunique()]
    with rows_collected() as sizes:
        got = evaluate(data.campaign, lazy)
    assert not lazy.users_read  # evaluate never reads the user vocabulary
    eager = evaluate(data.campaign, data.log)
    _exact(got, eager)
    n_units = int(eager.arms["n"].sum())
    if control == "exposure":
        # arms assigned in the engine: one query, one row per (arm, overlap)
        assert len(sizes) == 1, sizes
        assert sizes[0] <= 4, sizes
    else:
        # the units' ids (one column), then the per-arm sums of the arm table joined there
        assert sizes[0] == n_units <= lazy.n_users, sizes
        assert len(sizes) == 2, sizes
        assert sizes[1] <= 2, sizes


@pytest.mark.parametrize("overlap", ["first", "drop"])
def test_engine_exposure_overlap_equals_in_memory(overlap: str) -> None:
    duckdb = pytest.importorskip("duckdb")
    data = synthetic_campaign(n_users=1500, lift=0.3, seed=3, control="exposure")
    frame = data.log.to_pandas()
    frame["timestamp"] = frame["timestamp"].dt.tz_convert("UTC")
    expo = frame[frame["event"] == "campaign_exposure"].head(40).copy()
    # 40 users see the other arm one hour after their first exposure
    expo["variant"] = expo["variant"].map({"control": "treatment", "treatment": "control"})
    expo["timestamp"] = expo["timestamp"] + pd.Timedelta(hours=1)
    both = pd.concat([frame, expo], ignore_index=True)
    con = duckdb.connect()
    con.execute("SET TimeZone='UTC'")
    lazy = LazyEventLog.scan(
        con.from_df(both), properties=["variant", "channel", "campaign"], tz="Asia/Shanghai"
    )
    log = lazy.to_event_log()
    with pytest.raises(InvalidParameterError, match="40 users were exposed to both"):
        evaluate(
            data.campaign,
            LazyEventLog.scan(con.from_df(both), properties=["variant"], tz="Asia/Shanghai"),
        )
    _exact(
        evaluate(data.campaign, lazy, overlap=overlap),
        evaluate(data.campaign, log, overlap=overlap),
    )  # type: ignore[arg-type]


def test_engine_evaluate_errors_are_the_in_memory_ones() -> None:
    duckdb = pytest.importorskip("duckdb")
    data = synthetic_campaign(n_users=800, lift=0.3, seed=3, control="exposure")
    frame = data.log.to_pandas()
    frame["timestamp"] = frame["timestamp"].dt.tz_convert("UTC")
    con = duckdb.connect()
    con.execute("SET TimeZone='UTC'")
    lazy = LazyEventLog.scan(con.from_df(frame), properties=["channel"], tz="Asia/Shanghai")
    with pytest.raises(InvalidParameterError, match=r"property 'variant' was not scanned"):
        evaluate(data.campaign, lazy)
    wrong = data.campaign.model_copy(
        update={"control": data.campaign.control.model_copy(update={"event": "campaign_exposur"})}  # type: ignore[union-attr]
    )
    with pytest.raises(InvalidParameterError, match="Did you mean 'campaign_exposure'"):
        evaluate(wrong, lazy)


def test_arm_totals_messages() -> None:
    duckdb = pytest.importorskip("duckdb")
    rel = duckdb.sql(
        "SELECT 'u' || (i % 4) AS user_id, CASE WHEN i % 3 = 0 THEN 'buy' ELSE 'open' END "
        "AS event, TIMESTAMPTZ '2024-01-01 00:00:00+00' + i * INTERVAL 1 HOUR AS timestamp "
        "FROM range(12) t(i)"
    )
    lazy = LazyEventLog.scan(rel, tz="UTC")
    arms = pd.Series(["a", "a", "b", "b"], index=["u0", "u1", "u2", "u3"])
    buys = {"buys": ("buy", None, None, "any")}
    with pytest.raises(InvalidParameterError, match=r"either arms= .* or exposure="):
        lazy.arm_totals(buys, arms=arms, exposure=("buy", "x", ["a"]))  # type: ignore[arg-type]
    with pytest.raises(InvalidParameterError, match="either arms="):
        lazy.arm_totals(buys)  # type: ignore[arg-type]
    with pytest.raises(InvalidParameterError, match="no column asked for"):
        lazy.arm_totals({}, arms=arms)
    with pytest.raises(InvalidParameterError, match="expected 'count', 'sum' or 'any'"):
        lazy.arm_totals({"x": ("buy", None, None, "mean")}, arms=arms)  # type: ignore[dict-item]
    with pytest.raises(InvalidParameterError, match="products name the column 'nope'"):
        lazy.arm_totals(buys, arms=arms, products=[("buys", "nope")])  # type: ignore[arg-type]
    with pytest.raises(InvalidParameterError, match="extremes name the column 'nope'"):
        lazy.arm_totals(buys, arms=arms, extremes=["nope"])  # type: ignore[arg-type]
    with pytest.raises(InvalidParameterError, match="more than once"):
        lazy.arm_totals(buys, arms=pd.Series(["a", "b"], index=["u0", "u0"]))  # type: ignore[arg-type]
    with pytest.raises(InvalidParameterError, match="have no arm"):
        lazy.arm_totals(buys, arms=pd.Series(["a", None], index=["u0", "u1"]))  # type: ignore[arg-type]
    with pytest.raises(InvalidParameterError, match="all be text or all be integers"):
        lazy.arm_totals(buys, arms=pd.Series(["a", "b"], index=["u0", 5]))  # type: ignore[arg-type]
    with pytest.raises(InvalidParameterError, match="must be a pandas Series"):
        lazy.arm_totals(buys, arms={"u0": "a"})  # type: ignore[arg-type]
    # by hand: buys at hours 0, 3, 6, 9 -> users u0, u3, u2, u1 (one each); u9 has no row
    got = lazy.arm_totals(
        {
            "buys": ("buy", None, None, "count"),
            "late": (None, "2024-01-01 08:00+00", None, "count"),
        },
        arms=pd.Series(["a", "a", "b", "b", "b"], index=["u0", "u1", "u2", "u3", "u9"]),
        products=[("buys", "late")],
    )
    # late rows (hours 8..11): u0 (8), u1 (9), u2 (10), u3 (11)
    assert got["n"].tolist() == [2, 3]
    assert got["sum(buys)"].tolist() == [2.0, 2.0]
    assert got["sum(late^2)"].tolist() == [2.0, 2.0]
    assert got["sum(buys*late)"].tolist() == [2.0, 2.0]
    assert got["min(buys)"].tolist() == [1.0, 0.0]  # u9 counts as 0
    only = lazy.arm_totals({"buys": ("buy", None, None, "any")}, arms=arms, extremes=[])
    assert list(only.columns) == ["n", "sum(buys)", "sum(buys^2)"]
    assert not lazy.users_read


def test_user_ids_reads_one_column() -> None:
    from useropslib.events._engine import rows_collected

    duckdb = pytest.importorskip("duckdb")
    rel = duckdb.sql(
        "SELECT 'u' || (i % 3) AS user_id, 'open' AS event, TIMESTAMPTZ "
        "'2024-01-01 00:00:00+00' + i * INTERVAL 1 HOUR AS timestamp FROM range(6) t(i)"
    )
    lazy = LazyEventLog.scan(rel, tz="UTC")
    with rows_collected() as sizes:
        ids = lazy.user_ids("open", start="2024-01-01 01:00+00", end="2024-01-01 02:00+00")
    assert sorted(ids) == ["u1", "u2"]
    assert sizes == [2]
    assert not lazy.users_read


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


@pytest.mark.parametrize("where", ["memory", "duckdb"])
def test_no_exposure_yet_is_the_same_typed_error(where: str) -> None:
    from useropslib.exceptions import InsufficientDataError

    data = synthetic_campaign(n_users=600, lift=0.3, seed=4, control="exposure")
    events: object = data.log
    if where == "duckdb":
        frame = data.log.to_pandas()
        frame["timestamp"] = frame["timestamp"].dt.tz_convert("UTC")
        events = LazyEventLog.scan(
            _native(frame, "duckdb"), properties=["variant"], tz="Asia/Shanghai"
        )
    as_of = data.truth["launch"] + pd.Timedelta(seconds=1)  # nobody exposed yet
    with pytest.raises(InsufficientDataError, match=r"treatment arm has 0 users"):
        evaluate(data.campaign, events, as_of=as_of)  # type: ignore[arg-type]


def test_arm_table_on_a_duckdb_connection_without_replacement_scans() -> None:
    duckdb = pytest.importorskip("duckdb")
    con = duckdb.connect()
    con.execute("SET python_enable_replacements=false")
    rel = con.sql(
        "SELECT 'u' || (i % 4) AS user_id, 'buy' AS event, TIMESTAMPTZ "
        "'2024-01-01 00:00:00+00' + i * INTERVAL 1 HOUR AS timestamp FROM range(12) t(i)"
    )
    lazy = LazyEventLog.scan(rel, tz="UTC")
    with pytest.raises(InvalidParameterError, match="SET python_enable_replacements=true"):
        lazy.arm_totals(
            {"b": ("buy", None, None, "count")}, arms=pd.Series(["a", "b"], index=["u0", "u1"])
        )


@pytest.mark.parametrize("engine", ["polars", "duckdb", "pyspark"])
def test_stored_assignment_equals_in_memory(engine: str) -> None:
    from useropslib.campaigns import assign
    from useropslib.events._engine import rows_collected

    data = synthetic_campaign(n_users=3000, lift=0.3, seed=4, control="holdout")
    frame = data.log.to_pandas()
    frame["timestamp"] = frame["timestamp"].dt.tz_convert("UTC")
    launch = data.truth["launch"]
    before = frame.loc[frame["timestamp"] < launch, "user_id"].unique()
    stored = assign(list(before), data.campaign)  # drawn at launch and kept
    lazy = LazyEventLog.scan(_native(frame, engine), properties=["channel"], tz="Asia/Shanghai")
    with rows_collected() as sizes:
        got = evaluate(data.campaign, lazy, assignment=stored)
    assert len(sizes) == 1, sizes  # the table goes in, 2 rows come back
    assert sizes[0] <= 2, sizes
    assert not lazy.users_read
    eager = evaluate(data.campaign, data.log, assignment=stored)
    _exact(got, eager)
    # the same as drawing the holdout in evaluate
    drawn = evaluate(data.campaign, data.log)
    assert got.arms["n"].tolist() == drawn.arms["n"].tolist()  # type: ignore[attr-defined]
    assert got.conventions["arms"] == "the assignment given"  # type: ignore[attr-defined]


def test_stored_assignment_unknown_ids_and_bad_labels_as_in_memory() -> None:
    from useropslib.exceptions import InsufficientDataWarning

    data = synthetic_campaign(n_users=1500, lift=0.3, seed=5, control="holdout")
    frame = data.log.to_pandas()
    frame["timestamp"] = frame["timestamp"].dt.tz_convert("UTC")
    lazy = LazyEventLog.scan(_native(frame, "duckdb"), tz="Asia/Shanghai")
    ids = [*frame["user_id"].unique(), "ghost-1", "ghost-2", "用户-3"]
    labels = ["control" if i % 2 == 0 else "treatment" for i in range(len(ids))]
    stored = pd.Series(pd.Categorical(labels), index=ids)
    known = stored.iloc[:-3]
    with pytest.warns(InsufficientDataWarning, match="3 assigned users have no event"):
        eager = evaluate(data.campaign, data.log, assignment=stored)
    got = evaluate(data.campaign, lazy, assignment=stored)  # left-joined in the engine
    _exact(got, eager)
    # they are units with outcome 0: the arms grow by the ghosts' labels, the sums do not
    base = evaluate(data.campaign, data.log, assignment=known)
    ghosts = stored.iloc[-3:].value_counts().reindex(["control", "treatment"]).tolist()
    added = (eager.arms["n"] - base.arms["n"]).reindex(["control", "treatment"])  # type: ignore[attr-defined]
    assert added.tolist() == ghosts
    assert (eager.arms["sum"] == base.arms["sum"]).all()  # type: ignore[attr-defined]
    bad = pd.Series(["control", "treated"], index=ids[:2])
    for events in (lazy, data.log):
        with pytest.raises(
            InvalidParameterError, match=r"must be 'treatment' or 'control'.*'treated'"
        ):
            evaluate(data.campaign, events, assignment=bad)  # type: ignore[arg-type]
