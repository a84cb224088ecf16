"""Time useropslib against pandas, DuckDB and Polars on the same synthetic event data.

Usage::

    python benchmarks/run.py --sizes 1M 10M --repeat 3 --markdown benchmarks/results.md
    python benchmarks/run.py --smoke          # a few seconds: tiny data, one run, for CI

For each size the synthetic event frame (``useropslib.datasets.synthetic_frame``, 180 days, cut
to exactly that many rows) is built once and cached as Parquet under ``benchmarks/.cache/``.
Then every method of every task in ``benchmarks/tasks.py`` is timed in this process (median of
``--repeat`` runs after ``--warmup`` untimed ones), its answer is checked against the task's
baseline, and its peak memory is measured in a fresh child process (see ``_harness.py`` for what
each memory figure means).  Nothing here is run by the test suite: unit tests are never timed.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shlex
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))
try:
    import useropslib  # noqa: F401
except ImportError:  # running from a clone without `pip install -e .`
    sys.path.insert(0, str(ROOT / "src"))

import _harness as h  # noqa: E402
from tasks import TASK_CHECKS, TASK_DOCS, TASKS, Method  # noqa: E402
from tasks_churn import CHURN_TASKS  # noqa: E402
from tasks_metrics import METRIC_TASKS  # noqa: E402
from tasks_segments import SEGMENT_TASKS  # noqa: E402

SMOKE_SIZE = "20k"
MB = 1e6

# the acceptance targets, checked for the "encode" task
TARGET_METHOD = "useropslib EventLog.from_pandas"
TARGET_TIME_RATIO = 2.0
TARGET_MEMORY_RATIO = 2.5
TARGET_ROWS = 10_000_000
# issue 3, for the metric tasks (baseline: useropslib): DuckDB and Polars at least as slow,
# idiomatic pandas at least 5x slower, useropslib's peak memory within 2x the encoded log
METRIC_BASELINE = "useropslib"
METRIC_FAST = ("DuckDB SQL", "Polars")
METRIC_PANDAS = "pandas idiomatic"
TARGET_PANDAS_RATIO = 5.0
TARGET_LOG_MEMORY_RATIO = 2.0
TASK_GROUPS = {"metrics": METRIC_TASKS}
TASK_GROUPS["segments"] = SEGMENT_TASKS
TASK_GROUPS["churn"] = CHURN_TASKS


def _log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------- child process
def _child_memory(task: str, method_name: str, path: str) -> None:
    """Measure one method's memory in this fresh process; print one JSON line."""
    method = TASKS[task][method_name]
    for mod in method.modules:
        __import__(mod)
    h.settle()
    rss0 = h.rss_bytes()
    df = h.read_frame(Path(path))
    h.settle()
    frame_rss = h.rss_bytes() - rss0
    state = method.prepare(df)
    growth, how = h.peak_rss_growth(lambda: method.run(state))
    traced = h.tracemalloc_peak(lambda: method.run(state))
    print(
        json.dumps(
            {"rss_growth": growth, "rss_how": how, "traced_peak": traced, "frame_rss": frame_rss}
        )
    )


def _memory_in_child(task: str, method: str, path: Path) -> dict[str, Any]:
    cmd = [sys.executable, str(Path(__file__).resolve()), "--child-memory", task, method, str(path)]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=3600, check=False)
    if proc.returncode != 0:
        return {"error": proc.stderr.strip().splitlines()[-1] if proc.stderr else "failed"}
    out: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    return out


def _memory_in_process(method: Method, state: Any) -> dict[str, Any]:
    growth, how = h.peak_rss_growth(lambda: method.run(state))
    traced = h.tracemalloc_peak(lambda: method.run(state))
    return {"rss_growth": growth, "rss_how": how + ", same process", "traced_peak": traced}


# ---------------------------------------------------------------------------- one size
def _ordered(methods: dict[str, Method]) -> list[tuple[str, Method]]:
    return sorted(methods.items(), key=lambda kv: not kv[1].baseline)


def _wanted(name: str, filters: list[str] | None) -> bool:
    return not filters or any(f.lower() in name.lower() for f in filters)


def _skipped(name: str, label: str, skips: list[str] | None) -> bool:
    """``--skip pandas@10M``: methods whose name contains ``pandas`` are not run at 10M."""
    for item in skips or []:
        what, _, size = item.partition("@")
        if what.lower() in name.lower() and (not size or size.lower() == label.lower()):
            return True
    return False


