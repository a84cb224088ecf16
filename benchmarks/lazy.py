"""Metrics on a Parquet file: collect every row first, or let the engine reduce (LazyEventLog.scan).

Usage::

    python benchmarks/lazy.py --size 10M            # the cached synthetic Parquet of run.py
    python benchmarks/lazy.py --size 10M --burst 8  # denser: 8 events per visit
    python benchmarks/lazy.py --size 20k --smoke    # a few seconds
    python benchmarks/lazy.py --size 10M --users    # per-user churn answers, own query too
    python benchmarks/lazy.py --size 10M --segments # segment answers (tiers, stages, trees)

The synthetic log has about 10 events per user over 180 days, nearly all on different days, so a
roll-up to user-days is barely smaller than the log.  Product logs usually have many events per
visit (page views, clicks); ``--burst K`` builds such a log from the synthetic one: each of
``size / K`` synthetic events is followed by ``K - 1`` more of the same name in the next seconds.

Each (engine, mode, metric) runs in a fresh child process, which reports its wall time from
opening the file to the answer and its peak resident memory (``VmHWM``, so the figure includes
the Python interpreter and the libraries, about 200-300 MB).  "eager" is
``read_events(path, engine=...)`` (the engine encodes, every row is collected) followed by the
metric; "lazy" is ``scan_events(path, engine=...)`` followed by the same metric, which collects
only the roll-up or the rows it needs (or, for the functions answered whole in the engine, only
the answer).  "own" is the engine's own hand-written query for the same answer (DuckDB SQL, a
Polars LazyFrame query) on the same file, in a fresh process too; ``lazy / own`` is the ratio.
The answers are compared (the own query's periods with activity against the metric's).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import _harness as h  # noqa: E402
import pandas as pd  # noqa: E402

METRICS = [
    "active_users (day)",
    "retention (week, 12)",
    "lifecycle (week)",
    "growth_accounting (month)",
    "funnel (3 steps, 7D)",
    "funnel first entry (3 steps, 7D)",
    "revenue (week)",
    "retention (week, 12, first_time)",
    "stickiness (day)",
    "ltv_curve (week, 12)",
    "message_funnel (channel, 7D)",
    "stickiness_ratio (day / month)",
    "growth_states (day)",
]

#: money, message and DAU/MAU metrics answered whole in the engine (#19 item 2), own queries too
MONEY_METRICS = (
    "revenue (week)",
    "ltv_curve (week, 12)",
    "message_funnel (channel, 7D)",
    "stickiness_ratio (day / month)",
)

#: (engine, metric) pairs with a hand-written query in the child's ``OWN`` table
OWN_QUERIES = (
    {
        (engine, name)
        for engine in ("duckdb", "polars")
        for name in ("active_users (day)", "retention (week, 12, first_time)", "stickiness (day)")
    }
    | {(engine, name) for engine in ("duckdb", "polars") for name in MONEY_METRICS}
    | {
        (engine, name)
        for engine in ("duckdb", "polars")
        for name in ("lifecycle (week)", "growth_accounting (month)", "growth_states (day)")
    }
)

# per-user churn answers (#15, #19 item 4): one GROUP BY user in the engine on a lazy log
USER_METRICS = [
    "churn_labels (30D)",
    "survival_frame (30D, terminal)",
    "survival_frame (30D, first_lapse)",
    "natural_churn_rate (week, 5W)",
    "infer_inactivity_threshold (30D)",
    "churn_rate (30D, week)",
    "churn_features (7D, 30D)",
    "early_warning (28D, 7D)",
]

# segment answers (#15): per-user aggregates in the engine on a lazy log
SEGMENT_METRICS = [
    "value_tiers (referrals)",
    "lifecycle_stages (30D churn)",
    "members (mixed tree)",
    "membership (week, mixed tree)",
    "compare_segments (size, conversion, arpu, churn)",
]

CHILD = r"""
import json, sys, time
import pandas as pd
from useropslib import churn as ch
from useropslib import metrics as m
from useropslib import segments as sg
from useropslib import models as md
def tree():
    return md.Segment(name="mixed", condition=md.AnyOf(conditions=(
        md.AllOf(conditions=(
            md.PropertyCondition(property="plan", op="eq", value="pro"),
            md.BehaviourCondition(event="purchase", window="30D"))),
        md.BehaviourCondition(event="app_open", behaviour="started_again", window="7D"),
        md.BehaviourCondition(event="like", behaviour="stopped", window="14D", times=3),
    )))
def plans():
    return pd.DataFrame({"user_id": [f"u{i:06d}" for i in range(0, 1_000_000, 7)], "plan": "pro"})
def groups():
    ids = [f"u{i:06d}" for i in range(1_000_000)]
    return {"a": ids[::3], "b": ids[::5]}
