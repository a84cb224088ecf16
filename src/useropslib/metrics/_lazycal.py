"""Activity metrics of a lazy log answered whole by its engine (DuckDB, Polars, PySpark).

The in-memory functions of ``_activity`` call these first when given a
:class:`~useropslib.events.LazyEventLog`: the engine returns one row per period (see
``useropslib.events._lazycal``), and the range, the zero periods, the index and the warnings are
made here exactly as the in-memory path makes them, so the answers are identical.  The user
vocabulary is never read.  A ``None`` return means "not covered here" (a pyarrow-backed log, or
an ``activity_events`` filter on properties, which needs event rows): the caller then takes its
usual route through the roll-up.
"""

from __future__ import annotations

from typing import Any, TypeGuard

import numpy as np
import pandas as pd

from useropslib.events import LazyEventLog, check_tz
from useropslib.events._lazycal import (
    CALENDAR_BACKENDS,
    active_counts,
    calendar_probe,
    raw_names,
    rolling_points,
)
from useropslib.events._query import EventSelector, resolve_as_of
from useropslib.metrics._query import (
    _bounds_ns,
    _Calendar,
    _day_to,
    _empty_index,
    _warn_empty,
)
from useropslib.models import Period, parse_week_start

__all__ = ["engine_active_users", "engine_ready"]


def engine_ready(events: Any, activity_events: Any) -> TypeGuard[LazyEventLog]:
    """Whether ``events`` is a lazy log whose engine answers the activity metrics itself.

    Parameters
    ----------
    events : object
        The metric's first argument.
    activity_events : object
        The metric's event spec (parsed here, so a malformed one raises its usual error).

    Returns
    -------
    bool
        False for anything but a DuckDB, Polars or PySpark lazy log, and for event filters on
        properties (those need event rows; the caller collects them).
    """
    if not isinstance(events, LazyEventLog) or events.backend not in CALENDAR_BACKENDS:
        return False
    sel = EventSelector.parse(activity_events, param="activity_events")
    return not sel.needs_rows


def _calendar(
    events: LazyEventLog,
    activity_events: Any,
    tz: str | None,
    week_start: Any,
    as_of: Any,
) -> tuple[_Calendar, list[Any] | None, int | None]:
    """Return the call's calendar (on an empty log), the qualifying names and the last instant."""
    sel = EventSelector.parse(activity_events, param="activity_events")
    probe = calendar_probe(events)
    z = probe.tz if tz is None else check_tz(tz)
    ws = probe.week_start if week_start is None else parse_week_start(week_start)
    when = resolve_as_of(probe, as_of, tz=z, allow_before=True)
    # unknown names warn (or raise when strict) here, as the in-memory mask does
    names = None if sel.is_any else raw_names(events, sel.codes(probe).tolist())
    cal = _Calendar(log=probe, tz=z, week_start=ws, mask=None, when=when)
    return cal, names, None if when is None else when.ns


def _last(cal: _Calendar, e_ns: int | None, period: Period) -> int | None:
    """Code of the range's last period (None when there is no ``as_of`` and no ``end``)."""
    if e_ns is None:
        if cal.when is None:
            return None
        e_ns = cal.when.horizon_ns - 1
    return cal.code_of(e_ns, period)


def _empty(cal: _Calendar) -> pd.Series:
    _warn_empty("active_users", stacklevel=5)
    return pd.Series([], index=_empty_index(cal.tz), dtype=np.int64, name="active_users")


def engine_active_users(
    events: LazyEventLog,
    *,
    kind: str,
    arg: Any,
    every: Period,
    start: Any,
    end: Any,
    activity_events: Any,
    tz: str | None,
    week_start: Any,
    as_of: Any,
) -> pd.Series:
    """:func:`~useropslib.metrics.active_users` of a lazy log, counted in its engine.

    Parameters
    ----------
    events : LazyEventLog
    kind : {"calendar", "rolling"}
        The parsed window: a calendar period (``arg``) or a rolling number of days (``arg``).
    arg : str or int
    every : {"day", "week", "month"}
        Where rolling windows are evaluated (the parsed ``every``).
    start, end, activity_events, tz, week_start, as_of
        As in :func:`~useropslib.metrics.active_users`.

    Returns
    -------
    pandas.Series
        The same Series the in-memory path returns.
    """
    cal, names, until = _calendar(events, activity_events, tz, week_start, as_of)
    s_ns, e_ns = _bounds_ns(cal, start, end)
    period: Period = arg if kind == "calendar" else every
    hi = _last(cal, e_ns, period)
    lo = None if s_ns is None else cal.code_of(s_ns, period)
    if hi is None or (lo is not None and hi < lo):
        return _empty(cal)
    if kind == "calendar":
        codes, n = active_counts(
            events,
            period=period,
            tz=cal.tz,
            week_start=cal.week_start,
            names=names,
            until_ns=until,
            lo=lo,
            hi=hi,
        )
        if lo is None:
            if codes.size == 0:
                return _empty(cal)
            lo = int(codes[0])
        counts = np.zeros(hi - lo + 1, dtype=np.int64)
        counts[codes - lo] = n
        any_data = bool(codes.size)
        index = cal.starts(np.arange(lo, hi + 1), period)
    else:
        codes, change, first, any_data = rolling_points(
            events,
            n_days=int(arg),
            every=every,
            tz=cal.tz,
            week_start=cal.week_start,
            names=names,
            until_ns=until,
            lo=lo,
            hi=hi,
        )
        if lo is None:
            if first is None:
                return _empty(cal)
            lo = int(_day_to(np.array([first]), every, cal.week_start)[0])
        net = np.zeros(hi - lo + 1, dtype=np.int64)
        np.add.at(net, codes - lo, change)
        counts = np.cumsum(net)
        index = cal.starts(np.arange(lo, hi + 1), every)
    if not any_data:
        _warn_empty("active_users", stacklevel=4)
    series: pd.Series = pd.Series(counts, index=index, name="active_users")
    return series
