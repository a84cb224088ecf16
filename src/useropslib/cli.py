"""The ``useropslib`` command line: ``report`` on an event file, ``demo`` on synthetic data.

Exit codes (also in ``useropslib --help``):

- 0: the report was written.
- 1: an analysis step failed with a useropslib error.
- 2: wrong arguments (usage error).
- 3: the input file cannot be read or fails validation (the bad rows are summarised).
- 4: the output folder cannot be written.
- 5: a requested feature is not available in this installation.
- 130: interrupted.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Sequence
from typing import Any, TextIO

from useropslib._version import __version__

__all__ = ["EXIT_CODES", "main"]

#: The command's exit codes and what they mean.
EXIT_CODES: dict[int, str] = {
    0: "the report was written",
    1: "an analysis step failed",
    2: "wrong arguments",
    3: "the input file cannot be read or fails validation",
    4: "the output folder cannot be written",
    5: "a requested feature is not available",
    130: "interrupted",
}

_STEPS = (
    "read",
    "summary",
    "lifecycle",
    "growth",
    "retention",
    "funnel",
    "churn",
    "messages",
    "rfm",
    "paths",
    "conventions",
    "write",
)


class _FailError(Exception):
    """A failure with its exit code and message (printed without a traceback)."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code


class _Progress:
    """A one-line progress bar on a terminal (silent otherwise) and, on request, step timings.

    Each call starts a step and ends the one before; with ``timings`` the wall-clock and CPU
    seconds of every step are written to the stream when the run closes.
    """

    def __init__(self, stream: TextIO, total: int, *, enabled: bool, timings: bool = False) -> None:
        self.stream, self.total, self.enabled, self.timings = stream, total, enabled, timings
        self.done = 0
        self.t0 = time.monotonic()
        self.steps: list[tuple[str, float, float]] = []  # name, wall s, CPU s
        self._current: tuple[str, float, float] | None = None

    def _lap(self) -> None:
        now, cpu = time.perf_counter(), time.process_time()
        if self._current is not None:
            name, wall0, cpu0 = self._current
            self.steps.append((name, now - wall0, cpu - cpu0))
        self._current = None

    def __call__(self, name: str) -> None:
        self._lap()
        self._current = (name, time.perf_counter(), time.process_time())
        if not self.enabled:
            return
        self.done = min(self.done + 1, self.total)
        width = 24
        filled = round(width * self.done / self.total)
        bar = "#" * filled + "-" * (width - filled)
        elapsed = time.monotonic() - self.t0
        self.stream.write(f"\r[{bar}] {self.done}/{self.total} {name:<12} {elapsed:6.1f}s")
        self.stream.flush()

    def close(self) -> None:
        self._lap()
        if self.enabled:
            self.stream.write("\n")
            self.stream.flush()
        if self.timings and self.steps:
            lines = ["step timings (seconds):", f"  {'step':<12} {'wall':>8} {'cpu':>8}"]
            lines += [f"  {n:<12} {w:8.2f} {c:8.2f}" for n, w, c in self.steps]
            wall = sum(w for _, w, _ in self.steps)
            cpu = sum(c for _, _, c in self.steps)
            lines.append(f"  {'total':<12} {wall:8.2f} {cpu:8.2f}")
            self.stream.write("\n".join(lines) + "\n")
            self.stream.flush()


def _read_parquet(path: str, text_columns: Sequence[str]) -> Any:
    """Read a Parquet file; text ``text_columns`` stay Arrow strings (no Python str per row).

    The id columns are only encoded to codes, so turning each of their values into a Python
    string first (what ``pandas.read_parquet`` does) is wasted work: on 10M events it is about
    half the reading time.  Other columns convert as ``pandas.read_parquet`` converts them.
    """
    import pandas as pd
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pq.read_table(path)
    text = [
        c
        for c in dict.fromkeys(text_columns)
        if c in table.column_names
        and table.column_names.count(c) == 1
        and (
            pa.types.is_string(table.schema.field(c).type)
            or pa.types.is_large_string(table.schema.field(c).type)
        )
    ]
    meta = table.schema.pandas_metadata or {}
    stored_index = any(isinstance(c, str) for c in meta.get("index_columns", []))
    if not text or stored_index or len(text) == table.num_columns:
        return pd.read_parquet(path)
    frame = table.drop_columns(text).to_pandas()
    arrow_text = pd.StringDtype("pyarrow")
    for c in text:
        col = table.column(c).to_pandas(types_mapper={table.schema.field(c).type: arrow_text}.get)
        frame.insert(table.column_names.index(c), c, col.set_axis(frame.index))
    return frame


