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

import warnings
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeGuard

import numpy as np
import numpy.typing as npt
import pandas as pd

from useropslib.events import EventLog, LazyEventLog, check_tz
from useropslib.events._query import (
    CALENDAR_BACKENDS,
    EventSelector,
    active_counts,
    calendar_probe,
    first_time_of,
    load,
    range_intervals,
    raw_names,
    resolve_as_of,
    retention_cells,
    rolling_points,
    window_intervals,
)
from useropslib.events._time import stamp
from useropslib.metrics._query import (
    _bounds_ns,
    _Calendar,
    _day_to,
    _empty_index,
    _first_day,
    _lazy_calendar,
    _warn_empty,
    grain_of,
)
from useropslib.models import Period

if TYPE_CHECKING:
    from useropslib.metrics._activity import StickinessResult

__all__ = [
    "engine_active_users",
    "engine_ready",
    "engine_retention_counts",
    "engine_retention_log",
    "engine_retention_ready",
    "engine_stickiness",
]


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
    cal, names, until = _lazy_calendar(events, activity_events, tz, week_start, as_of)
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


def engine_stickiness(
    events: LazyEventLog,
    options: dict[str, Any],
    *,
    start: Any,
    end: Any,
    activity_events: Any,
    tz: str | None,
    week_start: Any,
    as_of: Any,
    empty: Callable[..., StickinessResult],
) -> StickinessResult:
    """:func:`~useropslib.metrics.stickiness` of a lazy log, counted in its engine.

    Parameters
    ----------
    events : LazyEventLog
    options : dict
        The checked options (``stickiness``'s ``params`` without the calendar).
    start, end, activity_events, tz, week_start, as_of
        As in :func:`~useropslib.metrics.stickiness`.
    empty : callable
        Builds the empty result (the in-memory path's).

    Returns
    -------
    StickinessResult
        The in-memory path's result; :meth:`~StickinessResult.per_user` computes the per-user
        rows on its first call (from the roll-up, reading the users then).
    """
    from useropslib.metrics._activity import StickinessResult as Result

    cal, names, until = _lazy_calendar(events, activity_events, tz, week_start, as_of)
    params = {**options, "tz": cal.tz, "week_start": cal.week_start}
    p: Period = params["period"]
    w: str = params["within"]
    k: int = params["interval_count"]
    lo_ev: int = params["min_events"]
    hi_ev: int | None = params["max_events"]
    unit = "intervals" if k > 1 else f"{p}s"
    s_ns, e_ns = _bounds_ns(cal, start, end)
    span: Period = p if w == "range" else w  # type: ignore[assignment]
    value_name = "users" if w == "range" else f"user_{w}s"
    hi = _last(cal, e_ns, span)
    lo = None if s_ns is None else cal.code_of(s_ns, span)
    if hi is None or (lo is not None and hi < lo):
        return empty(cal, params, unit, value_name, w)
    table: pd.DataFrame | None = None
    common: dict[str, Any] = {"tz": cal.tz, "week_start": cal.week_start}
    common.update(names=names, until_ns=until)
    if w == "range":
        n, users, first = range_intervals(
            events,
            period=p,
            lo=lo,
            hi=hi,
            interval_count=k,
            min_events=lo_ev,
            max_events=hi_ev,
            **common,
        )
        if lo is None:
            if first is None:
                return empty(cal, params, unit, value_name, w)
            lo = first
        n_buckets = -(-(hi - lo + 1) // k)
        exact = np.zeros(n_buckets + 1, dtype=np.int64)
        np.add.at(exact, n, users)
        exact = exact[1:]
        params.update(start=cal.starts([lo], p)[0], end=cal.starts([hi], p)[0])
    else:
        wins, n, users, first = window_intervals(
            events,
            period=p,
            within=w,
            lo=lo,
            hi=hi,
            min_events=lo_ev,
            max_events=hi_ev,
            **common,
        )
        if lo is None:
            if first is None:
                return empty(cal, params, unit, value_name, w)
            lo = first
        days = _first_day(np.array([lo, hi + 1]), w, cal.week_start)  # type: ignore[arg-type]
        span_days = np.arange(days[0], days[1], dtype=np.int64)
        n_win = hi - lo + 1
        win_of = _day_to(span_days, w, cal.week_start) - lo  # type: ignore[arg-type]
        n_buckets = int(np.bincount(win_of, minlength=n_win).max()) * (24 if p == "hour" else 1)
        grid = np.zeros((n_win, n_buckets + 1), dtype=np.int64)
        np.add.at(grid, (wins - lo, n), users)
        exact = grid.sum(axis=0)[1:]
        win_index = cal.starts(np.arange(lo, hi + 1), w).rename(f"{w}_start")  # type: ignore[arg-type]
        table = pd.DataFrame(
            grid[:, 1:], index=win_index, columns=pd.RangeIndex(1, n_buckets + 1, name=unit)
        )
        params.update(start=win_index[0], end=win_index[-1])
    total = int(exact.sum())
    if total == 0:
        _warn_empty("stickiness", stacklevel=4)
    shown = np.cumsum(exact[::-1])[::-1] if params["cumulative"] else exact
    index = pd.RangeIndex(1, n_buckets + 1, name=unit)
    counts = pd.Series(shown.astype(np.int64), index=index, name=value_name)
    rates = (counts / total if total else counts * np.nan).rename("rate")
    return Result(
        params=params,
        as_of=cal.log.as_of,
        counts=counts,
        rates=rates,
        total=total,
        table=table,
        _per_user=pd.DataFrame(),
        _fetch=_per_user_rows(
            events,
            dict(options, start=start, end=end, tz=tz, week_start=week_start, as_of=as_of),
        ),
    )


def _per_user_rows(events: LazyEventLog, kwargs: dict[str, Any]) -> Callable[[], pd.DataFrame]:
    """Return a function computing the per-user rows once, from the log the in-memory path reads."""
    got: list[pd.DataFrame] = []

    def fetch() -> pd.DataFrame:
        if not got:
            from useropslib.metrics._activity import stickiness

            sel = EventSelector.parse(kwargs["activity_events"], param="activity_events")
            counts_events = kwargs["min_events"] != 1 or kwargs["max_events"] is not None
            log = load(
                events,
                sel,
                grain=None if counts_events else grain_of(kwargs["period"]),
                tz=kwargs["tz"],
                week_start=kwargs["week_start"],
            )
            with warnings.catch_warnings():  # the call itself has warned already
                warnings.simplefilter("ignore")
                got.append(stickiness(log, **kwargs).per_user())
        return got[0]

    return fetch


def engine_retention_ready(
    events: Any, start: EventSelector, ret: EventSelector, bucket: str, breakdown: Any
) -> TypeGuard[LazyEventLog]:
    """Whether retention's cells come from the lazy log's engine (calendar buckets, no split).

    Rolling buckets, breakdowns and property filters take the roll-up route.
    """
    return (
        isinstance(events, LazyEventLog)
        and events.backend in CALENDAR_BACKENDS
        and bucket == "calendar"
        and breakdown is None
        and not start.needs_rows
        and not ret.needs_rows
    )


def engine_retention_log(
    events: Any, start: EventSelector, ret: EventSelector, as_of: Any, tz: str | None
) -> Any:
    """Return the empty log retention reads names, zone and ``as_of`` from (no event row).

    An ``as_of`` before the first start or return event raises as on the collected log.
    """
    assert isinstance(events, LazyEventLog)  # engine_retention_ready said so
    probe = calendar_probe(events)
    if as_of is None:
        return probe
    names = _names_of(events, probe, start, ret)
    first = first_time_of(events, names)
    if first is not None:
        one = EventLog.from_pandas(
            pd.DataFrame({"user_id": [0], "event": ["e"], "timestamp": [stamp(first, "UTC")]}),
            tz=probe.tz,
        )
        resolve_as_of(one, as_of, tz=probe.tz if tz is None else check_tz(tz))
    return probe


def _names_of(events: LazyEventLog, probe: Any, *selectors: EventSelector) -> list[Any] | None:
    """Engine names of the events the selectors read (None: every event); never warns."""
    names: list[str] = []
    for sel in selectors:
        if sel.names is None:
            return None
        names += [n for n in sel.names if n in set(map(str, probe.event_names))]
    codes = [int(c) for c in probe.event_code_of(names)] if names else []
    return raw_names(events, codes)


def engine_retention_counts(
    events: Any,
    *,
    log: Any,
    start: EventSelector,
    ret: EventSelector,
    period: str,
    tz: str,
    week_start: int,
    as_of_ns: int | None,
    first: int,
    last: int,
    n_k: int,
    min_occurrences: int,
    mode: str,
    cohort: str,
) -> npt.NDArray[np.int64]:
    """Calendar retention's counts (shape ``(1, n_cohorts, n_k)``) from the engine.

    Parameters
    ----------
    events : LazyEventLog
    log : EventLog
        The empty log of :func:`engine_retention_log` (event names).
    start, ret : EventSelector
        The start and return events (names only).
    period, tz, week_start, as_of_ns, first, last, n_k, min_occurrences, mode, cohort
        As ``retention`` resolved them.

    Returns
    -------
    ndarray of int64
    """
    assert isinstance(events, LazyEventLog)  # engine_retention_ready said so
    s_names = None if start.is_any else _names_of(events, log, start)
    r_names = None if ret.is_any else _names_of(events, log, ret)
    cells = retention_cells(
        events,
        period=period,
        tz=tz,
        week_start=week_start,
        start_names=s_names,
        return_names=r_names,
        until_ns=as_of_ns,
        first=first,
        last=last,
        n_k=n_k,
        min_occurrences=min_occurrences,
        mode=mode,
        cohort=cohort,
    )
    return cells[None, :, :]
