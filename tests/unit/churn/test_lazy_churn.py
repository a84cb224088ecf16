"""Churn rates, thresholds, risk features and warnings on a lazy log: reductions in the engine.

Each answer equals the one on the same log collected, and the rows collected are the
reduction only: one per user (features, warnings), one per active spell (churn rate), one per
distinct gap length and a few per day of silences (threshold); the users are never read.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import pytest

from useropslib.churn import churn_features, churn_rate, early_warning, infer_inactivity_threshold
from useropslib.datasets import synthetic_frame
from useropslib.events import EventLog, LazyEventLog
from useropslib.events._engine import rows_collected
from useropslib.exceptions import (
    InsufficientDataError,
    InvalidParameterError,
    NoPlateauWarning,
    UnknownEventWarning,
)
from useropslib.models import ChurnDefinition

pl = pytest.importorskip("polars")
duckdb = pytest.importorskip("duckdb")
pa = pytest.importorskip("pyarrow")

TZ = "America/New_York"  # the data crosses the DST change of 2024-03-10
ENGINES = ["polars", "duckdb"]
DAY = 86_400 * 10**9


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    return synthetic_frame(n_users=300, days=60, seed=5, start="2024-02-20", tz=TZ)


def _native(df: pd.DataFrame, engine: str) -> Any:
    if engine == "polars":
        return pl.from_pandas(df).lazy()
    if engine == "duckdb":
        con = duckdb.connect()
        con.execute("SET TimeZone='UTC'")
        return con.from_df(df)
    return pa.Table.from_pandas(df, preserve_index=False)


@pytest.fixture(scope="module", params=ENGINES)
def logs(request: pytest.FixtureRequest, frame: pd.DataFrame) -> tuple[EventLog, Any]:
    """The collected log (the in-memory answer) and a maker of fresh lazy logs."""
    native = _native(frame, request.param)
    full = LazyEventLog.scan(native, tz=TZ).to_event_log()
    return full, lambda: LazyEventLog.scan(native, tz=TZ)


def _both(f: Callable[[Any], Any], logs: tuple[EventLog, Any]) -> tuple[Any, Any, list[int], Any]:
    full, make = logs
    lazy = make()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NoPlateauWarning)
        want = f(full)
        with rows_collected() as sizes:
            got = f(lazy)
    return want, got, sizes, lazy


def _same_features(got: pd.DataFrame, want: pd.DataFrame) -> None:
    """Equal, exactly but for value sums (to 1e-12: the engine sums in another order)."""
    money = [c for c in want.columns if str(c).startswith("value")]
    pd.testing.assert_frame_equal(got.drop(columns=money), want.drop(columns=money))
    pd.testing.assert_frame_equal(got[money], want[money], check_exact=False, rtol=1e-12)


def _spell_count(full: EventLog, thr: int, names: list[str] | None = None) -> int:
    keep = np.ones(full.n_events, dtype=bool)
    if names is not None:
        keep = np.isin(full.event_names[full.event_codes], names)
    u = full.user_codes[keep].astype(np.int64)
    t = full.timestamps_ns[keep]
    order = np.lexsort((t, u))
    u, t = u[order], t[order]
    breaks = (u[1:] != u[:-1]) | (np.diff(t) >= thr)
    return int(breaks.sum()) + 1


FEATURES: list[dict[str, Any]] = [
    {},
    {"cutoff": "2024-04-01", "windows": ["7D", "30D", "36h"], "horizon": "14D"},
    {"activity_events": ["app_open", "purchase"], "active_within": "10D"},
    {"cutoff": "2024-03-10 12:00", "windows": ["1D"], "horizon": "3D"},
]


@pytest.mark.parametrize("kwargs", FEATURES)
def test_churn_features_in_the_engine(logs: tuple[EventLog, Any], kwargs: dict[str, Any]) -> None:
    want, got, sizes, lazy = _both(lambda e: churn_features(e, **kwargs), logs)
    _same_features(got, want)
    assert sizes == [len(want)]
    assert len(want) <= logs[0].n_users
    assert not lazy.users_read


WARNINGS: list[dict[str, Any]] = [
    {},
    {"baseline": "21D", "recent": "7D", "drop": 0.3},
    {"indicator": "purchase", "drop": 0.5, "min_baseline": 0},
    {"as_of": "2024-03-31", "activity_events": ["app_open"], "min_baseline": 3, "drop": 1.0},
]


@pytest.mark.parametrize("kwargs", WARNINGS)
def test_early_warning_in_the_engine(logs: tuple[EventLog, Any], kwargs: dict[str, Any]) -> None:
    want, got, sizes, lazy = _both(lambda e: early_warning(e, **kwargs), logs)
    pd.testing.assert_frame_equal(got, want, check_exact=True)
    assert len(sizes) == 1
    assert len(want) <= sizes[0] <= logs[0].n_users
    assert not lazy.users_read


RATES: list[tuple[Any, str, str | None]] = [
    ("7D", "week", None),
    ("36h", "day", "2024-04-01"),
    (ChurnDefinition(threshold="5D", activity_events=["app_open", "purchase"]), "month", None),
    ("3D", "hour", "2024-03-12"),
]


@pytest.mark.parametrize(("definition", "period", "as_of"), RATES)
def test_churn_rate_in_the_engine(
    logs: tuple[EventLog, Any], definition: Any, period: str, as_of: str | None
) -> None:
    want, got, sizes, lazy = _both(
        lambda e: churn_rate(e, definition, period=period, as_of=as_of), logs
    )
    pd.testing.assert_frame_equal(got, want, check_exact=True)
    d = (
        definition
        if isinstance(definition, ChurnDefinition)
        else ChurnDefinition(threshold=definition)
    )
    full = logs[0]
    cut = full.timestamps_ns <= (pd.Timestamp(as_of, tz=TZ).value if as_of else full.as_of_ns)
    sub = EventLog.from_pandas(full.to_pandas()[cut], tz=TZ)
    names = None if d.activity_events is None else list(d.activity_events)
    assert sizes == [_spell_count(sub, int(d.threshold.total_seconds() * 1e9), names)]
    assert not lazy.users_read


THRESHOLDS: list[dict[str, Any]] = [
    {"horizon": "7D", "min_gaps": 5},
    {"horizon": "7D", "min_gaps": 5, "rule": "gap_percentile", "gap_percentile": 90},
    {"horizon": "5D", "grid": [0.5, 1.25, 2, "60h", 3.3], "min_gaps": 5},
    {"horizon": "14D", "activity_events": ["app_open"], "as_of": "2024-04-10", "relative": True},
    {"horizon": "3D", "grid": range(1, 40), "rule": "return_probability", "min_gaps": 3},
]


@pytest.mark.parametrize("kwargs", THRESHOLDS)
def test_threshold_in_the_engine(logs: tuple[EventLog, Any], kwargs: dict[str, Any]) -> None:
    want, got, sizes, lazy = _both(lambda e: infer_inactivity_threshold(e, **kwargs), logs)
    pd.testing.assert_frame_equal(got.curve, want.curve, check_exact=True)
    pd.testing.assert_frame_equal(got.rules, want.rules, check_exact=True)
    assert got.summary() == want.summary()
    assert got.definition == want.definition
    assert got.params == want.params
    assert got.as_of == want.as_of
    # totals, the distinct day-gap lengths, then the closed and open silences' bounds per day
    assert len(sizes) == 4
    assert sizes[0] == 1
    assert sizes[1] <= 60
    # rows per (bound, UTC day, whole day, loose grid values reached): not per silence
    span_days = 62 + pd.Timedelta(kwargs["horizon"]).days + 3
    loose = sum(1 for k in _grid_ns(kwargs.get("grid")) if k % DAY)
    assert sizes[2] + sizes[3] <= 10 * span_days * 2 * 2 * (loose + 2)
    assert not lazy.users_read


def _grid_ns(grid: Any) -> list[int]:
    if grid is None:
        return []
    return [pd.Timedelta(g).value if isinstance(g, str) else round(float(g) * DAY) for g in grid]


# ---------------------------------------------------------------- hand cases, DST, errors


def _hand() -> pd.DataFrame:
    """Two users in New York across the DST change (2024-03-10 02:00 is skipped)."""
    stamps = [
        ("a", "open", "2024-03-08 23:30"),
        ("a", "open", "2024-03-09 23:30"),
        ("a", "buy", "2024-03-10 03:30"),  # the same local day count, 23 hours in UTC
        ("a", "open", "2024-03-20 10:00"),
        ("b", "open", "2024-03-09 12:00"),
        ("b", "open", "2024-03-12 12:00"),
        ("b", "open", "2024-03-12 12:00"),  # a tie
        ("c", "buy", "2024-03-30 09:00"),
    ]
    return pd.DataFrame(
        {
            "user_id": [u for u, _, _ in stamps],
            "event": [e for _, e, _ in stamps],
            "timestamp": pd.to_datetime([t for _, _, t in stamps]).tz_localize(TZ),
        }
    )


@pytest.mark.parametrize("engine", ENGINES)
def test_hand_case_across_dst(engine: str) -> None:
    df = _hand()
    lazy = LazyEventLog.scan(_native(df, engine), tz=TZ, as_of="2024-04-05")
    full = EventLog.from_pandas(df, tz=TZ, as_of="2024-04-05")
    # spells at 4 days: a (3/8-3/10, 3/20), b (3/9-3/12), c (3/30): 4 spells
    with rows_collected() as sizes:
        rate = churn_rate(lazy, "4D", period="week")
    pd.testing.assert_frame_equal(rate, churn_rate(full, "4D", period="week"))
    assert sizes == [4]
    # weeks from 3/4: a and b churn in the week of 3/11 (3/14, 3/16); a's second spell starts
    # 3/20, after its week began, so its churn (3/24) is not counted; c churns on 4/3
    assert rate["churned"].tolist() == [0, 2, 0, 0, 1]
    # local-day gaps: a 1, 1 (3/9 -> 3/10 local), 10; b 3: the 90th percentile (higher) is 10
    with rows_collected() as sizes:
        res = infer_inactivity_threshold(
            lazy, horizon="3D", grid=[1, 2], min_gaps=1, rule="gap_percentile", gap_percentile=90
        )
    want = infer_inactivity_threshold(
        full, horizon="3D", grid=[1, 2], min_gaps=1, rule="gap_percentile", gap_percentile=90
    )
    assert res.threshold_days == want.threshold_days == 10.0
    pd.testing.assert_frame_equal(res.curve, want.curve)
    assert sizes[1] == 3  # gap lengths 1, 3, 10
    feats = churn_features(lazy, cutoff="2024-03-21", windows=["2D", "14D"], horizon="10D")
    pd.testing.assert_frame_equal(
        feats, churn_features(full, cutoff="2024-03-21", windows=["2D", "14D"], horizon="10D")
    )
    assert feats.loc["a", "active_days_14d"] == 4  # 3/8, 3/9, 3/10 and 3/20, local days
    assert feats.loc["b", "events_total"] == 3
    assert feats["churned"].tolist() == [True, True]


@pytest.mark.parametrize("engine", ENGINES)
def test_errors_match_in_memory(engine: str, frame: pd.DataFrame) -> None:
    lazy = LazyEventLog.scan(_native(frame, engine), tz=TZ)
    full = lazy.to_event_log()
    with pytest.raises(InvalidParameterError, match="did you mean 'purchase'") as lazy_err:
        early_warning(lazy, indicator="purchse")
    with pytest.raises(InvalidParameterError) as full_err:
        early_warning(full, indicator="purchse")
    assert str(lazy_err.value) == str(full_err.value)
    with pytest.raises(InvalidParameterError, match="is before the first event"):
        churn_features(lazy, cutoff="2020-01-01")
    with pytest.raises(InvalidParameterError, match="label window"):
        churn_features(lazy, horizon="400D")
    for f in (churn_rate, infer_inactivity_threshold):
        args: tuple[Any, ...] = (ChurnDefinition(threshold="3D", activity_events=["nope"]),)
        kw: dict[str, Any] = {}
        if f is infer_inactivity_threshold:
            args, kw = (), {"activity_events": ["nope"]}
        with pytest.warns(UnknownEventWarning), pytest.raises(InsufficientDataError) as lazy_e:
            f(lazy, *args, **kw)
        with pytest.warns(UnknownEventWarning), pytest.raises(InsufficientDataError) as full_e:
            f(full, *args, **kw)
        assert str(lazy_e.value) == str(full_e.value)
        assert "No activity events at or before" in str(lazy_e.value)
    with pytest.raises(InsufficientDataError, match="The data cannot answer") as lazy_e:
        infer_inactivity_threshold(lazy, horizon="90D")
    with pytest.raises(InsufficientDataError) as full_e:
        infer_inactivity_threshold(full, horizon="90D")
    assert str(lazy_e.value) == str(full_e.value)
    with pytest.warns(Warning, match="no events|No user"), rows_collected():
        empty = churn_features(lazy, cutoff=lazy.start, activity_events=["purchase"])
    assert len(empty) <= 1


def test_pyarrow_and_empty_logs_collect() -> None:
    df = _hand()
    lazy = LazyEventLog.scan(_native(df, "pyarrow"), tz=TZ)
    full = EventLog.from_pandas(df, tz=TZ)
    pd.testing.assert_frame_equal(churn_rate(lazy, "4D"), churn_rate(full, "4D"))
    pd.testing.assert_frame_equal(early_warning(lazy), early_warning(full))


def test_pyspark_churn_rate_threshold_features_in_spark(spark: Any) -> None:
    df = synthetic_frame(n_users=60, days=50, seed=3, start="2024-03-01", tz="Europe/Berlin")
    df = df.drop(columns="channel")
    df["timestamp"] = df["timestamp"].dt.tz_convert("UTC")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        sdf = spark.createDataFrame(df)
    lazy = LazyEventLog.scan(sdf, tz="Europe/Berlin")
    full = EventLog.from_pandas(df, tz="Europe/Berlin")
    with rows_collected() as sizes:
        rate = churn_rate(lazy, "4D", period="week")
    pd.testing.assert_frame_equal(rate, churn_rate(full, "4D", period="week"))
    assert sizes == [_spell_count(full, 4 * DAY)]
    kw: dict[str, Any] = {"horizon": "7D", "grid": [1, 1.5, 3, "5D"], "min_gaps": 3}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NoPlateauWarning)
        with rows_collected() as sizes:
            res = infer_inactivity_threshold(lazy, **kw)
        want = infer_inactivity_threshold(full, **kw)
    pd.testing.assert_frame_equal(res.curve, want.curve)
    pd.testing.assert_frame_equal(res.rules, want.rules)
    assert sizes[0] == 1
    assert sizes[2] + sizes[3] <= 10 * (50 + 7 + 3) * 2 * 2 * (2 + 2)  # per (bound, day)
    with rows_collected() as sizes:
        feats = churn_features(lazy, windows=["7D", "30D"])
    pd.testing.assert_frame_equal(feats, churn_features(full, windows=["7D", "30D"]))
    assert sizes == [len(feats)]
    with rows_collected() as sizes:
        flags = early_warning(lazy, baseline="21D", drop=0.3)
    pd.testing.assert_frame_equal(flags, early_warning(full, baseline="21D", drop=0.3))
    assert len(sizes) == 1
    assert sizes[0] <= full.n_users
    assert not lazy.users_read
