"""Lazy sessions against DuckDB's and Polars' own queries, timed in alternation.

Usage::

    python benchmarks/sessions_alternating.py --size 10M --rounds 4   # docs/performance.md
    python benchmarks/sessions_alternating.py --size 20k --rounds 2   # a smoke run

``paths.py`` times each method's runs back to back, so on a shared machine a change in load
lands on one method only.  This script times the four methods of the lazy sessions row in turn,
round after round, from the same Parquet file: DuckDB's window-function SQL over
``read_parquet``, ``paths.sessions`` on a DuckDB-scanned log, Polars' ``scan_parquet`` query and
``paths.sessions`` on a Polars-scanned log (the two logs scanned once, untimed, as the
``EventLog`` build is in ``paths.py``).  The first round warms up and is dropped; medians of
wall and CPU (``time.process_time``, every thread of this process) seconds are printed with the
ratio to the faster engine, and the load average before and after.  Every answer is checked:
the same number of sessions and events.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import _harness as h  # noqa: E402
import duckdb  # noqa: E402
import polars as pl  # noqa: E402
from paths import SQL_SESSIONS, TIMEOUT_NS, polars_sessions  # noqa: E402

import useropslib as uo  # noqa: E402
from useropslib.events import scan_events  # noqa: E402


def _count(method: str, out: Any) -> tuple[int, int]:
    if method.startswith("useropslib"):
        return len(out), int(out["events"].sum())
    return len(out), int(out["n"].sum())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", default="1M")
    ap.add_argument("--rounds", type=int, default=4)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--cache-dir", type=Path, default=HERE / ".cache")
    args = ap.parse_args()
    n = h.parse_size(args.size)
    path = h.ensure_cached(n, args.seed, args.cache_dir, lambda s: print(s, file=sys.stderr))
    lazy_duck = scan_events(path, engine="duckdb", tz="Asia/Shanghai")
    lazy_pol = scan_events(path, engine="polars", tz="Asia/Shanghai")
    src = f"read_parquet('{path}')"
    methods: dict[str, Callable[[], Any]] = {
        "DuckDB SQL": lambda: duckdb.sql(SQL_SESSIONS.format(t=TIMEOUT_NS, src=src)).df(),
        "useropslib, DuckDB-scanned": lambda: uo.paths.sessions(lazy_duck).table,
        "Polars scan_parquet": lambda: polars_sessions(pl.scan_parquet(path)),
        "useropslib, Polars-scanned": lambda: uo.paths.sessions(lazy_pol).table,
    }
    wall: dict[str, list[float]] = {k: [] for k in methods}
    cpu: dict[str, list[float]] = {k: [] for k in methods}
    want: tuple[int, int] | None = None
    load = [os.getloadavg()[0]]
    for _ in range(max(args.rounds, 2)):
        for name, fn in methods.items():
            t0, c0 = time.perf_counter(), time.process_time()
            out = fn()
            wall[name].append(time.perf_counter() - t0)
            cpu[name].append(time.process_time() - c0)
            got = _count(name, out)
            want = want or got
            if got != want:
                raise SystemExit(f"{name}: {got} (sessions, events), expected {want}")
    load.append(os.getloadavg()[0])
    assert want is not None
    print(f"{h.size_label(n)} events, {want[0]:,} sessions; load {load[0]:.1f} -> {load[1]:.1f}")
    med = {k: statistics.median(v[1:]) for k, v in wall.items()}
    best = min(med["DuckDB SQL"], med["Polars scan_parquet"])
    print("| method | wall s | / faster engine | CPU s |")
    print("|---|---:|---:|---:|")
    for k, v in med.items():
        print(f"| {k} | {v:.2f} | {v / best:.2f} | {statistics.median(cpu[k][1:]):.2f} |")


if __name__ == "__main__":
    main()
