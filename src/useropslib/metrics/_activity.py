"""Active users (活跃): DAU / WAU / MAU over calendar or rolling windows, DAU/MAU and stickiness.

Everything here reads the encoded arrays of an :class:`~useropslib.events.EventLog`: per-event
calendar codes, a bitmap (or one sort) for the distinct (user, period) pairs, and difference
arrays for rolling windows.  No Python loop runs over users or events.

The private helpers at the top (calendar context, date range, distinct pairs) are shared with
``_lifecycle`` and ``_growth``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable
from typing import Any, Literal

import numpy as np
import pandas as pd

from useropslib import plotting
from useropslib._checks import check_int
from useropslib._results import MetricResult
from useropslib.events import EventsLike
from useropslib.events._query import has_user_index
from useropslib.exceptions import InvalidParameterError, did_you_mean
from useropslib.metrics._query import (
    _BITMAP_CELLS,
    _CELLS_PER_EVENT,
    I64,
    EventSpec,
    _Calendar,
    _day_to,
    _distinct_pairs,
    _empty_index,
    _first_day,
    _index_pairs,
    _next_same_user,
    _pair_counts,
    _period_range,
    _prepare,
    _ratio,
    _warn_empty,
    grain_of,
)
from useropslib.models import PERIODS, DateLike, Period, WeekStart, parse_period

__all__ = ["StickinessResult", "active_users", "stickiness", "stickiness_ratio"]

Within = Literal["range", "week", "month"]

_NS_PER_DAY = 86_400_000_000_000


# ============================================================================ windows
def _parse_activity_window(window: Any) -> tuple[Literal["calendar", "rolling"], Any]:
    """Return ("calendar", period) or ("rolling", n_days)."""
    if isinstance(window, str) and window.strip().lower() in PERIODS:
        return "calendar", parse_period(window.strip())
    td: dt.timedelta | None = None
    if isinstance(window, dt.timedelta):
        td = window
    elif isinstance(window, str):
        from useropslib.models import parse_window

        try:
            td = parse_window(window)
        except InvalidParameterError as exc:
            close = did_you_mean(window, PERIODS)
            hint = f"did you mean {close[0]!r}?" if close else "e.g. window='week' or '7D'"
            raise InvalidParameterError(
                f"Unsupported window {window!r}. Expected a calendar period {list(PERIODS)} or a "
                f"rolling number of days such as '7D', '28D' or '30D' ({exc}). Hint: {hint}"
            ) from None
    if td is None:
        raise InvalidParameterError(
            f"Invalid window {window!r} of type {type(window).__name__}. Expected a calendar "
            f"period {list(PERIODS)} or a rolling window such as '7D'."
        )
    ns = int(pd.Timedelta(td).value)
    if ns <= 0 or ns % _NS_PER_DAY:
        raise InvalidParameterError(
            f"Unsupported window {window!r}: a rolling window must be a positive whole number of "
            "days (it looks back over whole local calendar days). Hint: use '1D', '7D' or "
            "'30D', or window='hour' for calendar hours."
        )
    return "rolling", ns // _NS_PER_DAY


def _parse_every(every: Any) -> Period:
    if every is None:
        return "day"
    p = parse_period(every)
    if p == "hour":
        raise InvalidParameterError(
            "Unsupported every='hour'. Expected 'day', 'week' or 'month': a rolling window is "
            "evaluated at the end of whole local days. Hint: every='day'."
        )
    return p


def _calendar_every(window: Any, every: Any, period: Period) -> Period:
    """Return the calendar ``period``; ``every`` applies to rolling windows only."""
    if every is not None and parse_period(every) != period:
        raise InvalidParameterError(
            f"every={every!r} applies to rolling windows only; window={window!r} is a "
            "calendar period with one value per period. Hint: drop every, or use a rolling "
            "window such as '7D'."
        )
    return period


def _points(cal: _Calendar, every: Period, start: Any, end: Any) -> tuple[I64, I64] | None:
    """Day codes where a rolling window is evaluated, with their period codes in ``every``."""
    rng = _period_range(cal, every, start, end)
    if rng is None:
        return None
    codes = np.arange(rng[0], rng[1] + 1, dtype=np.int64)
    return _first_day(codes, every, cal.week_start), codes


def _rolling_counts(cal: _Calendar, n_days: int, days: I64) -> tuple[I64, bool]:
    """Users active in the ``n_days`` local days ending on (and including) each day in ``days``."""
    lo = int(days[0]) - n_days + 1
    hi = int(days[-1])
    users, codes = cal.select("day", lo, hi)
    u, a = _distinct_pairs(users, codes, lo, hi, cal.n_users)
    if a.size == 0:
        return np.zeros(days.size, dtype=np.int64), False
    # each active day covers the n_days from it, up to the user's next active day
    stop = np.minimum(a + n_days, _next_same_user(u, a, hi + 1))
    np.minimum(stop, hi + 1, out=stop)
    width = hi - lo + 2
    diff = np.bincount(a - lo, minlength=width) - np.bincount(stop - lo, minlength=width)
    cover = np.cumsum(diff)
    out: I64 = cover[days - lo].astype(np.int64)
    return out, True


def _calendar_counts(cal: _Calendar, period: Period, lo: int, hi: int) -> tuple[I64, bool]:
    if cal.log.n_events and has_user_index(cal.log):
        # the per-user index is there: distinct (user, period) pairs are neighbours in it
        _, c = _index_pairs(cal, period, lo, hi)
        return np.bincount(c - lo, minlength=hi - lo + 1).astype(np.int64), bool(c.size)
    users, codes = cal.select(period, lo, hi)
    span, n_users = hi - lo + 1, cal.n_users
    if users.size and n_users * span <= max(_BITMAP_CELLS, _CELLS_PER_EVENT * users.size):
        # period-major bitmap: logs in time order write one period's row at a time, and the
        # distinct users of a period are the set cells of its row
        dtype = np.int32 if span * n_users < np.iinfo(np.int32).max else np.int64
        key = np.subtract(codes, lo, dtype=dtype)
        key *= n_users
        key += users
        seen = np.zeros(span * n_users, dtype=bool)
        seen[key] = True
        rows = np.count_nonzero(seen.reshape(span, n_users), axis=1).astype(np.int64)
        return rows, True
    _, c = _distinct_pairs(users, codes, lo, hi, n_users)
    counts = np.bincount(c - lo, minlength=hi - lo + 1).astype(np.int64)
    return counts, bool(c.size)


# ============================================================================ active users
def active_users(
    events: EventsLike,
    *,
    window: str | dt.timedelta = "day",
    every: Period | None = None,
    start: DateLike | None = None,
    end: DateLike | None = None,
    activity_events: EventSpec = None,
    tz: str | None = None,
    week_start: WeekStart | int | None = None,
    as_of: DateLike | None = None,
) -> pd.Series:
    """Count distinct active users (活跃用户) per calendar period or over a rolling window.

    A user is active in a window when they have at least one qualifying event in it.

    Parameters
    ----------
    events : EventLog, LazyEventLog or DataFrame
        The events (a frame needs ``user_id``, ``event`` and ``timestamp`` columns).
    window : str or datetime.timedelta, default "day"
        ``"hour"``, ``"day"``, ``"week"`` or ``"month"``: distinct users per calendar period
        (DAU, calendar WAU, calendar MAU).  A whole number of days such as ``"7D"``, ``"28D"``,
        ``"30D"`` (or ``"1W"``): a rolling window, one value per day ``D`` counting the users
        active on the local days ``D - n + 1 .. D`` -- including days before ``start``.
    every : {"day", "week", "month"}, optional
        For rolling windows only: evaluate the window on every day (default), or on the first
        day of each week or month of the range.
    start, end : str, datetime or Timestamp, optional
        The range; naive values are read in ``tz``.  The whole period (or day) containing each
        bound is included.  Default: from the first qualifying event to the log's ``as_of``.
    activity_events : str or list of str, optional
        Only these events count as activity.  Default: every event.
    tz : str, optional
        IANA time zone of the calendar.  Default: the log's.
    week_start : str or int, optional
        First day of a week (``"sunday"`` for US-style weeks).  Default: the log's.
    as_of : str, datetime or Timestamp, optional
        The "now" (the one as_of policy of the conventions page): events after it are
        ignored, and no period that starts at or after a given ``as_of`` is shown.  Default:
        the log's ``as_of`` (its last event unless given; that event's period is shown).

    Returns
    -------
    pandas.Series
        ``active_users`` (int64), indexed by ``period_start``: the local start of each period,
        or of each day where a rolling window ends.

    Raises
    ------
    InvalidParameterError
        For an unsupported ``window`` or ``every``, ``end`` before ``start``, an unknown time
        zone or event name.

    Warns
    -----
    InsufficientDataWarning
        When no qualifying event falls in the range (the counts are all zero, or the Series is
        empty when the range cannot be formed at all).

    See Also
    --------
    stickiness_ratio : DAU divided by MAU.

    Notes
    -----
    Rolling windows follow PostHog's ``weekly_active`` / ``monthly_active`` math (7 and 30
    days): the value for day ``D`` covers ``D-6 .. D`` and looks back before the range start.
    ``every="week"`` matches PostHog's WAU at a weekly interval: the point labelled with a week's
    first day counts the 7 days ending on that day.  PostHog's "cumulative" display is the
    running sum ``active_users(...).cumsum()``, not a count of unique users.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({
    ...     "user_id": ["a", "b", "a", "c"],
    ...     "event": ["open"] * 4,
    ...     "timestamp": pd.to_datetime(["2024-01-01 09:00", "2024-01-01 10:00",
    ...                                  "2024-01-03 08:00", "2024-01-04 12:00"], utc=True),
    ... })
    >>> active_users(df).tolist()
    [2, 0, 1, 1]
    >>> active_users(df, window="3D").tolist()
    [2, 2, 2, 2]
    >>> active_users(df, window="week")
    period_start
    2024-01-01 00:00:00+00:00    3
    Name: active_users, dtype: int64
    """
    from useropslib.metrics._lazycal import engine_active_users, engine_ready

    if engine_ready(events, activity_events):  # a lazy log's engine returns the answer
        kind, arg = _parse_activity_window(window)
        ev = _calendar_every(window, every, arg) if kind == "calendar" else _parse_every(every)
        return engine_active_users(
            events, kind=kind, arg=arg, every=ev, start=start, end=end, tz=tz,
            activity_events=activity_events, week_start=week_start, as_of=as_of,
        )  # fmt: skip
    cal = _prepare(events, activity_events, tz, week_start, grain=grain_of(window), as_of=as_of)
    kind, arg = _parse_activity_window(window)
    if kind == "calendar":
        period: Period = _calendar_every(window, every, arg)
        rng = _period_range(cal, period, start, end, by_index=has_user_index(cal.log))
        if rng is None:
            _warn_empty("active_users")
            return pd.Series([], index=_empty_index(cal.tz), dtype=np.int64, name="active_users")
        counts, any_data = _calendar_counts(cal, period, *rng)
        index = cal.starts(np.arange(rng[0], rng[1] + 1), period)
    else:
        ev = _parse_every(every)
        pts = _points(cal, ev, start, end)
        if pts is None:
            _warn_empty("active_users")
            return pd.Series([], index=_empty_index(cal.tz), dtype=np.int64, name="active_users")
        days, codes = pts
        counts, any_data = _rolling_counts(cal, int(arg), days)
        index = cal.starts(codes, ev)
    if not any_data:
        _warn_empty("active_users")
    series: pd.Series = pd.Series(counts, index=index, name="active_users")
    return series


def _ratio_windows(numerator: Any, denominator: Any) -> tuple[int, str, Any]:
    """Check stickiness_ratio's windows: (numerator days, denominator kind, its argument)."""
    n_kind, n_arg = _parse_activity_window(numerator)
    d_kind, d_arg = _parse_activity_window(denominator)
    if n_kind == "calendar" and n_arg != "day":
        raise InvalidParameterError(
            f"Unsupported numerator={numerator!r}. Expected 'day' or a rolling window such as "
            "'7D'. Hint: stickiness is usually DAU/MAU: numerator='day'."
        )
    n_days = 1 if n_kind == "calendar" else int(n_arg)
    if d_kind == "calendar":
        if d_arg not in ("week", "month") or n_days != 1:
            raise InvalidParameterError(
                f"Unsupported pair numerator={numerator!r}, denominator={denominator!r}. A "
                "calendar denominator must be 'week' or 'month' with numerator='day'. Hint: "
                "denominator='month', or a rolling window such as '30D'."
            )
    elif int(d_arg) <= n_days:
        raise InvalidParameterError(
            f"denominator={denominator!r} must be a longer window than "
            f"numerator={numerator!r}. Hint: numerator='day', denominator='30D'."
        )
    return n_days, d_kind, d_arg


