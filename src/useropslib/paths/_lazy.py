"""Sessions and transitions of a lazy log: window functions in the engine, result-sized collects.

The queries themselves are :meth:`LazyEventLog.session_bounds` and
:meth:`LazyEventLog.pair_counts` (``LAG``/``LEAD`` and running sums over each user's rows ordered
by time and event name); this module turns their small outputs into the same frames the
in-memory kernels give.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd

from useropslib._checks import check_choice
from useropslib.events import LazyEventLog
from useropslib.paths._query import (
    SessionRule,
    check_collapse,
    label_table,
    lazy_as_of,
    session_table,
    timeout_ns,
    until_ns,
)
from useropslib.paths._transitions import END, START

__all__ = ["lazy_pairs", "lazy_sessions"]


def lazy_sessions(
    events: LazyEventLog, *, rule: SessionRule, tz: str, until: int | None
) -> pd.DataFrame:
    """Build the session table of a lazy log (one collected row per session)."""
    b = events.session_bounds(
        timeout_ns=rule.timeout_ns,
        split=rule.split,
        start_events=list(rule.start_events),
        until=None if until is None else pd.Timestamp(until, unit="ns", tz="UTC"),
    )
    return session_table(
        events.users,
        user=b["user"].to_numpy(dtype=np.int64),
        number=b["session"].to_numpy(dtype=np.int64),
        start=b["start"].to_numpy(dtype=np.int64),
        end=b["end"].to_numpy(dtype=np.int64),
        events=b["events"].to_numpy(dtype=np.int64),
        first=b["first_event"].to_numpy(dtype=np.int64),
        last=b["last_event"].to_numpy(dtype=np.int64),
        names=events.event_names,
        zone=tz,
    )


def lazy_session_periods(
    events: LazyEventLog,
    *,
    rule: SessionRule,
    period: str,
    tz: str,
    until: int | None,
    edges_ns: tuple[int, ...],
) -> pd.DataFrame | None:
    """Per-period session aggregates of a lazy log (one collected row per period)."""
    if rule.midnight_tz is not None:
        return None
    got: pd.DataFrame | None = events.session_periods(
        period=period,
        timeout_ns=rule.timeout_ns,
        split=rule.split,
        start_events=list(rule.start_events),
        until=None if until is None else pd.Timestamp(until, unit="ns", tz="UTC"),
        tz=tz,
        length_edges_ns=edges_ns,
    )
    return got


def lazy_pairs(
    events: LazyEventLog,
    *,
    within: str,
    count: str,
    markers: bool,
    collapse: str | None,
    include: Iterable[str] | str | None,
    exclude: Iterable[str] | str | None,
    timeout: Any,
    split: str,
    tz: str | None,
    as_of: Any,
) -> tuple[pd.DataFrame, list[str], int, pd.Timestamp | None]:
    """Coded pair counts of a lazy log, in the layout the in-memory kernel gives."""
    check_collapse(collapse)
    check_choice(split, (">=", ">"), "split")
    probe = events.collect([])
    lab_of, labels = label_table(probe, include=include, exclude=exclude)
    names = [str(x) for x in labels]
    if markers:
        from useropslib.exceptions import InvalidParameterError

        clash = {START, END} & set(names)
        if clash:
            raise InvalidParameterError(
                f"Event label(s) {sorted(clash)} collide with the path markers. Hint: rename "
                "them with group={...} or pass markers=False."
            )
    kept = [str(n) for n, c in zip(probe.event_names, lab_of, strict=True) if c >= 0]
    at = lazy_as_of(events, as_of, tz)
    until = until_ns(at)
    stamp_ = at.stamp
    t_ns = timeout_ns(timeout) if within == "session" else 1
    counts, n_paths = events.pair_counts(
        within=within,
        timeout_ns=t_ns,
        split=split,
        count=count,
        collapse=collapse,
        events=None if len(kept) == len(lab_of) else kept,
        markers=markers,
        until=None if until is None else pd.Timestamp(until, unit="ns", tz="UTC"),
    )
    n_lab = len(names)
    off = 1 if markers else 0
    # engine event code -> position in the label list ([START] + labels + [END])
    pos_of = np.r_[lab_of + off, 0, n_lab + 1]  # index -1 -> START (0), -2 -> END (n_lab + 1)
    src = counts["src"].to_numpy(dtype=np.int64)
    dst = counts["dst"].to_numpy(dtype=np.int64)
    s = pos_of[np.where(src < 0, len(lab_of) + (-src - 1), src)]
    d = pos_of[np.where(dst < 0, len(lab_of) + (-dst - 1), dst)]
    tn = counts["tn"].to_numpy(dtype=np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_ns = counts["tsum"].to_numpy(dtype=np.float64) * 1e9 / tn
    frame = pd.DataFrame(
        {"s": s, "d": d, "count": counts["count"].to_numpy(dtype=np.int64), "mean_ns": mean_ns}
    )
    frame = frame.sort_values(["s", "d"]).reset_index(drop=True)
    out_labels = ([START] if markers else []) + names + ([END] if markers else [])
    return frame, out_labels, n_paths, stamp_
