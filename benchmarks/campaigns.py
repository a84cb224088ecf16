"""Time campaigns.evaluate on a lazy log against DuckDB SQL computing the same per-arm statistics.

One synthetic campaign (``datasets.synthetic_campaign``: push messages, purchases before, during
and after the window; three goals: paying users, revenue, orders) of about ``--size`` events,
with exposure arms or a hash holdout (``--control``); one process, one warm-up run and one timed
run per method, ``time.perf_counter``; the peak resident memory of the process (``ru_maxrss``)
is printed at the end.

    python benchmarks/campaigns.py --size 10M --control exposure
    python benchmarks/campaigns.py --size 10M --control holdout
    python benchmarks/campaigns.py --size 10M --control holdout --given-assignment

Methods (``evaluate`` with its defaults: CUPED on a 28-day pre-period):

* ``duckdb-sql``: one SQL query over the events table giving what ``evaluate`` computes: per
  arm, the units and, for each goal in the window and in the pre-period, the sum, the sum of
  squares, the cross sum and the pre-period's extremes.  Exposure arms are each user's first
  exposure (``GROUP BY`` user); for the hash holdout the SQL is given the same arm table
  (the users with an event before launch and their ``holdout_control`` arm, made before the
  clock starts: a salted SipHash is not a DuckDB function);
* ``sql+arm-table`` (holdout only): the same SQL, timed with making that arm table (the ids
  fetched by SQL, their arms drawn with ``holdout_control``, the table registered);
* ``sql-drawn`` (holdout only): the same SQL drawing the holdout itself, all in DuckDB: the
  units are the users with an event before launch (``GROUP BY``), each one's bucket is DuckDB's
  own ``hash`` of the salted id (top 53 bits over 2**53, as ``holdout_bucket`` does with
  SipHash).  It does the work ``evaluate-lazy`` does, in one query, but with another hash, so
  its arms are a different (equally valid) draw: its per-arm statistics are checked only for
  their totals over both arms, which do not depend on the draw;
* ``evaluate-eager``: ``campaigns.evaluate`` on an in-memory ``EventLog`` (built once, untimed;
  ``--skip-eager`` leaves it out);
* ``scan``: ``LazyEventLog.scan`` of the DuckDB table (one aggregate query);
* ``evaluate-lazy``: ``campaigns.evaluate`` on that lazy log: every per-arm statistic comes from
  the engine (exposure arms assigned there; the holdout's ids fetched once, their arms drawn
  with numpy and the arm table joined there);
* ``evaluate-given`` (holdout with ``--given-assignment``): ``campaigns.evaluate(...,
  assignment=stored)`` on that lazy log, ``stored`` being the arm table the SQL is given, as a
  Series (user id -> arm, as ``campaigns.assign`` returns it): the holdout drawn at launch and
  kept.  It is handed to the engine and joined there; compare it with ``duckdb-sql``;
* ``given-arrow``: the same with the stored table as read from Parquet with
  ``dtype_backend="pyarrow"`` (Arrow-backed ids, categorical arms);
* ``sql-series`` and ``sql-series-arrow`` (with ``--given-assignment``): the same SQL reading
  the arm table from the very pandas objects ``evaluate-given`` and ``given-arrow`` are given
  (a DataFrame of the stored Series, read by DuckDB's replacement scan), not from a DuckDB
  table.

What each SQL is given, exactly: ``duckdb-sql`` starts from two DuckDB tables, the events and
the arm table (created before the clock starts), so it pays neither for finding the units, nor
for drawing their arms, nor for reading the arms from Python; ``sql+arm-table`` pays for all
three; ``sql-drawn`` pays for finding the units and drawing their arms, inside the engine, with
a hash DuckDB has (SipHash-2-4 it has not); ``sql-series`` pays for reading the arms from
Python.  No SQL checks that the arm table lists each user once; ``evaluate`` does (given arms;
the drawn ones are distinct by construction).  So the like-for-like ratios, printed last, are
``evaluate-lazy`` over ``sql-drawn`` (the strictest: the analyst's one query drawing the
holdout in SQL) and over ``sql+arm-table`` (the same arms, drawn with the library's hash), and
``evaluate-given`` over ``sql-series``; ``duckdb-sql``, which starts from a stored arm table,
is the floor of the given route, not of the drawn one.

The per-arm statistics of every method are checked equal to the SQL's (integers exactly, sums
of money to 1e-9).
"""

