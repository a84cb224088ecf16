"""Benchmark tasks for retention: weekly recurring retention, 12 periods, any event.

Every implementation computes the same numbers: Monday weeks in UTC, the range is the 12 weeks
ending with the week of the last event, a user joins the cohort of every week in which they had
an event, and cell k counts the cohort members with an event exactly k weeks later (cell 0 = the
cohort size).  Each function returns its engine's natural result; :func:`as_matrix` turns any of
them into the 12 x 12 count matrix (zeros outside the triangle) and :func:`check` asserts that the
four agree.

Run ``python benchmarks/tasks_retention.py --events 1000000 --users 100000`` to time the four
implementations on a synthetic log built with numpy (:func:`make_context`).
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import time
from collections.abc import Callable
from typing import Any

import duckdb
import numpy as np
import pandas as pd
import polars as pl

from useropslib.events import EventLog
from useropslib.metrics import retention

PERIODS = 12
NS_PER_DAY = 86_400_000_000_000
US_PER_DAY = 86_400_000_000


# ---------------------------------------------------------------------------- implementations


def retention_useropslib(ctx: Any) -> object:
    return retention(ctx.log, period="week", periods=PERIODS, tz="UTC", week_start="monday").counts


def _ts_us(ctx: Any) -> str:
    columns = {row[0] for row in ctx.duck.sql("DESCRIBE events").fetchall()}
    return "ts_us" if "ts_us" in columns else "epoch_us(timestamp)"


def matrix_from_masks(masks: Any, users: Any) -> np.ndarray:
    """Cells from per-user activity bitmasks: ``users[j]`` users were active in the weeks of
    ``masks[j]`` (bit i = week i of the range); cell (i, k) counts those with bits i and i + k.
    """
    m = np.asarray(masks, dtype=np.int64)
    n = np.asarray(users, dtype=np.int64)
    bits = (m[:, None] >> np.arange(PERIODS)) & 1
    co = (bits * n[:, None]).T @ bits  # week x week co-activity
    out = np.zeros((PERIODS, PERIODS), dtype=np.int64)
    for k in range(PERIODS):
        out[: PERIODS - k, k] = np.diagonal(co, offset=k)
    return out


def retention_duckdb(ctx: Any) -> object:
    """DuckDB's best form found: one bitmask of active weeks per user, counted per mask."""
    sql = f"""
        WITH uw AS (SELECT user_id, ({_ts_us(ctx)} // {US_PER_DAY} + 3) // 7 AS w FROM events),
        lim AS (SELECT max(w) - {PERIODS - 1} AS first FROM uw),
        per_user AS (
            SELECT bit_or(1::BIGINT << (w - first)::INTEGER) AS m
            FROM uw, lim WHERE w >= first GROUP BY user_id
        )
        SELECT m, count(*) AS n FROM per_user GROUP BY m
    """
    r = ctx.duck.sql(sql).fetchnumpy()
    return matrix_from_masks(r["m"], r["n"])


def retention_duckdb_join(ctx: Any) -> object:
    """The textbook SQL: distinct (user, week) pairs self-joined on the user."""
    sql = f"""
        WITH uw AS (
            SELECT DISTINCT user_id, ({_ts_us(ctx)} // {US_PER_DAY} + 3) // 7 AS w FROM events
        ),
        lim AS (SELECT max(w) - {PERIODS - 1} AS first FROM uw),
        r AS (SELECT user_id, w - first AS i FROM uw, lim WHERE w >= first)
        SELECT a.i AS cohort, b.i - a.i AS k, count(*) AS n
        FROM r AS a JOIN r AS b ON a.user_id = b.user_id AND b.i >= a.i
        GROUP BY ALL
    """
    return ctx.duck.sql(sql).df()


