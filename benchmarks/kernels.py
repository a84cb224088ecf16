"""The in-memory kernels against the faster engine, idiomatic pandas and the one-pass floor.

Usage::

    python benchmarks/kernels.py --size 10M --repeat 3              # the table in performance.md
    python benchmarks/kernels.py --size 1M --repeat 3 --pandas      # also the idiomatic pandas
    python benchmarks/kernels.py --size 20k --repeat 1 --pandas     # a smoke run

On the benchmark's synthetic frame (``benchmarks/.cache``, built as ``run.py`` builds it), in one
process and in interleaved rounds (each round times every method once, so a change in the load
of this shared machine hits all of them alike), it times:

* **the floor**: reading the user and time columns once, ``np.sum`` of both accumulated as
  int64 (``dtype=np.int64``, no copy of the int32 codes), the cheapest pass any kernel makes;
* **the build**: ``pd.factorize`` of the user column alone, ``EventLog.from_pandas`` of the
  four columns and the per-user index (``build_user_index`` and its three columns in index
  order), built once per log and shared by every later call;
* **the kernels**: daily actives, weekly retention, weekly lifecycle and the funnels, each on a
  fresh view of the built log (``log.with_tz(log.tz)``: the same arrays and per-user index, no
  cached period codes), against DuckDB SQL and Polars (their best queries found, from
  ``tasks_*.py``, on a DuckDB table and a Polars frame prepared outside the timing) and, with
  ``--pandas``, the idiomatic pandas recipe.  Funnel variants without an engine query are
  reported against the floor only.
* **the build-included total**: ``from_pandas`` + index + daily actives + retention + funnel
  against the same three queries of each engine (the engines' own preparation excluded).

Every timed call starts after a pause of ``--settle`` seconds (0.5 by default, the same for every
method): DuckDB's and Polars' worker threads keep the cores busy for a moment after a query
returns, which otherwise is charged to whatever runs next.

Every kernel's answer is compared with the engines' (``DIFFERS`` makes the exit status 1).
Report the load average printed with the table: the machine is shared.
"""

from __future__ import annotations

import argparse
import gc
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))
try:
    import useropslib  # noqa: F401
except ImportError:  # running from a clone without `pip install -e .`
    sys.path.insert(0, str(HERE.parent / "src"))

import _harness as h  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import polars as pl  # noqa: E402
import tasks_activity  # noqa: E402
import tasks_funnel  # noqa: E402
import tasks_metrics  # noqa: E402
import tasks_retention  # noqa: E402

from useropslib import EventLog  # noqa: E402
from useropslib.events._userindex import build_user_index, user_index  # noqa: E402
from useropslib.metrics import funnel  # noqa: E402

ENGINES = ("duckdb", "polars")
WEEK_US = tasks_funnel.US_WINDOW


# ---------------------------------------------------------------------------- first-entry funnel
def funnel_first_useropslib(ctx: Any) -> object:
    res = funnel(ctx.log, list(tasks_funnel.steps_of(ctx)), window="7D", attempts="first")
    return res.table["users"].tolist()


def funnel_first_duckdb(ctx: Any) -> object:
    """Each user's first step-0 event, then two as-of joins (Mixpanel-style uniques)."""
    a, b, c = tasks_funnel.steps_of(ctx)
    sql = f"""
        WITH s1 AS (SELECT user_id, min(ts_us) AS t1 FROM events WHERE event = '{a}'
                    GROUP BY user_id),
        s2 AS (SELECT user_id, ts_us AS t2 FROM events WHERE event = '{b}'),
        s3 AS (SELECT user_id, ts_us AS t3 FROM events WHERE event = '{c}'),
        j2 AS (SELECT s1.user_id, t1, t2 FROM s1
               ASOF LEFT JOIN s2 ON s1.user_id = s2.user_id AND s2.t2 >= s1.t1),
        j3 AS (SELECT j2.user_id, t1, t2, t3 FROM j2
               ASOF LEFT JOIN s3 ON j2.user_id = s3.user_id AND s3.t3 >= j2.t2),
        lvl AS (SELECT CASE WHEN t2 IS NULL OR t2 - t1 > {WEEK_US} THEN 1
                            WHEN t3 IS NULL OR t3 - t1 > {WEEK_US} THEN 2 ELSE 3 END AS r
                FROM j3)
        SELECT count(*) FILTER (r >= 1), count(*) FILTER (r >= 2), count(*) FILTER (r >= 3)
        FROM lvl
    """
    row = ctx.duck.execute(sql).fetchall()[0]
    return [int(v) for v in row]


