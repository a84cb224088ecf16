"""Money, message and DAU/MAU metrics of a lazy log answered whole by its engine.

``revenue``, ``ltv_curve``, ``message_funnel`` and ``stickiness_ratio`` call these first when
given a :class:`~useropslib.events.LazyEventLog` on DuckDB, Polars or PySpark.  The options are
checked here on an empty log that has the lazy log's event names (so errors and unknown-name
warnings are the in-memory path's), the engine returns the answer-sized table (see
``useropslib.events._lazymoney``) and the calling function assembles its usual result from it.
The user vocabulary is never read.

A ``None`` return means "not covered here"; the caller then collects the rows it needs, as
before.  That happens for a pyarrow-backed log, a ``value_col`` property that is not numeric in
the engine, a missing value column, purchases with an infinite amount (the in-memory route
reports or clamps them) and, for ``message_funnel``, ``breakdown``/``campaign_col`` names that
are not properties of the log (the in-memory route raises its did-you-mean error).

Amounts are summed by the engine in its own order: revenue and LTV cells equal the in-memory
ones exactly when every partial sum is exact (whole amounts, binary fractions such as 0.25)
and otherwise up to float rounding (relative ``n * 2**-53`` for ``n`` summed amounts).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from useropslib.events import EventLog, LazyEventLog, check_tz
from useropslib.events._query import (
    CALENDAR_BACKENDS,
    EventSelector,
    calendar_probe,
    day_month_pairs,
    ltv_cells,
    message_counts,
    named_events,
    numeric_property,
    raw_names,
    resolve_as_of,
    revenue_cells,
    rolling_points,
)
from useropslib.metrics._query import (
    _bounds_ns,
    _day_to,
    _empty_index,
    _first_day,
    _lazy_calendar,
    _ratio,
    _warn_empty,
)
from useropslib.models import Period, parse_period, parse_week_start

__all__ = [
    "LTVSums",
    "MessageCounts",
    "RevenueSums",
    "engine_ltv_curve",
    "engine_message_funnel",
    "engine_revenue",
    "engine_stickiness_ratio",
]

I64 = npt.NDArray[np.int64]
F64 = npt.NDArray[np.float64]


def _lazy(events: Any) -> LazyEventLog | None:
    """Return the lazy log when its engine answers these metrics (DuckDB, Polars, PySpark)."""
    if isinstance(events, LazyEventLog) and events.backend in CALENDAR_BACKENDS:
        return events
    return None


def _raw(lazy: LazyEventLog, probe: EventLog, value: Any, param: str) -> list[Any]:
    """Raw names of an event-name option; errors and unknown-name warnings as in memory."""
    # the selector of the in-memory mask: the same errors and unknown-name warnings
    sel = EventSelector.parse(named_events(value, param=param), param=param)
    return raw_names(lazy, sel.codes(probe).tolist())


def _value_column(lazy: LazyEventLog, value_col: Any) -> str | None:
    """Return the engine column of the amounts, or None when the in-memory route must check them."""
    if value_col is None:
        return "v" if lazy.has_values else None
    if not isinstance(value_col, str):
        return None
    return numeric_property(lazy, value_col)


def _calendar_options(
    probe: EventLog, period: Any, tz: str | None, week_start: Any
) -> tuple[Period, str, int]:
    p = parse_period(period)
    z = probe.tz if tz is None else check_tz(tz)
    ws = probe.week_start if week_start is None else parse_week_start(week_start)
    return p, z, ws


# ============================================================================ revenue
@dataclasses.dataclass(frozen=True)
class RevenueSums:
    """What :func:`~useropslib.metrics.revenue` needs from the engine, per period and in all.

    ``revenue``, ``purchases``, ``active`` and ``paying`` cover every period ``p0 ..`` (zeros
    where nothing happened); the ``total_*`` fields are over the whole log.
    """

    period: Period
    tz: str
    week_start: int
    as_of: pd.Timestamp | None
    p0: int
    revenue: F64
    purchases: I64
    active: I64
    paying: I64
    total_revenue: float
    total_purchases: int
    total_active: int
    total_paying: int


def engine_revenue(
    events: Any,
    *,
    period: Any,
    purchase_event: Any,
    value_col: str | None,
    activity_events: Any,
    tz: str | None,
    week_start: Any,
) -> RevenueSums | None:
    """:func:`~useropslib.metrics.revenue`'s sums, computed in the engine of a lazy log.

    Returns
    -------
    RevenueSums or None
        None when not covered here (see the module notes); the caller collects the rows.
    """
    lazy = _lazy(events)
    if lazy is None:
        return None
    column = _value_column(lazy, value_col)
    if column is None:
        return None
    probe = calendar_probe(lazy)
    p, z, ws = _calendar_options(probe, period, tz, week_start)
    buy = _raw(lazy, probe, purchase_event, "purchase_event")
    act = None if activity_events is None else _raw(lazy, probe, activity_events, "activity_events")
    cells = revenue_cells(
        lazy,
        period=p,
        tz=z,
        week_start=ws,
        purchase_names=buy,
        activity_names=act,
        value_col=column,
    )
    if cells.infinite:
        return None
    p0 = int(cells.codes[0]) if cells.codes.size else 0
    span = int(cells.codes[-1]) - p0 + 1 if cells.codes.size else 0
    at = cells.codes - p0

    def spread(values: npt.NDArray[Any], dtype: Any) -> Any:
        out = np.zeros(span, dtype=dtype)
        out[at] = values
        return out

    return RevenueSums(
        period=p,
        tz=z,
        week_start=ws,
        as_of=probe.as_of,
        p0=p0,
        revenue=spread(cells.revenue, np.float64),
        purchases=spread(cells.purchases, np.int64),
        active=spread(cells.active, np.int64),
        paying=spread(cells.paying, np.int64),
        total_revenue=float(cells.revenue.sum()),
        total_purchases=int(cells.purchases.sum()),
        total_active=int(cells.new_active.sum()),
        total_paying=int(cells.new_paying.sum()),
    )


# ============================================================================ LTV curve
@dataclasses.dataclass(frozen=True)
class LTVSums:
    """What :func:`~useropslib.metrics.ltv_curve` needs from the engine."""

    period: Period
    periods: int
    tz: str
    log_tz: str
    week_start: int
    now: int | None
    cohorts: I64
    sizes: I64
    revenue: F64  # (cohorts, periods)


def engine_ltv_curve(
    events: Any,
    *,
    cohort_period: Any,
    periods: Callable[[], int],
    purchase_event: Any,
    value_col: str | None,
    signup_event: Any,
    as_of: Any,
    tz: str | None,
    week_start: Any,
) -> LTVSums | None:
    """:func:`~useropslib.metrics.ltv_curve`'s cohort sums, computed in the engine.

    ``periods`` checks and returns the number of ages (the caller's check).

    Returns
    -------
    LTVSums or None
        None when not covered here (see the module notes); the caller collects the rows.
    """
    lazy = _lazy(events)
    if lazy is None:
        return None
    column = _value_column(lazy, value_col)
    if column is None:
        return None
    probe = calendar_probe(lazy)
    p = parse_period(cohort_period)
    n = periods()
    _, z, ws = _calendar_options(probe, p, tz, week_start)
    buy = _raw(lazy, probe, purchase_event, "purchase_event")
    when = resolve_as_of(probe, as_of, allow_before=True)
    now = None if when is None else when.ns
    sign = None if signup_event is None else _raw(lazy, probe, signup_event, "signup_event")
    cohorts, sizes, rev, infinite = ltv_cells(
        lazy,
        period=p,
        periods=n,
        tz=z,
        week_start=ws,
        purchase_names=buy,
        signup_names=sign,
        value_col=column,
        until_ns=now,
    )
    if infinite:
        return None
    return LTVSums(
        period=p,
        periods=n,
        tz=z,
        log_tz=probe.tz,
        week_start=ws,
        now=now,
        cohorts=cohorts,
        sizes=sizes,
        revenue=rev,
    )


# ============================================================================ message funnel
@dataclasses.dataclass(frozen=True)
class MessageCounts:
    """Per group: ``sent`` and later counts, as ``message_funnel`` tabulates them."""

    labels: pd.Index
    counts: dict[str, I64]
    now: int | None
    log_tz: str


def engine_message_funnel(
    events: Any,
    *,
    stage_names: dict[str, Any],
    return_event: Any,
    window_ns: Callable[[], int],
    breakdown: str | None,
    campaign: Any,
    campaign_col: str,
    as_of: Any,
    order_labels: Callable[[Any], tuple[Any, pd.Index]],
) -> MessageCounts | None:
    """:func:`~useropslib.metrics.message_funnel`'s counts, computed in the engine.

    ``sent`` is checked by the caller (not None); ``window_ns`` parses the return window.

    Parameters
    ----------
    order_labels : callable
        Sorts group values into the labels the in-memory path shows.

    Returns
    -------
    MessageCounts or None
        None when not covered here (an unknown or non-string ``breakdown``/``campaign_col``,
        whose in-memory message is kept; a campaign that no message carries); the caller
        collects the rows.
    """
    lazy = _lazy(events)
    if lazy is None:
        return None
    if breakdown is not None and (
        not isinstance(breakdown, str) or breakdown not in lazy._properties
    ):
        return None
    if campaign is not None and campaign_col not in lazy._properties:
        return None
    probe = calendar_probe(lazy)
    present = [s for s in ("sent", "delivered", "opened", "clicked") if stage_names[s] is not None]
    raw: dict[str, list[Any]] = {}
    for s in present:
        raw[s] = _raw(lazy, probe, str(stage_names[s]), s)
    w = window_ns()
    when = resolve_as_of(probe, as_of, allow_before=True)
    now = None if when is None else when.ns
    back = None if return_event is None else _raw(lazy, probe, return_event, "return_event")
    wanted = None
    if campaign is not None:
        wanted = list(campaign) if isinstance(campaign, list | tuple | set) else [campaign]
        if not _comparable(lazy, f"p{lazy._properties.index(campaign_col)}", wanted):
            return None  # the in-memory route compares them as pandas does
    stages = [(s, raw[s]) for s in present]
    prop = {name: f"p{i}" for i, name in enumerate(lazy._properties)}
    got = message_counts(
        lazy,
        stages=stages,
        message_names=[n for s in present for n in raw[s]],
        return_names=back,
        window_ns=w,
        until_ns=now,
        group_col=None if breakdown is None else prop[breakdown],
        campaign_col=None if campaign is None else prop[campaign_col],
        campaign=wanted,
    )
    if campaign is not None and len(got) == 0:
        return None  # perhaps no message carries the campaign: the in-memory route says which
    cols = ["sent", *present[1:], "returned"]
    if "delivered" in present:
        cols.append("returned_delivered")
    cols.append("window_open")
    if breakdown is None:
        labels = pd.Index(["all"], dtype=object)
        order = np.zeros(len(got), dtype=np.int64)
    elif len(got) == 0:
        labels = pd.Index([], dtype=object)
        order = np.zeros(0, dtype=np.int64)
    else:
        codes, labels = order_labels(got["g"].to_numpy())
        order = np.argsort(codes, kind="stable")
    counts: dict[str, I64] = {}
    for c in cols:
        counts[c] = np.asarray(got[c].to_numpy(), dtype=np.int64)[order]
    if breakdown is None and len(got) == 0:
        counts = {c: np.zeros(1, dtype=np.int64) for c in cols}
    return MessageCounts(labels=labels, counts=counts, now=now, log_tz=probe.tz)


def _comparable(lazy: LazyEventLog, column: str, wanted: list[Any]) -> bool:
    """Whether the engine can compare ``column`` to ``wanted`` as pandas would.

    Text columns take text values, numeric columns numbers (not bools); a missing value among
    them (pandas matches it to missing cells, SQL ``IN`` never does) is left to pandas.
    """
    import narwhals.stable.v2 as nw

    dtype = nw.from_native(lazy._raw).collect_schema()[column]
    if dtype == nw.String:
        return all(isinstance(w, str) for w in wanted)
    if dtype.is_numeric():
        return all(
            isinstance(w, int | float | np.integer | np.floating)
            and not isinstance(w, bool | np.bool_)
            and bool(np.isfinite(w))
            for w in wanted
        )
    return False


# ============================================================================ DAU / MAU
def engine_stickiness_ratio(
    events: LazyEventLog,
    *,
    windows: Callable[[], tuple[int, str, Any]],
    start: Any,
    end: Any,
    activity_events: Any,
    tz: str | None,
    week_start: Any,
    as_of: Any,
) -> pd.Series:
    """:func:`~useropslib.metrics.stickiness_ratio` of a lazy log, counted in its engine.

    A calendar denominator (week, month) needs per period its distinct users and its distinct
    (user, day) pairs, whose count is the sum of the period's daily active users: one grouped
    query.  Rolling windows use the rolling active-users query twice (numerator and
    denominator).

    Parameters
    ----------
    events : LazyEventLog
    windows : callable
        Checks ``numerator`` and ``denominator`` and returns (numerator days, denominator kind,
        denominator argument).
    start, end, activity_events, tz, week_start, as_of
        As in :func:`~useropslib.metrics.stickiness_ratio`.

    Returns
    -------
    pandas.Series
        The in-memory path's Series.
    """
    cal, names, until = _lazy_calendar(events, activity_events, tz, week_start, as_of)
    z, ws = cal.tz, cal.week_start
    n_days, d_kind, d_arg = windows()
    s_ns, e_ns = _bounds_ns(cal, start, end)
    span: Period = d_arg if d_kind == "calendar" else "day"
    if e_ns is None and cal.when is not None:
        e_ns = cal.when.horizon_ns - 1
    hi = None if e_ns is None else cal.code_of(e_ns, span)
    lo = None if s_ns is None else cal.code_of(s_ns, span)

    def empty() -> pd.Series:
        _warn_empty("stickiness_ratio", stacklevel=4)
        return pd.Series([], index=_empty_index(cal.tz), dtype=np.float64, name="stickiness_ratio")

    if hi is None or (lo is not None and hi < lo):
        return empty()
    common: dict[str, Any] = {"tz": z, "week_start": ws, "names": names, "until_ns": until}
    if d_kind == "calendar":
        codes, mau_c, pairs = day_month_pairs(events, period=span, lo=lo, hi=hi, **common)
        if lo is None:
            if codes.size == 0:
                return empty()
            lo = int(codes[0])
            if hi < lo:
                return empty()
        mau = np.zeros(hi - lo + 1, dtype=np.int64)
        mau[codes - lo] = mau_c
        user_days = np.zeros(hi - lo + 1, dtype=np.int64)
        user_days[codes - lo] = pairs
        d_lo = int(_first_day(np.array([lo]), span, ws)[0])
        d_hi = int(_first_day(np.array([hi + 1]), span, ws)[0]) - 1
        of = _day_to(np.arange(d_lo, d_hi + 1, dtype=np.int64), span, ws) - lo
        # the sum of a period's daily active users is its (user, day) pairs, exact in float64
        num = user_days.astype(np.float64) / np.bincount(of, minlength=hi - lo + 1)
        den = mau.astype(np.float64)
        index = cal.starts(np.arange(lo, hi + 1), span)
        any_data = bool(codes.size)
    else:
        counts = []
        any_data = False
        first_lo: int | None = lo
        for n in (n_days, int(d_arg)):
            c, change, first, seen = rolling_points(
                events, n_days=n, every="day", lo=lo, hi=hi, **common
            )
            if first_lo is None:
                if first is None:
                    return empty()
                first_lo = int(first)
                if hi < first_lo:
                    return empty()
            net = np.zeros(hi - first_lo + 1, dtype=np.int64)
            keep = c >= first_lo
            np.add.at(net, c[keep] - first_lo, change[keep])
            counts.append(np.cumsum(net))
            any_data = any_data or seen
        num, den = counts[0].astype(np.float64), counts[1].astype(np.float64)
        index = cal.starts(np.arange(hi + 1 - num.size, hi + 1), "day")
    if not any_data:
        _warn_empty("stickiness_ratio", stacklevel=3)
    return pd.Series(_ratio(num, den), index=index, name="stickiness_ratio")