def _polars_weeks(ctx: Any) -> tuple[Any, int]:
    week = (pl.col("timestamp").dt.epoch("us") // US_PER_DAY + 3) // 7
    lf = ctx.pl.lazy().select(pl.col("user_id"), week.alias("w"))
    first = lf.select(pl.col("w").max() - (PERIODS - 1)).collect().item()
    return lf.filter(pl.col("w") >= first).select("user_id", pl.col("w") - first), first


def retention_polars(ctx: Any) -> object:
    """Polars' best form found: one bitmask of active weeks per user, counted per mask."""
    lf, _ = _polars_weeks(ctx)
    bit = pl.lit(2, dtype=pl.Int64).pow(pl.col("w")).cast(pl.Int64)
    per_user = lf.group_by("user_id").agg(bit.unique().sum().alias("m"))
    counts = per_user.group_by("m").len().collect()
    return matrix_from_masks(counts["m"].to_numpy(), counts["len"].to_numpy())


def retention_polars_join(ctx: Any) -> object:
    """The textbook frame recipe: distinct (user, week) pairs self-joined on the user."""
    lf, _ = _polars_weeks(ctx)
    r = lf.unique().rename({"w": "i"})
    pairs = r.join(r, on="user_id", suffix="_r").filter(pl.col("i_r") >= pl.col("i"))
    out = pairs.group_by(pl.col("i").alias("cohort"), (pl.col("i_r") - pl.col("i")).alias("k"))
    return out.len().collect()


def retention_pandas(ctx: Any) -> object:
    """The idiomatic pandas recipe: drop_duplicates, self-merge, groupby size."""
    df = ctx.df
    days = df["timestamp"].dt.tz_convert(None).astype("int64") // NS_PER_DAY
    uw = pd.DataFrame({"user_id": df["user_id"], "w": (days + 3) // 7}).drop_duplicates()
    first = uw["w"].max() - (PERIODS - 1)
    r = uw[uw["w"] >= first]
    pairs = r.merge(r, on="user_id", suffixes=("", "_r"))
    pairs = pairs[pairs["w_r"] >= pairs["w"]]
    return pairs.groupby([pairs["w"] - first, pairs["w_r"] - pairs["w"]]).size()


TASKS: dict[str, dict[str, Callable[[Any], object]]] = {
    "retention_week_12": {
        "useropslib": retention_useropslib,
        "duckdb": retention_duckdb,
        "polars": retention_polars,
        "pandas": retention_pandas,
    }
}
# the textbook join formulations, kept for comparison (slower than the bitmask ones above)
ALTERNATIVES: dict[str, dict[str, Callable[[Any], object]]] = {
    "retention_week_12": {
        "duckdb_join": retention_duckdb_join,
        "polars_join": retention_polars_join,
    }
}


# ---------------------------------------------------------------------------- agreement


def as_matrix(result: object) -> np.ndarray:
    """Turn any implementation's result into the PERIODS x PERIODS count matrix."""
    m = np.zeros((PERIODS, PERIODS), dtype=np.int64)
    if isinstance(result, np.ndarray):  # already a matrix (the bitmask formulations)
        return result
    if isinstance(result, pd.DataFrame) and "n" in result.columns:  # duckdb join
        cohort, k, n = result["cohort"], result["k"], result["n"]
    elif isinstance(result, pl.DataFrame):  # polars join
        cohort, k, n = result["cohort"].to_numpy(), result["k"].to_numpy(), result["len"]
    elif isinstance(result, pd.Series):  # pandas groupby size
        cohort = result.index.get_level_values(0)
        k = result.index.get_level_values(1)
        n = result
    elif isinstance(result, pd.DataFrame):  # useropslib counts
        return np.asarray(result.fillna(0).to_numpy(dtype=np.int64))
    else:
        raise TypeError(f"unexpected result type {type(result).__name__}")
    c = np.asarray(cohort, dtype=np.int64)
    kk = np.asarray(k, dtype=np.int64)
    keep = kk < PERIODS
    m[c[keep], kk[keep]] = np.asarray(n, dtype=np.int64)[keep]
    return m


def check(ctx: Any) -> None:
    """Assert that the four implementations give the same matrix on ``ctx``."""
    for task_name, task in TASKS.items():
        impls = {**task, **ALTERNATIVES.get(task_name, {})}
        results = {name: as_matrix(fn(ctx)) for name, fn in impls.items()}
        ref = results["useropslib"]
        for name, m in results.items():
            assert np.array_equal(m, ref), f"{name} disagrees with useropslib:\n{m}\n{ref}"


# ---------------------------------------------------------------------------- standalone run


@dataclasses.dataclass
class Context:
    df: pd.DataFrame
    log: EventLog
    pl: pl.DataFrame
    duck: duckdb.DuckDBPyConnection


def make_context(n_events: int, n_users: int, *, weeks: int = 26, seed: int = 0) -> Context:
    """A synthetic log built with numpy: users with skewed activity over ``weeks`` weeks."""
    rng = np.random.default_rng(seed)
    # each user is active from a start day for an exponential lifetime; events fall inside it
    span_days = weeks * 7
    start_day = rng.integers(0, span_days, n_users)
    life = np.minimum(rng.exponential(30.0, n_users), span_days).astype(np.int64) + 1
    weight = rng.pareto(1.5, n_users) + 1.0
    user = rng.choice(n_users, size=n_events, p=weight / weight.sum())
    offset = (rng.random(n_events) * life[user]).astype(np.int64)
    day = np.minimum(start_day[user] + offset, span_days - 1)
    t0 = pd.Timestamp("2024-01-01", tz="UTC").value
    ts = t0 + day * NS_PER_DAY + rng.integers(0, NS_PER_DAY, n_events)
    names = np.array(["app_open", "view_item", "like", "post", "purchase"], dtype=object)
    df = pd.DataFrame(
        {
            "user_id": pd.Series(np.char.add("u", user.astype(str)), dtype=object),
            "event": names[rng.integers(0, names.size, n_events)],
            "timestamp": pd.to_datetime(np.sort(ts), utc=True),
            "value": rng.random(n_events),
        }
    )
    log = EventLog.from_pandas(df, tz="UTC")
    con = duckdb.connect()
    con.execute("SET TimeZone='UTC'")
    con.register("events_df", df)
    con.execute("CREATE TABLE events AS SELECT *, epoch_us(timestamp) AS ts_us FROM events_df")
    con.unregister("events_df")
    return Context(df=df, log=log, pl=pl.from_pandas(df), duck=con)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--users", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    t = time.perf_counter()
    ctx = make_context(args.events, args.users)
    print(
        f"built context: {args.events:,} events, {args.users:,} users, "
        f"{time.perf_counter() - t:.1f} s"
    )
    t = time.perf_counter()
    retention_useropslib(ctx)  # the first call also computes and caches the log's week codes
    print(f"useropslib cold (week codes not cached yet): {time.perf_counter() - t:.3f} s")
    check(ctx)
    print(f"load average: {os.getloadavg()}")
    for task, impls in TASKS.items():
        for name, fn in {**impls, **ALTERNATIVES.get(task, {})}.items():
            times = []
            for _ in range(args.repeat):
                t = time.perf_counter()
                fn(ctx)
                times.append(time.perf_counter() - t)
            print(f"{task:20s} {name:12s} first {times[0]:7.3f} s  best {min(times):7.3f} s")
    print(f"load average: {os.getloadavg()}")


if __name__ == "__main__":
    main()