def _read_frame(path: str, text_columns: Sequence[str] = ()) -> Any:
    import pandas as pd

    if not os.path.exists(path):
        raise _FailError(
            3, f"No such file: {path!r}. Expected a CSV, Parquet or JSON-lines event file."
        )
    if os.path.isdir(path):
        raise _FailError(
            3, f"{path!r} is a folder. Expected a CSV, Parquet or JSON-lines event file."
        )
    low = path.lower()
    for ext in (".gz", ".bz2", ".zst", ".xz"):
        if low.endswith(ext):
            low = low[: -len(ext)]
    try:
        if low.endswith((".parquet", ".pq")):
            try:
                import pyarrow  # noqa: F401
            except ImportError:
                raise _FailError(
                    5,
                    "Reading Parquet needs pyarrow, which is not installed. Hint: pip install "
                    '"useropslib[fast]", or convert the file to CSV.',
                ) from None
            return _read_parquet(path, text_columns)
        if low.endswith((".jsonl", ".ndjson", ".json")):
            return pd.read_json(path, lines=True, dtype=False)
        if low.endswith((".csv", ".tsv", ".txt")):
            return pd.read_csv(path, sep="\t" if low.endswith(".tsv") else ",", low_memory=False)
    except _FailError:
        raise
    except (ValueError, OSError, UnicodeDecodeError, ImportError) as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise _FailError(
            3, f"Cannot read {path!r}: {first}. Expected a well-formed file."
        ) from None
    except Exception as exc:  # parser errors of pandas/pyarrow have many types
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise _FailError(3, f"Cannot read {path!r} ({type(exc).__name__}): {first}.") from None
    raise _FailError(
        3,
        f"Cannot tell the format of {path!r}. Expected a file ending in .csv, .tsv, .parquet, "
        ".pq, .jsonl, .ndjson or .json (JSON lines), optionally compressed (.gz).",
    )


def _validation_summary(exc: Any, n_rows: int) -> str:
    """Bad rows per column and check, with a few examples."""
    cases = getattr(exc, "failure_cases", None)
    if cases is None or len(cases) == 0:
        return ""
    lines = ["Rows that failed validation:"]
    grouped = cases.groupby(["column", "check"], sort=False)
    for (column, check), g in grouped:
        rows = g["row"].dropna()
        examples = ", ".join(f"{r}={v}" for r, v in zip(rows[:3], g["value"][:3], strict=False))
        count = f"{len(rows):,} of {n_rows:,} rows" if len(rows) else "whole column"
        lines.append(
            f"  {column}: {check}: {count}" + (f" (e.g. row {examples})" if examples else "")
        )
    return "\n".join(lines)


def _load(args: argparse.Namespace, err: TextIO) -> Any:
    from useropslib.events import EventLog
    from useropslib.exceptions import EventSchemaError, UseropsError

    frame = _read_frame(args.events, (args.user_col, args.event_col))
    kwargs: dict[str, Any] = {
        "user_col": args.user_col,
        "event_col": args.event_col,
        "time_col": args.time_col,
        "value_col": args.value_col,
        "tz": args.tz,
        "as_of": args.as_of,
    }
    if args.value_col is None and "value" in frame.columns:
        kwargs["value_col"] = "value"
    try:
        return EventLog.from_pandas(frame, **kwargs)
    except EventSchemaError as exc:
        summary = _validation_summary(exc, len(frame))
        cases = exc.failure_cases
        rows = None if cases is None else cases["row"].dropna()
        whole = cases is not None and cases["row"].isna().any()
        if args.drop_invalid and rows is not None and len(rows) and not whole:
            bad = frame.index.isin(rows.unique())
            err.write(summary + f"\nDropping {int(bad.sum()):,} invalid row(s) (--drop-invalid).\n")
            try:
                return EventLog.from_pandas(frame[~bad], **kwargs)
            except UseropsError as again:
                raise _FailError(3, str(again)) from None
        has_rows = rows is not None and len(rows) > 0
        hint = (
            "\nHint: fix those rows, or pass --drop-invalid to leave them out."
            if has_rows and not whole
            else ""
        )
        raise _FailError(3, f"{exc}\n{summary}{hint}".rstrip()) from None
    except UseropsError as exc:
        raise _FailError(3, str(exc)) from None


