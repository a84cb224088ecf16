"""Benchmark: ``campaigns.measure`` and ``campaigns.pacing`` against the metric function they call.

Issue #10 asks that both cost no more than the metric function they call plus 10 %.  Each pair
runs on the same in-memory :class:`~useropslib.events.EventLog`, alternately, ``--repeat`` times;
the median wall time of each and their ratio are printed.

* ``measure(ConversionSpec)`` vs ``metrics.funnel`` with the same steps, window and range;
* ``measure(ActiveUsersSpec(window="day"))`` vs ``metrics.active_users`` on the same range;
* ``measure(NewUsersSpec())`` vs ``events.first_seen_ns`` (the kernel it calls);
* ``pacing`` of a new-users goal (daily actual, linear and history-shaped curves) vs
  ``events.first_seen_ns``, the one pass over the log it makes.

The log is built with numpy (``--events`` rows, ``--users`` users over 180 days in
Asia/Shanghai; names app_open 60 %, view_item 25 %, add_to_cart 10 %, purchase 5 % with a
value).  Usage::

    python benchmarks/tasks_campaigns.py --events 10000000 --users 1000000 --repeat 3
    python benchmarks/tasks_campaigns.py --events 20000 --users 2000 --repeat 1   # smoke
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from useropslib import campaigns, metrics
from useropslib.events import EventLog, first_seen_ns
from useropslib.models import ActiveUsersSpec, ConversionSpec, Goal, NewUsersSpec

NAMES = np.array(["app_open", "view_item", "add_to_cart", "purchase"], dtype=object)


def make_log(n_events: int, n_users: int, seed: int = 0) -> EventLog:
    """Build the benchmark log with numpy (no Python loop over rows)."""
    rng = np.random.default_rng(seed)
    start = pd.Timestamp("2024-01-01", tz="Asia/Shanghai").value
    ts = start + rng.integers(0, 180 * 86_400 * 10**9, n_events)
    codes = rng.choice(4, size=n_events, p=[0.6, 0.25, 0.1, 0.05])
    users = rng.integers(0, n_users, n_events)
    df = pd.DataFrame(
        {
            "user_id": pd.Index([f"u{i}" for i in range(n_users)], dtype=object)[users],
            "event": NAMES[codes],
            "timestamp": pd.to_datetime(ts, utc=True).tz_convert("Asia/Shanghai"),
            "value": np.where(codes == 3, rng.gamma(2.0, 20.0, n_events), 0.0),
        }
    )
    return EventLog.from_pandas(df)


def _time(fn: Callable[[], Any]) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def pairs(log: EventLog) -> dict[str, tuple[Callable[[], Any], Callable[[], Any]]]:
    """Each case: (the campaigns call, the metric call it makes)."""
    start, end = "2024-03-01", "2024-04-01"
    conv = ConversionSpec(steps=["view_item", "purchase"], window="7D")
    goal = Goal(metric=NewUsersSpec(), target=1e6, start="2024-04-01", deadline="2024-05-01")
    return {
        "measure conversion / metrics.funnel": (
            lambda: campaigns.measure(conv, log, start=start, end=end),
            lambda: metrics.funnel(
                log, ["view_item", "purchase"], window="7D", start=start, end=end
            ),
        ),
        "measure active users / metrics.active_users": (
            lambda: campaigns.measure(ActiveUsersSpec(), log, start=start, end=end),
            lambda: metrics.active_users(log, window="day", start=start, end="2024-03-31"),
        ),
        "measure new users / first_seen_ns": (
            lambda: campaigns.measure(NewUsersSpec(), log, start=start, end=end),
            lambda: first_seen_ns(log),
        ),
        "pacing new users / first_seen_ns": (
            lambda: campaigns.pacing(goal, log, as_of="2024-04-20"),
            lambda: first_seen_ns(log),
        ),
    }


def main(argv: list[str] | None = None) -> int:
    """Time every pair and print the medians, the ratio and the load average."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=10_000_000)
    parser.add_argument("--users", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    t0 = time.perf_counter()
    log = make_log(args.events, args.users)
    print(
        f"log: {log.n_events:,} events, {log.n_users:,} users, built in "
        f"{time.perf_counter() - t0:.1f} s"
    )
    for name, (ours, theirs) in pairs(log).items():
        ours()  # warm-up (imports, caches)
        theirs()
        a, b = [], []
        for _ in range(args.repeat):
            a.append(_time(ours))
            b.append(_time(theirs))
        ma, mb = statistics.median(a), statistics.median(b)
        print(f"{name:<46} {ma:8.3f} s  vs {mb:8.3f} s  ratio {ma / mb:5.2f}")
    print("load average (1, 5, 15 min):", " ".join(f"{x:.2f}" for x in os.getloadavg()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
