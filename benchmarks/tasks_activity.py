"""Benchmark tasks for active users, lifecycle and growth accounting.

Every implementation computes the same numbers on the whole log, in UTC, with Monday weeks:

- ``active_users_day``: distinct users per calendar day (DAU), first to last event day;
- ``active_users_7D``: PostHog's rolling WAU, one value per day: distinct users active in the
  7 days ending on it (looking back before the first day);
- ``lifecycle_week``: new (first-ever week) / returning / resurrecting / dormant users per week;
- ``growth_accounting_month``: active / new / retained / resurrected / churned users per month.

Each function returns its engine's natural result; :func:`as_array` turns any of them into one
int64 matrix (one row per period from the first one, one column per quantity) and :func:`check`
asserts that the four implementations agree.  DuckDB and Polars get the same algorithm as
useropslib (distinct user-period pairs, then ``lag``/``lead`` over each user's periods), not a
naive self-join; the pandas versions are the idiomatic recipes (``nunique``, ``shift``, a 7-fold
expansion for the rolling window).

Run ``python benchmarks/tasks_activity.py --events 1000000 --users 100000`` to time them on a
synthetic log built with numpy (:func:`make_context`).
"""

from __future__ import annotations

import argparse
import dataclasses
import time
from collections.abc import Callable
from typing import Any

import duckdb
import numpy as np
import pandas as pd
import polars as pl

from useropslib.events import EventLog
from useropslib.metrics import active_users, growth_accounting, lifecycle

NS_PER_DAY = 86_400_000_000_000
US_PER_DAY = 86_400_000_000
WINDOW = 7
LIFECYCLE_COLS = ("new", "returning", "resurrecting", "dormant")
GROWTH_COLS = ("active", "new", "retained", "resurrected", "churned")


def _ts_us(ctx: Any) -> str:
    """The integer microseconds column of the DuckDB table (``ts_us`` when it exists)."""
    cols = {r[0] for r in ctx.duck.execute("DESCRIBE events").fetchall()}
    return "ts_us" if "ts_us" in cols else "epoch_us(timestamp)"


# ============================================================================ active users: DAU
def dau_useropslib(ctx: Any) -> object:
    return active_users(ctx.log, window="day")


def dau_duckdb(ctx: Any) -> object:
    sql = f"""
        SELECT {_ts_us(ctx)} // {US_PER_DAY} AS p, count(DISTINCT user_id) AS n
        FROM events GROUP BY p
    """
    return ctx.duck.sql(sql).df()


def dau_polars(ctx: Any) -> object:
    day = pl.col("timestamp").dt.epoch("us") // US_PER_DAY
    out = ctx.pl.lazy().group_by(day.alias("p")).agg(pl.col("user_id").n_unique().alias("n"))
    return out.collect()


def dau_pandas(ctx: Any) -> object:
    df = ctx.df
    return df.groupby(df["timestamp"].dt.floor("D"))["user_id"].nunique()


# ============================================================================ active users: 7D
def wau_useropslib(ctx: Any) -> object:
    return active_users(ctx.log, window=f"{WINDOW}D")


def wau_duckdb(ctx: Any) -> object:
    sql = f"""
        WITH p AS (SELECT DISTINCT user_id, {_ts_us(ctx)} // {US_PER_DAY} AS d FROM events),
        lim AS (SELECT max(d) AS hi FROM p),
        n AS (SELECT d, lead(d) OVER (PARTITION BY user_id ORDER BY d) AS nd FROM p),
        x AS (
            SELECT d AS day, 1 AS delta FROM n
            UNION ALL
            SELECT least(d + {WINDOW}, coalesce(nd, hi + 1), hi + 1) AS day, -1 AS delta
            FROM n, lim
        )
        SELECT day AS p, sum(delta) AS n FROM x GROUP BY day
    """
    return ("delta", ctx.duck.sql(sql).df())