def stickiness_ratio(
    events: EventsLike,
    *,
    numerator: str | dt.timedelta = "day",
    denominator: str | dt.timedelta = "30D",
    start: DateLike | None = None,
    end: DateLike | None = None,
    activity_events: EventSpec = None,
    tz: str | None = None,
    week_start: WeekStart | int | None = None,
    as_of: DateLike | None = None,
) -> pd.Series:
    """Return the DAU/MAU ratio (粘性): the share of the month's users who are active on a day.

    Parameters
    ----------
    events : EventLog, LazyEventLog or DataFrame
        The events.
    numerator : str or timedelta, default "day"
        ``"day"`` (DAU) or a rolling window shorter than the denominator (``"7D"`` for WAU/MAU).
    denominator : str or timedelta, default "30D"
        A rolling window (``"30D"``, ``"28D"``, ``"7D"``): one ratio per day.  Or ``"week"`` /
        ``"month"`` with ``numerator="day"``: one ratio per calendar period, the mean DAU over
        the period's days divided by the period's distinct active users.
    start, end, activity_events, tz, week_start
        As in :func:`active_users`.
    as_of : str, datetime or Timestamp, optional
        The "now" (the one as_of policy of the conventions page): events after it are
        ignored, and no period that starts at or after a given ``as_of`` is shown.  Default:
        the log's ``as_of`` (its last event unless given; that event's period is shown).

    Returns
    -------
    pandas.Series
        ``stickiness_ratio`` (float in [0, 1], NaN when the denominator is 0), indexed by
        ``period_start`` (days, or calendar periods).

    Raises
    ------
    InvalidParameterError
        For windows that cannot be combined, and every error of :func:`active_users`.

    Warns
    -----
    InsufficientDataWarning
        When the range holds no qualifying event.

    See Also
    --------
    active_users, stickiness

    Notes
    -----
    The default is the common DAU / rolling-30-day MAU (PostHog's ``monthly_active`` window);
    ``denominator="month"`` gives the average-DAU-over-calendar-MAU form of Mixpanel and
    Amplitude dashboards.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({
    ...     "user_id": ["a", "b", "a"], "event": ["open"] * 3,
    ...     "timestamp": pd.to_datetime(["2024-01-01", "2024-01-02", "2024-01-03"], utc=True),
    ... })
    >>> stickiness_ratio(df).round(3).tolist()
    [1.0, 0.5, 0.5]
    >>> stickiness_ratio(df, denominator="month").round(3).tolist()  # 3 user-days / 31 / 2
    [0.048]
    """
    from useropslib.metrics._lazycal import engine_ready
    from useropslib.metrics._lazymoney import engine_stickiness_ratio

    if engine_ready(events, activity_events):  # a lazy log's engine returns the answer
        return engine_stickiness_ratio(
            events, windows=lambda: _ratio_windows(numerator, denominator), start=start,
            end=end, activity_events=activity_events, tz=tz, week_start=week_start, as_of=as_of,
        )  # fmt: skip
    cal = _prepare(
        events, activity_events=activity_events, tz=tz, week_start=week_start, as_of=as_of
    )
    n_days, d_kind, d_arg = _ratio_windows(numerator, denominator)
    if d_kind == "calendar":
        period: Period = d_arg
        rng = _period_range(cal, period, start, end)
        if rng is None:
            _warn_empty("stickiness_ratio")
            return pd.Series(
                [], index=_empty_index(cal.tz), dtype=np.float64, name="stickiness_ratio"
            )
        lo, hi = rng
        mau, any_data = _calendar_counts(cal, period, lo, hi)
        d_lo = int(_first_day(np.array([lo]), period, cal.week_start)[0])
        d_hi = int(_first_day(np.array([hi + 1]), period, cal.week_start)[0]) - 1
        dau, _ = _calendar_counts(cal, "day", d_lo, d_hi)
        of = _day_to(np.arange(d_lo, d_hi + 1, dtype=np.int64), period, cal.week_start) - lo
        mean_dau = np.bincount(of, weights=dau, minlength=hi - lo + 1) / np.bincount(
            of, minlength=hi - lo + 1
        )
        index = cal.starts(np.arange(lo, hi + 1), period)
        num, den = mean_dau, mau.astype(np.float64)
    else:
        pts = _points(cal, "day", start, end)
        if pts is None:
            _warn_empty("stickiness_ratio")
            return pd.Series(
                [], index=_empty_index(cal.tz), dtype=np.float64, name="stickiness_ratio"
            )
        days, codes = pts
        num_i, any_data = _rolling_counts(cal, n_days, days)
        den_i, _ = _rolling_counts(cal, int(d_arg), days)
        num, den = num_i.astype(np.float64), den_i.astype(np.float64)
        index = cal.starts(codes, "day")
    if not any_data:
        _warn_empty("stickiness_ratio")
    return pd.Series(_ratio(num, den), index=index, name="stickiness_ratio")


