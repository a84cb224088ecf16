"""``useropslib report`` end to end against the sum of the functions it runs (issue 13).

One run measures, each in a fresh Python process, on the cached synthetic Parquet file of
``_harness.py``:

(a) the report: ``useropslib report FILE --steps ... --activity-events app_open --out DIR
    --timings`` (wall clock around the child; CPU = user + system from
    ``resource.getrusage(RUSAGE_CHILDREN)``; its own per-step timings from ``--timings``);
(b) the benchmark sum: reading the Parquet file with pandas, ``EventLog.from_pandas`` and each
    analysis function the report runs, with the same arguments, each timed once (wall and
    process CPU) and summed; the child's wall and CPU are measured as for (a).

It prints both, their ratio and both per-step breakdowns, plus the load average before and
after (the machine may be shared: compare CPU seconds rather than wall seconds then).

    python benchmarks/report.py --size 10M          # the figure in docs/performance.md
    python benchmarks/report.py --size 1M           # a quick check
    python benchmarks/report.py --size 10M --rounds 3 --also-no-charts   # medians of 3 rounds
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import _harness as h  # noqa: E402

STEPS = ["signup", "complete_profile", "upload_avatar", "first_post", "add_friend"]
ACTIVITY = ["app_open"]


# --------------------------------------------------------------------- (b) in the child
def benchmark_sum(path: str) -> list[tuple[str, float, float]]:
    """Time reading, building and each analysis the report runs; return (name, wall, cpu)."""
    import warnings

    import pandas as pd

    rows: list[tuple[str, float, float]] = []

    def timed(name: str, fn: Any) -> Any:
        w0, c0 = time.perf_counter(), time.process_time()
        out = fn()
        rows.append((name, time.perf_counter() - w0, time.process_time() - c0))
        return out

    import useropslib as uo
    from useropslib.exceptions import UseropsWarning

    held = {"frame": timed("read Parquet (pandas)", lambda: pd.read_parquet(path))}
    log = timed("EventLog.from_pandas", lambda: uo.EventLog.from_pandas(held.pop("frame")))
    warnings.simplefilter("ignore", UseropsWarning)  # as the report does
    m, ch, p = uo.metrics, uo.churn, uo.paths
    timed("summary", log.summary)
    timed("active users (week)", lambda: m.active_users(log, window="week"))
    timed("lifecycle (week)", lambda: m.lifecycle(log, period="week"))
    timed("growth accounting (month)", lambda: m.growth_accounting(log, period="month"))
    timed(
        "retention (week, 9)",
        lambda: m.retention(
            log, period="week", periods=9, cohort="first_time", start_event="signup"
        ),
    )
    timed("funnel (5 steps, 1D)", lambda: m.funnel(log, STEPS, window="1D"))
    th = timed(
        "infer_inactivity_threshold",
        lambda: ch.infer_inactivity_threshold(log, activity_events=ACTIVITY),
    )
    timed(
        "natural_churn_rate",
        lambda: ch.natural_churn_rate(log, silence=th.definition, signup_event="signup"),
    )
    frame_s = timed("survival_frame", lambda: ch.survival_frame(log, th.definition))
    timed("kaplan_meier", lambda: ch.kaplan_meier(frame_s))
    timed("message_funnel", lambda: m.message_funnel(log))
    timed("rfm", lambda: uo.segments.rfm(log))
    timed("session_metrics (week)", lambda: p.session_metrics(log, period="week", timeout="30min"))
    timed("transitions (session)", lambda: p.transitions(log, within="session", timeout="30min"))
    timed(
        "top_paths (5, to add_friend)",
        lambda: p.top_paths(log, steps=5, n=10, end=STEPS[-1], timeout="30min"),
    )
    timed("sessions", lambda: p.sessions(log, timeout="30min"))
    return rows


# --------------------------------------------------------------------- the parent
def _run_child(cmd: list[str]) -> tuple[subprocess.CompletedProcess[str], float, float]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if done.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed ({done.returncode}):\n{done.stderr}")
    return done, wall, cpu


def _report_timings(stderr: str) -> list[tuple[str, float, float]]:
    rows: list[tuple[str, float, float]] = []
    lines = stderr.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("step timings"))
    for line in lines[start + 2 :]:
        parts = line.split()
        if len(parts) == 3 and parts[0] != "total":
            rows.append((parts[0], float(parts[1]), float(parts[2])))
    return rows


def _table(rows: list[tuple[str, float, float]]) -> str:
    out = [f"  {'step':34s} {'wall s':>8s} {'CPU s':>8s}"]
    out += [f"  {n:34s} {w:8.2f} {c:8.2f}" for n, w, c in rows]
    out.append(f"  {'sum':34s} {sum(r[1] for r in rows):8.2f} {sum(r[2] for r in rows):8.2f}")
    return "\n".join(out)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", default="10M")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--cache-dir", default=str(HERE / ".cache"))
    ap.add_argument("--sum-first", action="store_true", help="run (b) before (a)")
    ap.add_argument(
        "--also-no-charts",
        action="store_true",
        help="also time the report with --no-charts (what the charts cost)",
    )
    ap.add_argument(
        "--rounds",
        type=int,
        default=1,
        help="repeat the measurement, alternating which child runs first; the per-round figures "
        "and their medians are printed (a shared machine's load drifts during one round)",
    )
    ap.add_argument("--json", default=None, help="also write the figures to this JSON file")
    ap.add_argument("--child-sum", default=None, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child_sum is not None:
        print(json.dumps(benchmark_sum(args.child_sum)))
        return

    n = h.parse_size(args.size)
    path = h.ensure_cached(n, args.seed, Path(args.cache_dir), print)
    load_before = os.getloadavg()
    print(f"{h.size_label(n)} events in {path} ({path.stat().st_size / 1e6:.0f} MB)")
    print(f"cores {os.cpu_count()}; load average before {load_before}")

    with tempfile.TemporaryDirectory() as out:
        report_cmd = [
            sys.executable,
            "-m",
            "useropslib.cli",
            "report",
            str(path),
            "--steps",
            ",".join(STEPS),
            "--activity-events",
            ",".join(ACTIVITY),
            "--out",
            out,
            "--timings",
        ]
        sum_cmd = [sys.executable, __file__, "--child-sum", str(path)]
        results: dict[str, Any] = {}
        rounds: list[dict[str, Any]] = []
        commands = {"report": report_cmd, "sum": sum_cmd, "no charts": [*report_cmd, "--no-charts"]}
        for k in range(max(args.rounds, 1)):
            order = ["sum", "report"] if args.sum_first != (k % 2 == 1) else ["report", "sum"]
            if args.also_no_charts:
                order.append("no charts")
            this: dict[str, Any] = {"load": os.getloadavg()}
            for what in order:
                done, wall, cpu = _run_child(commands[what])
                steps = (
                    [tuple(r) for r in json.loads(done.stdout)]
                    if what == "sum"
                    else _report_timings(done.stderr)
                )
                this[what] = results[what] = {"wall": wall, "cpu": cpu, "steps": steps}
                print(f"  ({what} done: {wall:.1f} s wall, {cpu:.1f} s CPU)", flush=True)
            rounds.append(this)
    load_after = os.getloadavg()

    rep, tot = results["report"], results["sum"]
    print("\n(a) useropslib report, its own step timings (--timings):")
    print(_table(rep["steps"]))
    print("\n(b) the benchmark sum, each function timed once in a fresh process:")
    print(_table(tot["steps"]))
    print(
        f"\n(a) report, whole process: {rep['wall']:.1f} s wall, {rep['cpu']:.1f} s CPU"
        f"\n(b) benchmark sum, whole process: {tot['wall']:.1f} s wall, {tot['cpu']:.1f} s CPU"
        f"\n    benchmark sum, timed steps only: {sum(r[1] for r in tot['steps']):.1f} s wall, "
        f"{sum(r[2] for r in tot['steps']):.1f} s CPU"
        f"\nratio (a)/(b), whole processes: {rep['wall'] / tot['wall']:.2f} wall, "
        f"{rep['cpu'] / tot['cpu']:.2f} CPU"
        + (
            f"\n(a') report --no-charts, whole process: {results['no charts']['wall']:.1f} s "
            f"wall, {results['no charts']['cpu']:.1f} s CPU"
            if "no charts" in results
            else ""
        )
        + f"\nload average before {load_before}, after {load_after}"
    )
    if len(rounds) > 1:
        print("\nper round (CPU s; wall s in brackets), the last round's steps above:")
        kinds = [w for w in ("report", "sum", "no charts") if w in rounds[0]]
        for k, r in enumerate(rounds):
            cells = ", ".join(f"{w} {r[w]['cpu']:.1f} ({r[w]['wall']:.1f})" for w in kinds)
            ratio = r["report"]["cpu"] / r["sum"]["cpu"]
            print(f"  round {k + 1}, load {r['load'][0]:.1f}: {cells}; ratio CPU {ratio:.2f}")
        med = {w: statistics.median(r[w]["cpu"] for r in rounds) for w in kinds}
        ratios = [r["report"]["cpu"] / r["sum"]["cpu"] for r in rounds]
        print(
            "  medians: "
            + ", ".join(f"{w} {v:.1f} s CPU" for w, v in med.items())
            + f"; median of the rounds' CPU ratios {statistics.median(ratios):.2f}"
        )
        results["rounds"] = rounds
    if args.json:
        results.update(size=n, load_before=load_before, load_after=load_after)
        Path(args.json).write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