def _check_out(out: str) -> None:
    """Fail early (exit 4) when ``out`` cannot become a writable folder; create nothing yet."""
    path = os.path.abspath(out)
    if os.path.exists(path):
        if not os.path.isdir(path):
            raise _FailError(4, f"The output path {out!r} is a file. Expected a folder.")
        if not os.access(path, os.W_OK | os.X_OK):
            raise _FailError(
                4,
                f"The output folder {out!r} is not writable. Hint: pass --out with a folder you "
                "own.",
            )
        return
    parent = os.path.dirname(path)
    while not os.path.exists(parent):
        parent = os.path.dirname(parent)
    if not os.path.isdir(parent) or not os.access(parent, os.W_OK | os.X_OK):
        raise _FailError(
            4,
            f"Cannot create the output folder {out!r}: {parent!r} is not a writable folder. "
            "Hint: pass --out with a folder you own.",
        )


def _campaign_available() -> tuple[Any, Any]:
    """Return ``campaigns.review`` and ``models.Campaign``, or fail with exit code 5."""
    import importlib

    try:
        campaigns = importlib.import_module("useropslib.campaigns")
    except ImportError:
        campaigns = None
    review = getattr(campaigns, "review", None)
    campaign_model = getattr(importlib.import_module("useropslib.models"), "Campaign", None)
    if review is None or campaign_model is None:
        raise _FailError(
            5,
            "--campaign is not available in this version: it needs the campaign review "
            "(useropslib.campaigns.review), which this installation does not have. Hint: run "
            "the report without --campaign.",
        )
    return review, campaign_model


def _campaign_sections(path: str | None, log: Any, lang: str) -> list[Any]:
    """Return the campaign review as report sections, when this installation has one."""
    if path is None:
        return []
    review, campaign_model = _campaign_available()
    try:
        with open(path, encoding="utf-8") as fh:
            campaign = campaign_model.model_validate_json(fh.read())
    except OSError as exc:
        raise _FailError(3, f"Cannot read the campaign file {path!r}: {exc.strerror}.") from None
    except ValueError as exc:
        raise _FailError(
            3, f"The campaign file {path!r} is not a valid campaign: {_campaign_problems(exc)}"
        ) from None
    from useropslib.report import campaign_sections

    result = review(campaign, log)
    return campaign_sections(result, lang=lang)  # type: ignore[arg-type]


def _campaign_problems(exc: ValueError) -> str:
    """Say what is wrong with a campaign file in a few lines (no pydantic links)."""
    errors = getattr(exc, "errors", None)
    if not callable(errors):
        return f"{exc}. Hint: save the file as UTF-8 JSON."
    found = errors()
    bad_json = [e for e in found if e.get("type") == "json_invalid"]
    if bad_json:
        detail = str(bad_json[0].get("ctx", {}).get("error", bad_json[0].get("msg", "")))
        return (
            f"it is not valid JSON ({detail}). Hint: check the file with a JSON validator; "
            "Campaign.model_dump_json() writes a valid one."
        )
    lines = [
        f"  - {'.'.join(str(p) for p in e.get('loc', ())) or '(top level)'}: {e.get('msg', '')}"
        for e in found[:8]
    ]
    more = f"\n  ... and {len(found) - 8} more" if len(found) > 8 else ""
    return (
        f"{len(found)} problem(s):\n"
        + "\n".join(lines)
        + more
        + "\nHint: Campaign.model_json_schema() gives the expected fields; "
        "Campaign.model_dump_json() writes a valid file."
    )


def _total_steps(args: argparse.Namespace) -> int:
    """Count the progress bar's steps: reading once, then every report step per language."""
    per_language = len(_STEPS) - 1 + (args.campaign is not None)
    once = 1 + (getattr(args, "func", None) is _demo)  # reading; the demo's campaign review
    return once + per_language * len(_languages(args.lang))


def _languages(lang: str) -> list[str]:
    return ["en", "zh"] if lang == "both" else [lang]


def _run_report(args: argparse.Namespace, log: Any, users: Any, steps: Any, progress: Any) -> int:
    from useropslib.report import operations_report

    written: list[str] = []
    for lang in _languages(args.lang):
        if args.campaign is not None:
            progress("campaign")
        extra = _campaign_sections(args.campaign, log, lang)
        demo_review = getattr(args, "demo_review", None)
        if demo_review is not None:
            extra = _demo_sections(demo_review, lang)
        progress("summary")
        rep = operations_report(
            log,
            users=users,
            funnel_steps=steps,
            funnel_window=args.window,
            signup_event=args.signup_event,
            activity_events=args.activity_events,
            lang=lang,  # type: ignore[arg-type]
            charts=args.charts,
            extra_sections=extra,
            progress=progress,
        )
        progress("write")
        try:
            written += rep.write(args.out)
        except OSError as exc:
            raise _FailError(
                4, f"Cannot write the report into {args.out!r}: {exc.strerror}."
            ) from None
    progress.close()
    print("Report written to:")
    for p in written:
        print(f"  {p}")
    return 0


