"""Value tiers and lifecycle stages on a :class:`~useropslib.events.LazyEventLog`, in its engine.

Each function here returns the per-user columns the in-memory route computes from the event
rows, from one grouped query (:func:`useropslib.events._lazyseg.user_table`) that collects one
row per user with an event at or before ``as_of``.  The public functions finish both routes
with the same code.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from useropslib.events import LazyEventLog
from useropslib.events._query import EventSelector, UserAgg, event_filter, named_events, user_table
from useropslib.exceptions import UseropsError

__all__ = [
    "interval_counts",
    "lazy_compare_columns",
    "lazy_stage_columns",
    "lazy_tier_columns",
    "named_raw",
    "same_rows",
]

_DAY_NS = 86_400 * 10**9
MIN_NS = int(np.iinfo(np.int64).min)  # a max() over no row (see user_table)


def named_raw(lazy: LazyEventLog, value: Any, param: str) -> tuple[str, ...]:
    """Raw names of the named events (unknown names warn, or raise when strict, as in memory)."""
    names = named_events(value, param=param)
    codes = EventSelector.parse(names, param=param).term_codes(lazy)  # type: ignore[arg-type]
    return event_filter(lazy, codes)


def lazy_tier_columns(
    lazy: LazyEventLog,
    as_of_ns: int,
    *,
    purchase_event: Any,
    n_days: int,
    referral_event: Any,
) -> tuple[pd.Index, npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.int64] | None]:
    """Users, their last purchase (``MIN_NS``: none), active days and referrals (or None)."""
    aggs = [UserAgg("buy", "max", named_raw(lazy, purchase_event, "purchase_event"))]
    if referral_event is not None:
        aggs.append(UserAgg("ref", "count", named_raw(lazy, referral_event, "referral_event")))
    got = user_table(lazy, as_of_ns, aggs, as_of_ns=as_of_ns, days=[("days", 0, n_days)])
    n_ref = got["ref"].to_numpy() if referral_event is not None else None
    return got.index, got["buy"].to_numpy(), got["days"].to_numpy(), n_ref


def lazy_stage_columns(
    lazy: LazyEventLog,
    as_of_ns: int,
    *,
    active_ns: int,
    n_days: int | None,
    activation_event: Any,
    activity_events: Any,
) -> tuple[pd.Index, dict[str, npt.NDArray[Any]]]:
    """Return the per-user columns of the lifecycle rules, from the engine.

    Users and their ``first``, ``last``, ``activated``, ``first_in``, ``prev_last`` times,
    active days ``cur`` and ``prev`` (when ``n_days``) and ``last_act`` (when asked).

    ``activated`` without ``activation_event`` is "an event 24 hours or more after the first",
    which holds exactly when the last event is 24 hours or more after the first.
    """
    w0 = as_of_ns - active_ns
    aggs = [UserAgg("first_in", "min", lo=w0 + 1), UserAgg("prev_last", "max", hi=w0)]
    if activation_event is not None:
        act = named_raw(lazy, activation_event, "activation_event")
        aggs.append(UserAgg("n_act", "count", act))
    if activity_events is not None:
        names = named_raw(lazy, list(activity_events), "churn_definition.activity_events")
        aggs.append(UserAgg("last_act", "max", names))
    days = [] if n_days is None else [("cur", 0, n_days), ("prev", n_days, 2 * n_days)]
    got = user_table(lazy, as_of_ns, aggs, as_of_ns=as_of_ns, days=days)
    cols = {str(c): got[c].to_numpy() for c in got.columns}
    if activation_event is None:
        cols["activated"] = (cols["last"] - cols["first"]) >= _DAY_NS
    else:
        cols["activated"] = cols.pop("n_act") > 0
    if activity_events is None:
        cols["last_act"] = cols["last"].copy()
    return got.index, cols


def same_rows(got: int, expected: int) -> None:
    """Raise when two queries over the same rows returned different numbers of users."""
    if got != expected:
        raise UseropsError(
            f"The table changed between two queries of one call: {got} users came back, "
            f"{expected} before. Expected the rows that were scanned. Hint: scan the table "
            "again after it changes, or scan a snapshot of it."
        )


def interval_counts(
    lazy: LazyEventLog,
    until_ns: int,
    terms: list[tuple[tuple[str, ...], Any, int, int]],
    *,
    chunk: int = 256,
    ids: bool = True,
) -> tuple[pd.Index, npt.NDArray[np.int64], list[npt.NDArray[np.int64]]]:
    """Count, per user, the rows of each term ``(raw names, where, lo, hi)`` with lo <= t <= hi.

    One ``GROUP BY`` user over the rows at or before ``until_ns`` per ``chunk`` terms (so a
    membership over many periods stays a few queries of bounded width); each collects one row
    per user with a row by then.

    Returns
    -------
    users, first time, counts
        The users (log order; positions when ``ids`` is False: the ids are then not collected),
        their first row's time, and one count array per term.
    """
    blocks = [terms[i : i + chunk] for i in range(0, len(terms), chunk)] or [[]]
    users: pd.Index | None = None
    first = np.zeros(0, dtype=np.int64)
    counts: list[npt.NDArray[np.int64]] = []
    for block in blocks:
        aggs = [
            UserAgg(f"n{k}", "count", names, lo, hi, where)
            for k, (names, where, lo, hi) in enumerate(block)
        ]
        got = user_table(lazy, until_ns, aggs, ids=ids and users is None)  # the ids once
        if users is None:
            users, first = got.index, got["first"].to_numpy()
        else:
            same_rows(len(got), len(users))
        counts += [got[f"n{k}"].to_numpy() for k in range(len(block))]
    assert users is not None
    return users, first, counts


def lazy_compare_columns(
    lazy: LazyEventLog,
    as_of_ns: int,
    *,
    conversion_event: Any,
    conversion_lo: int | None,
    arpu: bool,
    arpu_lo: int | None,
    activity_events: Any,
) -> tuple[pd.Index, dict[str, npt.NDArray[Any]]]:
    """Users with an event by ``as_of`` and the per-user outcomes :func:`compare_segments` tests.

    ``conversion`` (a row of the conversion events at or after ``conversion_lo``), ``arpu``
    (the value sum at or after ``arpu_lo``, missing = 0) and ``last_act`` (the last activity
    event, or the first event when none) as asked, from one ``GROUP BY`` user.
    """
    aggs = []
    if conversion_event is not None:
        names = named_raw(lazy, conversion_event, "conversion_event")
        aggs.append(UserAgg("conversion", "count", names, lo=conversion_lo))
    if arpu:
        aggs.append(UserAgg("arpu", "sum", lo=arpu_lo))
    if activity_events is not None:
        names = named_raw(lazy, list(activity_events), "churn_definition.activity_events")
        aggs.append(UserAgg("last_act", "max", names))
    got = user_table(lazy, as_of_ns, aggs)
    cols: dict[str, npt.NDArray[Any]] = {str(c): got[c].to_numpy() for c in got.columns}
    if activity_events is None:
        cols["last_act"] = cols["last"]
    else:
        cols["last_act"] = np.where(cols["last_act"] == MIN_NS, cols["first"], cols["last_act"])
    return got.index, cols
