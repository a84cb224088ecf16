"""Benchmark task for funnels: a 3-step ordered funnel with a 7-day window, best attempt.

Every implementation computes the same numbers, PostHog's ordered funnel with distinct step
names: an attempt starts at any step-1 event; step 2 is the first step-2 event at or after it
(same user), step 3 the first step-3 event at or after that; a step counts when it happens
within 7 days of the attempt's step-1 event (inclusive).  Each user counts once, by their
furthest-reaching attempt; the answer is the number of users reaching at least step 1, 2, 3.
DuckDB and Polars do it with two as-of joins, pandas with two ``merge_asof`` calls, useropslib
with :func:`useropslib.metrics.funnel` (which also computes times to convert).

Run ``python benchmarks/tasks_funnel.py --events 1000000`` to time the four implementations on
the project's synthetic log (:func:`useropslib.datasets.synthetic_frame`, 180 days, about 10.5
events per user, cut to exactly ``--events`` rows, as ``benchmarks/run.py`` builds it).
"""

from __future__ import annotations

import argparse
import dataclasses
import math
import time
from collections.abc import Callable
from typing import Any

import duckdb
import numpy as np
import pandas as pd
import polars as pl

from useropslib.events import EventLog
from useropslib.metrics import funnel

STEPS = ("app_open", "view_item", "add_to_cart")
WINDOW_DAYS = 7
US_WINDOW = WINDOW_DAYS * 86_400_000_000
_FALLBACK: dict[int, tuple[str, str, str]] = {}


def steps_of(ctx: Any) -> tuple[str, str, str]:
    """The funnel's steps: STEPS when the data has them, else its three most frequent events."""
    key = id(ctx)
    if key not in _FALLBACK:
        names = set(map(str, ctx.log.event_names))
        if set(STEPS) <= names:
            _FALLBACK[key] = STEPS
        else:
            top = [str(n) for n in ctx.log.event_counts().index[:3]]
            _FALLBACK[key] = (top[0], top[1], top[2])
    return _FALLBACK[key]


# ---------------------------------------------------------------------------- implementations


def funnel_useropslib(ctx: Any) -> object:
    res = funnel(ctx.log, list(steps_of(ctx)), window=f"{WINDOW_DAYS}D")
    return res.table["users"].tolist()


def funnel_duckdb(ctx: Any) -> object:
    a, b, c = steps_of(ctx)
    cols = {r[0] for r in ctx.duck.execute("DESCRIBE events").fetchall()}
    ts = "ts_us" if "ts_us" in cols else "epoch_us(timestamp)"
    sql = f"""
        WITH s1 AS (SELECT user_id, {ts} AS t1 FROM events WHERE event = '{a}'),
        s2 AS (SELECT user_id, {ts} AS t2 FROM events WHERE event = '{b}'),
        s3 AS (SELECT user_id, {ts} AS t3 FROM events WHERE event = '{c}'),
        j2 AS (
            SELECT s1.user_id, t1, t2 FROM s1
            ASOF LEFT JOIN s2 ON s1.user_id = s2.user_id AND s2.t2 >= s1.t1
        ),
        j3 AS (
            SELECT j2.user_id, t1, t2, t3 FROM j2
            ASOF LEFT JOIN s3 ON j2.user_id = s3.user_id AND s3.t3 >= j2.t2
        ),
        lvl AS (
            SELECT user_id, max(CASE
                WHEN t2 IS NULL OR t2 - t1 > {US_WINDOW} THEN 1
                WHEN t3 IS NULL OR t3 - t1 > {US_WINDOW} THEN 2
                ELSE 3 END) AS r
            FROM j3 GROUP BY user_id
        )
        SELECT count(*) FILTER (r >= 1), count(*) FILTER (r >= 2), count(*) FILTER (r >= 3)
        FROM lvl
    """
    # fetchall: a result left half-read blocks the next query on this connection (DuckDB 2)
    row = ctx.duck.execute(sql).fetchall()[0]
    return [int(v) for v in row]


