"""The ``useropslib`` command line; ``useropslib demo`` reports on built-in synthetic data."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from useropslib._version import __version__

__all__ = ["main"]


def _demo(args: argparse.Namespace) -> int:
    from useropslib.datasets import ONBOARDING_STEPS, synthetic
    from useropslib.report import operations_report

    data = synthetic(n_users=args.users, days=args.days, seed=args.seed)
    report = operations_report(
        data.events,
        users=data.users,
        funnel_steps=ONBOARDING_STEPS,
        activity_events=["app_open"],
        lang=args.lang,
    )
    paths = report.write(args.out, stem="report")
    summary = data.events.summary()
    print(f"useropslib {__version__} demo: synthetic data, seed {args.seed}")
    print(summary)
    print("Report written to:")
    for p in paths:
        print(f"  {p}")
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="useropslib",
        description="User-operations and campaign-operations analytics from an event log.",
    )
    parser.add_argument("--version", action="version", version=f"useropslib {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    demo = sub.add_parser(
        "demo",
        help="generate synthetic events and write a report",
        description="Generate a synthetic event log and write a Markdown and HTML report on it.",
    )
    demo.add_argument(
        "--out", default="useropslib-report", help="output folder (default: %(default)s)"
    )
    demo.add_argument(
        "--users", type=int, default=20_000, help="number of users (default: %(default)s)"
    )
    demo.add_argument(
        "--days", type=int, default=120, help="days of activity (default: %(default)s)"
    )
    demo.add_argument("--seed", type=int, default=42, help="random seed (default: %(default)s)")
    demo.add_argument("--lang", choices=["en", "zh"], default="en", help="report language")
    demo.set_defaults(func=_demo)
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
        The exit status.
    """
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    if args.users < 1 or args.days < 1:
        parser.error("--users and --days must be at least 1")
    from useropslib.exceptions import UseropsError

    try:
        status: int = args.func(args)
    except UseropsError as exc:
        print(f"useropslib: error: {exc}", file=sys.stderr)
        return 1
    return status


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