def funnel_first_polars(ctx: Any) -> object:
    a, b, c = tasks_funnel.steps_of(ctx)
    t = pl.col("timestamp").dt.epoch("us")
    base = ctx.pl.lazy().filter(pl.col("event").is_in([a, b, c]))

    def step(name: str, col: str) -> pl.LazyFrame:
        return base.filter(pl.col("event") == name).select("user_id", t.alias(col)).sort(col)

    first = step(a, "t1").group_by("user_id").agg(pl.col("t1").min()).sort("t1")
    j = first.join_asof(
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
    in2 = (pl.col("t2") - pl.col("t1")) <= WEEK_US
    in3 = pl.col("t3").is_not_null() & ((pl.col("t3") - pl.col("t1")) <= WEEK_US)
    reach = pl.lit(1) + in2.cast(pl.Int8) + (in2 & in3).cast(pl.Int8)
    out = j.select([(reach >= k).sum().alias(f"s{k}") for k in (1, 2, 3)]).collect()
    return [int(v) for v in out.row(0)]


def funnel_first_pandas(ctx: Any) -> object:
    a, b, c = tasks_funnel.steps_of(ctx)
    df = ctx.df
    sel = df[df["event"].isin([a, b, c])]
    t = sel["timestamp"].dt.tz_convert(None).astype("int64") // 1000
    frame = pd.DataFrame({"user_id": sel["user_id"], "event": sel["event"], "t": t})

    def step(name: str, col: str) -> pd.DataFrame:
        s = frame.loc[frame["event"] == name, ["user_id", "t"]].rename(columns={"t": col})
        return s.sort_values(col, kind="stable")

    first = step(a, "t1").groupby("user_id", as_index=False)["t1"].min().sort_values("t1")
    j = pd.merge_asof(
        first, step(b, "t2"), left_on="t1", right_on="t2", by="user_id", direction="forward"
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
    in2 = (j["t2"] - j["t1"]) <= WEEK_US
    in3 = j["t3"].notna() & ((j["t3"] - j["t1"]) <= WEEK_US)
    reach = 1 + in2.astype(int) + (in2 & in3).astype(int)
    return [int((reach >= k).sum()) for k in (1, 2, 3)]


# ---------------------------------------------------------------------------- funnel variants
def _variant(**options: Any) -> Callable[[Any], object]:
    def run(ctx: Any) -> object:
        steps = list(tasks_funnel.steps_of(ctx))
        window = options.get("window", "7D")
        rest = {k: v for k, v in options.items() if k != "window"}
        return funnel(ctx.log, steps, window=window, **rest).table["users"].tolist()

    return run


def _excl(ctx: Any, attempts: str) -> object:
    steps = list(tasks_funnel.steps_of(ctx))
    res = funnel(ctx.log, steps, window="7D", exclusions=["like"], attempts=attempts)
    return res.table["users"].tolist()


KERNELS: dict[str, dict[str, Callable[[Any], object]]] = {
    "active_users_day": tasks_activity.TASKS["active_users_day"],
    "retention_week_12": tasks_retention.TASKS["retention_week_12"],
    "lifecycle_week": tasks_activity.TASKS["lifecycle_week"],
    "funnel_best_7d": tasks_funnel.TASKS["funnel_3step_7d"],
    "funnel_first_7d": {
        "useropslib": funnel_first_useropslib,
        "duckdb": funnel_first_duckdb,
        "polars": funnel_first_polars,
        "pandas": funnel_first_pandas,
    },
    "funnel_best_1d": {"useropslib": _variant(window="1D")},
    "funnel_strict_best": {"useropslib": _variant(order="strict")},
    "funnel_strict_first": {"useropslib": _variant(order="strict", attempts="first")},
    "funnel_unordered_best": {"useropslib": _variant(order="unordered")},
    "funnel_unordered_first": {"useropslib": _variant(order="unordered", attempts="first")},
    "funnel_exclusion_best": {"useropslib": lambda ctx: _excl(ctx, "best")},
    "funnel_exclusion_first": {"useropslib": lambda ctx: _excl(ctx, "first")},
}
ANSWERS: dict[str, Callable[[object], np.ndarray]] = {
    **tasks_metrics.ANSWERS,
    "funnel_best_7d": tasks_metrics.ANSWERS["funnel_3step_7d"],
    "funnel_first_7d": tasks_metrics.ANSWERS["funnel_3step_7d"],
}
TOTAL = ("active_users_day", "retention_week_12", "funnel_best_7d")


# ---------------------------------------------------------------------------- timing
def _timed(fn: Callable[[], Any], settle: float = 0.0) -> tuple[float, Any]:
    gc.collect()
    if settle > 0:  # let the previous method's worker threads (DuckDB, Polars) wind down
        time.sleep(settle)
    t0 = time.perf_counter()
    out = fn()
    return time.perf_counter() - t0, out


def _fmt(x: float | None) -> str:
    return "-" if x is None else f"{x:.3f}"


def _ratio(a: float | None, b: float | None) -> str:
    return "-" if a is None or b is None or b <= 0 else f"{a / b:.2f}"


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--size", default="10M", help="event count: 10M, 1M, 20k")
    p.add_argument("--repeat", type=int, default=3, help="timed rounds (medians reported)")
    p.add_argument("--pandas", action="store_true", help="also time the idiomatic pandas recipes")
    p.add_argument("--kernels", nargs="+", help="only these kernels")
    p.add_argument("--markdown", type=Path, help="also write the table as Markdown here")
    p.add_argument(
        "--settle",
        type=float,
        default=0.5,
        help="seconds of pause before every timed call, the same for every method (the\n"
        "engines' thread pools keep the cores busy briefly after they return)",
    )
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--cache-dir", type=Path, default=HERE / ".cache")
    args = p.parse_args()

    n = h.parse_size(args.size)
    path = h.ensure_cached(n, args.seed, args.cache_dir, lambda m: print(m, file=sys.stderr))
    raw = h.read_frame(path)
    ctx = tasks_metrics.Context(raw)
    view = tasks_metrics.View(ctx)
    df = ctx.df
    log: EventLog = ctx.log
    user_index(log)  # built once, as every kernel after the first call finds it
    ctx.pl, ctx.duck  # noqa: B018  (prepared outside the timing)
    tasks_funnel.steps_of(view)
    kernels = {k: v for k, v in KERNELS.items() if not args.kernels or k in args.kernels}
    methods = ("useropslib", *ENGINES, *(("pandas",) if args.pandas else ()))
    load = [os.getloadavg()[0]]

    times: dict[tuple[str, str], list[float]] = {}
    answers: dict[tuple[str, str], Any] = {}

    def record(key: tuple[str, str], fn: Callable[[], Any]) -> None:
        dt, out = _timed(fn, args.settle)
        times.setdefault(key, []).append(dt)
        answers[key] = out

    user_col = df["user_id"]
    for _ in range(args.repeat + 1):  # the first round warms up and is dropped
        record(
            ("floor", "numpy"),
            lambda: (
                int(np.sum(log.user_codes, dtype=np.int64))
                + int(np.sum(log.timestamps_ns, dtype=np.int64))
            ),
        )
        record(("pd.factorize(user_id)", "pandas"), lambda: pd.factorize(user_col))
        record(("EventLog.from_pandas", "useropslib"), lambda: EventLog.from_pandas(df, tz="UTC"))

        def index() -> Any:
            idx = build_user_index(
                log.user_codes,
                log.timestamps_ns,
                log.event_codes,
                n_users=len(log.users),
                n_event_names=len(log.event_names),
            )
            idx.users(), idx.times(), idx.events()
            return idx

        record(("per-user index", "useropslib"), index)
        for kernel, impls in kernels.items():
            for method in methods:
                if method not in impls:
                    continue
                fn = impls[method]
                if method == "useropslib":
                    view.log_view = log.with_tz(log.tz)  # same arrays and index, no cached codes

                record((kernel, method), lambda fn=fn: fn(view))
                view.log_view = None
        load.append(os.getloadavg()[0])
    med = {k: statistics.median(v[1:] if len(v) > 1 else v) for k, v in times.items()}

    # answers
    bad = []
    for kernel in kernels:
        ref = answers.get((kernel, "useropslib"))
        conv = ANSWERS.get(kernel, lambda r: np.asarray(r, dtype=np.int64))
        for method in methods[1:]:
            if (kernel, method) in answers:
                got, want = conv(answers[(kernel, method)]), conv(ref)
                same = got.shape == want.shape and bool(
                    np.isclose(got, want, rtol=1e-9, atol=1e-6, equal_nan=True).all()
                )
                if not same:
                    bad.append(f"{kernel}: {method} DIFFERS from useropslib")

    floor = med[("floor", "numpy")]
    rows = []
    header = (
        "| kernel | useropslib s | DuckDB s | Polars s | pandas s | x faster engine "
        "| x pandas | x floor |"
    )
    rows.append(header)
    rows.append("|---|---:|---:|---:|---:|---:|---:|---:|")
    rows.append(f"| floor: np.sum(user, time as int64) | {floor:.4f} | | | | | | 1.00 |")
    fact = med[("pd.factorize(user_id)", "pandas")]
    build = med[("EventLog.from_pandas", "useropslib")]
    index_s = med[("per-user index", "useropslib")]
    rows.append(f"| pd.factorize(user_id) alone | | | | {fact:.3f} | | | {fact / floor:.0f} |")
    rows.append(
        f"| EventLog.from_pandas (build) | {build:.3f} | | | | | {build / fact:.2f} "
        f"(of factorize) | {build / floor:.0f} |"
    )
    rows.append(
        f"| per-user index (once per log) | {index_s:.3f} | | | | | | {index_s / floor:.0f} |"
    )
    for kernel in kernels:
        u = med.get((kernel, "useropslib"))
        d, q, pd_ = (med.get((kernel, m)) for m in ("duckdb", "polars", "pandas"))
        eng = min([x for x in (d, q) if x is not None], default=None)
        x_floor = "-" if u is None else f"{u / floor:.0f}"
        rows.append(
            f"| {kernel} | {_fmt(u)} | {_fmt(d)} | {_fmt(q)} | {_fmt(pd_)} | {_ratio(u, eng)} "
            f"| {_ratio(u, pd_)} | {x_floor} |"
        )
    if all(k in kernels for k in TOTAL):
        ours = build + index_s + sum(med[(k, "useropslib")] for k in TOTAL)
        totals = {m: sum(med[(k, m)] for k in TOTAL) for m in ENGINES}
        best = min(totals.values())
        rows.append(
            f"| **total: build + index + {' + '.join(TOTAL)}** | {ours:.3f} | "
            f"{totals['duckdb']:.3f} | {totals['polars']:.3f} | | {ours / best:.2f} | | "
            f"{ours / floor:.0f} |"
        )
    info = h.machine()
    lines = [
        f"{n:,} events, {len(log.users):,} users; median of {args.repeat} interleaved rounds "
        f"after one warm-up round; 1-minute load average {min(load):.1f}-{max(load):.1f} "
        f"({info.get('cores')} cores, {info.get('cpu', '?')}); numpy {info.get('numpy')}, "
        f"pandas {info.get('pandas')}, polars {info.get('polars')}, duckdb {info.get('duckdb')}",
        "",
        *rows,
    ]
    text = "\n".join(lines)
    print(text)
    for b in bad:
        print(b)
    if args.markdown:
        args.markdown.write_text(text + "\n", encoding="utf-8")
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main())