from useropslib.events import read_events, scan_events
METRICS = {
    "active_users (day)": lambda log: m.active_users(log),
    "retention (week, 12)": lambda log: m.retention(log, period="week", periods=12).to_frame(),
    "lifecycle (week)": lambda log: m.lifecycle(log, period="week").to_frame(),
    "growth_accounting (month)": lambda log: m.growth_accounting(log, period="month").to_frame(),
    "funnel (3 steps, 7D)": lambda log: m.funnel(
        log, ["app_open", "add_to_cart", "purchase"], window="7D"
    ).table,
    "funnel first entry (3 steps, 7D)": lambda log: m.funnel(
        log, ["app_open", "add_to_cart", "purchase"], window="7D", attempts="first"
    ).table,
    "revenue (week)": lambda log: m.revenue(log, period="week").table,
    "retention (week, 12, first_time)": lambda log: m.retention(
        log, period="week", periods=12, cohort="first_time"
    ).to_frame(),
    "stickiness (day)": lambda log: m.stickiness(log).to_frame(),
    "ltv_curve (week, 12)": lambda log: (lambda r: pd.DataFrame({
        "users": r.sizes, "revenue": r.revenue.ffill(axis=1).iloc[:, -1].fillna(0.0)
    }))(m.ltv_curve(log, periods=12)),
    "message_funnel (channel, 7D)": lambda log: m.message_funnel(log).table[
        ["sent", "delivered", "opened", "clicked", "returned"]
    ],
    "stickiness_ratio (day / month)": lambda log: m.stickiness_ratio(log, denominator="month"),
    "growth_states (day)": lambda log: m.growth_states(log).to_frame(),
    "churn_labels (30D)": lambda log: ch.churn_labels(log, "30D"),
    "survival_frame (30D, terminal)": lambda log: ch.survival_frame(log, "30D"),
    "survival_frame (30D, first_lapse)": lambda log: ch.survival_frame(
        log, "30D", kind="first_lapse", early_window=None
    ),
    "natural_churn_rate (week, 5W)": lambda log: ch.natural_churn_rate(log),
    "infer_inactivity_threshold (30D)": lambda log: ch.infer_inactivity_threshold(
        log, horizon="30D", rule="gap_percentile"
    ),
    "churn_rate (30D, week)": lambda log: ch.churn_rate(log, "30D", period="week"),
    "churn_features (7D, 30D)": lambda log: ch.churn_features(log),
    "early_warning (28D, 7D)": lambda log: ch.early_warning(log),
    "value_tiers (referrals)": lambda log: sg.value_tiers(
        log, referral_event="share", min_referrals=2
    ).table.sort_index(),
    "lifecycle_stages (30D churn)": lambda log: sg.lifecycle_stages(
        log, churn_definition=md.ChurnDefinition(threshold="30D")
    ).table.sort_index(),
    "members (mixed tree)": lambda log: pd.Series(
        sorted(sg.members(log, tree(), users=plans()))
    ).to_frame(),
    "membership (week, mixed tree)": lambda log: sg.membership(
        log, tree(), users=plans(), period="week"
    ).table,
    "compare_segments (size, conversion, arpu, churn)": lambda log: sg.compare_segments(
        log, groups(), metrics=["size", "conversion", "arpu", "churn_rate"],
        conversion_event="purchase",
    ).table,
}
OWN = {  # the engine's own hand-written query: what an analyst writes for the same answer
    ("duckdb", "active_users (day)"): lambda path: __import__("duckdb").sql(
        "SET TimeZone = 'Asia/Shanghai'; SELECT date_trunc('day', timestamp) AS period_start, "
        f"count(DISTINCT user_id) AS active_users FROM read_parquet('{path}') GROUP BY 1 "
        "ORDER BY 1"
    ).df().set_index("period_start")["active_users"],
    ("polars", "active_users (day)"): lambda path: (
        __import__("polars").scan_parquet(path)
        .group_by(__import__("polars").col("timestamp").dt.convert_time_zone("Asia/Shanghai")
                  .dt.truncate("1d").alias("period_start"))
        .agg(__import__("polars").col("user_id").n_unique().alias("active_users"))
        .sort("period_start").collect().to_pandas().set_index("period_start")["active_users"]
    ),
    ("duckdb", "retention (week, 12, first_time)"): lambda path: __import__("duckdb").sql(
        "SET TimeZone = 'Asia/Shanghai'; "
        "WITH uw AS (SELECT DISTINCT user_id, date_trunc('week', timestamp) AS w "
        f"FROM read_parquet('{path}')), "
        "f AS (SELECT user_id, min(w) AS c FROM uw GROUP BY 1), "
        "lim AS (SELECT max(w) - INTERVAL 11 WEEK AS lo FROM uw) "
        "SELECT c AS cohort, date_diff('week', c, w) AS k, count(*) AS n "
        "FROM f JOIN uw USING (user_id), lim WHERE c >= lim.lo "
        "AND date_diff('week', c, w) < 12 GROUP BY 1, 2 ORDER BY 1, 2"
    ).df(),
    ("polars", "retention (week, 12, first_time)"): lambda path: (lambda pl: (
        pl.scan_parquet(path)
        .select("user_id", pl.col("timestamp").dt.convert_time_zone("Asia/Shanghai")
                .dt.truncate("1w").alias("w")).unique()
        .pipe(lambda uw: uw.group_by("user_id").agg(pl.col("w").min().alias("c"))
              .join(uw, on="user_id"))
        .filter(pl.col("c") >= pl.col("w").max() - pl.duration(weeks=11))
        .with_columns(((pl.col("w") - pl.col("c")).dt.total_days() // 7).alias("k"))
        .filter(pl.col("k") < 12)
        .group_by("c", "k").agg(pl.len().alias("n")).sort("c", "k").collect().to_pandas()
    ))(__import__("polars")),
    ("duckdb", "stickiness (day)"): lambda path: __import__("duckdb").sql(
        "SET TimeZone = 'Asia/Shanghai'; SELECT n AS intervals, count(*) AS n FROM ("
        "SELECT user_id, count(DISTINCT date_trunc('day', timestamp)) AS n "
        f"FROM read_parquet('{path}') GROUP BY 1) GROUP BY 1 ORDER BY 1"
    ).df(),
    ("polars", "stickiness (day)"): lambda path: (lambda pl: (
        pl.scan_parquet(path)
        .group_by("user_id")
        .agg(pl.col("timestamp").dt.convert_time_zone("Asia/Shanghai").dt.truncate("1d")
             .n_unique().alias("intervals"))
        .group_by("intervals").agg(pl.len().alias("n")).sort("intervals").collect().to_pandas()
    ))(__import__("polars")),
    # revenue per week: sum of purchase amounts, purchases, active and paying users
    ("duckdb", "revenue (week)"): lambda path: __import__("duckdb").sql(
        "SET TimeZone = 'Asia/Shanghai'; SELECT date_trunc('week', timestamp) AS period, "
        "sum(coalesce(value, 0)) FILTER (event = 'purchase') AS revenue, "
        "count(*) FILTER (event = 'purchase') AS purchases, "
        "count(DISTINCT user_id) AS active_users, "
        "count(DISTINCT user_id) FILTER (event = 'purchase') AS paying_users "
        f"FROM read_parquet('{path}') GROUP BY 1 ORDER BY 1"
    ).df(),
    ("polars", "revenue (week)"): lambda path: (lambda pl: (
        pl.scan_parquet(path)
        .with_columns((pl.col("event") == "purchase").alias("buy"))
        .group_by(pl.col("timestamp").dt.convert_time_zone("Asia/Shanghai").dt.truncate("1w")
                  .alias("period"))
        .agg(pl.col("value").fill_null(0.0).filter(pl.col("buy")).sum().alias("revenue"),
             pl.col("buy").sum().alias("purchases"),
             pl.col("user_id").n_unique().alias("active_users"),
             pl.col("user_id").filter(pl.col("buy")).n_unique().alias("paying_users"))
        .sort("period").collect().to_pandas()
    ))(__import__("polars")),
    # LTV: first event per user, its week the cohort; purchases since then by weeks of age
    ("duckdb", "ltv_curve (week, 12)"): lambda path: __import__("duckdb").sql(
        "SET TimeZone = 'Asia/Shanghai'; "
        f"WITH p AS (SELECT * FROM read_parquet('{path}')), "
        "a AS (SELECT user_id, min(timestamp) AS a FROM p GROUP BY 1), "
        "c AS (SELECT user_id, a, date_trunc('week', a) AS c FROM a), "
        "r AS (SELECT c.c, sum(coalesce(p.value, 0)) AS revenue FROM p JOIN c USING (user_id) "
        "WHERE p.event = 'purchase' AND p.timestamp >= c.a "
        "AND date_diff('week', c.c, date_trunc('week', p.timestamp)) < 12 GROUP BY 1) "
        "SELECT c.c AS cohort, count(*) AS users, any_value(coalesce(r.revenue, 0)) AS revenue "
        "FROM c LEFT JOIN r USING (c) GROUP BY 1 ORDER BY 1"
    ).df(),
    ("polars", "ltv_curve (week, 12)"): lambda path: (lambda pl: (lambda p, wk: (
        p.group_by("user_id").agg(pl.col("timestamp").min().alias("a"))
        .with_columns(wk(pl.col("a")).alias("c"))
        .pipe(lambda c: c.group_by("c").agg(pl.len().alias("users")).join(
            p.filter(pl.col("event") == "purchase").join(c, on="user_id")
            .filter(pl.col("timestamp") >= pl.col("a"),
                    (wk(pl.col("timestamp")) - pl.col("c")).dt.total_days() < 84)
            .group_by("c").agg(pl.col("value").fill_null(0.0).sum().alias("revenue")),
            on="c", how="left"))
        .with_columns(pl.col("revenue").fill_null(0.0)).sort("c").collect().to_pandas()
    ))(pl.scan_parquet(path),
       lambda e: e.dt.convert_time_zone("Asia/Shanghai").dt.truncate("1w")))(
        __import__("polars")),
    # message funnel by channel: first send per (user, channel), stages seen, a return within
    # 7 days of the first send (any non-message event)
    ("duckdb", "message_funnel (channel, 7D)"): lambda path: __import__("duckdb").sql(
        f"WITH p AS (SELECT * FROM read_parquet('{path}')), "
        "m AS (SELECT user_id, channel, "
        "min(timestamp) FILTER (event = 'message_sent') AS fs, "
        "max((event IN ('message_delivered', 'message_opened', 'message_clicked'))::INT) AS d, "
        "max((event IN ('message_opened', 'message_clicked'))::INT) AS o, "
        "max((event = 'message_clicked')::INT) AS k FROM p "
        "WHERE event LIKE 'message_%' AND channel IS NOT NULL GROUP BY 1, 2), "
        "r AS (SELECT DISTINCT m.user_id, m.channel FROM m JOIN p USING (user_id) "
        "WHERE p.event NOT LIKE 'message_%' AND p.timestamp >= m.fs "
        "AND p.timestamp <= m.fs + INTERVAL 7 DAY) "
        "SELECT channel, count(fs) AS sent, sum(d) FILTER (fs IS NOT NULL) AS delivered, "
        "sum(o) FILTER (fs IS NOT NULL) AS opened, sum(k) FILTER (fs IS NOT NULL) AS clicked, "
        "count(r.user_id) AS returned FROM m LEFT JOIN r USING (user_id, channel) "
        "GROUP BY 1 ORDER BY 1"
    ).df(),
    ("polars", "message_funnel (channel, 7D)"): lambda path: (lambda pl: (lambda p: (
        p.filter(pl.col("event").str.starts_with("message_"), pl.col("channel").is_not_null())
        .group_by("user_id", "channel")
        .agg(pl.col("timestamp").filter(pl.col("event") == "message_sent").min().alias("fs"),
             pl.col("event").is_in(["message_delivered", "message_opened", "message_clicked"])
             .max().alias("d"),
             pl.col("event").is_in(["message_opened", "message_clicked"]).max().alias("o"),
             (pl.col("event") == "message_clicked").max().alias("k"))
        .filter(pl.col("fs").is_not_null())
        .pipe(lambda m: m.join(
            m.join(p.filter(~pl.col("event").str.starts_with("message_"))
                   .select("user_id", "timestamp"), on="user_id")
            .filter(pl.col("timestamp") >= pl.col("fs"),
                    pl.col("timestamp") <= pl.col("fs") + pl.duration(days=7))
            .select("user_id", "channel").unique().with_columns(pl.lit(1).alias("r")),
            on=["user_id", "channel"], how="left"))
        .group_by("channel")
        .agg(pl.len().alias("sent"), pl.col("d").sum().alias("delivered"),
             pl.col("o").sum().alias("opened"), pl.col("k").sum().alias("clicked"),
             pl.col("r").sum().alias("returned"))
        .sort("channel").collect().to_pandas()
    ))(pl.scan_parquet(path)))(__import__("polars")),
    # DAU / MAU per month: distinct user-days (the sum of daily active users) and users
    ("duckdb", "stickiness_ratio (day / month)"): lambda path: __import__("duckdb").sql(
        "SET TimeZone = 'Asia/Shanghai'; WITH ud AS (SELECT DISTINCT user_id, "
        f"date_trunc('day', timestamp) AS d FROM read_parquet('{path}')) "
        "SELECT date_trunc('month', d) AS month, count(*) / count(DISTINCT user_id) "
        "/ date_diff('day', date_trunc('month', d), date_trunc('month', d) + INTERVAL 1 MONTH) "
        "AS ratio FROM ud GROUP BY 1 ORDER BY 1"
    ).df(),
    ("polars", "stickiness_ratio (day / month)"): lambda path: (lambda pl: (
        pl.scan_parquet(path)
        .select("user_id", pl.col("timestamp").dt.convert_time_zone("Asia/Shanghai")
                .dt.truncate("1d").alias("d")).unique()
        .group_by(pl.col("d").dt.truncate("1mo").alias("month"))
        .agg(pl.len().alias("n"), pl.col("user_id").n_unique().alias("u"))
        .with_columns((pl.col("n") / pl.col("u") / pl.col("month").dt.month_end().dt.day())
                      .alias("ratio"))
        .select("month", "ratio").sort("month").collect().to_pandas()
    ))(__import__("polars")),
    # lifecycle / growth accounting: distinct user-periods, each user's first period (a window
    # minimum), the previous and next period (LAG / LEAD), flags summed per period
    ("duckdb", "lifecycle (week)"): lambda path: _duck_states(path, "week"),
    ("duckdb", "growth_accounting (month)"): lambda path: _duck_states(path, "month"),
    ("polars", "lifecycle (week)"): lambda path: _polars_states(path, "1w"),
    ("polars", "growth_accounting (month)"): lambda path: _polars_states(path, "1mo"),
    # growth states: each user-day's state until the user's next active day (a range join
    # to the calendar), users per (day, state); the transitions are not computed
    ("duckdb", "growth_states (day)"): lambda path: __import__("duckdb").sql(
        "SET TimeZone = 'Asia/Shanghai'; "
        "WITH ud AS (SELECT DISTINCT user_id, CAST(timestamp AS DATE) AS day "
        f"FROM read_parquet('{path}')), "
        "s AS (SELECT day, day - lag(day) OVER w AS g, lead(day) OVER w AS n FROM ud "
        "WINDOW w AS (PARTITION BY user_id ORDER BY day)), "
        "cal AS (SELECT CAST(range AS DATE) AS d FROM range((SELECT min(day) FROM ud), "
        "(SELECT max(day) FROM ud) + 1, INTERVAL 1 DAY)) "
        "SELECT d, CASE WHEN d = day THEN CASE WHEN g IS NULL THEN 'new' "
        "WHEN g <= 6 THEN 'current' WHEN g <= 29 THEN 'reactivated' ELSE 'resurrected' END "
        "WHEN d - day <= 6 THEN 'at_risk_wau' WHEN d - day <= 29 THEN 'at_risk_mau' "
        "ELSE 'dormant' END AS state, count(*) AS users "
        "FROM s JOIN cal ON cal.d >= s.day AND (s.n IS NULL OR cal.d < s.n) GROUP BY 1, 2"
    ).df(),
    ("polars", "growth_states (day)"): lambda path: (lambda pl: (
        pl.scan_parquet(path)
        .select("user_id", pl.col("timestamp").dt.convert_time_zone("Asia/Shanghai").dt.date()
                .alias("day")).unique()
        .with_columns((pl.col("day") - pl.col("day").shift(1).over("user_id", order_by="day"))
                      .dt.total_days().alias("g"),
                      pl.col("day").shift(-1).over("user_id", order_by="day").alias("n"),
                      pl.col("day").max().alias("hi"))
        .with_columns(pl.date_ranges("day", pl.coalesce(pl.col("n").dt.offset_by("-1d"),
                                                         pl.col("hi"))).alias("d"))
        .explode("d")
        .with_columns((pl.col("d") - pl.col("day")).dt.total_days().alias("k"))
        .select("d", pl.when(pl.col("k") == 0).then(
            pl.when(pl.col("g").is_null()).then(pl.lit("new"))
            .when(pl.col("g") <= 6).then(pl.lit("current"))
            .when(pl.col("g") <= 29).then(pl.lit("reactivated"))
            .otherwise(pl.lit("resurrected")))
            .when(pl.col("k") <= 6).then(pl.lit("at_risk_wau"))
            .when(pl.col("k") <= 29).then(pl.lit("at_risk_mau"))
            .otherwise(pl.lit("dormant")).alias("state"))
        .group_by("d", "state").agg(pl.len().alias("users")).collect().to_pandas()
    ))(__import__("polars")),
    # churn_labels: max(timestamp) per user, ids and times returned
    ("duckdb", "churn_labels (30D)"): lambda path: __import__("duckdb").execute(
        "SELECT user_id, max(timestamp) AS last FROM read_parquet(?) GROUP BY user_id", [path]
    ).to_arrow_table(),
    ("polars", "churn_labels (30D)"): lambda path: (
        __import__("polars").scan_parquet(path).group_by("user_id")
        .agg(__import__("polars").col("timestamp").max().alias("last")).collect()
    ),
}


def _duck_states(path, unit):
    return __import__("duckdb").sql(
        "SET TimeZone = 'Asia/Shanghai'; "
        f"WITH up AS (SELECT DISTINCT user_id, date_trunc('{unit}', timestamp) AS w "
        f"FROM read_parquet('{path}')), "
        "s AS (SELECT w, min(w) OVER (PARTITION BY user_id) AS f, "
        "lag(w) OVER (PARTITION BY user_id ORDER BY w) AS p, "
        "lead(w) OVER (PARTITION BY user_id ORDER BY w) AS n FROM up) "
        "SELECT w, count(*) AS active, count(*) FILTER (WHERE w = f) AS new, "
        f"count(*) FILTER (WHERE p = w - INTERVAL 1 {unit}) AS returning, "
        f"count(*) FILTER (WHERE n IS NULL OR n <> w + INTERVAL 1 {unit}) AS gone "
        "FROM s GROUP BY 1 ORDER BY 1"
    ).df()


def _polars_states(path, unit):
    import polars as pl

    w = pl.col("w")
    return (
        pl.scan_parquet(path)
        .select("user_id", pl.col("timestamp").dt.convert_time_zone("Asia/Shanghai")
                .dt.truncate(unit).alias("w"))
        .unique()
        .with_columns(w.min().over("user_id").alias("f"),
                      w.shift(1).over("user_id", order_by="w").alias("p"),
                      w.shift(-1).over("user_id", order_by="w").alias("n"))
        .group_by("w")
        .agg(pl.len().alias("active"), (w == pl.col("f")).sum().alias("new"),
             (pl.col("p") == w.dt.offset_by("-" + unit)).sum().alias("returning"),
             (pl.col("n").is_null() | (pl.col("n") != w.dt.offset_by(unit))).sum().alias("gone"))
        .sort("w").collect().to_pandas()
    )


def digest(out):
    # users and the sum of their last times (us), to check own and lazy answers agree
    import pandas as pd

    if hasattr(out, "to_pandas") and not isinstance(out, pd.DataFrame):
        out = out.to_pandas()
    last = out["last_seen" if "last_seen" in out.columns else "last"]
    us = pd.to_datetime(last, utc=True).astype("datetime64[ns, UTC]").astype("int64") // 1000
    return [int(len(out)), int(us.sum())]


scanned = 0.0
path, engine, mode, name = sys.argv[1:5]
# the message funnel breaks down by the channel property: keep that column
KEEP = {"properties": ["channel"]} if name.startswith("message_funnel") else {}
t0 = time.perf_counter()
if mode == "own":
    out = OWN[(engine, name)](path)
elif mode == "eager":
    log = read_events(path, engine=engine, tz="Asia/Shanghai", **KEEP)
else:
    log = scan_events(path, engine=engine, tz="Asia/Shanghai", **KEEP)
    scanned = time.perf_counter() - t0
if mode != "own":
    out = METRICS[name](log)
secs = time.perf_counter() - t0
# VmHWM is this process's own high-water mark (ru_maxrss would include the parent's, which
# Linux carries across fork and exec)
with open("/proc/self/status") as fh:
    peak = next(int(x.split()[1]) * 1024 for x in fh if x.startswith("VmHWM:"))
check = digest(out) if name.startswith("churn_labels") else None
if name.startswith("churn_labels") and mode == "own":
    out = pd.DataFrame()  # compared through the digest
if hasattr(out, "to_frame"):
    out = out.to_frame()
answer = out.to_json(orient="split", double_precision=15, date_format="iso")
result = {"seconds": secs, "peak": peak, "answer": answer, "digest": check, "scan": scanned}
print(json.dumps(result))
"""


# The engine's own hand-written query for the same answer (users per step, mean and median time
# to convert), as an analyst writes it: the funnel as as-of joins (best attempt: every entry,
# each person's attempt reaching furthest, earliest, from the latest entry) or as two joins
# with ``min(ts)`` from each person's first entry.  Same file, fresh process, same clock.
OWN_CHILD = r"""
import json, sys, time
path, engine, name = sys.argv[1:4]
W = 7 * 86400 * 10**9
first = "first" in name
t0 = time.perf_counter()
if engine == "duckdb":
    import duckdb
    s = f'''s AS MATERIALIZED (SELECT user_id u, event e, epoch_ns(timestamp) t FROM '{path}'
        WHERE event IN ('app_open', 'add_to_cart', 'purchase'))'''
    if first:
        q = f'''WITH {s},
        e AS (SELECT u, min(t) t0 FROM s WHERE e = 'app_open' GROUP BY u),
        s1 AS (SELECT s.u, e.t0, min(s.t) t1 FROM s JOIN e USING (u)
               WHERE s.e = 'add_to_cart' AND s.t >= e.t0 AND s.t <= e.t0 + {W} GROUP BY ALL),
        s2 AS (SELECT s.u, min(s.t) t2 FROM s JOIN s1 USING (u)
               WHERE s.e = 'purchase' AND s.t >= s1.t1 AND s.t <= s1.t0 + {W} GROUP BY ALL),
        p AS (SELECT e.u, e.t0, s1.t1, s2.t2 FROM e LEFT JOIN s1 USING (u) LEFT JOIN s2 USING (u))
        '''
    else:
        q = f'''WITH {s},
        a AS (SELECT u, t t0 FROM s WHERE e = 'app_open'),
        b AS (SELECT u, t FROM s WHERE e = 'add_to_cart'),
        c AS (SELECT u, t FROM s WHERE e = 'purchase'),
        ab AS (SELECT a.u, a.t0, b.t t1 FROM a ASOF LEFT JOIN b ON a.u = b.u AND b.t >= a.t0),
        abc AS (SELECT ab.u, ab.t0, ab.t1, c.t t2 FROM ab
                ASOF LEFT JOIN c ON ab.u = c.u AND c.t >= ab.t1),
        r AS (SELECT u, t0, CASE WHEN t1 <= t0 + {W} THEN t1 END t1,
                     CASE WHEN t1 <= t0 + {W} AND t2 <= t0 + {W} THEN t2 END t2 FROM abc),
        p AS (SELECT * FROM r QUALIFY row_number() OVER (PARTITION BY u ORDER BY
              (t1 IS NOT NULL)::INT + (t2 IS NOT NULL)::INT DESC, coalesce(t2, t1, t0), t0 DESC)
              = 1)
        '''
    q += '''SELECT count(*), count(t1), count(t2), avg(t1 - t0), median(t1 - t0),
                 avg(t2 - t1), median(t2 - t1) FROM p'''
    row = duckdb.sql(q).fetchall()[0]
else:
    import polars as pl
    steps = ["app_open", "add_to_cart", "purchase"]
    lf = pl.scan_parquet(path).filter(pl.col("event").is_in(steps))
    lf = lf.select(u="user_id", e="event", t=pl.col("timestamp").dt.epoch("ns"))
    if first:
        e = lf.filter(pl.col("e") == "app_open").group_by("u").agg(t0=pl.col("t").min())
        s1 = (lf.filter(pl.col("e") == "add_to_cart").join(e, on="u")
              .filter((pl.col("t") >= pl.col("t0")) & (pl.col("t") <= pl.col("t0") + W))
              .group_by("u", "t0").agg(t1=pl.col("t").min()))
        s2 = (lf.filter(pl.col("e") == "purchase").join(s1, on="u")
              .filter((pl.col("t") >= pl.col("t1")) & (pl.col("t") <= pl.col("t0") + W))
              .group_by("u").agg(t2=pl.col("t").min()))
        p = e.join(s1.select("u", "t1"), on="u", how="left").join(s2, on="u", how="left")
    else:
        a = lf.filter(pl.col("e") == "app_open").select("u", t0="t").sort("t0")
        b = lf.filter(pl.col("e") == "add_to_cart").select("u", t1="t").sort("t1")
        c = lf.filter(pl.col("e") == "purchase").select("u", t2="t").sort("t2")
        ab = a.join_asof(b, left_on="t0", right_on="t1", by="u", strategy="forward").sort("t1")
        abc = ab.join_asof(c, left_on="t1", right_on="t2", by="u", strategy="forward")
        dl = pl.col("t0") + W
        r = abc.with_columns(t1=pl.when(pl.col("t1") <= dl).then("t1"),
                             t2=pl.when((pl.col("t1") <= dl) & (pl.col("t2") <= dl)).then("t2"))
        r = r.with_columns(reach=pl.col("t1").is_not_null().cast(pl.Int64)
                           + pl.col("t2").is_not_null().cast(pl.Int64),
                           last=pl.coalesce("t2", "t1", "t0"))
        p = r.sort(["u", "reach", "last", "t0"], descending=[False, True, False, True]).unique(
            "u", keep="first")
    d1, d2 = pl.col("t1") - pl.col("t0"), pl.col("t2") - pl.col("t1")
    row = p.select(n0=pl.len(), n1=pl.col("t1").count(), n2=pl.col("t2").count(), m1=d1.mean(),
                   d1=d1.median(), m2=d2.mean(), d2=d2.median()).collect().row(0)
secs = time.perf_counter() - t0
with open("/proc/self/status") as fh:
    peak = next(int(x.split()[1]) * 1024 for x in fh if x.startswith("VmHWM:"))
print(json.dumps({"seconds": secs, "peak": peak, "row": [float(x) for x in row]}))
"""
FUNNEL_OWN = {"funnel (3 steps, 7D)", "funnel first entry (3 steps, 7D)"}


def _own_funnel(path: Path, engine: str, name: str) -> dict[str, float | list[float]]:
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        got = subprocess.run(
            [sys.executable, "-W", "ignore", "-c", OWN_CHILD, str(path), engine, name],
            capture_output=True,
            text=True,
            check=True,
        )
    out: dict[str, float | list[float]] = json.loads(got.stdout.strip().splitlines()[-1])
    return out


def _same_funnel(answer: str, row: list[float]) -> bool:
    """Whether the funnel table equals the own query's counts, means and medians (to the ns)."""
    import io

    import numpy as np

    f = pd.read_json(io.StringIO(answer), orient="split", typ="frame")
    mean = pd.to_timedelta(f["mean_time_to_convert"]).to_numpy("int64")[1:]
    median = pd.to_timedelta(f["median_time_to_convert"]).to_numpy("int64")[1:]
    return (
        f["users"].tolist() == [int(x) for x in row[:3]]
        and mean.tolist() == [int(np.round(row[3])), int(np.round(row[5]))]
        and median.tolist() == [int(np.round(row[4])), int(np.round(row[6]))]
    )


def _run(path: Path, engine: str, mode: str, name: str) -> dict[str, float | str]:
    got = subprocess.run(
        [sys.executable, "-c", CHILD, str(path), engine, mode, name],
        capture_output=True,
        text=True,
        check=True,
    )
    last = got.stdout.strip().splitlines()[-1]
    # DuckDB may draw its progress bar on stdout, in front of the JSON
    out: dict[str, float | str] = json.loads(last[last.index('{"seconds"') :])
    return out


def _same(a: str, b: str) -> bool:
    """Whether two answers (JSON, split orient) are equal up to float summation order."""
    import io

    fa = pd.read_json(io.StringIO(a), orient="split", typ="frame")
    fb = pd.read_json(io.StringIO(b), orient="split", typ="frame")
    try:
        pd.testing.assert_frame_equal(fa, fb, check_exact=False, rtol=1e-9)
    except AssertionError:
        return False
    return True


def _same_values(name: str, a: str, own: str) -> bool:
    """Whether the engine's own query gives the lazy answer's values.

    Active users: the counts of the periods with activity; retention: the total of the cells;
    stickiness: the users per number of active days (the own query has no empty buckets).
    """
    import io

    fa = pd.read_json(io.StringIO(a), orient="split", typ="frame")
    fo = pd.read_json(io.StringIO(own), orient="split", typ="frame")
    if name in MONEY_METRICS:
        return _same_money(name, fa, fo)
    if name.startswith("retention"):
        return int(fa["count"].sum()) == int(fo["n"].sum())
    if name.startswith("growth_states"):  # user-days per state over the range
        got_states = fa.groupby("state")["users"].sum()
        own_states = fo.groupby("state")["users"].sum()
        return {k: int(v) for k, v in got_states.items() if v} == {
            k: int(v) for k, v in own_states.items()
        }
    if name.startswith(("lifecycle", "growth_accounting")):
        # the totals per status: new, returning and resurrecting over the range, and leavers
        # (gone before the last period: dormant / churned the period after)
        col, val = ("status", "users") if name.startswith("lifecycle") else ("metric", "value")
        tot = fa.groupby(col)[val].sum()
        names = ("new", "returning", "resurrecting", "dormant")
        if name.startswith("growth"):
            names = ("new", "retained", "resurrected", "churned")
        got = [int(tot[c]) for c in names]
        want = [
            int(fo["new"].sum()),
            int(fo["returning"].sum()),
            int((fo["active"] - fo["new"] - fo["returning"]).sum()),
            int(fo["gone"].iloc[:-1].sum()),
        ]
        return [abs(x) for x in got] == want
    if name.startswith("stickiness"):
        got = fa[fa["count"] > 0]
        return bool(got["intervals"].tolist() == fo["intervals"].tolist()) and bool(
            got["count"].tolist() == fo["n"].tolist()
        )
    got = fa.iloc[:, 0].to_numpy()
    return bool(got[got != 0].tolist() == fo.iloc[:, 0].tolist())


def _same_money(name: str, fa: pd.DataFrame, fo: pd.DataFrame) -> bool:
    """Whether the own query's money, message or DAU/MAU values are the lazy answer's.

    Counts are compared exactly, sums of amounts and ratios to float rounding (rtol 1e-9).
    """
    import numpy as np

    def close(a: object, b: object) -> bool:
        return bool(np.allclose(np.asarray(a, float), np.asarray(b, float), rtol=1e-9, atol=0))

    if name.startswith("revenue"):
        got = fa[fa["active_users"] > 0]
        counts = ["purchases", "active_users", "paying_users"]
        return bool(got[counts].to_numpy().tolist() == fo[counts].to_numpy().tolist()) and close(
            got["revenue"], fo["revenue"].fillna(0.0)
        )
    if name.startswith("ltv_curve"):
        return bool(fa["users"].tolist() == fo["users"].tolist()) and close(
            fa["revenue"], fo["revenue"]
        )
    if name.startswith("message_funnel"):
        got = fa[fa["sent"] > 0]
        cols = ["sent", "delivered", "opened", "clicked", "returned"]
        return bool(got[cols].to_numpy().tolist() == fo[cols].to_numpy().tolist())
    return close(fa.iloc[:, 0], fo["ratio"])


def burst_path(n: int, k: int, cache_dir: Path) -> Path:
    """Cache (and build if needed) the synthetic log with bursts of ``k`` events per visit."""
    import numpy as np

    path = cache_dir / f"synthetic_{h.size_label(n)}_burst{k}_seed0_v{h.CACHE_VERSION}.parquet"
    if path.exists():
        return path
    base = h.read_frame(h.ensure_cached(-(-n // k), 0, cache_dir, lambda s: None))
    reps = base.loc[base.index.repeat(k)].reset_index(drop=True)
    step = np.tile(np.arange(k), len(base))[: len(reps)]
    reps["timestamp"] = reps["timestamp"] + pd.to_timedelta(step, unit="s")
    reps.iloc[:n].to_parquet(path, index=False)
    return path


def users(path: Path, engines: list[str], metrics: list[str]) -> None:
    """Per-user answers: collect-all, lazy, and (churn_labels) the engine's own max(ts) query."""
    print(f"{path.name}")
    print(
        "| engine | function | eager s | lazy s | of which scan s | own s | lazy / own | "
        "query / own | eager peak MB | lazy peak MB | own peak MB | same answer |"
    )
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|:---:|")
    for engine in engines:
        for name in metrics:
            e = _run(path, engine, "eager", name)
            lz = _run(path, engine, "lazy", name)
            same = _same(str(e["answer"]), str(lz["answer"]))
            own_s = own_peak = ratio = query = "-"
            if name.startswith("churn_labels"):
                o = _run(path, engine, "own", name)
                same = same and o["digest"] == lz["digest"]
                own_s = f"{float(o['seconds']):.2f}"
                own_peak = f"{float(o['peak']) / 1e6:.0f}"
                ratio = f"{float(lz['seconds']) / float(o['seconds']):.2f}"
                query = f"{(float(lz['seconds']) - float(lz['scan'])) / float(o['seconds']):.2f}"
            print(
                f"| {engine} | {name} | {float(e['seconds']):.2f} | {float(lz['seconds']):.2f} | "
                f"{float(lz['scan']):.2f} | {own_s} | {ratio} | {query} | "
                f"{float(e['peak']) / 1e6:.0f} | "
                f"{float(lz['peak']) / 1e6:.0f} | {own_peak} | {'yes' if same else 'NO'} |",
                flush=True,
            )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", default="1M")
    ap.add_argument("--engines", nargs="+", default=["duckdb", "polars"])
    ap.add_argument("--burst", type=int, default=1, help="events per visit (see above)")
    ap.add_argument("--smoke", action="store_true", help="one metric, to check the script runs")
    ap.add_argument("--metrics", nargs="+", default=None, help="only these metrics")
    ap.add_argument("--skip-eager", action="store_true", help="time lazy and own queries only")
    ap.add_argument("--cache-dir", type=Path, default=HERE / ".cache")
    ap.add_argument(
        "--only", nargs="+", default=[], help="functions whose name contains one of these"
    )
    ap.add_argument(
        "--users",
        action="store_true",
        help="the per-user churn answers instead, with the engine's own query for churn_labels",
    )
    ap.add_argument(
        "--segments", action="store_true", help="the segment answers instead (no own query)"
    )
    args = ap.parse_args()
    n = h.parse_size(args.size)
    path = h.ensure_cached(n, 0, args.cache_dir, lambda s: print(s, file=sys.stderr))
    if args.burst > 1:
        path = burst_path(n, args.burst, args.cache_dir)
    metrics = METRICS[:1] if args.smoke else (args.metrics or METRICS)
    if args.segments:
        chosen = [m for m in SEGMENT_METRICS if not args.only or any(o in m for o in args.only)]
        users(path, args.engines, chosen[:1] if args.smoke else chosen)
        return
    if args.users:
        chosen = [m for m in USER_METRICS if not args.only or any(o in m for o in args.only)]
        users(path, args.engines, chosen[:1] if args.smoke else chosen)
        return
    print(f"{h.size_label(n)} events, {path.name}")
    print(
        "| engine | metric | eager s | lazy s | own query s | lazy / own | eager peak MB | "
        "lazy peak MB | own peak MB | same answer |"
    )
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|:---:|")
    for engine in args.engines:
        for name in metrics:
            if args.only and not any(o in name for o in args.only):
                continue
            e = None if args.skip_eager else _run(path, engine, "eager", name)
            lz = _run(path, engine, "lazy", name)
            own = _own(path, engine, name)
            same = "yes"
            if e is not None and not _same(str(e["answer"]), str(lz["answer"])):
                same = "NO"
            if name in FUNNEL_OWN:
                own = _own_funnel(path, engine, name)  # type: ignore[assignment]
                row = own["row"]
                assert isinstance(row, list)
                if not _same_funnel(str(lz["answer"]), row):
                    same = "NO (own)"
            elif own is not None and not _same_values(name, str(lz["answer"]), str(own["answer"])):
                same = "NO (own)"
            cells = [
                "-" if e is None else f"{float(e['seconds']):.2f}",
                f"{float(lz['seconds']):.2f}",
                "-" if own is None else f"{float(own['seconds']):.2f}",
                "-" if own is None else f"{float(lz['seconds']) / float(own['seconds']):.2f}",
                "-" if e is None else f"{float(e['peak']) / 1e6:.0f}",
                f"{float(lz['peak']) / 1e6:.0f}",
                "-" if own is None else f"{float(own['peak']) / 1e6:.0f}",
            ]
            print(f"| {engine} | {name} | {' | '.join(cells)} | {same} |", flush=True)


def _own(path: Path, engine: str, name: str) -> dict[str, float | str] | None:
    """Time the engine's own query for a metric, in a fresh process (None: none written)."""
    if (engine, name) not in OWN_QUERIES:
        return None
    return _run(path, engine, "own", name)


if __name__ == "__main__":
    main()