def _charts_available(err: TextIO) -> bool:
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        err.write(
            "matplotlib is not installed: the report has tables only. Hint: pip install "
            '"useropslib[plot]".\n'
        )
        return False
    os.environ.setdefault("MPLBACKEND", "Agg")
    return True


def _report(args: argparse.Namespace) -> int:
    err = sys.stderr
    progress = _Progress(
        err,
        _total_steps(args),
        enabled=_tty(err, args),
        timings=args.timings,
    )
    _check_out(args.out)
    if args.campaign is not None:
        _campaign_available()
    args.charts = args.charts and _charts_available(err)
    progress("read")
    log = _load(args, err)
    steps = _split(args.steps)
    missing = [] if steps is None else [s for s in steps if s not in set(map(str, log.event_names))]
    if missing:
        from useropslib.exceptions import did_you_mean

        hints = [
            f"{m!r} (did you mean {did_you_mean(m, log.event_names)[:1] or '-'}?)" for m in missing
        ]
        err.write(f"Note: --steps names events not in the file: {', '.join(hints)}.\n")
    return _run_report(args, log, None, steps, progress)


def _demo(args: argparse.Namespace) -> int:
    from useropslib.datasets import ONBOARDING_STEPS, synthetic

    err = sys.stderr
    progress = _Progress(
        err,
        _total_steps(args),
        enabled=_tty(err, args),
        timings=args.timings,
    )
    _check_out(args.out)
    args.charts = args.charts and _charts_available(err)
    progress("read")
    data = synthetic(n_users=args.users, days=args.days, seed=args.seed)
    print(f"useropslib {__version__} demo: synthetic data, seed {args.seed}")
    print(data.events.summary())
    args.window, args.signup_event, args.activity_events = "1D", None, ["app_open"]
    progress("campaign")
    args.demo_review = _demo_review(data)
    return _run_report(args, data.events, data.users, list(ONBOARDING_STEPS), progress)


def _demo_review(data: Any) -> Any:
    """Review the synthetic data's randomised message campaign (or say why it cannot be).

    The campaign: messages by email, SMS and push on ``data.campaign_start`` to a random half
    of the audience (the other half is the control group given by ``data.campaign``), its goal
    the users active (``app_open``) in the 14 days from the launch day.
    """
    import pandas as pd

    from useropslib.campaigns import review
    from useropslib.exceptions import UseropsError
    from useropslib.models import ActiveUsersSpec, Campaign, Channel, Goal, Phase

    launch = data.campaign_start.normalize()
    end = launch + pd.Timedelta(days=14)
    audience = data.campaign
    treated = int((audience["arm"] == "treatment").sum())
    campaign = Campaign(
        id="demo-message-campaign",
        name="Message campaign (email, SMS, push)",
        type="recall",
        primary_goal=Goal(
            kind="retention",
            metric=ActiveUsersSpec(activity_events="app_open", window="14D"),
            target=max(1, round(0.3 * treated)),
            start=launch,
            deadline=end,
            name="active users",
        ),
        channels=(
            Channel(name="email", cost_per_contact=0.01),
            Channel(name="sms", cost_per_contact=0.05),
            Channel(name="push", fixed_cost=100.0),
        ),
        phases=(Phase(name="launch", start=launch, end=end),),
    )
    try:
        return review(campaign, data.events, assignment=audience.set_index("user_id")["arm"])
    except UseropsError as exc:
        return str(exc)


def _demo_sections(demo_review: Any, lang: str) -> list[Any]:
    from useropslib.report import Section, campaign_sections

    if isinstance(demo_review, str):  # why the review could not be made
        title, why = {
            "zh": ("活动复盘", "无法复盘合成数据中的消息活动："),
            "en": ("Campaign review", "The synthetic message campaign cannot be reviewed: "),
        }[lang]
        return [Section(title=title, text=why + demo_review, key="campaign-review")]
    return campaign_sections(demo_review, lang=lang)  # type: ignore[arg-type]


def _tty(stream: TextIO, args: argparse.Namespace) -> bool:
    if args.quiet:
        return False
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


def _split(text: str | None) -> list[str] | None:
    if text is None:
        return None
    items = [s.strip() for s in text.split(",") if s.strip()]
    return items or None


