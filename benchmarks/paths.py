"""Sessions and transitions: useropslib against DuckDB's and Polars' own window-function queries.

Usage::

    python benchmarks/paths.py --size 10M --repeat 3   # the figures in docs/performance.md
    python benchmarks/paths.py --size 20k --repeat 1   # a smoke run, seconds

Two tasks on the cached synthetic log of ``run.py`` (30-minute sessions split at a gap >= the
timeout; ties at one instant ordered by event name):

- **sessions**: one row per session with its user, start, end and event count;
- **transitions**: counts of (event, next event) pairs inside sessions, per occurrence.

In memory, useropslib runs on an EventLog built once (the build is timed on its own); DuckDB runs
SQL with ``LAG``/``LEAD`` and running sums over an Arrow table it is given, Polars the same
window expressions on its own DataFrame (both prepared untimed, as run.py does).  Lazy, each side
starts from the Parquet file: useropslib's ``scan_events`` builds the LazyEventLog once (timed on
its own, like the EventLog build) and the same calls run on it (DuckDB- and Polars-scanned
logs); DuckDB runs its SQL over ``read_parquet``, Polars its ``scan_parquet`` query.  Every method's
answer is checked against useropslib's (session count and total events; pair counts).  Times are
medians of ``--repeat`` runs after one warm-up; the load average is printed with them.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "src"))

import _harness as h  # noqa: E402
import duckdb  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import polars as pl  # noqa: E402
import pyarrow as pa  # noqa: E402

import useropslib as uo  # noqa: E402
from useropslib.events import EventLog, scan_events  # noqa: E402

TIMEOUT_NS = 1_800_000_000_000  # 30 minutes in nanoseconds

SQL_SESSIONS = """
WITH f AS (
  SELECT user_id, ts,
         CASE WHEN LAG(ts) OVER w IS NULL OR ts - LAG(ts) OVER w >= {t} THEN 1 ELSE 0 END AS new
  FROM (SELECT user_id, epoch_ns("timestamp") AS ts, event FROM {src})
  WINDOW w AS (PARTITION BY user_id ORDER BY ts, event)
), s AS (
  SELECT user_id, ts, SUM(new) OVER (PARTITION BY user_id ORDER BY ts
         ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS sid FROM f
)
SELECT user_id, sid, MIN(ts) AS start_ns, MAX(ts) AS end_ns, COUNT(*) AS n
FROM s GROUP BY user_id, sid
"""

SQL_PAIRS = """
WITH f AS (
  SELECT user_id, ts, event,
         CASE WHEN LAG(ts) OVER w IS NULL OR ts - LAG(ts) OVER w >= {t} THEN 1 ELSE 0 END AS new
  FROM (SELECT user_id, epoch_ns("timestamp") AS ts, event FROM {src})
  WINDOW w AS (PARTITION BY user_id ORDER BY ts, event)
), s AS (
  SELECT user_id, ts, event, SUM(new) OVER (PARTITION BY user_id ORDER BY ts, event
         ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS sid FROM f
), p AS (
  SELECT event, LEAD(event) OVER (PARTITION BY user_id, sid ORDER BY ts, event) AS nxt FROM s
)
SELECT event, nxt, COUNT(*) AS n FROM p WHERE nxt IS NOT NULL GROUP BY event, nxt
"""


def _polars_flags(lf: pl.LazyFrame) -> pl.LazyFrame:
    ts = pl.col("timestamp").dt.epoch("ns")
    lf = lf.select("user_id", "event", ts.alias("ts")).sort("user_id", "ts", "event")
    prev = pl.col("ts").shift(1).over("user_id")
    new = (prev.is_null() | ((pl.col("ts") - prev) >= TIMEOUT_NS)).cast(pl.Int64)
    lf = lf.with_columns(new.alias("new"))
    return lf.with_columns(pl.col("new").cum_sum().over("user_id").alias("sid"))


def polars_sessions(lf: pl.LazyFrame) -> pl.DataFrame:
    return (
        _polars_flags(lf)
        .group_by("user_id", "sid")
        .agg(
            pl.col("ts").min().alias("start_ns"),
            pl.col("ts").max().alias("end_ns"),
            pl.len().alias("n"),
        )
        .collect()
    )


def polars_pairs(lf: pl.LazyFrame) -> pl.DataFrame:
    f = _polars_flags(lf).with_columns(
        pl.col("event").shift(-1).over("user_id", "sid").alias("nxt")
    )
    return f.filter(pl.col("nxt").is_not_null()).group_by("event", "nxt").agg(pl.len()).collect()


def _check_sessions(n_sessions: int, n_events: int, want: tuple[int, int], who: str) -> None:
    if (n_sessions, n_events) != want:
        raise SystemExit(f"{who}: sessions {n_sessions}/{n_events} events, expected {want}")


def _pairs_dict(frame: pd.DataFrame, a: str, b: str, n: str) -> dict[tuple[str, str], int]:
    return {(str(x), str(y)): int(c) for x, y, c in zip(frame[a], frame[b], frame[n], strict=True)}


def run_engines_in_memory(df, want_s, want_p, timed):  # type: ignore[no-untyped-def]
    con = duckdb.connect()
    con.register("events_tbl", pa.Table.from_pandas(df[["user_id", "event", "timestamp"]]))
    got = timed(
        "sessions",
        "in-memory",
        "DuckDB SQL (Arrow table)",
        lambda: con.sql(SQL_SESSIONS.format(t=TIMEOUT_NS, src="events_tbl")).df(),
    )
    _check_sessions(len(got), int(got["n"].sum()), want_s, "duckdb")
    got = timed(
        "transitions",
        "in-memory",
        "DuckDB SQL (Arrow table)",
        lambda: con.sql(SQL_PAIRS.format(t=TIMEOUT_NS, src="events_tbl")).df(),
    )
    assert _pairs_dict(got, "event", "nxt", "n") == want_p, "duckdb pairs differ"
    pdf = pl.from_pandas(df[["user_id", "event", "timestamp"]])
    got = timed("sessions", "in-memory", "Polars (DataFrame)", lambda: polars_sessions(pdf.lazy()))
    _check_sessions(got.height, int(got["n"].sum()), want_s, "polars")
    got = timed("transitions", "in-memory", "Polars (DataFrame)", lambda: polars_pairs(pdf.lazy()))
    assert _pairs_dict(got.to_pandas(), "event", "nxt", "len") == want_p, "polars pairs differ"


def run_engines_parquet(p, want_s, want_p, timed):  # type: ignore[no-untyped-def]
    src = f"read_parquet('{p}')"
    got = timed(
        "sessions",
        "Parquet",
        "DuckDB SQL",
        lambda: duckdb.sql(SQL_SESSIONS.format(t=TIMEOUT_NS, src=src)).df(),
    )
    _check_sessions(len(got), int(got["n"].sum()), want_s, "duckdb parquet")
    got = timed(
        "transitions",
        "Parquet",
        "DuckDB SQL",
        lambda: duckdb.sql(SQL_PAIRS.format(t=TIMEOUT_NS, src=src)).df(),
    )
    assert _pairs_dict(got, "event", "nxt", "n") == want_p, "duckdb parquet pairs differ"
    got = timed(
        "sessions", "Parquet", "Polars scan_parquet", lambda: polars_sessions(pl.scan_parquet(p))
    )
    _check_sessions(got.height, int(got["n"].sum()), want_s, "polars parquet")
    got = timed(
        "transitions", "Parquet", "Polars scan_parquet", lambda: polars_pairs(pl.scan_parquet(p))
    )
    assert _pairs_dict(got.to_pandas(), "event", "nxt", "len") == want_p, "polars pairs differ"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--size", default="1M")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--cache-dir", default=str(HERE / ".cache"))
    ap.add_argument(
        "--only-useropslib", action="store_true", help="skip the engines' queries (re-timing)"
    )
    ap.add_argument("--no-polars-log", action="store_true", help="skip the Polars-scanned log")
    args = ap.parse_args()
    n = h.parse_size(args.size)
    path = h.ensure_cached(n, args.seed, Path(args.cache_dir), print)
    df = h.read_frame(path)
    print(f"{h.size_label(n)} events, {df['user_id'].nunique():,} users; cores {os.cpu_count()}")
    print(f"load average before: {os.getloadavg()}")

    rows: list[tuple[str, str, str, float]] = []

    def timed(task: str, mode: str, method: str, fn):  # type: ignore[no-untyped-def]
        times, out = h.time_runs(fn, repeat=args.repeat, warmup=1)
        rows.append((task, mode, method, h.median(times)))
        print(f"  {task:12s} {mode:9s} {method:28s} {h.median(times):8.3f} s")
        return out

    t0 = time.perf_counter()
    log = EventLog.from_pandas(df)
    build = time.perf_counter() - t0
    print(f"  EventLog.from_pandas (once, not in the task times): {build:.2f} s")

    # ---------------------------------------------------------------- in memory
    s = timed("sessions", "in-memory", "useropslib", lambda: uo.paths.sessions(log).table)
    want_s = (len(s), int(s["events"].sum()))
    tr = timed(
        "transitions",
        "in-memory",
        "useropslib",
        lambda: uo.paths.transitions(log, within="session").table,
    )
    want_p = _pairs_dict(tr, "source", "target", "count")
    if not args.only_useropslib:
        run_engines_in_memory(df, want_s, want_p, timed)
    log = None  # type: ignore[assignment]  # release before the Parquet runs
    h.settle()

    # ---------------------------------------------------------------- lazy (Parquet)
    p = str(path)

    # the scan is the lazy log's construction (it checks the file and reads the user and event
    # vocabularies), timed on its own like EventLog.from_pandas above; the calls then run on it
    t0 = time.perf_counter()
    lz = scan_events(p, engine="duckdb", tz="Asia/Shanghai")
    scan = time.perf_counter() - t0
    print(f"  scan_events (once, not in the task times): {scan:.2f} s")

    def lazy_sessions() -> pd.DataFrame:
        return uo.paths.sessions(lz).table

    def lazy_pairs() -> pd.DataFrame:
        return uo.paths.transitions(lz, within="session").table

    got = timed("sessions", "Parquet", "useropslib LazyEventLog (DuckDB)", lazy_sessions)
    _check_sessions(len(got), int(got["events"].sum()), want_s, "useropslib lazy")
    got = timed("transitions", "Parquet", "useropslib LazyEventLog (DuckDB)", lazy_pairs)
    assert _pairs_dict(got, "source", "target", "count") == want_p, "lazy pairs differ"
    if not args.no_polars_log:
        lzp = scan_events(p, engine="polars", tz="Asia/Shanghai")
        got = timed(
            "sessions",
            "Parquet",
            "useropslib LazyEventLog (Polars)",
            lambda: uo.paths.sessions(lzp).table,
        )
        _check_sessions(len(got), int(got["events"].sum()), want_s, "useropslib lazy polars")
        got = timed(
            "transitions",
            "Parquet",
            "useropslib LazyEventLog (Polars)",
            lambda: uo.paths.transitions(lzp, within="session").table,
        )
        assert _pairs_dict(got, "source", "target", "count") == want_p, "lazy polars pairs differ"
    if not args.only_useropslib:
        run_engines_parquet(p, want_s, want_p, timed)
    print(f"load average after: {os.getloadavg()}")

    print("\n| task | input | method | median s | x fastest engine |")
    print("|---|---|---|---:|---:|")
    frame = pd.DataFrame(rows, columns=["task", "mode", "method", "s"])
    for (task, mode), g in frame.groupby(["task", "mode"], sort=False):
        best = g[~g["method"].str.startswith("useropslib")]["s"].min()
        for _, r in g.iterrows():
            print(f"| {task} | {mode} | {r['method']} | {r['s']:.3f} | {r['s'] / best:.2f} |")
    _ = np  # numpy is imported for the harness' settle()


if __name__ == "__main__":
    main()