def wau_polars(ctx: Any) -> object:
    day = (pl.col("timestamp").dt.epoch("us") // US_PER_DAY).alias("d")
    p = ctx.pl.lazy().select(pl.col("user_id"), day).unique()
    hi = p.select(pl.col("d").max()).collect().item()
    # sorted by user, the next row of the same user is its next active day (no window over())
    same_next = pl.col("user_id") == pl.col("user_id").shift(-1)
    n = p.sort("user_id", "d").with_columns(
        pl.when(same_next).then(pl.col("d").shift(-1)).alias("nd")
    )
    stop = pl.min_horizontal(pl.col("d") + WINDOW, pl.col("nd").fill_null(hi + 1), pl.lit(hi + 1))
    x = pl.concat(
        [
            n.select(pl.col("d").alias("p"), pl.lit(1).alias("delta")),
            n.select(stop.alias("p"), pl.lit(-1).alias("delta")),
        ]
    )
    return ("delta", x.group_by("p").agg(pl.col("delta").sum().alias("n")).collect())


def wau_pandas(ctx: Any) -> object:
    df = ctx.df
    day = df["timestamp"].dt.floor("D")
    pairs = pd.DataFrame({"user_id": df["user_id"], "day": day}).drop_duplicates()
    last = day.max()
    expanded = pd.concat(
        [pairs.assign(day=pairs["day"] + pd.Timedelta(days=k)) for k in range(WINDOW)]
    )
    expanded = expanded[expanded["day"] <= last]
    return expanded.groupby("day")["user_id"].nunique()


# ============================================================================ lifecycle (week)
def lifecycle_useropslib(ctx: Any) -> object:
    return lifecycle(ctx.log, period="week", dormant_sign="positive").counts


def _status_sql(period_expr: str) -> str:
    """Per period: new, returning, resurrecting and dormant users (dormant: lead over pairs)."""
    return f"""
        WITH p AS (SELECT DISTINCT user_id, {period_expr} AS w FROM events),
        lim AS (SELECT max(w) AS hi FROM p),
        f AS (
            SELECT w,
                   w = min(w) OVER (PARTITION BY user_id) AS is_new,
                   lag(w) OVER (PARTITION BY user_id ORDER BY w) AS pw,
                   lead(w) OVER (PARTITION BY user_id ORDER BY w) AS nw
            FROM p
        ),
        s AS (
            SELECT w AS p,
                   count(*) FILTER (WHERE is_new) AS new,
                   count(*) FILTER (WHERE NOT is_new AND pw = w - 1) AS "returning",
                   count(*) FILTER (WHERE NOT is_new AND pw < w - 1) AS resurrecting
            FROM f GROUP BY w
        ),
        d AS (
            SELECT w + 1 AS p, count(*) AS dormant FROM f, lim
            WHERE (nw IS NULL OR nw > w + 1) AND w < hi GROUP BY w + 1
        )
        SELECT p, coalesce(new, 0) AS new, coalesce("returning", 0) AS "returning",
               coalesce(resurrecting, 0) AS resurrecting, coalesce(dormant, 0) AS dormant
        FROM s FULL OUTER JOIN d USING (p)
    """


def lifecycle_duckdb(ctx: Any) -> object:
    week = f"({_ts_us(ctx)} // {US_PER_DAY} + 3) // 7"
    return ctx.duck.sql(_status_sql(week)).df()


def _polars_status(period: pl.Expr, ctx: Any) -> pl.DataFrame:
    p = ctx.pl.lazy().select(pl.col("user_id"), period.alias("w")).unique()
    hi = p.select(pl.col("w").max()).collect().item()
    user = pl.col("user_id")
    same_prev = user == user.shift(1)
    f = p.sort("user_id", "w").with_columns(
        # the first row of a user is their first-ever period
        same_prev.not_().fill_null(True).alias("is_new"),
        pl.when(same_prev).then(pl.col("w").shift(1)).alias("pw"),
        pl.when(user == user.shift(-1)).then(pl.col("w").shift(-1)).alias("nw"),
    )
    old = ~pl.col("is_new")
    s = f.group_by(pl.col("w").alias("p")).agg(
        pl.col("is_new").sum().alias("new"),
        (old & (pl.col("pw") == pl.col("w") - 1)).sum().alias("returning"),
        (old & (pl.col("pw") < pl.col("w") - 1)).sum().alias("resurrecting"),
    )
    gone = (pl.col("nw").is_null() | (pl.col("nw") > pl.col("w") + 1)) & (pl.col("w") < hi)
    d = f.filter(gone).group_by((pl.col("w") + 1).alias("p")).agg(pl.len().alias("dormant"))
    out: pl.DataFrame = s.join(d, on="p", how="full", coalesce=True).fill_null(0).collect()
    return out


def lifecycle_polars(ctx: Any) -> object:
    week = (pl.col("timestamp").dt.epoch("us") // US_PER_DAY + 3) // 7
    return _polars_status(week, ctx)


def _pandas_status(df: pd.DataFrame, period: pd.Series) -> pd.DataFrame:
    pairs = pd.DataFrame({"user_id": df["user_id"], "w": period}).drop_duplicates()
    pairs = pairs.sort_values(["user_id", "w"])
    g = pairs.groupby("user_id")["w"]
    pairs["is_new"] = pairs["w"] == g.transform("min")
    pairs["pw"] = g.shift(1)
    pairs["nw"] = g.shift(-1)
    old = ~pairs["is_new"]
    active = (
        pd.DataFrame(
            {
                "new": pairs["is_new"],
                "returning": old & (pairs["pw"] == pairs["w"] - 1),
                "resurrecting": old & (pairs["pw"] < pairs["w"] - 1),
            }
        )
        .groupby(pairs["w"])
        .sum()
    )
    gone = (pairs["nw"].isna() | (pairs["nw"] > pairs["w"] + 1)) & (pairs["w"] < pairs["w"].max())
    dormant = (pairs.loc[gone, "w"] + 1).value_counts().rename("dormant")
    out = pd.concat([active, dormant], axis=1).fillna(0).astype(np.int64)
    return out.rename_axis("p").reset_index()


def lifecycle_pandas(ctx: Any) -> object:
    df = ctx.df
    day = df["timestamp"].dt.tz_convert(None).astype("int64") // NS_PER_DAY
    return _pandas_status(df, (day + 3) // 7)


# ============================================================================ growth (month)
def growth_useropslib(ctx: Any) -> object:
    return growth_accounting(ctx.log, period="month").counts


def growth_duckdb(ctx: Any) -> object:
    ts = f"make_timestamp({_ts_us(ctx)})"
    month = f"((year({ts}) - 1970) * 12 + month({ts}) - 1)"
    return ctx.duck.sql(_status_sql(month)).df()


def growth_polars(ctx: Any) -> object:
    t = pl.col("timestamp")
    return _polars_status((t.dt.year().cast(pl.Int64) - 1970) * 12 + t.dt.month() - 1, ctx)


def growth_pandas(ctx: Any) -> object:
    df = ctx.df
    t = df["timestamp"]
    return _pandas_status(df, (t.dt.year - 1970) * 12 + t.dt.month - 1)


TASKS: dict[str, dict[str, Callable[[Any], object]]] = {
    "active_users_day": {
        "useropslib": dau_useropslib,
        "duckdb": dau_duckdb,
        "polars": dau_polars,
        "pandas": dau_pandas,
    },
    "active_users_7D": {
        "useropslib": wau_useropslib,
        "duckdb": wau_duckdb,
        "polars": wau_polars,
        "pandas": wau_pandas,
    },
    "lifecycle_week": {
        "useropslib": lifecycle_useropslib,
        "duckdb": lifecycle_duckdb,
        "polars": lifecycle_polars,
        "pandas": lifecycle_pandas,
    },
    "growth_accounting_month": {
        "useropslib": growth_useropslib,
        "duckdb": growth_duckdb,
        "polars": growth_polars,
        "pandas": growth_pandas,
    },
}


# ============================================================================ agreement
def _dense(p: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Rows keyed by period code -> a dense matrix from the first period to the last."""
    p = np.asarray(p, dtype=np.int64)
    values = np.asarray(values, dtype=np.int64).reshape(p.size, -1)
    out = np.zeros((int(p.max() - p.min()) + 1, values.shape[1]), dtype=np.int64)
    out[p - p.min()] = values
    return out


def as_array(task: str, result: object) -> np.ndarray:
    """Turn any implementation's result for ``task`` into one int64 matrix."""
    delta = isinstance(result, tuple)
    if delta:
        result = result[1]  # type: ignore[index]
    if isinstance(result, pl.LazyFrame):
        result = result.collect()
    if isinstance(result, pl.DataFrame):
        result = result.to_pandas()
    if isinstance(result, pd.Series):  # useropslib active users, pandas groupby
        out = result.to_numpy(dtype=np.int64).reshape(-1, 1)
        index = pd.DatetimeIndex(result.index)
        days = (index.tz_convert("UTC").tz_localize(None) - pd.Timestamp(0)).days
        return _dense(np.asarray(days), out)
    assert isinstance(result, pd.DataFrame)
    if "p" in result.columns:  # duckdb / polars rows
        cols = ["n"] if "n" in result.columns else list(LIFECYCLE_COLS)
        m = _dense(result["p"].to_numpy(), result[cols].to_numpy())
        if delta:  # rolling window as +1/-1 changes per day, ending one day after the last
            m = np.cumsum(m, axis=0)[:-1]
        return _growth_form(task, m)
    if "retained" in result.columns:  # useropslib growth accounting
        return result[list(GROWTH_COLS)].to_numpy(dtype=np.int64)
    return _growth_form(task, result[list(LIFECYCLE_COLS)].to_numpy(dtype=np.int64))


def _growth_form(task: str, m: np.ndarray) -> np.ndarray:
    """For growth accounting: lifecycle columns -> active, new, retained, resurrected, churned."""
    if task != "growth_accounting_month":
        return m
    active = m[:, :3].sum(axis=1, keepdims=True)
    return np.hstack([active, m])


def check(ctx: Any) -> None:
    """Assert that the four implementations of every task agree on ``ctx``."""
    for task, impls in TASKS.items():
        results = {name: as_array(task, fn(ctx)) for name, fn in impls.items()}
        ref = results["useropslib"]
        for name, m in results.items():
            assert m.shape == ref.shape, f"{task}: {name} shape {m.shape} != {ref.shape}"
            assert np.array_equal(m, ref), f"{task}: {name} disagrees with useropslib"


# ============================================================================ standalone run
@dataclasses.dataclass
class Context:
    df: pd.DataFrame
    log: EventLog
    pl: pl.DataFrame
    duck: duckdb.DuckDBPyConnection


def make_context(n_events: int, n_users: int, *, days: int = 180, seed: int = 0) -> Context:
    """A synthetic log built with numpy: users active for an exponential lifetime, skewed rates."""
    rng = np.random.default_rng(seed)
    start_day = rng.integers(0, days, n_users)
    life = np.minimum(rng.exponential(30.0, n_users), days).astype(np.int64) + 1
    weight = rng.pareto(1.5, n_users) + 1.0
    user = rng.choice(n_users, size=n_events, p=weight / weight.sum())
    offset = (rng.random(n_events) * life[user]).astype(np.int64)
    day = np.minimum(start_day[user] + offset, days - 1)
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
    parser.add_argument("--methods", nargs="*", help="only these methods (default: all four)")
    args = parser.parse_args()
    t = time.perf_counter()
    ctx = make_context(args.events, args.users)
    print(
        f"built context: {args.events:,} events, {args.users:,} users, "
        f"{time.perf_counter() - t:.1f} s"
    )
    check_ctx = make_context(20_000, 2_000, seed=1)
    check(check_ctx)
    print("check: the four implementations agree")
    for task, impls in TASKS.items():
        for name, fn in impls.items():
            if args.methods and name not in args.methods:
                continue
            times = []
            for _ in range(args.repeat):
                # a fresh view of the log: its per-period codes are computed again in the call
                ctx.log = ctx.log.with_tz(ctx.log.tz)
                t = time.perf_counter()
                fn(ctx)
                times.append(time.perf_counter() - t)
            print(
                f"{task:24s} {name:10s} median {np.median(times):7.3f} s  best {min(times):7.3f} s"
            )


if __name__ == "__main__":
    main()