def funnel_polars(ctx: Any) -> object:
    a, b, c = steps_of(ctx)
    t = pl.col("timestamp").dt.epoch("us")
    base = ctx.pl.lazy().filter(pl.col("event").is_in([a, b, c]))

    def step(name: str, col: str) -> pl.LazyFrame:
        return base.filter(pl.col("event") == name).select("user_id", t.alias(col)).sort(col)

    j = step(a, "t1").join_asof(
        step(b, "t2"),
        left_on="t1",
        right_on="t2",
        by="user_id",
        strategy="forward",
        check_sortedness=False,
    )
    j = (
        j.with_columns(pl.col("t2").fill_null(np.iinfo(np.int64).max))
        .sort("t2")
        .join_asof(
            step(c, "t3"),
            left_on="t2",
            right_on="t3",
            by="user_id",
            strategy="forward",
            check_sortedness=False,
        )
    )
    in2 = (pl.col("t2") - pl.col("t1")) <= US_WINDOW
    in3 = pl.col("t3").is_not_null() & ((pl.col("t3") - pl.col("t1")) <= US_WINDOW)
    reach = pl.lit(1) + in2.cast(pl.Int8) + (in2 & in3).cast(pl.Int8)
    per_user = j.group_by("user_id").agg(reach.max().alias("r"))
    out = per_user.select([(pl.col("r") >= k).sum().alias(f"s{k}") for k in (1, 2, 3)]).collect()
    return [int(v) for v in out.row(0)]


def funnel_pandas(ctx: Any) -> object:
    a, b, c = steps_of(ctx)
    df = ctx.df
    sel = df[df["event"].isin([a, b, c])]
    t = sel["timestamp"].dt.tz_convert(None).astype("int64") // 1000  # us: exact as float
    frame = pd.DataFrame({"user_id": sel["user_id"], "event": sel["event"], "t": t})

    def step(name: str, col: str) -> pd.DataFrame:
        s = frame.loc[frame["event"] == name, ["user_id", "t"]].rename(columns={"t": col})
        return s.sort_values(col, kind="stable")

    j = pd.merge_asof(
        step(a, "t1"),
        step(b, "t2"),
        left_on="t1",
        right_on="t2",
        by="user_id",
        direction="forward",
    )
    j["t2"] = j["t2"].fillna(np.iinfo(np.int64).max // 2).astype("int64")
    j = pd.merge_asof(
        j.sort_values("t2", kind="stable"),
        step(c, "t3"),
        left_on="t2",
        right_on="t3",
        by="user_id",
        direction="forward",
    )
    in2 = (j["t2"] - j["t1"]) <= US_WINDOW
    in3 = j["t3"].notna() & ((j["t3"] - j["t1"]) <= US_WINDOW)
    reach = 1 + in2.astype(int) + (in2 & in3).astype(int)
    per_user = reach.groupby(j["user_id"]).max()
    return [int((per_user >= k).sum()) for k in (1, 2, 3)]


TASKS: dict[str, dict[str, Callable[[Any], object]]] = {
    "funnel_3step_7d": {
        "useropslib": funnel_useropslib,
        "duckdb": funnel_duckdb,
        "polars": funnel_polars,
        "pandas": funnel_pandas,
    }
}


# ---------------------------------------------------------------------------- agreement


def check(ctx: Any) -> None:
    """Assert that the four implementations give the same step counts on ``ctx``."""
    for task in TASKS.values():
        results = {name: fn(ctx) for name, fn in task.items()}
        ref = results["useropslib"]
        for name, got in results.items():
            assert got == ref, f"{name} disagrees with useropslib: {got} != {ref}"


# ---------------------------------------------------------------------------- standalone run


@dataclasses.dataclass
class Context:
    df: pd.DataFrame
    log: EventLog
    pl: pl.DataFrame
    duck: duckdb.DuckDBPyConnection


def make_context(n_events: int, *, seed: int = 0) -> Context:
    """The synthetic frame ``benchmarks/run.py`` uses, cut to exactly ``n_events`` rows."""
    from useropslib.datasets import synthetic_frame

    n_users = max(1, math.ceil(n_events / 10.5))
    df = synthetic_frame(n_users=n_users, days=180, seed=seed).iloc[:n_events]
    df = df[["user_id", "event", "timestamp", "value"]].reset_index(drop=True)
    df["timestamp"] = df["timestamp"].dt.tz_convert("UTC")
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
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--skip", nargs="*", default=[], help="implementations not to time")
    args = parser.parse_args()
    check(make_context(20_000, seed=1))
    t = time.perf_counter()
    ctx = make_context(args.events)
    print(
        f"built context: {args.events:,} events, {ctx.log.n_users:,} users, steps "
        f"{steps_of(ctx)}, {time.perf_counter() - t:.1f} s"
    )
    for task, impls in TASKS.items():
        answers = {}
        for name, fn in impls.items():
            if name in args.skip:
                continue
            times = []
            for _ in range(args.repeat):
                t = time.perf_counter()
                answers[name] = fn(ctx)
                times.append(time.perf_counter() - t)
            print(
                f"{task:16s} {name:10s} first {times[0]:7.3f} s  best {min(times):7.3f} s  "
                f"{answers[name]}"
            )
        assert len({str(v) for v in answers.values()}) == 1, answers


if __name__ == "__main__":
    main()