from __future__ import annotations

import argparse
import os
import resource
import time
import warnings
from collections.abc import Callable
from typing import Any

import duckdb
import numpy as np
import pandas as pd

import useropslib as uo
from useropslib import campaigns as uc
from useropslib.events import LazyEventLog

SIZES = {"100k": 100_000, "1M": 1_000_000, "10M": 10_000_000}
EVENTS_PER_USER = 3.4  # synthetic_campaign with the defaults below, measured
GOALS = {"paying users": "p", "revenue": "r", "orders": "o"}
# the stored arms as a pandas DataFrame named given_df (categorical arms come back as text)
SERIES_ARMS = "(SELECT user_id, arm::VARCHAR AS arm FROM given_df)"


def _lit(ns: int) -> str:
    return "TIMESTAMPTZ '" + pd.Timestamp(ns, tz="UTC").strftime("%Y-%m-%d %H:%M:%S.%f+00") + "'"


def statistics_sql(
    control: str, *, launch: int, end: int, last: int, pre: int, arms: str = "arms"
) -> str:
    """The SQL: per arm, every goal's sufficient statistics in the window and the pre-period."""
    upper = f" AND timestamp < {_lit(end)}" if last >= end else ""
    window = f"timestamp >= {_lit(launch)}{upper}"
    before = f"timestamp >= {_lit(pre)} AND timestamp < {_lit(launch)}"
    if control == "exposure":
        units = f"""units AS (
            SELECT user_id,
                   CASE WHEN tc IS NULL OR (tt IS NOT NULL AND tt < tc) THEN 'treatment'
                        ELSE 'control' END AS arm,
                   tc IS NOT NULL AND tt IS NOT NULL AS overlap
            FROM (SELECT user_id,
                         min(timestamp) FILTER (WHERE variant = 'control') AS tc,
                         min(timestamp) FILTER (WHERE variant IS DISTINCT FROM 'control') AS tt
                  FROM events WHERE event = 'campaign_exposure'{upper} GROUP BY user_id)
        )"""
    else:
        units = f"units AS (SELECT user_id, arm, false AS overlap FROM {arms})"
    stats = []
    for v in GOALS.values():
        for y in (f"y{v}", f"x{v}"):
            stats += [f"sum({y}) AS sum_{y}", f"sum({y} * {y}) AS sq_{y}"]
        stats += [f"sum(x{v} * y{v}) AS cross_{v}", f"min(x{v}) AS min_x{v}"]
        stats += [f"max(x{v}) AS max_x{v}"]
    return f"""
        WITH {units},
        per_user AS (
            SELECT user_id,
                   count(*) FILTER (WHERE {window}) AS yo,
                   coalesce(sum(value) FILTER (WHERE {window}), 0) AS yr,
                   count(*) FILTER (WHERE {before}) AS xo,
                   coalesce(sum(value) FILTER (WHERE {before}), 0) AS xr
            FROM events
            WHERE event = 'purchase' AND timestamp >= {_lit(pre)}{upper}
            GROUP BY user_id
        ),
        joined AS (
            SELECT arm, overlap,
                   (coalesce(yo, 0) > 0)::DOUBLE AS yp, coalesce(yo, 0)::DOUBLE AS yo,
                   coalesce(yr, 0)::DOUBLE AS yr,
                   (coalesce(xo, 0) > 0)::DOUBLE AS xp, coalesce(xo, 0)::DOUBLE AS xo,
                   coalesce(xr, 0)::DOUBLE AS xr
            FROM units LEFT JOIN per_user USING (user_id)
        )
        SELECT arm, overlap, count(*) AS n, {", ".join(stats)}
        FROM joined GROUP BY arm, overlap ORDER BY arm, overlap
    """