def _positive(text: str) -> int:
    try:
        v = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if v < 1:
        raise argparse.ArgumentTypeError(f"expected at least 1, got {v}")
    return v


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--out", default="useropslib-report", help="output folder (default: %(default)s)"
    )
    p.add_argument(
        "--lang",
        choices=["en", "zh", "both"],
        default="en",
        help="report language; zh writes report.zh.html, both writes both (default: %(default)s)",
    )
    p.add_argument("--no-charts", dest="charts", action="store_false", help="tables and text only")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.add_argument(
        "--timings",
        action="store_true",
        help="print each step's wall-clock and CPU seconds to stderr at the end",
    )


def _parser() -> argparse.ArgumentParser:
    codes = "\n".join(f"  {k:>3}  {v}" for k, v in EXIT_CODES.items())
    parser = argparse.ArgumentParser(
        prog="useropslib",
        description="User-operations and campaign-operations analytics from an event log.",
        epilog=f"exit codes:\n{codes}",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"useropslib {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    rep = sub.add_parser(
        "report",
        help="write an operations report (HTML and Markdown) on an event file",
        description="Read an event file (CSV, Parquet or JSON lines), validate it and write an "
        "operations report: activity, lifecycle, growth accounting, retention, the funnel of "
        "--steps, churn defined from the data with survival curves, recall messages and RFM "
        "segments when the data has them.",
        epilog=f"exit codes:\n{codes}",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    rep.add_argument("events", metavar="EVENTS", help="the event file (.csv, .parquet, .jsonl)")
    rep.add_argument("--user-col", default="user_id", help="user id column (default: %(default)s)")
    rep.add_argument(
        "--event-col", default="event", help="event name column (default: %(default)s)"
    )
    rep.add_argument("--time-col", default="timestamp", help="time column (default: %(default)s)")
    rep.add_argument(
        "--value-col", default=None, help="amount column (default: 'value' when present)"
    )
    rep.add_argument(
        "--tz", default=None, help="time zone, e.g. Asia/Shanghai (needed for naive times)"
    )
    rep.add_argument("--as-of", default=None, help="the report's 'now'; later events are ignored")
    rep.add_argument("--steps", default=None, help="funnel steps in order: a,b,c")
    rep.add_argument(
        "--window", default="1D", help="funnel conversion window (default: %(default)s)"
    )
    rep.add_argument("--signup-event", default=None, help="event that starts a retention cohort")
    rep.add_argument(
        "--activity-events",
        type=_split,
        default=None,
        help="events that count as activity for churn: a,b (default: all)",
    )
    rep.add_argument("--campaign", default=None, help="campaign JSON file: adds a campaign review")
    rep.add_argument(
        "--drop-invalid", action="store_true", help="leave out rows that fail validation (listed)"
    )
    _common(rep)
    rep.set_defaults(func=_report)

    demo = sub.add_parser(
        "demo",
        help="write the report on built-in synthetic data",
        description="Generate a synthetic event log and write the operations report on it, "
        "with the review of its randomised message campaign.",
    )
    demo.add_argument(
        "--users", type=_positive, default=20_000, help="users (default: %(default)s)"
    )
    demo.add_argument("--days", type=_positive, default=120, help="days (default: %(default)s)")
    demo.add_argument("--seed", type=int, default=42, help="random seed (default: %(default)s)")
    demo.set_defaults(func=_demo, campaign=None)
    _common(demo)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line.

    Parameters
    ----------
    argv : sequence of str, optional
        Arguments without the program name; default ``sys.argv[1:]``.

    Returns
    -------
    int
        The exit status (see :data:`EXIT_CODES`).
    """
    parser = _parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse: --help (0) or a usage error (2)
        return int(exc.code or 0)
    if args.command is None:
        parser.print_help()
        return 2
    from useropslib.exceptions import UseropsError

    try:
        status: int = args.func(args)
    except _FailError as exc:
        sys.stderr.write("\n" if _tty(sys.stderr, args) else "")
        print(f"useropslib: error: {exc}", file=sys.stderr)
        return exc.code
    except UseropsError as exc:
        print(f"useropslib: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("useropslib: interrupted", file=sys.stderr)
        return 130
    except MemoryError:
        print(
            "useropslib: error: out of memory. Hint: read a Parquet file with a narrower --as-of "
            "range, or use useropslib.events.scan_events from Python for larger-than-memory data.",
            file=sys.stderr,
        )
        return 1
    return status


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