def run_size(n: int, args: argparse.Namespace) -> list[dict[str, Any]]:
    label = h.size_label(n)
    path = h.ensure_cached(n, args.seed, args.cache_dir, _log)
    df = h.read_frame(path)
    nbytes = h.frame_nbytes(df)
    _log(
        f"== {label} events: {len(df):,} rows, {df['user_id'].nunique():,} users, "
        f"frame {nbytes / MB:,.0f} MB"
    )
    rows: list[dict[str, Any]] = []
    for task in args.tasks:
        rows += _run_task(task, df, path, nbytes, label, args)
    return rows


def _run_task(
    task: str, df: Any, path: Path, nbytes: int, label: str, args: argparse.Namespace
) -> list[dict[str, Any]]:
    """Time the methods of one task in interleaved rounds, check answers, then measure memory.

    Each round runs every method once, baseline first, so a change in the machine's load
    (it is shared) affects all methods alike; the ratio to the baseline is the median over
    rounds of (method time / baseline time in the same round).
    """
    methods = [
        (name, m)
        for name, m in _ordered(TASKS[task])
        if m.baseline or (_wanted(name, args.methods) and not _skipped(name, label, args.skip))
    ]
    skipped = [
        n for n in TASKS[task] if _skipped(n, label, args.skip) and not TASKS[task][n].baseline
    ]
    states: dict[str, Any] = {}
    prep: dict[str, float] = {}
    for name, method in methods:
        for mod in method.modules:
            __import__(mod)
        t0 = time.perf_counter()
        states[name] = method.prepare(df)
        # a shared preparation (the metric tasks' context) reports what its form cost itself
        prep[name] = getattr(states[name], "prepare_s", time.perf_counter() - t0)
    times: dict[str, list[float]] = {name: [] for name, _ in methods}
    checks: dict[str, str] = {name: "-" for name, _ in methods}
    base_answer = None
    with h.loadavg_span() as load:
        for rnd in range(args.warmup + args.repeat):
            last = rnd == args.warmup + args.repeat - 1
            for name, method in methods:
                h.settle()
                t0 = time.perf_counter()
                result = method.run(states[name])
                elapsed = time.perf_counter() - t0
                if rnd >= args.warmup:
                    times[name].append(elapsed)
                if last and method.answer is not None:
                    answer = method.answer(result)
                    if method.baseline:
                        base_answer, checks[name] = answer, "baseline"
                    elif task in TASK_CHECKS and base_answer is not None:
                        try:
                            TASK_CHECKS[task](answer, base_answer, df)
                            checks[name] = "same"
                        except AssertionError as exc:
                            checks[name] = f"DIFFERS: {exc}"
                    answer = None
                result = None
    base_name = next(name for name, m in methods if m.baseline)
    base = TASKS[task][base_name]
    ref = base.ref_bytes(states[base_name]) if base.ref_bytes is not None else None
    rows = []
    for name, method in methods:
        per_round = [t / b for t, b in zip(times[name], times[base_name], strict=True)]
        mem: dict[str, Any] = {}
        if not _wanted(name, args.memory_methods):
            pass
        elif args.memory == "child":
            mem = _memory_in_child(task, name, path)
        elif args.memory == "inprocess":
            mem = _memory_in_process(method, states[name])
        row = {
            "size": label,
            "rows": len(df),
            "task": task,
            "method": name,
            "input": method.input_form,
            "median_s": h.median(times[name]),
            "min_s": min(times[name]),
            "times_s": times[name],
            "ratio": h.median(per_round),
            "prepare_s": prep[name],
            "rss_growth": mem.get("rss_growth"),
            "rss_how": mem.get("rss_how", mem.get("error", "")),
            "traced_peak": mem.get("traced_peak"),
            "frame_bytes": nbytes,
            "ref_bytes": ref,
            "frame_rss": mem.get("frame_rss"),
            "check": checks[name],
            "load": (load["before"], load["after"]),
            "note": method.note,
        }
        rows.append(row)
        _log(
            f"  {task:10s} {name:34s} {row['median_s']:8.3f}s  x{row['ratio']:.2f}  "
            f"rss+{_mb(row['rss_growth'])}  {row['check']}"
        )
    for name in skipped:
        _log(f"  {task:10s} {name:34s} skipped at {label} (--skip)")
        rows.append({"size": label, "rows": len(df), "task": task, "method": name, "skipped": True})
    states.clear()
    h.settle()
    return rows


# ---------------------------------------------------------------------------- output
def _mb(x: Any) -> str:
    if x is None:
        return "n/a"
    return f"{x / MB:,.1f} MB" if x < 100 * MB else f"{x / MB:,.0f} MB"


def _ratio(x: Any, of: float) -> str:
    return "n/a" if x is None else f"{x / of:.2f}x"


