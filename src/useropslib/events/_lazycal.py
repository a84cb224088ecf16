"""Calendar metrics computed whole in the engine of a lazy log: only the answer comes back.

A :class:`~useropslib.events.LazyEventLog` answers daily (weekly, monthly, hourly) active users
and rolling-window active users with one grouped query each; what is collected has one row per
period (or two per day for rolling windows), never one per user or per event, and the user
vocabulary is not read.

The local period of each row is computed once in the engine with integer arithmetic only: the
zone's UTC offsets over the data's span (:func:`~useropslib.events._lazycal.offset_pieces`, DST
transitions to the second) are written as a flat sum of comparisons, and the period's start is
``x - x mod unit`` of the local nanoseconds (weeks shifted to their first weekday), so the
engines need no zone support and no floating point.  Months count the local month starts
reached.  The collected keys are turned into the codes of :func:`~useropslib.events.period_codes`
here, exactly.

The queries are narwhals expressions, so DuckDB, Polars and PySpark plan them the same way.
"""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from useropslib.events._engine import collect_native
from useropslib.events._time import (
    NS_PER_DAY,
    NS_PER_HOUR,
    NS_PER_SECOND,
    local_ns,
    period_codes,
)

if TYPE_CHECKING:
    from useropslib.events._lazy import LazyEventLog

__all__ = [
    "CALENDAR_BACKENDS",
    "PeriodKey",
    "active_counts",
    "calendar_probe",
    "first_time_of",
    "offset_expr",
    "offset_pieces",
    "period_key",
    "range_intervals",
    "raw_names",
    "retention_cells",
    "rolling_points",
    "rollup_key",
    "window_intervals",
]

I64 = npt.NDArray[np.int64]

#: Engines whose lazy logs answer these metrics in the engine (window functions included).
CALENDAR_BACKENDS = ("duckdb", "polars", "pyspark")

_UNIT = {"hour": NS_PER_HOUR, "day": NS_PER_DAY, "week": 7 * NS_PER_DAY}


@dataclasses.dataclass(frozen=True)
class PeriodKey:
    """An engine expression numbering each row's local period, and its exact decoding.

    Attributes
    ----------
    expr : narwhals expression
        The key of column ``t``: the local start (ns) of the hour, day or week, or the number of
        local month starts reached since the first month of the data.
    unit : int
        Nanoseconds per period (0 for months).
    base : int
        For months: the month code of key 0.
    """

    expr: Any
    unit: int
    base: int

    def codes(self, keys: Any) -> I64:
        """Return the :func:`~useropslib.events.period_codes` of collected keys."""
        k = np.asarray(keys, dtype=np.int64)
        if self.unit:
            out: I64 = k // self.unit
            return out
        month: I64 = k + self.base
        return month

    def key(self, code: int) -> int:
        """Return the key of a period code (to filter on in the engine)."""
        return int(code) * self.unit if self.unit else int(code) - self.base


def offset_pieces(tz: str, t_min: int, t_max: int) -> list[tuple[int, int]]:
    """Return the UTC offsets of ``tz`` over ``[t_min, t_max]`` as (from_ns, offset_ns) pieces.

    The first piece starts at ``t_min``; each later one at a transition (found to the second).

    Parameters
    ----------
    tz : str
        IANA zone.
    t_min, t_max : int
        The span, UTC ns.

    Returns
    -------
    list of (int, int)

    Examples
    --------
    >>> jan, dec = 1_704_067_200 * 10**9, 1_735_603_200 * 10**9  # 2024-01-01, 2024-12-31 UTC
    >>> [(p[1] // 3_600_000_000_000) for p in offset_pieces("Europe/Berlin", jan, dec)]
    [1, 2, 1]
    """
    lo = t_min - t_min % NS_PER_HOUR
    grid = np.arange(lo, t_max + NS_PER_HOUR, NS_PER_HOUR, dtype=np.int64)
    grid = np.r_[t_min, grid[grid > t_min]]
    off = local_ns(grid, tz) - grid
    pieces = [(int(t_min), int(off[0]))]
    for i in np.flatnonzero(off[1:] != off[:-1]) + 1:
        a, b = int(grid[i - 1]), int(grid[i])
        sec = np.arange(a - a % NS_PER_SECOND + NS_PER_SECOND, b + 1, NS_PER_SECOND, dtype=np.int64)
        sec = np.r_[sec[sec < b], b]
        soff = local_ns(sec, tz) - sec
        at = int(sec[int(np.argmax(soff != off[i - 1]))])
        pieces.append((at, int(off[i])))
    return pieces


