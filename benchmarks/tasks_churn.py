"""Benchmark tasks for churn: labels + survival durations + Kaplan-Meier, risk features, Cox.

- ``churn_labels_survival_km``: a 30-day churn definition (every event is activity, ``as_of`` the
  log's last event).  Per user: ``churned`` (silent for >= 30 days at ``as_of``), ``censored``
  (first seen < 30 days before ``as_of``), ``duration`` (whole days from the first activity to
  churn = last activity + 30 days, or to ``as_of``; truncated) and ``observed`` (= churned); then
  the Kaplan-Meier S(t) at 7, 14, 30, 60, 90 days.  useropslib runs ``churn_labels`` +
  ``survival_frame`` + ``kaplan_meier``; the other engines compute labels and durations and hand
  them to lifelines' ``KaplanMeierFitter`` (the same for all).
- ``churn_features``: ``churn_features(log, cutoff=..., windows=("7D", "30D"), horizon="30D")``
  with the cutoff at midnight 30 days before the last event, against the same aggregates in
  DuckDB SQL, Polars and pandas (every column compared).
- ``cox_1M_5``: ``ChurnDrivers().fit`` on a synthetic 1M-row x 5-covariate survival frame (whole
  day durations, as :func:`useropslib.churn.survival_frame` gives them), against lifelines'
  ``CoxPHFitter`` called directly (the reference; same coefficients).  In ``run.py`` the frame
  has as many rows as the benchmark has events, at most 1M (so 1M rows at the 1M and 10M sizes).

:func:`check` asserts that the implementations agree.  Run
``python benchmarks/tasks_churn.py --events 1000000 --users 100000`` to time them on the synthetic
log of :func:`tasks_retention.make_context` (the same context as every benchmark module).
"""

from __future__ import annotations

import argparse
import dataclasses
import functools
import os
import time
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import polars as pl
from tasks_retention import NS_PER_DAY, US_PER_DAY, make_context

from useropslib.exceptions import UseropsWarning
from useropslib.models import ChurnDefinition

# useropslib.churn (scikit-learn, scipy) and lifelines are imported inside the task functions:
# run.py imports this module at start, and every gc.collect() of the harness between timed calls
# of *all* tasks would otherwise walk their ~70,000 extra objects.

THRESHOLD_DAYS = 30
KM_TIMES = (7.0, 14.0, 30.0, 60.0, 90.0)
WINDOWS = (("7d", 7), ("30d", 30))
HORIZON_DAYS = 30
COX_ROWS = 1_000_000
COX_COVARIATES = ("uploaded_avatar", "sessions_7d", "purchases_30d", "paid_channel", "age_z")
DEFINITION = ChurnDefinition(threshold=f"{THRESHOLD_DAYS}D")


def _ts_us(ctx: Any) -> str:
    columns = {row[0] for row in ctx.duck.sql("DESCRIBE events").fetchall()}
    return "ts_us" if "ts_us" in columns else "epoch_us(timestamp)"


def _km(durations: Any, observed: Any) -> np.ndarray:
    """S(t) at KM_TIMES from lifelines, the same call for every non-useropslib engine."""
    from lifelines import KaplanMeierFitter

    kmf = KaplanMeierFitter().fit(np.asarray(durations, float), np.asarray(observed, bool))
    return np.asarray(kmf.survival_function_at_times(list(KM_TIMES)).to_numpy(), dtype=float)


# ---------------------------------------------------------------------------- labels + KM


def labels_useropslib(ctx: Any) -> object:
    from useropslib.churn import churn_labels, kaplan_meier, survival_frame

    labels = churn_labels(ctx.log, DEFINITION)
    frame = survival_frame(ctx.log, DEFINITION, early_window=None)
    km = kaplan_meier(frame, times=KM_TIMES)
    return labels[["churned", "censored"]].join(frame), km.at_times["survival"].to_numpy()