def table_lines(rows: list[dict[str, Any]], markdown: bool) -> list[str]:
    head = [
        "size",
        "task",
        "method",
        "input (prepare s)",
        "median s",
        "min s",
        "x baseline",
        "peak RSS growth",
        "x frame",
        "x log",
        "tracemalloc peak",
        "check",
    ]
    body = []
    for r in rows:
        if r.get("skipped"):
            body.append(
                [f"{r['size']} ({r['rows']:,})", r["task"], r["method"], *["-"] * 8, "skipped"]
            )
            continue
        body.append(
            [
                f"{r['size']} ({r['rows']:,})",
                r["task"],
                r["method"],
                r["input"]
                if r["input"] == "pandas frame"
                else f"{r['input']} ({r['prepare_s']:.2f})",
                f"{r['median_s']:.3f}",
                f"{r['min_s']:.3f}",
                f"{r['ratio']:.2f}",
                _mb(r["rss_growth"]),
                _ratio(r["rss_growth"], r["frame_bytes"]),
                "-" if r["ref_bytes"] is None else _ratio(r["rss_growth"], r["ref_bytes"]),
                _mb(r["traced_peak"]),
                r["check"],
            ]
        )
    if markdown:
        out = ["| " + " | ".join(head) + " |", "|" + "|".join("---" for _ in head) + "|"]
        out += ["| " + " | ".join(b) + " |" for b in body]
        return out
    widths = [max(len(x) for x in col) for col in zip(head, *body, strict=False)]
    fmt = "  ".join(f"{{:<{w}}}" for w in widths)
    return [fmt.format(*head), fmt.format(*("-" * w for w in widths))] + [
        fmt.format(*b) for b in body
    ]


def verdict_lines(rows: list[dict[str, Any]]) -> list[str]:
    """The issue's acceptance targets, judged at 10M events (other sizes: for information)."""
    out = []
    for r in rows:
        if r.get("skipped") or r["task"] != "encode" or r["method"] != TARGET_METHOD:
            continue
        judged = r["rows"] >= TARGET_ROWS

        def word(ok: bool, judged: bool = judged) -> str:
            return ("met" if ok else "MISSED") if judged else "not judged below 10M"

        line = (
            f"{r['size']}: EventLog.from_pandas takes {r['ratio']:.2f}x the baseline "
            f"(target <= {TARGET_TIME_RATIO}x: {word(r['ratio'] <= TARGET_TIME_RATIO)})"
        )
        if r["rss_growth"] is not None:
            m = r["rss_growth"] / r["frame_bytes"]
            line += (
                f"; peak memory growth {m:.2f}x the input frame "
                f"(target <= {TARGET_MEMORY_RATIO}x: {word(m <= TARGET_MEMORY_RATIO)})"
            )
        out.append(line)
    return out + metric_verdict_lines(rows)


def metric_verdict_lines(rows: list[dict[str, Any]]) -> list[str]:
    """Issue 3's claim per metric task and size, judged at 10M events."""
    out = []
    groups: dict[tuple[str, str], dict[str, dict[str, Any]]] = {}
    for r in rows:
        if r["task"] in METRIC_TASKS:
            groups.setdefault((r["size"], r["task"]), {})[r["method"]] = r
    for (size, task), by in groups.items():
        judged = next(iter(by.values()))["rows"] >= TARGET_ROWS
        parts = []
        fast = [by[m]["ratio"] for m in METRIC_FAST if m in by and not by[m].get("skipped")]
        if fast:
            ok = min(fast) >= 1.0
            parts.append(
                f"faster of DuckDB/Polars takes {min(fast):.2f}x useropslib's time "
                f"(>= 1: {_word(ok, judged)})"
            )
        pd_row = by.get(METRIC_PANDAS)
        if pd_row is None or pd_row.get("skipped"):
            parts.append("pandas not run")
        else:
            ok = pd_row["ratio"] >= TARGET_PANDAS_RATIO
            parts.append(
                f"pandas {pd_row['ratio']:.1f}x (>= {TARGET_PANDAS_RATIO:g}: {_word(ok, judged)})"
            )
        base = by.get(METRIC_BASELINE)
        if base and base["rss_growth"] is not None and base["ref_bytes"]:
            m = base["rss_growth"] / base["ref_bytes"]
            ok = m <= TARGET_LOG_MEMORY_RATIO
            parts.append(
                f"useropslib peak {m:.2f}x the log "
                f"(<= {TARGET_LOG_MEMORY_RATIO:g}: {_word(ok, judged)})"
            )
        out.append(f"{size} {task}: " + "; ".join(parts))
    return out


