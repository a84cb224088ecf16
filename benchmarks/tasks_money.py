"""Benchmark tasks for monetisation: weekly revenue / ARPU inputs and a 12-week LTV table.

Every implementation computes the same numbers on UTC Monday weeks:

* ``revenue_week``: per week with any event, the revenue (sum of ``value`` over ``purchase``
  events), the number of purchases, the active users (distinct users with any event) and the
  paying users (distinct users with a purchase).  ARPU and ARPPU are these ratios.
* ``ltv_week_12``: each user's cohort is the week of their first event; per (cohort, age) with
  age 0..11 weeks the revenue of the cohort's purchases, cumulated over ages, with the cohort
  sizes; cells after the week of the last event are not observed.

:func:`revenue_matrix` and :func:`ltv_matrix` turn any implementation's result into one array and
:func:`check` asserts that the four agree.  Run
``python benchmarks/tasks_money.py --events 1000000 --users 100000`` to time them on a synthetic
log built with numpy (:func:`make_context`).
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
from useropslib.metrics import LTVResult, RevenueResult, ltv_curve, revenue

PERIODS = 12
NS_PER_DAY = 86_400_000_000_000
US_PER_DAY = 86_400_000_000


# ---------------------------------------------------------------------------- revenue_week


def revenue_useropslib(ctx: Any) -> object:
    return revenue(ctx.log, period="week")


def revenue_duckdb(ctx: Any) -> object:
    sql = f"""
        SELECT (ts_us // {US_PER_DAY} + 3) // 7 AS w,
               coalesce(sum(value) FILTER (WHERE event = 'purchase'), 0) AS revenue,
               count(*) FILTER (WHERE event = 'purchase') AS purchases,
               count(DISTINCT user_id) AS active_users,
               count(DISTINCT user_id) FILTER (WHERE event = 'purchase') AS paying_users
        FROM events GROUP BY w ORDER BY w
    """
    return ctx.duck.sql(sql).df()


def revenue_polars(ctx: Any) -> object:
    week = (pl.col("timestamp").dt.epoch("us") // US_PER_DAY + 3) // 7
    buy = pl.col("event") == "purchase"
    return (
        ctx.pl.lazy()
        .group_by(week.alias("w"))
        .agg(
            pl.col("value").filter(buy).sum().alias("revenue"),
            buy.sum().alias("purchases"),
            pl.col("user_id").n_unique().alias("active_users"),
            pl.col("user_id").filter(buy).n_unique().alias("paying_users"),
        )
        .sort("w")
        .collect()
    )


def revenue_pandas(ctx: Any) -> object:
    df = ctx.df
    week = (df["timestamp"].dt.tz_convert(None).astype("int64") // NS_PER_DAY + 3) // 7
    buys = df["event"] == "purchase"
    out = pd.DataFrame(
        {
            "revenue": df["value"].where(buys, 0.0).groupby(week).sum(),
            "purchases": buys.groupby(week).sum(),
            "active_users": df["user_id"].groupby(week).nunique(),
            "paying_users": df.loc[buys, "user_id"].groupby(week[buys]).nunique(),
        }
    )
    return out.fillna(0)


def revenue_matrix(result: object) -> np.ndarray:
    """(weeks with activity) x [revenue, purchases, active users, paying users]."""
    cols = ["revenue", "purchases", "active_users", "paying_users"]
    if isinstance(result, RevenueResult):
        t = result.table
        frame = t.loc[t["active_users"] > 0, cols]
    elif isinstance(result, pl.DataFrame):
        frame = result.select(cols).to_pandas()
    elif isinstance(result, pd.DataFrame):
        frame = result[cols]
    else:
        raise TypeError(f"unexpected result type {type(result).__name__}")
    return np.asarray(frame.to_numpy(dtype=np.float64))


# ---------------------------------------------------------------------------- ltv_week_12


def ltv_useropslib(ctx: Any) -> object:
    return ltv_curve(ctx.log, cohort_period="week", periods=PERIODS)


def ltv_duckdb(ctx: Any) -> object:
    sql = f"""
        WITH e AS (
            SELECT user_id, event, value, (ts_us // {US_PER_DAY} + 3) // 7 AS w FROM events
        ),
        c AS (SELECT user_id, min(w) AS cw FROM e GROUP BY user_id),
        s AS (SELECT cw, count(*) AS n FROM c GROUP BY cw),
        r AS (
            SELECT c.cw, e.w - c.cw AS age, sum(e.value) AS rev
            FROM e JOIN c USING (user_id)
            WHERE e.event = 'purchase' AND e.w - c.cw < {PERIODS}
            GROUP BY ALL
        )
        SELECT s.cw, s.n, r.age, r.rev, (SELECT max(w) FROM e) AS now
        FROM s LEFT JOIN r USING (cw)
    """
    return ctx.duck.sql(sql).df()


def ltv_polars(ctx: Any) -> object:
    week = (pl.col("timestamp").dt.epoch("us") // US_PER_DAY + 3) // 7
    e = ctx.pl.lazy().select("user_id", "event", "value", week.alias("w"))
    c = e.group_by("user_id").agg(pl.col("w").min().alias("cw"))
    s = c.group_by("cw").len("n")
    r = (
        e.filter(pl.col("event") == "purchase")
        .join(c, on="user_id")
        .with_columns((pl.col("w") - pl.col("cw")).alias("age"))
        .filter(pl.col("age") < PERIODS)
        .group_by("cw", "age")
        .agg(pl.col("value").sum().alias("rev"))
    )
    now = e.select(pl.col("w").max().alias("now"))
    return s.join(r, on="cw", how="left").join(now, how="cross").collect()


def ltv_pandas(ctx: Any) -> object:
    df = ctx.df
    week = (df["timestamp"].dt.tz_convert(None).astype("int64") // NS_PER_DAY + 3) // 7
    cohort = week.groupby(df["user_id"]).min().rename("cw")
    sizes = cohort.value_counts().rename("n")
    buys = df.loc[df["event"] == "purchase", ["user_id", "value"]].assign(w=week)
    buys = buys.join(cohort, on="user_id")
    buys["age"] = buys["w"] - buys["cw"]
    rev = buys[buys["age"] < PERIODS].groupby(["cw", "age"])["value"].sum().rename("rev")
    out = rev.reset_index().merge(sizes.rename_axis("cw").reset_index(), on="cw", how="right")
    return out.assign(now=int(week.max()))


def ltv_matrix(result: object) -> np.ndarray:
    """Cohorts x (size, cumulative revenue at ages 0..PERIODS-1, NaN where not observed)."""
    if isinstance(result, LTVResult):
        return np.column_stack([result.sizes.to_numpy(dtype=float), result.revenue.to_numpy()])
    frame = result.to_pandas() if isinstance(result, pl.DataFrame) else result
    if not isinstance(frame, pd.DataFrame):
        raise TypeError(f"unexpected result type {type(result).__name__}")
    cohorts = np.sort(frame["cw"].unique())
    now = int(frame["now"].iloc[0])
    rev = np.zeros((cohorts.size, PERIODS))
    hit = frame.dropna(subset=["age"])
    ci = np.searchsorted(cohorts, hit["cw"].to_numpy())
    np.add.at(rev, (ci, hit["age"].to_numpy(dtype=np.int64)), hit["rev"].to_numpy(dtype=float))
    cum = np.cumsum(rev, axis=1)
    cum[cohorts[:, None] + np.arange(PERIODS)[None, :] > now] = np.nan
    sizes = frame.drop_duplicates("cw").set_index("cw")["n"].reindex(cohorts).to_numpy(dtype=float)
    return np.column_stack([sizes, cum])


TASKS: dict[str, dict[str, Callable[[Any], object]]] = {
    "revenue_week": {
        "useropslib": revenue_useropslib,
        "duckdb": revenue_duckdb,
        "polars": revenue_polars,
        "pandas": revenue_pandas,
    },
    "ltv_week_12": {
        "useropslib": ltv_useropslib,
        "duckdb": ltv_duckdb,
        "polars": ltv_polars,
        "pandas": ltv_pandas,
    },
}
_MATRIX = {"revenue_week": revenue_matrix, "ltv_week_12": ltv_matrix}


def check(ctx: Any) -> None:
    """Assert that the four implementations of each task agree on ``ctx``."""
    for task, impls in TASKS.items():
        to_matrix = _MATRIX[task]
        ref = to_matrix(impls["useropslib"](ctx))
        for name, fn in impls.items():
            got = to_matrix(fn(ctx))
            assert got.shape == ref.shape, f"{task}: {name} has shape {got.shape}, not {ref.shape}"
            np.testing.assert_allclose(got, ref, rtol=1e-9, err_msg=f"{task}: {name}")


# ---------------------------------------------------------------------------- standalone run


@dataclasses.dataclass
class Context:
    df: pd.DataFrame
    log: EventLog
    pl: pl.DataFrame
    duck: duckdb.DuckDBPyConnection


def make_context(n_events: int, n_users: int, *, weeks: int = 26, seed: int = 0) -> Context:
    """A synthetic shop built with numpy: skewed activity, 5% purchases with lognormal values."""
    rng = np.random.default_rng(seed)
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
    codes = rng.choice(names.size, size=n_events, p=[0.45, 0.3, 0.12, 0.08, 0.05])
    value = np.where(codes == 4, np.round(rng.lognormal(3.0, 0.9, n_events), 2), np.nan)
    df = pd.DataFrame(
        {
            "user_id": pd.Series(np.char.add("u", user.astype(str)), dtype=object),
            "event": names[codes],
            "timestamp": pd.to_datetime(ts, utc=True),
            "value": value,
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
    check(make_context(20_000, 2_000, seed=1))
    t = time.perf_counter()
    ctx = make_context(args.events, args.users)
    print(
        f"built context: {args.events:,} events, {args.users:,} users, "
        f"{time.perf_counter() - t:.1f} s"
    )
    check(ctx)
    for task, impls in TASKS.items():
        for name, fn in impls.items():
            times = []
            for _ in range(args.repeat):
                t = time.perf_counter()
                fn(ctx)
                times.append(time.perf_counter() - t)
            print(f"{task:14s} {name:10s} first {times[0]:7.3f} s  best {min(times):7.3f} s")


if __name__ == "__main__":
    main()
