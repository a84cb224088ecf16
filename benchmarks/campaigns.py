"""Time campaigns.evaluate against DuckDB SQL computing the same per-arm statistics.

One synthetic campaign (``datasets.synthetic_campaign``: exposure arms, push messages, purchases
before, during and after the window) of about ``--size`` events; one process, one timed run per
method after one warm-up run, ``time.perf_counter``; the peak resident memory of the process
(``ru_maxrss``) is printed at the end.  Every method must give the same arm sizes and paying
users as DuckDB's query.

    python benchmarks/campaigns.py --size 1M

Methods:

* ``duckdb-sql``: the per-arm sufficient statistics of the primary goal (users, paying users)
  by one SQL query over the events in DuckDB (each user's first exposure, paying in the window,
  ``GROUP BY`` arm);
* ``evaluate-eager``: ``campaigns.evaluate`` on an in-memory ``EventLog`` (built once, untimed);
* ``evaluate-lazy-duckdb``: ``LazyEventLog.scan`` of the DuckDB relation (timed: it reads the user
  and event vocabularies) and ``campaigns.evaluate`` on it: the exposure events are collected
  for the arms and the goal outcomes come from one ``GROUP BY`` user in the engine
  (``LazyEventLog.user_totals``); the per-arm statistics are then a pass over the users.
"""

from __future__ import annotations

import argparse
import resource
import time
import warnings

import duckdb

import useropslib as uo
from useropslib import campaigns as uc
from useropslib.events import LazyEventLog

SIZES = {"100k": 100_000, "1M": 1_000_000, "10M": 10_000_000}
EVENTS_PER_USER = 3.4  # synthetic_campaign with the defaults below, measured


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size", default="1M", choices=sorted(SIZES))
    parser.add_argument("--skip-eager", action="store_true", help="leave out evaluate-eager")
    args = parser.parse_args()
    n_users = int(SIZES[args.size] / EVENTS_PER_USER)
    data = uo.datasets.synthetic_campaign(n_users=n_users, lift=0.2, seed=1)
    frame = data.log.to_pandas()
    frame["timestamp"] = frame["timestamp"].dt.tz_convert("UTC")
    print(f"events: {len(frame):,}  users: {n_users:,}")
    con = duckdb.connect()
    con.execute("SET TimeZone='UTC'")
    con.register("events_df", frame)
    con.execute("CREATE TABLE events AS SELECT * FROM events_df")
    rel = con.table("events")
    launch = data.truth["launch"].tz_convert("UTC").strftime("%Y-%m-%d %H:%M:%S+00")
    end = data.truth["end"].tz_convert("UTC").strftime("%Y-%m-%d %H:%M:%S+00")
    sql = f"""
        WITH expo AS (
            SELECT user_id, arg_min(variant, timestamp) AS arm
            FROM events WHERE event = 'campaign_exposure' GROUP BY user_id
        ), paid AS (
            SELECT DISTINCT user_id, 1 AS y FROM events
            WHERE event = 'purchase' AND timestamp >= TIMESTAMPTZ '{launch}'
              AND timestamp < TIMESTAMPTZ '{end}'
        )
        SELECT arm, count(*) AS n, sum(coalesce(y, 0)) AS conversions,
               sum(coalesce(y, 0) * coalesce(y, 0)) AS sum_squares
        FROM expo LEFT JOIN paid USING (user_id) GROUP BY arm ORDER BY arm
    """

    def duckdb_sql() -> object:
        return con.execute(sql).df()

    log = data.log

    def eager() -> object:
        return uc.evaluate(data.campaign, log, cuped=False)

    split: dict[str, float] = {}

    def lazy() -> object:
        t0 = time.perf_counter()
        scanned = LazyEventLog.scan(
            rel, properties=["variant", "channel", "campaign"], tz="Asia/Shanghai"
        )
        t1 = time.perf_counter()
        out = uc.evaluate(data.campaign, scanned, cuped=False)
        split["scan"], split["evaluate"] = t1 - t0, time.perf_counter() - t1
        return out

    results = {}
    methods = [("duckdb-sql", duckdb_sql), ("evaluate-eager", eager)]
    if args.skip_eager:
        methods = methods[:1]
    for name, fn in (*methods, ("evaluate-lazy-duckdb", lazy)):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fn()
            t0 = time.perf_counter()
            out = fn()
            results[name] = (time.perf_counter() - t0, out)
    ref = results["duckdb-sql"][1]
    for name in [n for n in results if n != "duckdb-sql"]:
        ev = results[name][1]
        row = ev.table.iloc[0]  # type: ignore[attr-defined]
        got = (int(row["n_control"]), int(row["n_treatment"]))
        want = (int(ref["n"].iloc[0]), int(ref["n"].iloc[1]))  # type: ignore[index]
        assert got == want, (name, got, want)
        paid = round(row["control_mean"] * got[0]), round(row["treatment_mean"] * got[1])
        assert paid == tuple(int(x) for x in ref["conversions"]), (name, paid)  # type: ignore[index]
    base = results["duckdb-sql"][0]
    for name, (secs, _) in results.items():
        print(f"{name:22s} {secs:8.3f} s   {secs / base:6.1f}x duckdb-sql")
    print(f"  of which LazyEventLog.scan {split['scan']:.3f} s, evaluate {split['evaluate']:.3f} s")
    print(f"peak RSS: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


if __name__ == "__main__":
    main()