def _word(ok: bool, judged: bool) -> str:
    return ("met" if ok else "MISSED") if judged else "not judged below 10M"


def write_markdown(
    path: Path,
    rows: list[dict[str, Any]],
    args: argparse.Namespace,
    started: str,
    info: dict[str, str],
) -> None:
    frames = {}
    for r in rows:
        if not r.get("skipped"):
            frames[r["size"]] = (r["rows"], r["frame_bytes"], r.get("frame_rss"))
    lines = [
        f"Run on {started} with `{args.command}`.",
        "",
        "Machine: " + ", ".join(f"{k} {v}" for k, v in info.items()),
        "",
        "Input frames (object strings shared per distinct value, aware timestamps, float values):",
        "",
    ]
    for size, (n, nbytes, rss) in frames.items():
        extra = (
            "" if rss is None else f"; resident growth when read from Parquet {rss / MB:,.0f} MB"
        )
        lines.append(f"- {size}: {n:,} rows, {nbytes / MB:,.0f} MB{extra}")
    lines += ["", *table_lines(rows, markdown=True), ""]
    loads = [x for r in rows if not r.get("skipped") for x in r["load"]]
    lines.append(f"1-minute load average during the runs: {min(loads):.2f} to {max(loads):.2f}.")
    lines += ["", *[f"- {v}" for v in verdict_lines(rows)]]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n")


# ---------------------------------------------------------------------------- main
def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--sizes", nargs="+", default=["1M", "10M"], help="event counts: 1M 10M 100k")
    p.add_argument("--repeat", type=int, default=3, help="timed runs per method (median)")
    p.add_argument("--warmup", type=int, default=1, help="untimed runs before timing")
    p.add_argument(
        "--tasks",
        nargs="+",
        default=list(TASKS),
        choices=[*TASKS, *TASK_GROUPS],
        help="tasks to run; 'metrics' stands for all the metric tasks",
    )
    p.add_argument("--methods", nargs="+", help="only methods whose name contains one of these")
    p.add_argument(
        "--skip",
        nargs="+",
        metavar="METHOD@SIZE",
        help="do not run these methods at these sizes, e.g. 'pandas@10M' (listed as skipped)",
    )
    p.add_argument(
        "--memory-methods",
        nargs="+",
        help="measure memory only for methods whose name contains one of these",
    )
    p.add_argument(
        "--memory",
        choices=["child", "inprocess", "none"],
        default="child",
        help="where to measure peak memory (default: a fresh child per method)",
    )
    p.add_argument(
        "--smoke",
        action="store_true",
        help=f"tiny CI run: --sizes {SMOKE_SIZE} --repeat 1 --warmup 1 --memory inprocess",
    )
    p.add_argument("--markdown", type=Path, help="also write the results as Markdown here")
    p.add_argument("--json", type=Path, help="also write the raw results as JSON here")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--cache-dir", type=Path, default=HERE / ".cache")
    p.add_argument(
        "--child-memory", nargs=3, metavar=("TASK", "METHOD", "PATH"), help=argparse.SUPPRESS
    )
    args = p.parse_args(argv)
    if args.child_memory:
        _child_memory(*args.child_memory)
        return 0
    if args.smoke:
        args.sizes, args.repeat, args.warmup, args.memory = [SMOKE_SIZE], 1, 1, "inprocess"
    args.command = "python benchmarks/run.py " + " ".join(
        shlex.quote(a) for a in (sys.argv[1:] if argv is None else argv)
    )
    args.tasks = list(dict.fromkeys(t for x in args.tasks for t in TASK_GROUPS.get(x, [x])))
    sizes = [h.parse_size(s) for s in args.sizes]
    started = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    info = h.machine()
    _log(f"{started}; " + ", ".join(f"{k} {v}" for k, v in info.items()))
    _log(f"load average {os.getloadavg()}")
    rows = []
    for n in sizes:
        rows += run_size(n, args)
    print()
    for task in args.tasks:
        print(f"{task}: {TASK_DOCS.get(task, '')}")
    print()
    print("\n".join(table_lines(rows, markdown=False)))
    print()
    print("\n".join(verdict_lines(rows)))
    if args.markdown:
        write_markdown(args.markdown, rows, args, started, info)
        _log(f"wrote {args.markdown}")
    if args.json:
        args.json.write_text(
            json.dumps({"started": started, "machine": info, "rows": rows}, indent=1, default=str)
        )
    bad = [r for r in rows if not r.get("skipped") and r["check"].startswith("DIFFERS")]
    for r in bad:
        _log(f"ERROR: {r['task']} / {r['method']} gave a different answer: {r['check']}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