def labels_useropslib_early(ctx: Any) -> object:
    """As above, with survival_frame's default 7-day early-behaviour counts per event name."""
    from useropslib.churn import churn_labels, kaplan_meier, survival_frame

    labels = churn_labels(ctx.log, DEFINITION)
    frame = survival_frame(ctx.log, DEFINITION)
    km = kaplan_meier(frame, times=KM_TIMES)
    return labels[["churned", "censored"]].join(frame), km.at_times["survival"].to_numpy()


def labels_duckdb(ctx: Any) -> object:
    thr = THRESHOLD_DAYS * US_PER_DAY
    sql = f"""
        WITH u AS (SELECT user_id, min({_ts_us(ctx)}) AS f, max({_ts_us(ctx)}) AS l
                   FROM events GROUP BY user_id),
        lim AS (SELECT max(l) AS ref FROM u)
        SELECT user_id, ref - l >= {thr} AS churned, ref - f < {thr} AS censored,
               ((CASE WHEN ref - l >= {thr} THEN l + {thr} ELSE ref END) - f)
                   // {US_PER_DAY} AS duration
        FROM u, lim
    """
    r = ctx.duck.sql(sql).df()
    r["observed"] = r["churned"]
    return r.set_index("user_id"), _km(r["duration"], r["observed"])