# ============================================================================ stickiness
@dataclasses.dataclass(frozen=True, repr=False)
class StickinessResult(MetricResult):
    """How many intervals each user was active in: PostHog's and Amplitude's stickiness.

    Attributes
    ----------
    counts : pandas.Series
        Indexed by the number of active intervals ``1 .. n``: users (``within="range"``) or
        user-weeks / user-months active in exactly that many intervals, or in at least that many
        when ``cumulative=True``.
    rates : pandas.Series
        ``counts`` divided by ``total``.
    total : int
        Users (or user-weeks / user-months) with at least one active interval: PostHog's
        ``count``.
    table : pandas.DataFrame or None
        For ``within="week"``/``"month"``: one row per week or month of the range (its local
        start), one column per number of active intervals (Amplitude's breakdown).  None for
        ``within="range"``.
    """

    counts: pd.Series
    rates: pd.Series
    total: int
    table: pd.DataFrame | None
    _per_user: pd.DataFrame
    _fetch: Callable[[], pd.DataFrame] | None = None  # a lazy log's per-user rows, on demand

    def per_user(self) -> pd.DataFrame:
        """Return each active user's number of active intervals (the people behind each bar).

        On a lazy log the engine returned only the counts; the per-user rows are computed on
        the first call (reading the users then).

        Returns
        -------
        pandas.DataFrame
            Columns ``user_id``, ``window_start`` (for ``within="week"``/``"month"``) and
            ``intervals`` (exact counts, never cumulative).
        """
        rows = self._per_user if self._fetch is None else self._fetch()
        out: pd.DataFrame = rows.copy()
        return out

    def to_frame(self) -> pd.DataFrame:
        """Return a tidy frame: ``intervals``, ``count``, ``rate``.

        Returns
        -------
        pandas.DataFrame
        """
        out: pd.DataFrame = pd.DataFrame(
            {
                "intervals": self.counts.index.to_numpy(),
                "count": self.counts.to_numpy(),
                "rate": self.rates.to_numpy(),
            }
        )
        return out

    def plot(self, ax: Any = None) -> Any:
        """Draw the distribution as bars.

        Parameters
        ----------
        ax : matplotlib.axes.Axes, optional
            Where to draw; a new figure when omitted.

        Returns
        -------
        matplotlib.axes.Axes
        """
        return plotting.bars(
            self.counts.index,
            self.counts,
            ax=ax,
            xlabel=f"active {self.counts.index.name}",
            ylabel=str(self.counts.name),
            title="stickiness" + (" (cumulative)" if self.params.get("cumulative") else ""),
        )