def offset_expr(pieces: list[tuple[int, int]]) -> Any:
    """Build a narwhals expression giving the UTC offset (ns) of column ``t``.

    A flat sum (no nested ``CASE``): the first offset plus each later change where ``t`` has
    reached its transition.
    """
    import narwhals.stable.v2 as nw

    t = nw.col("t")
    expr: Any = nw.lit(pieces[0][1], dtype=nw.Int64)
    for (_, before), (at, after) in itertools.pairwise(pieces):
        expr = expr + (t >= at).cast(nw.Int64) * (after - before)
    return expr


def rollup_key(grain: str, tz: str, week_start: int, t_min: int, t_max: int) -> Any:
    """Build a narwhals expression numbering ``t``'s local calendar period in the engine.

    Equal keys mean equal :func:`~useropslib.events.period_codes` (same local wall-clock rule);
    only integer arithmetic and comparisons run in the engine.
    """
    import narwhals.stable.v2 as nw

    pieces = offset_pieces(tz, t_min, t_max)
    low = t_min + min(off for _, off in pieces)
    week = 7 * NS_PER_DAY
    shift = 0 if low >= 0 else (-low // week + 1) * week  # keeps values positive for `%`
    local = nw.col("t") + offset_expr(pieces) + shift
    if grain == "hour":
        return local - local % NS_PER_HOUR
    if grain == "day":
        return local - local % NS_PER_DAY
    if grain == "week":
        w = local + ((3 - week_start) % 7) * NS_PER_DAY
        return w - w % week
    # month: count the local month starts reached (a dozen comparisons a year, flat)
    ends = np.array([t_min, t_max], dtype=np.int64)
    c0, c1 = (int(c) for c in period_codes(ends, "month", tz=tz))
    starts = np.arange(c0 + 1, c1 + 1).astype("datetime64[M]").astype("datetime64[ns]")
    expr: Any = nw.lit(0, dtype=nw.Int64)
    for start in starts.astype(np.int64):
        expr = expr + (local >= int(start) + shift).cast(nw.Int64)
    return expr


def period_key(lazy: LazyEventLog, period: str, tz: str, week_start: int) -> PeriodKey | None:
    """Build the key of each row's local ``period`` in ``tz`` (None for a log with no rows).

    Parameters
    ----------
    lazy : LazyEventLog
    period : {"hour", "day", "week", "month"}
    tz : str
        IANA zone of the calendar.
    week_start : int
        First weekday of weeks, 0 = Monday.

    Returns
    -------
    PeriodKey or None
    """
    import narwhals.stable.v2 as nw

    if lazy._t_min is None or lazy._t_max is None:
        return None
    t_min, t_max = int(lazy._t_min), int(lazy._t_max)
    off = offset_expr(offset_pieces(tz, t_min, t_max))
    ends = np.array([t_min, t_max], dtype=np.int64)
    c0, c1 = (int(c) for c in period_codes(ends, "month", tz=tz))
    # a local month can start just before t_min's or after t_max's (offsets change at midnight)
    return _floor(nw.col("t") + off, period, week_start, c0 - 1, c1 + 1)


def _floor(local: Any, period: str, week_start: int, m0: int, m1: int) -> PeriodKey:
    """Key of the local ``period`` holding local nanoseconds ``local`` (months ``m0 .. m1``)."""
    import narwhals.stable.v2 as nw

    if period in _UNIT:
        unit = _UNIT[period]
        x = local + ((3 - week_start) % 7) * NS_PER_DAY if period == "week" else local
        # floor to the unit: narwhals' `%` is the floor modulo on every engine
        return PeriodKey(expr=x - x % unit, unit=unit, base=0)
    starts = np.arange(m0 + 1, m1 + 1).astype("datetime64[M]").astype("datetime64[ns]")
    expr: Any = nw.lit(0, dtype=nw.Int64)
    for start in starts.astype(np.int64):
        expr = expr + (local >= int(start)).cast(nw.Int64)
    return PeriodKey(expr=expr, unit=0, base=m0)


def _distinct(frame: Any, *cols: str) -> Any:
    """Return the distinct rows of ``cols`` with a ``GROUP BY``.

    narwhals' ``unique`` numbers the rows with a window function on DuckDB, several times slower.
    """
    return frame.group_by(*cols).agg()


def _counted(frame: Any) -> Any:
    """Return the distinct (user, period) pairs with their number of rows ``c``."""
    import narwhals.stable.v2 as nw

    return frame.group_by("uid", "k").agg(nw.len().alias("c"))


def _rows(lazy: LazyEventLog, names: Sequence[Any] | None, until_ns: int | None) -> Any:
    """Return the qualifying rows: events named ``names`` (None: every event) up to ``until_ns``."""
    import narwhals.stable.v2 as nw

    nf = nw.from_native(lazy._raw)
    if names is not None:
        nf = nf.filter(nw.col("ename").is_in(list(names)))
    if until_ns is not None and lazy._t_max is not None and until_ns < int(lazy._t_max):
        nf = nf.filter(nw.col("t") <= until_ns)
    return nf


def active_counts(
    lazy: LazyEventLog,
    *,
    period: str,
    tz: str,
    week_start: int,
    names: Sequence[Any] | None,
    until_ns: int | None,
    lo: int | None,
    hi: int,
) -> tuple[I64, I64]:
    """Distinct active users per local period, counted in the engine.

    One ``GROUP BY`` period with ``count(DISTINCT user)``; one row per period with data is
    collected.

    Parameters
    ----------
    lazy : LazyEventLog
    period : {"hour", "day", "week", "month"}
    tz : str
    week_start : int
    names : sequence of str, optional
        Raw names of the qualifying events; None for every event.
    until_ns : int, optional
        Only events at or before this instant.
    lo, hi : int
        Period codes kept (``lo`` None: no lower bound).

    Returns
    -------
    (codes, users) : (ndarray of int64, ndarray of int64)
        Sorted by code; periods without a qualifying event are absent.
    """
    import narwhals.stable.v2 as nw

    key = period_key(lazy, period, tz, week_start)
    if key is None:
        empty = np.empty(0, dtype=np.int64)
        return empty, empty.copy()
    rows = _rows(lazy, names, until_ns).select(nw.col("uid"), key.expr.alias("k"))
    rows = rows.filter(nw.col("k") <= key.key(hi))
    if lo is not None:
        rows = rows.filter(nw.col("k") >= key.key(lo))
    got = collect_native(rows.group_by("k").agg(nw.col("uid").n_unique().alias("n")))
    codes = key.codes(got["k"].to_numpy())
    n = np.asarray(got["n"].to_numpy(), dtype=np.int64)
    order = np.argsort(codes, kind="stable")
    return codes[order], n[order]


def rolling_points(
    lazy: LazyEventLog,
    *,
    n_days: int,
    every: str,
    tz: str,
    week_start: int,
    names: Sequence[Any] | None,
    until_ns: int | None,
    lo: int | None,
    hi: int,
) -> tuple[I64, I64, int | None, bool]:
    """Users active in the ``n_days`` local days ending on the first day of each ``every`` period.

    In the engine: the distinct (user, local day) pairs with days from the window before period
    ``lo`` (every day when ``lo`` is None) to the first day of period ``hi``.  Each pair covers
    the days from ``d`` up to (not including) ``min(d + n_days, the user's next active day)``,
    the next day found with ``LEAD`` over the user's days.  A pair adds 1 at the first
    evaluation day at or after ``d`` and takes 1 away at the first one at or after its stop;
    those changes are summed per evaluation period in the same query, so at most one row per
    period of the answer is collected.  The running sum here is the answer.

    Returns
    -------
    (codes, change, first_day, any_pair) : (ndarray, ndarray, int or None, bool)
        ``every`` codes and the net change of the count there (sorted by code); the first
        active day code (None: none); whether any pair falls in the window (when ``lo`` is
        None, days after ``hi``'s first day up to its end are read for ``first_day`` only).
    """
    import narwhals.stable.v2 as nw

    day = period_key(lazy, "day", tz, week_start)
    if day is None:
        empty = np.empty(0, dtype=np.int64)
        return empty, empty.copy(), None, False
    t_min, t_max = int(lazy._t_min or 0), int(lazy._t_max or 0)
    m0, m1 = (int(c) for c in period_codes(np.array([t_min, t_max]), "month", tz=tz))
    last = int(_first_of(hi, every, week_start))
    rows = _rows(lazy, names, until_ns).select(nw.col("uid"), day.expr.alias("d"))
    if lo is None:
        # the range starts at the first active day's period: days up to the end of period `hi`
        # are read to find it, and count for nothing
        rows = rows.filter(nw.col("d") < day.key(_first_of(hi + 1, every, week_start)))
    else:
        from_day = _first_of(lo, every, week_start) - n_days + 1
        rows = rows.filter(nw.col("d") <= day.key(last), nw.col("d") >= day.key(from_day))
    pairs = _distinct(rows, "uid", "d")
    nxt = nw.col("d").shift(-1).over("uid", order_by="d").fill_null(day.key(last + 1))
    stop = nw.min_horizontal(nw.col("d") + int(n_days) * NS_PER_DAY, nxt)

    def point(at: Any) -> PeriodKey:
        # the first evaluation day at or after day `at`: the period after the one of `at - 1`
        return _floor(at - NS_PER_DAY, every, week_start, m0 - 2, m1 + 1)

    ev = point(nw.col("d"))
    after = point(nw.col("s"))
    step = _UNIT.get(every, 0) or 1  # the key of the next period
    edges = pairs.select(nw.col("d"), stop.alias("s"))
    counted = (nw.col("d") <= day.key(last)).cast(nw.Int64)
    ups = edges.select(
        nw.min_horizontal(ev.expr + step, nw.lit(ev.key(hi))).alias("b"),
        counted.alias("w"),
        nw.col("d").alias("m"),
        counted.alias("a"),
    )
    downs = edges.select(
        (after.expr + step).alias("b"),
        nw.lit(-1, nw.Int64).alias("w"),
        nw.lit(None, nw.Int64).alias("m"),
        nw.lit(0, nw.Int64).alias("a"),
    ).filter(nw.col("b") <= ev.key(hi))
    both = nw.concat([ups, downs], how="vertical")
    if lo is not None:
        both = both.with_columns(nw.max_horizontal(nw.col("b"), nw.lit(ev.key(lo))).alias("b"))
    got = collect_native(
        both.group_by("b").agg(
            nw.col("w").sum().alias("w"), nw.col("m").min().alias("m"), nw.col("a").sum()
        )
    )
    codes = ev.codes(got["b"].to_numpy())
    change = np.asarray(got["w"].to_numpy(), dtype=np.int64)
    firsts = got["m"].drop_nulls().to_numpy()
    first = int(day.codes(firsts).min()) if len(firsts) else None
    counts = bool(np.asarray(got["a"].to_numpy(), dtype=np.int64).sum() > 0)
    order = np.argsort(codes, kind="stable")
    return codes[order], change[order], first, counts


def _criteria(min_events: int, max_events: int | None) -> Any:
    """1 where a group's event count ``c`` meets the criteria, else 0."""
    import narwhals.stable.v2 as nw

    ok = nw.col("c") >= int(min_events)
    if max_events is not None:
        ok = ok & (nw.col("c") <= int(max_events))
    return ok.cast(nw.Int64)


def range_intervals(
    lazy: LazyEventLog,
    *,
    period: str,
    tz: str,
    week_start: int,
    names: Sequence[Any] | None,
    until_ns: int | None,
    lo: int | None,
    hi: int,
    interval_count: int,
    min_events: int,
    max_events: int | None,
) -> tuple[I64, I64, int | None]:
    """Users by their number of active intervals over periods ``lo .. hi``, in the engine.

    Intervals group ``interval_count`` periods counted back from ``hi``; an interval counts
    for a user when they had ``min_events .. max_events`` qualifying events in it.  Three
    grouped levels run in the engine -- (user, interval), user, number of intervals -- so one
    row per number of intervals is collected.

    Returns
    -------
    (intervals, users, first) : (ndarray, ndarray, int or None)
        Numbers of intervals (0: users whose intervals all missed the criteria) and how many
        users have each; the first qualifying period code (None: no event in the range).
    """
    import narwhals.stable.v2 as nw

    key = period_key(lazy, period, tz, week_start)
    if key is None:
        empty = np.empty(0, dtype=np.int64)
        return empty, empty.copy(), None
    rows = _rows(lazy, names, until_ns).select(nw.col("uid"), key.expr.alias("k"))
    rows = rows.filter(nw.col("k") <= key.key(hi))
    if lo is not None:
        rows = rows.filter(nw.col("k") >= key.key(lo))
    width = (key.unit or 1) * int(interval_count)
    back = key.key(hi) - nw.col("k")  # >= 0: periods before hi, in key units
    grouped = rows.with_columns((back - back % width).alias("g"))
    if min_events == 1 and max_events is None:  # presence: distinct intervals per user
        per_user = grouped.group_by("uid").agg(
            nw.col("g").n_unique().alias("n"), nw.col("k").min().alias("m")
        )
    else:
        per_interval = (
            grouped.group_by("uid", "g")
            .agg(nw.len().alias("c"), nw.col("k").min().alias("m"))
            .with_columns(_criteria(min_events, max_events).alias("ok"))
        )
        per_user = per_interval.group_by("uid").agg(
            nw.col("ok").sum().alias("n"), nw.col("m").min()
        )
    got = collect_native(
        per_user.group_by("n").agg(nw.len().alias("users"), nw.col("m").min().alias("m"))
    )
    n = np.asarray(got["n"].to_numpy(), dtype=np.int64)
    users = np.asarray(got["users"].to_numpy(), dtype=np.int64)
    firsts = got["m"].to_numpy()
    first = int(key.codes(firsts).min()) if len(firsts) else None
    return n, users, first


def window_intervals(
    lazy: LazyEventLog,
    *,
    period: str,
    within: str,
    tz: str,
    week_start: int,
    names: Sequence[Any] | None,
    until_ns: int | None,
    lo: int | None,
    hi: int,
    min_events: int,
    max_events: int | None,
) -> tuple[I64, I64, I64, int | None]:
    """User-weeks (or user-months) by their number of active days (or hours), in the engine.

    ``lo .. hi`` are ``within`` codes; a ``period`` counts for a user when they had
    ``min_events .. max_events`` qualifying events in it.  Grouped by (user, period), then
    (user, window), then (window, number of periods): at most one row per cell of the
    answer's table (and per window with only missed criteria) is collected.

    Returns
    -------
    (windows, intervals, users, first) : (ndarray, ndarray, ndarray, int or None)
        ``within`` codes, numbers of active periods (0: none met the criteria), how many users
        have each; the first qualifying ``within`` code (None: no event in the range).
    """
    import narwhals.stable.v2 as nw

    kp = period_key(lazy, period, tz, week_start)
    kw = period_key(lazy, within, tz, week_start)
    if kp is None or kw is None:
        empty = np.empty(0, dtype=np.int64)
        return empty, empty.copy(), empty.copy(), None
    per_day = 24 if period == "hour" else 1
    rows = _rows(lazy, names, until_ns).select(
        nw.col("uid"), kp.expr.alias("k"), kw.expr.alias("w")
    )
    rows = rows.filter(nw.col("k") < kp.key(_first_of(hi + 1, within, week_start) * per_day))
    if lo is not None:
        rows = rows.filter(nw.col("k") >= kp.key(_first_of(lo, within, week_start) * per_day))
    per_period = (
        rows.group_by("uid", "k")
        .agg(nw.len().alias("c"), nw.col("w").min().alias("w"))
        .with_columns(_criteria(min_events, max_events).alias("ok"))
    )
    per_window = per_period.group_by("uid", "w").agg(nw.col("ok").sum().alias("n"))
    got = collect_native(per_window.group_by("w", "n").agg(nw.len().alias("users")))
    windows = kw.codes(got["w"].to_numpy())
    n = np.asarray(got["n"].to_numpy(), dtype=np.int64)
    users = np.asarray(got["users"].to_numpy(), dtype=np.int64)
    first = int(windows.min()) if windows.size else None
    return windows, n, users, first


def retention_cells(
    lazy: LazyEventLog,
    *,
    period: str,
    tz: str,
    week_start: int,
    start_names: Sequence[Any] | None,
    return_names: Sequence[Any] | None,
    until_ns: int | None,
    first: int,
    last: int,
    n_k: int,
    min_occurrences: int,
    mode: str,
    cohort: str,
) -> npt.NDArray[np.int64]:
    """Calendar retention's cohort x offset counts, computed in the engine.

    Cohorts are the distinct (user, period) pairs of start events in periods ``first .. last``
    (``cohort="recurring"``), or each user's first start period over all history, kept when it
    falls in the range (``"first_time"``).  Returns are the (user, period) pairs with at least
    ``min_occurrences`` return events in the range; for ``mode="on_or_after"`` only each user's
    last such period.  Cohorts are joined to returns on the user and counted per (cohort,
    offset), with the cohort sizes, in one query: at most ``n_cohorts x n_k`` rows come back.

    Returns
    -------
    ndarray of int64, shape (n_cohorts, n_k)
        Column 0 the cohort sizes; column k the members who returned k periods later (or k or
        more periods later for ``on_or_after``), as the in-memory kernel counts them.
    """
    import narwhals.stable.v2 as nw

    n_coh = last - first + 1
    out = np.zeros((n_coh, n_k), dtype=np.int64)
    key = period_key(lazy, period, tz, week_start)
    if key is None:
        return out
    both = None
    if start_names is not None and return_names is not None:
        both = list(dict.fromkeys([*start_names, *return_names]))
    base = _rows(lazy, both, until_ns).select(nw.col("uid"), nw.col("ename"), key.expr.alias("k"))
    lo, hi = key.key(first), key.key(last)
    in_range = (nw.col("k") >= lo) & (nw.col("k") <= hi)
    once = min_occurrences == 1
    step = key.unit or 1
    if once and start_names == return_names:
        return _same_events_cells(base, in_range, lo, hi, n_k, step, mode, cohort, key, out, first)
    if start_names == return_names:
        # one (user, period) grouping serves cohorts and returns: the rows are read once
        pairs = base.filter(nw.col("k") <= hi).select("uid", "k")
        pairs = _distinct(pairs, "uid", "k") if once else _counted(pairs)
        starts = rets = pairs
    else:
        starts = base if start_names is None else base.filter(nw.col("ename").is_in(start_names))
        rets = base if return_names is None else base.filter(nw.col("ename").is_in(return_names))
        rets = rets.filter(in_range).select("uid", "k")
        rets = _distinct(rets, "uid", "k") if once else _counted(rets)
    if cohort == "recurring":
        members = _distinct(
            starts.filter(in_range).select("uid", nw.col("k").alias("i")), "uid", "i"
        )
    else:
        members = (
            starts.group_by("uid")
            .agg(nw.col("k").min().alias("i"))
            .filter(nw.col("i") >= lo, nw.col("i") <= hi)
        )
    kept = rets.filter(in_range) if once else rets.filter(in_range, nw.col("c") >= min_occurrences)
    returns = kept.select("uid", nw.col("k").alias("j"))
    if mode == "on_or_after":
        returns = returns.group_by("uid").agg(nw.col("j").max())
    gap = members.join(returns, on="uid", how="inner").select(
        nw.col("i"), (nw.col("j") - nw.col("i")).alias("d")
    )
    if mode == "on_or_after":
        gap = gap.filter(nw.col("d") > 0).with_columns(
            nw.min_horizontal(nw.col("d"), nw.lit((n_k - 1) * step)).alias("d")
        )
    else:
        gap = gap.filter(nw.col("d") > 0, nw.col("d") < n_k * step)
    sizes = members.select(nw.col("i"), nw.lit(0, nw.Int64).alias("d"))
    cells = nw.concat([sizes, gap.select("i", nw.col("d").cast(nw.Int64))], how="vertical")
    got = collect_native(cells.group_by("i", "d").agg(nw.len().alias("n")))
    i = key.codes(got["i"].to_numpy()) - first
    d = np.asarray(got["d"].to_numpy(), dtype=np.int64) // step
    np.add.at(out, (i, d), np.asarray(got["n"].to_numpy(), dtype=np.int64))
    return _finish(out, mode)


def _finish(out: npt.NDArray[np.int64], mode: str) -> npt.NDArray[np.int64]:
    """Turn the last-return histogram into "k or more periods later" counts; blank past cells."""
    n_coh, n_k = out.shape
    if mode == "on_or_after" and n_k > 1:  # at least k later: sum the last-return histogram
        out[:, 1:] = np.cumsum(out[:, :0:-1], axis=1)[:, ::-1]
    top = np.arange(n_k)[None, :] + np.arange(n_coh)[:, None] >= n_coh
    out[top] = 0  # cells past the range are not observed (the kernel leaves them 0)
    return out


def _same_events_cells(
    base: Any,
    in_range: Any,
    lo: int,
    hi: int,
    n_k: int,
    step: int,
    mode: str,
    cohort: str,
    key: PeriodKey,
    out: npt.NDArray[np.int64],
    first: int,
) -> npt.NDArray[np.int64]:
    """Count retention cells when cohorts and returns are the same events, one each.

    Each subquery is used once (engines recompute a subquery used twice).  First-time cohorts
    need no join: each user's first period is a window minimum over their periods (``on``), or
    one row per user with the first and last period (``on_or_after``).
    Recurring cohorts join the (user, period) pairs to themselves (offset 0 gives the sizes), or
    to each user's last period.
    """
    import narwhals.stable.v2 as nw

    pairs = _distinct(base.filter(nw.col("k") <= hi).select("uid", "k"), "uid", "k")
    cap = nw.lit((n_k - 1) * step)
    if cohort == "first_time" and mode == "on":
        cells = pairs.with_columns(nw.col("k").min().over("uid").alias("i")).select(
            "i", (nw.col("k") - nw.col("i")).alias("d")
        )
        cells = cells.filter(nw.col("i") >= lo, nw.col("d") < n_k * step)
    elif cohort == "first_time":
        ends = pairs.group_by("uid").agg(nw.col("k").min().alias("i"), nw.col("k").max().alias("j"))
        cells = ends.filter(nw.col("i") >= lo).select(
            "i", nw.min_horizontal(nw.col("j") - nw.col("i"), cap).alias("d")
        )
    else:
        kept = pairs.filter(in_range)
        if mode == "on":
            later = kept.select("uid", nw.col("k").alias("j"))
        else:
            later = kept.group_by("uid").agg(nw.col("k").max().alias("j"))
        joined = kept.join(later, on="uid", how="inner").select(
            nw.col("k").alias("i"), (nw.col("j") - nw.col("k")).alias("d")
        )
        if mode == "on":
            cells = joined.filter(nw.col("d") >= 0, nw.col("d") < n_k * step)
        else:
            cells = joined.with_columns(nw.min_horizontal(nw.col("d"), cap).alias("d"))
    got = collect_native(cells.group_by("i", "d").agg(nw.len().alias("n")))
    i = key.codes(got["i"].to_numpy()) - first
    d = np.asarray(got["d"].to_numpy(), dtype=np.int64) // step
    n = np.asarray(got["n"].to_numpy(), dtype=np.int64)
    if mode == "on":
        np.add.at(out, (i, d), n)  # offset 0: each member's own period, the cohort size
        return _finish(out, mode)
    # one row per member: its cohort size, and the last return's offset (0: none later)
    np.add.at(out[:, 0], i, n)
    later_rows = d > 0
    np.add.at(out, (i[later_rows], d[later_rows]), n[later_rows])
    sizes = out[:, 0].copy()
    out = _finish(out, mode)
    out[:, 0] = sizes
    return out


def first_time_of(lazy: LazyEventLog, names: Sequence[Any] | None) -> int | None:
    """Return the first time (UTC ns) of the named events (every event: the scan's), or None."""
    import narwhals.stable.v2 as nw

    if names is None:
        return None if lazy._t_min is None else int(lazy._t_min)
    got = collect_native(_rows(lazy, names, None).select(nw.col("t").min()))
    value = got["t"][0]
    return None if value is None else int(value)


def _first_of(code: int, period: str, week_start: int) -> int:
    """Local day code of the first day of a day, week or month code."""
    if period == "day":
        return int(code)
    if period == "week":
        return 7 * int(code) - (3 - week_start) % 7
    return int(np.array([code]).astype("datetime64[M]").astype("datetime64[D]").astype(np.int64)[0])


def calendar_probe(lazy: LazyEventLog) -> Any:
    """Return an empty EventLog with the lazy log's event names, zone, week start and ``as_of``.

    Name look-ups, ``as_of`` and period starts read it; it holds no user, so nothing is read.
    """
    return lazy._names_probe()


def raw_names(lazy: LazyEventLog, codes: Sequence[int]) -> list[Any]:
    """Return the names of event codes as the engine stores them (to filter on)."""
    names: list[Any] = lazy._raw_events[[int(c) for c in codes]].tolist()
    return names
