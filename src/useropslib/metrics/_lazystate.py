"""Lifecycle and growth accounting of a lazy log, counted whole by its engine.

:func:`~useropslib.metrics.lifecycle` and :func:`~useropslib.metrics.growth_accounting` call
these first when given a DuckDB, Polars or PySpark :class:`~useropslib.events.LazyEventLog`: the
engine returns one row of status sums per period (``useropslib.events._lazystate``), and the
range, the zero periods, the index, the rates and the warnings are made here as the in-memory
path makes them, so the answers are identical.  The user vocabulary is never read.

``growth_states`` is counted the same way: the engine sums each (user, day) pair's changes to
the daily state and transition tallies; the per-user states come on demand.

Not covered (the caller takes the roll-up route): a pyarrow-backed log, ``activity_events``
filtering on properties, and ``lifecycle``'s ``created_at`` (a per-user lookup by user id, or a
property column read from the event rows).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from useropslib.events import LazyEventLog
from useropslib.events._query import (
    RATE_PAIRS,
    EventSelector,
    first_day,
    load,
    state_changes,
    status_counts,
)
from useropslib.metrics._query import (
    I64,
    _accounting_frames,
    _bounds_ns,
    _Calendar,
    _empty_index,
    _Flow,
    _lazy_calendar,
    _ratio,
    _warn_empty,
)
from useropslib.models import Period, parse_period

if TYPE_CHECKING:
    from useropslib.metrics._growth import GrowthAccountingResult, GrowthStatesResult
    from useropslib.metrics._lifecycle import LifecycleResult

__all__ = ["engine_growth_accounting", "engine_growth_states", "engine_lifecycle"]

_STATUSES = ("new", "returning", "resurrecting", "dormant")
_COUNTS = ("active", "new", "retained", "resurrected", "churned", "net_change", "ever_active")
_RATES = ("quick_ratio", "retention_rate", "churn_rate", "growth_rate")


def _flow(
    events: LazyEventLog,
    cal: _Calendar,
    names: list[Any] | None,
    until: int | None,
    p: Period,
    start: Any,
    end: Any,
    *,
    first_of_any: bool,
) -> tuple[int, int, _Flow, int] | None:
    """Return the range ``lo .. hi``, its status flow and the users first active before ``lo``.

    None when the range cannot be formed (the in-memory ``_period_range`` returns None).
    """
    s_ns, e_ns = _bounds_ns(cal, start, end)
    if e_ns is None:
        if cal.when is None:
            return None
        e_ns = cal.when.horizon_ns - 1
    hi = cal.code_of(e_ns, p)
    lo = None if s_ns is None else cal.code_of(s_ns, p)
    if lo is not None and hi < lo:
        return None
    got = status_counts(
        events,
        period=p,
        tz=cal.tz,
        week_start=cal.week_start,
        names=names,
        until_ns=until,
        lo=lo,
        hi=hi,
        first_of_any=first_of_any,
    )
    c = got.codes
    if lo is None:
        if c.size == 0:
            return None
        lo = int(c[0])
    span = hi - lo + 1

    def spread(values: I64, shift: int, first: int, last: int) -> I64:
        out = np.zeros(span, dtype=np.int64)
        keep = (c >= first) & (c <= last)
        out[c[keep] + shift - lo] = values[keep]
        return out

    new = spread(got.new, 0, lo, hi)
    returning = spread(got.returning, 0, lo, hi)
    active = spread(got.active, 0, lo, hi)
    flow = _Flow(
        active=active,
        new=new,
        returning=returning,
        resurrecting=active - new - returning,
        dormant=spread(got.gone, 1, lo - 1, hi - 1),
        prev_active=int(got.active[c == lo - 1].sum()),
        any_data=bool(got.active[c >= lo - 1].sum() > 0),
    )
    return lo, hi, flow, int(got.new[c < lo].sum())


def engine_lifecycle(
    events: LazyEventLog,
    *,
    period: Period,
    start: Any,
    end: Any,
    dormant_sign: str,
    activity_events: Any,
    tz: str | None,
    week_start: Any,
    as_of: Any,
    check_sign: Callable[[Any], None],
) -> LifecycleResult:
    """:func:`~useropslib.metrics.lifecycle` of a lazy log (no ``created_at``), in its engine.

    Parameters
    ----------
    events : LazyEventLog
    period, start, end, dormant_sign, activity_events, tz, week_start, as_of
        As in :func:`~useropslib.metrics.lifecycle`.
    check_sign : callable
        ``lifecycle``'s check of ``dormant_sign`` (raised in the in-memory order).

    Returns
    -------
    LifecycleResult
        The in-memory path's result.
    """
    from useropslib.metrics._lifecycle import LifecycleResult as Result

    cal, names, until = _lazy_calendar(events, activity_events, tz, week_start, as_of)
    p = parse_period(period)
    check_sign(dormant_sign)
    params: dict[str, Any] = {
        "period": p,
        "created_at": "first event",
        "dormant_sign": dormant_sign,
        "activity_events": activity_events,
        "tz": cal.tz,
        "week_start": cal.week_start,
    }
    got = _flow(events, cal, names, until, p, start, end, first_of_any=True)
    if got is None:
        _warn_empty("lifecycle", stacklevel=4)
        empty = pd.DataFrame(
            {s: pd.Series([], dtype=np.int64) for s in _STATUSES}, index=_empty_index(cal.tz)
        )
        return Result(params=params, as_of=cal.log.as_of, counts=empty)
    lo, hi, flow, _ = got
    if not flow.any_data:
        _warn_empty("lifecycle", stacklevel=4)
    sign = -1 if dormant_sign == "negative" else 1
    counts = pd.DataFrame(
        {
            "new": flow.new,
            "returning": flow.returning,
            "resurrecting": flow.resurrecting,
            "dormant": sign * flow.dormant,
        },
        index=cal.starts(np.arange(lo, hi + 1), p),
    )
    params.update(start=counts.index[0], end=counts.index[-1])
    return Result(params=params, as_of=cal.log.as_of, counts=counts)


def engine_growth_accounting(
    events: LazyEventLog,
    *,
    period: Period,
    start: Any,
    end: Any,
    activity_events: Any,
    tz: str | None,
    week_start: Any,
    as_of: Any,
) -> GrowthAccountingResult:
    """:func:`~useropslib.metrics.growth_accounting` of a lazy log, counted in its engine.

    Parameters
    ----------
    events : LazyEventLog
    period, start, end, activity_events, tz, week_start, as_of
        As in :func:`~useropslib.metrics.growth_accounting`.

    Returns
    -------
    GrowthAccountingResult
        The in-memory path's result.
    """
    from useropslib.metrics._growth import GrowthAccountingResult as Result

    cal, names, until = _lazy_calendar(events, activity_events, tz, week_start, as_of)
    p = parse_period(period)
    params: dict[str, Any] = {
        "period": p,
        "activity_events": activity_events,
        "tz": cal.tz,
        "week_start": cal.week_start,
    }
    got = _flow(events, cal, names, until, p, start, end, first_of_any=False)
    if got is None:
        _warn_empty("growth_accounting", stacklevel=4)
        idx = _empty_index(cal.tz)
        counts = pd.DataFrame(
            {c: pd.Series([], dtype=np.int64) for c in (*_COUNTS, "lapsed")}, index=idx
        )
        rates = pd.DataFrame({c: pd.Series([], dtype=np.float64) for c in _RATES}, index=idx)
        return Result(params=params, as_of=cal.log.as_of, counts=counts, rates=rates)
    lo, hi, flow, seen_before = got
    if not flow.any_data:
        _warn_empty("growth_accounting", stacklevel=4)
    counts, rates = _accounting_frames(flow, seen_before, cal.starts(np.arange(lo, hi + 1), p))
    params.update(start=counts.index[0], end=counts.index[-1])
    return Result(params=params, as_of=cal.log.as_of, counts=counts, rates=rates)


_RATE_NAMES = (
    "NURR",
    "CURR",
    "RURR",
    "SURR",
    "iWAURR",
    "iMAURR",
    "WAU_loss_rate",
    "MAU_loss_rate",
    "resurrection_rate",
)


def engine_growth_states(
    events: LazyEventLog,
    *,
    start: Any,
    end: Any,
    activity_events: Any,
    week_days: int,
    month_days: int,
    tz: str | None,
    as_of: Any,
    check: Callable[[int, int], tuple[int, int]],
    empty: Callable[[Any, dict[str, Any]], GrowthStatesResult],
) -> GrowthStatesResult:
    """:func:`~useropslib.metrics.growth_states` of a lazy log, counted in its engine.

    Parameters
    ----------
    events : LazyEventLog
    start, end, activity_events, week_days, month_days, tz, as_of
        As in :func:`~useropslib.metrics.growth_states`.
    check : callable
        ``growth_states``' check of the window lengths, returning them.
    empty : callable
        Builds (and warns about) the empty result, as the in-memory path does.

    Returns
    -------
    GrowthStatesResult
        The in-memory path's result; :meth:`~GrowthStatesResult.user_states` computes the
        per-user states on its first call (from the roll-up, reading the users then).
    """
    from useropslib.metrics._growth import GROWTH_STATES
    from useropslib.metrics._growth import GrowthStatesResult as Result

    cal, names, until = _lazy_calendar(events, activity_events, tz, None, as_of)
    w, m = check(week_days, month_days)
    params: dict[str, Any] = {
        "activity_events": activity_events,
        "week_days": w,
        "month_days": m,
        "tz": cal.tz,
    }
    s_ns, e_ns = _bounds_ns(cal, start, end)
    if e_ns is None:
        if cal.when is None:
            return empty(cal, params)
        e_ns = cal.when.horizon_ns - 1
    e = cal.code_of(e_ns, "day")
    if s_ns is None:
        first = first_day(events, tz=cal.tz, names=names, until_ns=until)
        if first is None:
            return empty(cal, params)
        s = first
    else:
        s = cal.code_of(s_ns, "day")
    if e < s:
        return empty(cal, params)
    got = state_changes(events, tz=cal.tz, names=names, until_ns=until, s=s, e=e, w=w, m=m)
    if got is None:
        return empty(cal, params)
    days, cats, change, pooled_cats, pooled_sums = got
    n_days = e - s + 1
    n_tr = max(n_days - 1, 0)
    n_st = len(GROWTH_STATES)
    grid = np.zeros((n_days, n_st * (n_st + 1)), dtype=np.int64)
    np.add.at(grid, (days, cats), change)
    grid = np.cumsum(grid, axis=0)
    counts_arr = grid[:, :n_st]
    trans = grid[:n_tr, n_st:]  # the transitions with a daily rate (the others stay 0 here)
    pooled = trans.sum(axis=0)
    np.add.at(pooled, pooled_cats, pooled_sums)
    pooled = pooled.reshape(n_st, n_st)

    index = cal.starts(np.arange(s, e + 1), "day")
    counts = pd.DataFrame(counts_arr, index=index, columns=list(GROWTH_STATES))
    dau = counts_arr[:, :4].sum(axis=1)
    wau = dau + counts_arr[:, 4]
    mau = wau + counts_arr[:, 5]
    active = pd.DataFrame(
        {"dau": dau, "wau": wau, "mau": mau, "ever_active": mau + counts_arr[:, 6]},
        index=index,
    )
    transitions = pd.DataFrame(
        pooled,
        index=pd.Index(GROWTH_STATES, name="from"),
        columns=pd.Index(GROWTH_STATES, name="to"),
    )
    from_counts = counts_arr[:n_tr]
    rates = pd.DataFrame(
        {
            name: _ratio(trans[:, f * n_st + t], from_counts[:, f])
            for name, (f, t) in zip(_RATE_NAMES, RATE_PAIRS, strict=True)
        },
        index=index[:n_tr],
    )
    pooled_rates = pd.Series(
        {
            name: float(_ratio(pooled[f, t], from_counts[:, f].sum()))
            for name, (f, t) in zip(_RATE_NAMES, RATE_PAIRS, strict=True)
        },
        name="rate",
    )
    if int(active["ever_active"].iloc[-1]) == 0:
        _warn_empty("growth_states", stacklevel=4)
    params.update(start=index[0], end=index[-1])
    kwargs = {"start": start, "end": end, "activity_events": activity_events, "tz": tz}
    kwargs.update(week_days=week_days, month_days=month_days, as_of=as_of)
    return Result(
        params=params,
        as_of=cal.log.as_of,
        counts=counts,
        active=active,
        transitions=transitions,
        rates=rates,
        pooled_rates=pooled_rates,
        _states=pd.Series([], dtype=object),
        _fetch=_user_states(events, kwargs),
    )


def _user_states(events: LazyEventLog, kwargs: dict[str, Any]) -> Callable[[], pd.Series]:
    """Return a function computing each user's last state once, through the roll-up."""
    got: list[pd.Series] = []

    def fetch() -> pd.Series:
        if not got:
            from useropslib.metrics._growth import growth_states

            sel = EventSelector.parse(kwargs["activity_events"], param="activity_events")
            log = load(events, sel, grain="day", all_events=True, tz=kwargs["tz"])
            with warnings.catch_warnings():  # the call itself has warned already
                warnings.simplefilter("ignore")
                got.append(growth_states(log, **kwargs).user_states())
        return got[0]

    return fetch