def _check_within(within: Any, period: Period) -> Within:
    options = ("range", "week", "month")
    if not isinstance(within, str) or within not in options:
        close = did_you_mean(str(within), options)
        hint = f"did you mean {close[0]!r}?" if close else "within='range' (PostHog)"
        raise InvalidParameterError(
            f"Invalid within={within!r}. Expected 'range' (active intervals per user over the "
            "whole range, PostHog) or 'week' / 'month' (active days per user-week or "
            f"user-month, Amplitude). Hint: {hint}"
        )
    if within != "range" and period not in ("hour", "day"):
        raise InvalidParameterError(
            f"within={within!r} counts hours or days inside each {within}; period={period!r} "
            "does not nest in it. Expected period='day' (Amplitude) or 'hour'."
        )
    return within  # type: ignore[return-value]


def _stickiness_options(
    period: Any,
    within: Any,
    interval_count: Any,
    cumulative: Any,
    min_events: Any,
    max_events: Any,
    activity_events: Any,
) -> dict[str, Any]:
    """Check :func:`stickiness`'s options; return its ``params`` (without the calendar)."""
    p = parse_period(period)
    w = _check_within(within, p)
    k = check_int(
        interval_count, "interval_count", minimum=1, hint="interval_count=2 groups two periods"
    )
    if w != "range" and k != 1:
        raise InvalidParameterError(
            f"interval_count={interval_count!r} applies to within='range' only. Hint: drop "
            "interval_count or use within='range'."
        )
    lo_ev = check_int(
        min_events, "min_events", minimum=1, hint="min_events=3 keeps intervals with 3+ events"
    )
    hi_ev = None
    if max_events is not None:
        hi_ev = check_int(
            max_events, "max_events", minimum=1, hint="max_events=2 keeps 1 or 2 events"
        )
        if hi_ev < lo_ev:
            raise InvalidParameterError(
                f"max_events={max_events!r} is below min_events={min_events!r}. Expected "
                "min_events <= max_events. Hint: for exactly N events pass both as N."
            )
    if not isinstance(cumulative, bool | np.bool_):
        raise InvalidParameterError(f"Invalid cumulative={cumulative!r}. Expected True or False.")
    return {
        "period": p,
        "within": w,
        "interval_count": k,
        "cumulative": bool(cumulative),
        "min_events": lo_ev,
        "max_events": hi_ev,
        "activity_events": activity_events,
    }