def labels_polars(ctx: Any) -> object:
    thr = THRESHOLD_DAYS * NS_PER_DAY
    ts = pl.col("timestamp").dt.epoch("ns")
    u = ctx.pl.lazy().group_by("user_id").agg(ts.min().alias("f"), ts.max().alias("l"))
    asof = pl.col("l").max()
    churned = (asof - pl.col("l")) >= thr
    end = pl.when(churned).then(pl.col("l") + thr).otherwise(asof)
    r = u.select(
        "user_id",
        churned.alias("churned"),
        ((asof - pl.col("f")) < thr).alias("censored"),
        ((end - pl.col("f")) // NS_PER_DAY).alias("duration"),
        churned.alias("observed"),
    ).collect()
    return r, _km(r["duration"].to_numpy(), r["observed"].to_numpy())


def labels_pandas(ctx: Any) -> object:
    thr = THRESHOLD_DAYS * NS_PER_DAY
    df = ctx.df
    ts = df["timestamp"].dt.tz_convert(None).astype("int64")
    g = ts.groupby(df["user_id"], sort=False).agg(["min", "max"])
    asof = g["max"].max()
    churned = asof - g["max"] >= thr
    end = np.where(churned, g["max"] + thr, asof)
    r = pd.DataFrame(
        {
            "churned": churned,
            "censored": asof - g["min"] < thr,
            "duration": (end - g["min"]) // NS_PER_DAY,
            "observed": churned,
        }
    )
    return r, _km(r["duration"], r["observed"])


# ---------------------------------------------------------------------------- risk features


def _cutoff_ns(ctx: Any) -> int:
    """Midnight (UTC) of the day HORIZON_DAYS before the last event's day."""
    last = int(ctx.df["timestamp"].max().value)
    return (last // NS_PER_DAY - HORIZON_DAYS) * NS_PER_DAY


def features_useropslib(ctx: Any) -> object:
    cutoff = pd.Timestamp(_cutoff_ns(ctx), tz="UTC")
    from useropslib.churn import churn_features

    return churn_features(ctx.log, cutoff=cutoff, windows=("7D", "30D"), horizon=f"{HORIZON_DAYS}D")


def features_duckdb(ctx: Any) -> object:
    cut = _cutoff_ns(ctx) // 1000
    ts = _ts_us(ctx)
    cols = []
    for name, days in WINDOWS:
        w = days * US_PER_DAY
        cols += [
            f"count(*) FILTER (WHERE age < {w}) AS events_{name}",
            f"count(DISTINCT d) FILTER (WHERE age < {w}) AS active_days_{name}",
            f"count(DISTINCT event) FILTER (WHERE age < {w}) AS distinct_events_{name}",
            f"coalesce(sum(value) FILTER (WHERE age < {w}), 0) AS value_{name}",
            f"count(*) FILTER (WHERE age >= {w} AND age < {2 * w}) AS prev_{name}",
        ]
    trends = [
        f"CASE WHEN events_{n} + prev_{n} > 0 THEN (events_{n} - prev_{n}) "
        f"/ (events_{n} + prev_{n}) ELSE 0 END AS trend_{n}"
        for n, _ in WINDOWS
    ]
    sql = f"""
        WITH base AS (
            SELECT user_id, event, value, {ts} AS t, {cut} - {ts} AS age,
                   {ts} // {US_PER_DAY} AS d
            FROM events WHERE {ts} <= {cut}
        ),
        agg AS (
            SELECT user_id,
                   ({cut} - max(t)) / {US_PER_DAY}.0 AS recency_days,
                   ({cut} - min(t)) / {US_PER_DAY}.0 AS tenure_days,
                   count(*) AS events_total,
                   coalesce(sum(value), 0) AS value_total,
                   {", ".join(cols)}
            FROM base GROUP BY user_id
        ),
        back AS (
            SELECT DISTINCT user_id FROM events
            WHERE {ts} > {cut} AND {ts} <= {cut + HORIZON_DAYS * US_PER_DAY}
        )
        SELECT agg.*, {", ".join(trends)}, back.user_id IS NULL AS churned
        FROM agg LEFT JOIN back USING (user_id)
    """
    return ctx.duck.sql(sql).df()


def features_duckdb_pairs(ctx: Any) -> object:
    """No DISTINCT: distinct days and events counted from (user, day) and (user, event) groups,
    a day or an event name counting in a window when its most recent event falls in it."""
    cut = _cutoff_ns(ctx) // 1000
    ts = _ts_us(ctx)
    cols, day_cols, ev_cols = [], [], []
    for name, days in WINDOWS:
        w = days * US_PER_DAY
        cols += [
            f"count(*) FILTER (WHERE age < {w}) AS events_{name}",
            f"coalesce(sum(value) FILTER (WHERE age < {w}), 0) AS value_{name}",
            f"count(*) FILTER (WHERE age >= {w} AND age < {2 * w}) AS prev_{name}",
        ]
        day_cols.append(f"count(*) FILTER (WHERE a < {w}) AS active_days_{name}")
        ev_cols.append(f"count(*) FILTER (WHERE a < {w}) AS distinct_events_{name}")
    trends = [
        f"CASE WHEN events_{n} + prev_{n} > 0 THEN (events_{n} - prev_{n}) "
        f"/ (events_{n} + prev_{n}) ELSE 0 END AS trend_{n}"
        for n, _ in WINDOWS
    ]
    sql = f"""
        WITH base AS (
            SELECT user_id, event, value, {cut} - {ts} AS age, {ts} // {US_PER_DAY} AS d
            FROM events WHERE {ts} <= {cut}
        ),
        agg AS (
            SELECT user_id,
                   min(age) / {US_PER_DAY}.0 AS recency_days,
                   max(age) / {US_PER_DAY}.0 AS tenure_days,
                   count(*) AS events_total,
                   coalesce(sum(value), 0) AS value_total,
                   {", ".join(cols)}
            FROM base GROUP BY user_id
        ),
        dd AS (
            SELECT user_id, {", ".join(day_cols)}
            FROM (SELECT user_id, d, min(age) AS a FROM base GROUP BY user_id, d)
            GROUP BY user_id
        ),
        ee AS (
            SELECT user_id, {", ".join(ev_cols)}
            FROM (SELECT user_id, event, min(age) AS a FROM base GROUP BY user_id, event)
            GROUP BY user_id
        ),
        back AS (
            SELECT DISTINCT user_id FROM events
            WHERE {ts} > {cut} AND {ts} <= {cut + HORIZON_DAYS * US_PER_DAY}
        )
        SELECT agg.*, dd.* EXCLUDE (user_id), ee.* EXCLUDE (user_id), {", ".join(trends)},
               back.user_id IS NULL AS churned
        FROM agg JOIN dd USING (user_id) JOIN ee USING (user_id)
        LEFT JOIN back USING (user_id)
    """
    return ctx.duck.sql(sql).df()


def features_polars(ctx: Any) -> object:
    cut = _cutoff_ns(ctx)
    ts = pl.col("timestamp").dt.epoch("ns")
    lf = ctx.pl.lazy()
    base = lf.filter(ts <= cut).with_columns(
        ts.alias("t"), (cut - ts).alias("age"), (ts // NS_PER_DAY).alias("d")
    )
    aggs: list[pl.Expr] = [
        ((cut - pl.col("t").max()) / NS_PER_DAY).alias("recency_days"),
        ((cut - pl.col("t").min()) / NS_PER_DAY).alias("tenure_days"),
        pl.len().alias("events_total"),
        pl.col("value").sum().alias("value_total"),
    ]
    for name, days in WINDOWS:
        w = days * NS_PER_DAY
        inw = pl.col("age") < w
        n_last = inw.sum().cast(pl.Int64)
        n_prev = ((pl.col("age") >= w) & (pl.col("age") < 2 * w)).sum().cast(pl.Int64)
        both = n_last + n_prev
        aggs += [
            n_last.alias(f"events_{name}"),
            pl.col("d").filter(inw).n_unique().alias(f"active_days_{name}"),
            pl.col("event").filter(inw).n_unique().alias(f"distinct_events_{name}"),
            pl.col("value").filter(inw).sum().alias(f"value_{name}"),
            pl.when(both > 0).then((n_last - n_prev) / both).otherwise(0.0).alias(f"trend_{name}"),
        ]
    feats = base.group_by("user_id").agg(aggs)
    back = (
        lf.filter((ts > cut) & (ts <= cut + HORIZON_DAYS * NS_PER_DAY))
        .select("user_id")
        .unique()
        .with_columns(pl.lit(False).alias("churned"))
    )
    out = feats.join(back, on="user_id", how="left").with_columns(pl.col("churned").fill_null(True))
    return out.collect()


def features_pandas(ctx: Any) -> object:
    cut = _cutoff_ns(ctx)
    df = ctx.df
    ts = df["timestamp"].dt.tz_convert(None).astype("int64")
    past = ts <= cut
    base = pd.DataFrame(
        {
            "user_id": df["user_id"][past],
            "event": df["event"][past],
            "value": df["value"][past],
            "age": cut - ts[past],
            "d": ts[past] // NS_PER_DAY,
        }
    )
    g = base.groupby("user_id", sort=False)
    out = pd.DataFrame(
        {
            "recency_days": g["age"].min() / NS_PER_DAY,
            "tenure_days": g["age"].max() / NS_PER_DAY,
            "events_total": g.size(),
            "value_total": g["value"].sum(),
        }
    )
    for name, days in WINDOWS:
        w = days * NS_PER_DAY
        gw = base[base["age"] < w].groupby("user_id", sort=False)
        prev = base[(base["age"] >= w) & (base["age"] < 2 * w)].groupby("user_id").size()
        out[f"events_{name}"] = gw.size().reindex(out.index, fill_value=0)
        out[f"active_days_{name}"] = gw["d"].nunique().reindex(out.index, fill_value=0)
        out[f"distinct_events_{name}"] = gw["event"].nunique().reindex(out.index, fill_value=0)
        out[f"value_{name}"] = gw["value"].sum().reindex(out.index, fill_value=0.0)
        n_prev = prev.reindex(out.index, fill_value=0)
        both = out[f"events_{name}"] + n_prev
        trend = (out[f"events_{name}"] - n_prev) / both.where(both > 0)
        out[f"trend_{name}"] = trend.fillna(0.0)
    future = (ts > cut) & (ts <= cut + HORIZON_DAYS * NS_PER_DAY)
    out["churned"] = ~out.index.isin(df["user_id"][future].unique())
    return out


# ---------------------------------------------------------------------------- Cox drivers


@functools.lru_cache(maxsize=1)
def cox_frame(rows: int = COX_ROWS, seed: int = 1) -> pd.DataFrame:
    """A synthetic survival frame: 5 covariates with known effects, whole-day durations <= 180."""
    rng = np.random.default_rng(seed)
    x = pd.DataFrame(
        {
            "uploaded_avatar": (rng.random(rows) < 0.3).astype(np.int64),
            "sessions_7d": rng.poisson(3.0, rows).astype(np.int64),
            "purchases_30d": rng.poisson(0.5, rows).astype(np.int64),
            "paid_channel": (rng.random(rows) < 0.4).astype(np.int64),
            "age_z": rng.standard_normal(rows),
        }
    )
    beta = np.array([-0.5, -0.1, -0.3, 0.2, 0.1])
    hazard = np.exp(x.to_numpy(dtype=float) @ beta) / 40.0
    days = np.ceil(rng.exponential(1.0 / hazard))
    follow = rng.integers(1, 181, rows)
    x["duration"] = np.minimum(days, follow).astype(float)
    x["observed"] = days <= follow
    return x


def _cox_data(ctx: Any) -> pd.DataFrame:
    """The Cox frame of ``ctx`` (``ctx.cox``, set by the registry), else the 1M-row frame."""
    data = getattr(ctx, "cox", None)
    return cox_frame() if data is None else data


def cox_useropslib(ctx: Any) -> object:
    """The default fit: concordance and proportional-hazards test left for first access."""
    from useropslib.churn import ChurnDrivers

    return ChurnDrivers().fit(_cox_data(ctx)).coef_


def cox_useropslib_all(ctx: Any) -> object:
    """Everything the fit can report: the PH test at fit time, and the concordance read."""
    from useropslib.churn import ChurnDrivers

    with warnings.catch_warnings():  # the test's verdict on this data is not the point here
        warnings.simplefilter("ignore", UseropsWarning)
        model = ChurnDrivers(check_assumptions=True).fit(_cox_data(ctx))
    assert 0.0 <= model.concordance_index_ <= 1.0
    return model.coef_


def cox_lifelines(ctx: Any) -> object:
    from lifelines import CoxPHFitter

    cph = CoxPHFitter()
    cph.fit(_cox_data(ctx), duration_col="duration", event_col="observed", batch_mode=True)
    return cph.params_


TASKS: dict[str, dict[str, Callable[[Any], object]]] = {
    "churn_labels_survival_km": {
        "useropslib": labels_useropslib,
        "duckdb": labels_duckdb,
        "polars": labels_polars,
        "pandas": labels_pandas,
    },
    "churn_features": {
        "useropslib": features_useropslib,
        "duckdb": features_duckdb,
        "polars": features_polars,
        "pandas": features_pandas,
    },
    "cox_1M_5": {
        "useropslib": cox_useropslib,
        "lifelines": cox_lifelines,
    },
}
ALTERNATIVES: dict[str, dict[str, Callable[[Any], object]]] = {
    "churn_labels_survival_km": {"useropslib_early": labels_useropslib_early},
    "churn_features": {"duckdb_pairs": features_duckdb_pairs},
    "cox_1M_5": {"useropslib_all": cox_useropslib_all},
}


# ---------------------------------------------------------------------------- agreement


def as_frame(result: object) -> pd.DataFrame:
    """Any engine's per-user frame as pandas, indexed by ``user_id`` and sorted."""
    if isinstance(result, pl.DataFrame):
        result = result.to_pandas()
    assert isinstance(result, pd.DataFrame)
    if "user_id" in result.columns:
        result = result.set_index("user_id")
    result.index.name = "user_id"
    return result.sort_index()


def _assert_same(name: str, got: pd.DataFrame, ref: pd.DataFrame) -> None:
    assert got.index.equals(ref.index), f"{name}: users differ ({len(got)} vs {len(ref)})"
    for col in ref.columns:
        assert col in got.columns, f"{name}: column {col} missing"
        a, b = got[col].to_numpy(), ref[col].to_numpy()
        if b.dtype == bool:
            assert np.array_equal(a.astype(bool), b), f"{name}: {col} differs"
        else:
            a, b = a.astype(float), b.astype(float)
            assert np.allclose(a, b, rtol=1e-9, atol=1e-8), f"{name}: {col} differs"


def check(ctx: Any) -> None:
    """Assert that the implementations of every task agree on ``ctx``."""
    impls = {**TASKS["churn_labels_survival_km"], **ALTERNATIVES["churn_labels_survival_km"]}
    results = {name: fn(ctx) for name, fn in impls.items()}
    ref_frame, ref_km = results["useropslib"]
    ref = as_frame(ref_frame)
    assert not ref.empty
    for name, (frame, km) in results.items():
        got = as_frame(frame)
        _assert_same(name, got[ref.columns], ref)
        assert np.allclose(np.asarray(km, float), np.asarray(ref_km, float), rtol=1e-12), name

    impls = {**TASKS["churn_features"], **ALTERNATIVES["churn_features"]}
    results = {name: as_frame(fn(ctx)) for name, fn in impls.items()}
    ref = results["useropslib"]
    assert len(ref.columns) == 15, list(ref.columns)
    for name, got in results.items():
        _assert_same(name, got, ref)

    impls = {**TASKS["cox_1M_5"], **ALTERNATIVES["cox_1M_5"]}
    coefs = {name: pd.Series(fn(ctx)) for name, fn in impls.items()}
    for name, c in coefs.items():
        c_ref = coefs["lifelines"]
        assert np.allclose(c[list(COX_COVARIATES)], c_ref[list(COX_COVARIATES)], atol=1e-6), name


# ---------------------------------------------------------------------------- run.py registry
# Registered like the metric tasks (``tasks_metrics.py``): the log-based tasks share the metric
# tasks' per-size context (EventLog, DuckDB table with ts_us, Polars and pandas frames, each built
# once and untimed) and give useropslib a fresh view of the log in every timed call.  The Cox task
# builds its survival frame in ``prepare`` (untimed); lifelines alone is its baseline, so its
# "x baseline" column reads "times lifelines' CoxPHFitter".

# method key -> (name in the table, engine whose form it reads, note)
_METHODS: dict[str, tuple[str, str, str]] = {
    "useropslib": ("useropslib", "useropslib", "churn functions on the encoded log; fresh view"),
    "useropslib_early": (
        "useropslib + 7-day early counts",
        "useropslib",
        "survival_frame's default early-behaviour counts per event name",
    ),
    "duckdb": ("DuckDB SQL", "duckdb", "table loaded in DuckDB with an int64 ts_us column"),
    "duckdb_pairs": ("DuckDB SQL, no DISTINCT", "duckdb", "distinct counts from grouped pairs"),
    "polars": ("Polars", "polars", "lazy query on the Polars frame"),
    "pandas": ("pandas idiomatic", "pandas", "the idiomatic pandas recipe"),
}
_COX_METHODS: dict[str, tuple[str, str]] = {
    "lifelines": ("lifelines CoxPHFitter", "lifelines alone, batch_mode=True (the reference)"),
    "useropslib": ("useropslib ChurnDrivers", "fit with defaults: checks, lazy diagnostics"),
    "useropslib_all": (
        "useropslib ChurnDrivers, all diagnostics",
        "check_assumptions=True and concordance_index_ read",
    ),
}
DOCS = {
    "churn_labels_survival_km": (
        "Churn labels (30-day threshold) + survival durations + Kaplan-Meier S(t) at 7-90 days."
    ),
    "churn_features": "Churn-risk features at a cutoff (7D and 30D windows) and the 30-day label.",
    "cox_1M_5": "Cox churn drivers on min(events, 1M) users x 5 covariates (Efron ties).",
}


@dataclasses.dataclass
class CoxState:
    """A prepared Cox method: the survival frame (as ``cox``) and the function."""

    cox: pd.DataFrame
    fn: Callable[[Any], object]


def _cox_prepare(fn: Callable[[Any], object]) -> Callable[[pd.DataFrame], CoxState]:
    def prepare(df: pd.DataFrame) -> CoxState:
        return CoxState(cox_frame(min(COX_ROWS, len(df))), fn)

    return prepare


def _cox_run(state: CoxState) -> object:
    return state.fn(state)


def _labels_answer(result: Any) -> tuple[pd.DataFrame, np.ndarray]:
    frame, km = result
    got = as_frame(frame)
    return got[["churned", "censored", "duration", "observed"]], np.asarray(km, float)


def _labels_check(got: Any, ref: Any, df: pd.DataFrame) -> None:
    _assert_same("labels", got[0], ref[0])
    assert np.allclose(got[1], ref[1], rtol=1e-12), "Kaplan-Meier S(t) differs"


def _features_check(got: Any, ref: Any, df: pd.DataFrame) -> None:
    _assert_same("features", got[list(ref.columns)], ref)


def _cox_answer(result: Any) -> pd.Series:
    return pd.Series(result)[list(COX_COVARIATES)]


def _cox_check(got: Any, ref: Any, df: pd.DataFrame) -> None:
    diff = float(np.abs(got.to_numpy() - ref.to_numpy()).max())
    assert diff <= 1e-6, f"coefficients differ from lifelines' by up to {diff:.2e}"


def _register_all() -> None:
    import tasks_metrics as tm
    from tasks import TASK_CHECKS, TASK_DOCS, register

    answers = {"churn_labels_survival_km": _labels_answer, "churn_features": as_frame}
    checks = {"churn_labels_survival_km": _labels_check, "churn_features": _features_check}
    for task in ("churn_labels_survival_km", "churn_features"):
        TASK_DOCS[task] = DOCS[task]
        TASK_CHECKS[task] = checks[task]
        for key, fn in {**TASKS[task], **ALTERNATIVES.get(task, {})}.items():
            name, engine, note = _METHODS[key]
            register(
                task,
                name,
                prepare=tm._prepare(engine, fn),
                answer=answers[task],
                baseline=key == "useropslib",
                input_form=tm.METHODS[engine][1],
                modules=(__name__,),
                note=f"{note} ({fn.__name__})",
                ref_bytes=tm.ref_bytes if key == "useropslib" else None,
            )(tm._run)
    task = "cox_1M_5"
    TASK_DOCS[task] = DOCS[task]
    TASK_CHECKS[task] = _cox_check
    for key, fn in {**TASKS[task], **ALTERNATIVES[task]}.items():
        name, note = _COX_METHODS[key]
        register(
            task,
            name,
            prepare=_cox_prepare(fn),
            answer=_cox_answer,
            baseline=key == "lifelines",
            input_form="survival frame",
            modules=(__name__,),
            note=f"{note} ({fn.__name__})",
        )(_cox_run)


#: The churn tasks, the "churn" group of ``run.py --tasks``.
CHURN_TASKS = list(TASKS)
if __name__ != "__main__":  # imported by run.py; the standalone run below needs no registry
    _register_all()


# ---------------------------------------------------------------------------- standalone run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--users", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--no-check", action="store_true", help="skip the agreement check")
    args = parser.parse_args()
    t = time.perf_counter()
    ctx = make_context(args.events, args.users)
    print(
        f"built context: {args.events:,} events, {args.users:,} users, "
        f"{time.perf_counter() - t:.1f} s"
    )
    t = time.perf_counter()
    cox_frame()
    print(f"built Cox frame: {COX_ROWS:,} rows, {time.perf_counter() - t:.1f} s")
    if not args.no_check:
        t = time.perf_counter()
        check(ctx)
        print(f"check passed ({time.perf_counter() - t:.1f} s)")
    print(f"load average: {os.getloadavg()}")
    for task, impls in TASKS.items():
        for name, fn in {**impls, **ALTERNATIVES.get(task, {})}.items():
            times = []
            for _ in range(args.repeat):
                t = time.perf_counter()
                fn(ctx)
                times.append(time.perf_counter() - t)
            print(f"{task:26s} {name:18s} first {times[0]:7.3f} s  best {min(times):7.3f} s")
    print(f"load average: {os.getloadavg()}")


if __name__ == "__main__":
    main()