def check(ev: Any, ref: pd.DataFrame, name: str) -> None:
    """Assert ``evaluate``'s per-arm statistics equal the SQL's."""
    assert not ref["overlap"].any(), "the synthetic arms do not overlap"
    ref = ref.set_index("arm")
    arms = ev.arms
    assert arms["n"].tolist() == ref["n"].tolist(), (name, arms["n"].tolist())
    for col, sql in (("sum", "sum_yp"), ("sum_squares", "sq_yp"), ("pre_sum", "sum_xp")):
        assert arms[col].tolist() == ref[sql].tolist(), (name, col)
    np.testing.assert_allclose(arms["cross_sum"], ref["cross_p"], rtol=0, atol=0)
    for goal, v in GOALS.items():
        row = ev.table.loc[goal]
        got = [row["control_mean"], row["treatment_mean"]]
        np.testing.assert_allclose(got, (ref[f"sum_y{v}"] / ref["n"]).to_numpy(), rtol=1e-9)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size", default="1M", choices=sorted(SIZES))
    parser.add_argument("--control", default="exposure", choices=["exposure", "holdout"])
    parser.add_argument("--skip-eager", action="store_true", help="leave out evaluate-eager")
    parser.add_argument(
        "--given-assignment",
        action="store_true",
        help="holdout: also time evaluate given the stored arm table (evaluate-given)",
    )
    args = parser.parse_args()
    n_users = int(SIZES[args.size] / EVENTS_PER_USER)
    data = uo.datasets.synthetic_campaign(n_users=n_users, lift=0.2, seed=1, control=args.control)
    frame = data.log.to_pandas()
    frame["timestamp"] = frame["timestamp"].dt.tz_convert("UTC")
    props = [c for c in ("variant", "channel", "campaign") if c in frame.columns]
    print(f"events: {len(frame):,}  users: {n_users:,}  control: {args.control}")
    con = duckdb.connect()
    con.execute("SET TimeZone='UTC'")
    con.register("events_df", frame)
    con.execute("CREATE TABLE events AS SELECT * FROM events_df")
    con.unregister("events_df")
    rel = con.table("events")
    launch = int(data.truth["launch"].value)
    end = int(data.truth["end"].value)
    last = int(frame["timestamp"].max().value)
    pre = launch - 28 * 86_400 * 10**9
    ctrl = data.campaign.control
    if args.control == "holdout":
        # the same arm table evaluate draws: users with an event before launch, hashed
        ids = pd.Index(frame.loc[frame["timestamp"] < data.truth["launch"], "user_id"].unique())
        held = uc.holdout_control(ids, share=ctrl.share, salt=ctrl.salt)  # type: ignore[union-attr]
        arms = pd.DataFrame({"user_id": ids, "arm": np.where(held, "control", "treatment")})
        con.register("arms_df", arms)
        con.execute("CREATE TABLE arms AS SELECT * FROM arms_df")
        con.unregister("arms_df")
        stored = pd.Series(arms["arm"].to_numpy(), index=pd.Index(ids, name="user_id"), name="arm")
        # the same table as read from Parquet with dtype_backend="pyarrow": Arrow-backed ids
        stored_arrow = pd.Series(
            pd.Categorical(stored.to_numpy(), categories=["control", "treatment"]),
            index=pd.Index(pd.array(ids, dtype="string[pyarrow]"), name="user_id"),
            name="arm",
        )
    sql = statistics_sql(args.control, launch=launch, end=end, last=last, pre=pre)
    sql_drawn = statistics_sql(
        args.control, launch=launch, end=end, last=last, pre=pre, arms="drawn_arms"
    )
    del frame

    def statistics_sql_on(arms: str) -> str:
        return statistics_sql(args.control, launch=launch, end=end, last=last, pre=pre, arms=arms)

    log = data.log
    lazy_log: dict[str, LazyEventLog] = {}

    def duckdb_sql() -> Any:
        return con.execute(sql).df()

    def sql_with_arm_table() -> Any:
        # the holdout as an analyst would run it: fetch the units' ids, draw their arms with
        # the library's hash, hand the table to DuckDB, then the same SQL
        got = con.execute(
            f"SELECT DISTINCT user_id FROM events WHERE timestamp < {_lit(launch)}"
        ).df()["user_id"]
        held = uc.holdout_control(got, share=ctrl.share, salt=ctrl.salt)  # type: ignore[union-attr]
        drawn = pd.DataFrame({"user_id": got, "arm": np.where(held, "control", "treatment")})
        con.register("drawn_arms", drawn)
        try:
            return con.execute(sql_drawn).df()
        finally:
            con.unregister("drawn_arms")

    def sql_drawn_in_engine() -> Any:
        # the analyst's all-SQL holdout: units and their arms drawn in DuckDB with its own hash
        salt = ctrl.salt.replace("'", "''") + chr(31)  # type: ignore[union-attr]
        bucket = f"(hash('{salt}' || user_id) >> 11)::DOUBLE * pow(2, -53)"
        drawn = (
            f"(SELECT user_id, CASE WHEN {bucket} < {ctrl.share!r} THEN 'control' "  # type: ignore[union-attr]
            f"ELSE 'treatment' END AS arm FROM events WHERE timestamp < {_lit(launch)} "
            "GROUP BY user_id)"
        )
        return con.execute(statistics_sql_on(drawn)).df()

    def sql_series() -> Any:
        # the stored Series as the analyst holds it, read by DuckDB from pandas
        given_df = stored.rename_axis("user_id").reset_index()  # noqa: F841 (read by DuckDB)
        return con.execute(statistics_sql_on(SERIES_ARMS)).df()

    def sql_series_arrow() -> Any:
        given_df = stored_arrow.rename_axis("user_id").reset_index()  # noqa: F841
        return con.execute(statistics_sql_on(SERIES_ARMS)).df()

    def eager() -> Any:
        return uc.evaluate(data.campaign, log)

    def scan() -> Any:
        lazy_log["log"] = LazyEventLog.scan(rel, properties=props, tz="Asia/Shanghai")
        return lazy_log["log"]

    def lazy() -> Any:
        return uc.evaluate(data.campaign, lazy_log["log"])

    def given() -> Any:
        return uc.evaluate(data.campaign, lazy_log["log"], assignment=stored)

    def given_arrow() -> Any:
        return uc.evaluate(data.campaign, lazy_log["log"], assignment=stored_arrow)

    methods: list[tuple[str, Callable[[], Any]]] = [("duckdb-sql", duckdb_sql)]
    if args.control == "holdout":
        methods.append(("sql+arm-table", sql_with_arm_table))
        methods.append(("sql-drawn", sql_drawn_in_engine))
    if not args.skip_eager:
        methods.append(("evaluate-eager", eager))
    methods += [("scan", scan), ("evaluate-lazy", lazy)]
    if args.control == "holdout" and args.given_assignment:
        methods += [("sql-series", sql_series), ("evaluate-given", given)]
        methods += [("sql-series-arrow", sql_series_arrow), ("given-arrow", given_arrow)]
    results: dict[str, tuple[float, Any]] = {}
    print("load average before:", " ".join(f"{x:.2f}" for x in os.getloadavg()))
    for name, fn in methods:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if name in ("evaluate-lazy", "evaluate-given", "given-arrow"):
                scan()  # a fresh scan for the warm-up, another for the timed run
            fn()
            if name in ("evaluate-lazy", "evaluate-given", "given-arrow"):
                scan()
            t0 = time.perf_counter()
            out = fn()
            results[name] = (time.perf_counter() - t0, out)
    ref = results["duckdb-sql"][1]
    for name in ("evaluate-eager", "evaluate-lazy", "evaluate-given", "given-arrow"):
        if name in results:
            check(results[name][1], ref, name)
    for name in ("sql+arm-table", "sql-series", "sql-series-arrow"):
        if name in results:
            pd.testing.assert_frame_equal(results[name][1], ref)
    if "sql-drawn" in results:  # another draw: only the totals over both arms must agree
        drawn = results["sql-drawn"][1].drop(columns=["arm", "overlap"])
        summed = ref.drop(columns=["arm", "overlap"])
        sums = [c for c in summed.columns if not c.startswith(("min_", "max_"))]
        np.testing.assert_allclose(drawn[sums].sum(), summed[sums].sum(), rtol=1e-9)
    base = results["duckdb-sql"][0]
    for name, (secs, _) in results.items():
        print(f"{name:16s} {secs:8.3f} s   {secs / base:6.2f}x duckdb-sql")
    both = results["scan"][0] + results["evaluate-lazy"][0]
    print(f"scan + evaluate-lazy {both:.3f} s   {both / base:6.2f}x duckdb-sql")
    for ours, theirs in (
        ("evaluate-lazy", "sql-drawn"),
        ("evaluate-lazy", "sql+arm-table"),
        ("evaluate-given", "sql-series"),
        ("given-arrow", "sql-series-arrow"),
    ):
        if ours in results and theirs in results:
            ratio = results[ours][0] / results[theirs][0]
            print(f"like for like: {ours} / {theirs} = {ratio:.2f}x")
    print(f"user vocabulary read by evaluate: {lazy_log['log'].users_read}")
    print("load average after:", " ".join(f"{x:.2f}" for x in os.getloadavg()))
    print(f"peak RSS: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


if __name__ == "__main__":
    main()