def stickiness(
    events: EventsLike,
    *,
    period: Period = "day",
    within: Within = "range",
    interval_count: int = 1,
    cumulative: bool = False,
    min_events: int = 1,
    max_events: int | None = None,
    start: DateLike | None = None,
    end: DateLike | None = None,
    activity_events: EventSpec = None,
    tz: str | None = None,
    week_start: WeekStart | int | None = None,
    as_of: DateLike | None = None,
) -> StickinessResult:
    """Distribution of users by the number of intervals they were active in (粘性分布).

    Parameters
    ----------
    events : EventLog, LazyEventLog or DataFrame
        The events.
    period : {"hour", "day", "week", "month"}, default "day"
        The interval that is counted.
    within : {"range", "week", "month"}, default "range"
        ``"range"``: distinct active intervals per user over the whole range (PostHog).
        ``"week"`` / ``"month"``: active days (or hours) per user-week or user-month, every
        active user-week counted once (Amplitude); the breakdown per week is in ``table``.
    interval_count : int, default 1
        Group this many consecutive periods into one interval (PostHog's ``intervalCount``),
        counted back from the end of the range; ``within="range"`` only.
    cumulative : bool, default False
        Count users active in at least ``n`` intervals instead of exactly ``n``.
    min_events, max_events : int, optional
        An interval counts only if the user had between ``min_events`` and ``max_events`` (both
        inclusive) qualifying events in it: PostHog's criteria ``>= N`` (``min_events=N``),
        ``<= N`` (``max_events=N``) and ``= N`` (both ``N``).
    start, end : str, datetime or Timestamp, optional
        The range; the whole period (or week/month for ``within``) containing each bound is
        included.  Default: from the first qualifying event to the log's ``as_of``.
    activity_events : str or list of str, optional
        Only these events count.  Default: every event ("All events").
    tz, week_start : optional
        Calendar settings; default the log's.
    as_of : str, datetime or Timestamp, optional
        The "now" (the one as_of policy of the conventions page): events after it are
        ignored, and no period that starts at or after a given ``as_of`` is shown.  Default:
        the log's ``as_of`` (its last event unless given; that event's period is shown).

    Returns
    -------
    StickinessResult

    Raises
    ------
    InvalidParameterError
        For an unsupported period or ``within``, a bad ``interval_count`` or criteria, ``end``
        before ``start``, an unknown time zone or event name.

    Warns
    -----
    InsufficientDataWarning
        When the range holds no qualifying event.

    See Also
    --------
    active_users, stickiness_ratio

    Notes
    -----
    ``within="range"`` matches PostHog's stickiness insight: the x axis has one bucket per
    interval of the range (``ceil(periods / interval_count)``), users with no active interval
    are left out, and ``interval_count`` groups are anchored at the end of the range as in
    PostHog's query.  ``within="week"`` matches Amplitude's weekly stickiness, where one user can
    appear in several buckets (once per active week); weeks start on ``week_start``.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({
    ...     "user_id": ["a", "a", "a", "b"], "event": ["open"] * 4,
    ...     "timestamp": pd.to_datetime(["2024-01-01", "2024-01-02", "2024-01-04",
    ...                                  "2024-01-02"], utc=True),
    ... })
    >>> r = stickiness(df, start="2024-01-01", end="2024-01-04")
    >>> r.counts.tolist(), r.total
    ([1, 0, 1, 0], 2)
    >>> stickiness(df, start="2024-01-01", end="2024-01-04", cumulative=True).counts.tolist()
    [2, 1, 1, 0]
    """
    from useropslib.metrics._lazycal import engine_ready, engine_stickiness

    if engine_ready(events, activity_events):  # a lazy log's engine returns the answer
        opts = _stickiness_options(
            period, within, interval_count, cumulative, min_events, max_events, activity_events
        )
        return engine_stickiness(
            events, opts, start=start, end=end, activity_events=activity_events, tz=tz,
            week_start=week_start, as_of=as_of, empty=_empty_stickiness,
        )  # fmt: skip
    # counting events per interval needs every event row; presence needs only the roll-up
    counts_events = not (isinstance(min_events, int) and min_events == 1) or max_events is not None
    grain = None if counts_events else grain_of(period)
    cal = _prepare(events, activity_events, tz, week_start, grain=grain, as_of=as_of)
    params: dict[str, Any] = _stickiness_options(
        period, within, interval_count, cumulative, min_events, max_events, activity_events
    )
    params.update(tz=cal.tz, week_start=cal.week_start)
    p, w, k = params["period"], params["within"], params["interval_count"]
    lo_ev, hi_ev = params["min_events"], params["max_events"]
    criteria = lo_ev > 1 or hi_ev is not None
    unit = "intervals" if k > 1 else f"{p}s"

    def qualifying(users: Any, codes: I64, lo: int, hi: int) -> tuple[I64, I64]:
        if not criteria:
            return _distinct_pairs(users, codes, lo, hi, cal.n_users)
        u, c, n = _pair_counts(users, codes, lo, hi, cal.n_users)
        ok = n >= lo_ev
        if hi_ev is not None:
            ok &= n <= hi_ev
        return u[ok], c[ok]

    if w == "range":
        rng = _period_range(cal, p, start, end)
        if rng is None:
            return _empty_stickiness(cal, params, unit, "users", w)
        lo, hi = rng
        n_buckets = -(-(hi - lo + 1) // k)
        users, codes = cal.select(p, lo, hi)
        groups = (hi - codes) // k if k > 1 else hi - codes
        u, _ = qualifying(users, groups, 0, n_buckets - 1)
        per_user = np.bincount(u, minlength=cal.n_users)
        who = np.flatnonzero(per_user)
        n_int = per_user[who]
        exact = np.bincount(n_int, minlength=n_buckets + 1)[1:]
        frame = pd.DataFrame(
            {"user_id": cal.log.users.take(who), "intervals": n_int.astype(np.int64)}
        )
        table = None
        params.update(start=cal.starts([lo], p)[0], end=cal.starts([hi], p)[0])
        value_name = "users"
    else:
        wrng = _period_range(cal, w, start, end)
        value_name = f"user_{w}s"
        if wrng is None:
            return _empty_stickiness(cal, params, unit, value_name, w)
        wlo, whi = wrng
        first = _first_day(np.array([wlo, whi + 1]), w, cal.week_start)
        per_day = 24 if p == "hour" else 1
        plo, phi = int(first[0]) * per_day, int(first[1]) * per_day - 1
        span_days = np.arange(first[0], first[1], dtype=np.int64)
        win_of = np.repeat(_day_to(span_days, w, cal.week_start) - wlo, per_day)
        n_win = whi - wlo + 1
        n_buckets = int(np.bincount(win_of, minlength=n_win).max())
        users, codes = cal.select(p, plo, phi)
        u, c = qualifying(users, codes, plo, phi)
        win = win_of[c - plo]
        # pairs are sorted by user then period, so each (user, window) is one contiguous run
        key = u * n_win + win
        if key.size:
            starts_at = np.flatnonzero(np.r_[True, key[1:] != key[:-1]])
            n_int = np.diff(np.r_[starts_at, key.size]).astype(np.int64)
            run_u, run_w = u[starts_at], win[starts_at]
        else:
            n_int = run_u = run_w = np.empty(0, dtype=np.int64)
        exact = np.bincount(n_int, minlength=n_buckets + 1)[1:]
        grid = np.bincount(run_w * (n_buckets + 1) + n_int, minlength=n_win * (n_buckets + 1))
        win_index = cal.starts(np.arange(wlo, whi + 1), w).rename(f"{w}_start")
        table = pd.DataFrame(
            grid.reshape(n_win, n_buckets + 1)[:, 1:],
            index=win_index,
            columns=pd.RangeIndex(1, n_buckets + 1, name=unit),
        )
        frame = pd.DataFrame(
            {
                "user_id": cal.log.users.take(run_u),
                "window_start": win_index.take(run_w),
                "intervals": n_int,
            }
        )
        params.update(start=win_index[0], end=win_index[-1])
    total = int(exact.sum())
    if total == 0:
        _warn_empty("stickiness")
    shown = np.cumsum(exact[::-1])[::-1] if cumulative else exact
    index = pd.RangeIndex(1, n_buckets + 1, name=unit)
    counts = pd.Series(shown.astype(np.int64), index=index, name=value_name)
    rates = (counts / total if total else counts * np.nan).rename("rate")
    return StickinessResult(
        params=params,
        as_of=cal.log.as_of,
        counts=counts,
        rates=rates,
        total=total,
        table=table,
        _per_user=frame,
    )


def _empty_stickiness(
    cal: _Calendar, params: dict[str, Any], unit: str, value_name: str, within: str
) -> StickinessResult:
    _warn_empty("stickiness", stacklevel=4)
    index = pd.RangeIndex(1, 1, name=unit)
    counts = pd.Series([], index=index, dtype=np.int64, name=value_name)
    cols = (
        ["user_id", "intervals"] if within == "range" else ["user_id", "window_start", "intervals"]
    )
    return StickinessResult(
        params=params,
        as_of=cal.log.as_of,
        counts=counts,
        rates=pd.Series([], index=index, dtype=np.float64, name="rate"),
        total=0,
        table=None
        if within == "range"
        else pd.DataFrame(index=_empty_index(cal.tz).rename(f"{within}_start")),
        _per_user=pd.DataFrame(columns=cols),
    )
