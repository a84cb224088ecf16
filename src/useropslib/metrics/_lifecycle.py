"""Lifecycle (用户生命周期): new, returning, resurrecting and dormant users per period."""

from __future__ import annotations

import dataclasses
import warnings
from collections.abc import Mapping
from typing import Any, Literal

import numpy as np
import pandas as pd

from useropslib import plotting
from useropslib._results import MetricResult
from useropslib.events import EventsLike, last_seen_ns, period_codes
from useropslib.events._query import has_user_index, index_period_codes, user_index
from useropslib.events._timeparse import parse_timestamps
from useropslib.events._validate import Problems
from useropslib.exceptions import InvalidParameterError, UseropsWarning, did_you_mean
from useropslib.metrics._query import (
    I64,
    EventSpec,
    _active_before,
    _Calendar,
    _empty_index,
    _flow,
    _pairs_with_lookback,
    _period_range,
    _prepare,
    _warn_empty,
    grain_of,
)
from useropslib.models import DateLike, Period, WeekStart, parse_period

__all__ = ["LifecycleResult", "lifecycle"]

DormantSign = Literal["negative", "positive"]
CreatedAt = Mapping[Any, Any] | pd.Series | pd.DataFrame | str
STATUSES: tuple[str, ...] = ("new", "returning", "resurrecting", "dormant")
_NS_MAX = np.iinfo(np.int64).max


# ============================================================================ kernel
def _first_any_period(cal: _Calendar, period: Period) -> I64:
    """Each user's first period with any event (all history); int64 max for users without.

    The minimum over each user's run of the per-user index when the log holds one (no scatter
    over the events).
    """
    out = np.full(cal.n_users, _NS_MAX, dtype=np.int64)
    if not has_user_index(cal.log):
        np.minimum.at(out, cal.log.user_codes, cal.codes(period))
    elif cal.log.n_events:
        idx = user_index(cal.log)
        codes = index_period_codes(cal.log, period, tz=cal.tz, week_start=cal.week_start)
        has = idx.counts > 0
        out[has] = np.minimum.reduceat(codes, idx.offsets[:-1][has])
    return out


# ============================================================================ created_at
def _created_ns(cal: _Calendar, created_at: CreatedAt) -> I64:
    """Per user code: created_at as UTC ns, int64 max where unknown."""
    log = cal.log
    out = np.full(cal.n_users, _NS_MAX, dtype=np.int64)
    if isinstance(created_at, str):
        props = log.properties
        if created_at not in props.columns:
            close = did_you_mean(created_at, props.columns)
            hint = f"did you mean {close[0]!r}?" if close else "pass a mapping user -> created_at"
            raise InvalidParameterError(
                f"created_at={created_at!r} is not a property column of the log. Expected one of "
                f"{[str(c) for c in props.columns]}, or a mapping / Series from user id to time. "
                f"Hint: {hint}"
            )
        ns = _parse_times(props[created_at], cal, f"created_at column {created_at!r}")
        ok = ns != _NS_MAX
        np.minimum.at(out, log.user_codes[ok], ns[ok])
        return out
    if isinstance(created_at, pd.DataFrame):
        missing = [c for c in ("user_id", "created_at") if c not in created_at.columns]
        if missing:
            raise InvalidParameterError(
                f"The created_at frame lacks column(s) {missing}. Expected columns 'user_id' and "
                f"'created_at'; got {[str(c) for c in created_at.columns]}. Hint: "
                "df.rename(columns={...}) or pass a Series indexed by user id."
            )
        series = pd.Series(created_at["created_at"].to_numpy(), index=created_at["user_id"])
    elif isinstance(created_at, pd.Series):
        series = created_at
    elif isinstance(created_at, Mapping):
        series = pd.Series(list(created_at.values()), index=list(created_at.keys()), dtype=object)
    else:
        raise InvalidParameterError(
            f"Invalid created_at of type {type(created_at).__name__}. Expected a mapping or Series "
            "from user id to creation time, a frame with 'user_id' and 'created_at' columns, or "
            "the name of a property column."
        )
    codes = log.users.get_indexer(pd.Index(series.index))
    known = codes >= 0
    ns = _parse_times(series.reset_index(drop=True), cal, "created_at")
    ok = known & (ns != _NS_MAX)
    np.minimum.at(out, codes[ok], ns[ok])
    return out


def _warn_created_after_events(cal: _Calendar, created_ns: I64) -> None:
    """Warn when users were 'created' after their last event: their events predate them."""
    last = last_seen_ns(cal.log)
    late = (created_ns != _NS_MAX) & (last != np.iinfo(np.int64).min) & (created_ns > last)
    if late.any():
        ids = [str(x) for x in cal.log.users[np.flatnonzero(late)[:5]]]
        warnings.warn(
            f"created_at is after every event of {int(late.sum())} user(s) (first: {ids}), so "
            "their events come before they were created; they are counted new in their "
            "creation period, after their activity. Hint: check the created_at zone and unit, "
            "or that it is a creation time and not a last-update time",
            UseropsWarning,
            stacklevel=3,
        )


def _parse_times(values: pd.Series, cal: _Calendar, what: str) -> I64:
    s = values.reset_index(drop=True)
    null = s.isna().to_numpy()
    out = np.full(len(s), _NS_MAX, dtype=np.int64)
    if null.all():
        return out
    sub = s[~null].reset_index(drop=True)
    problems = Problems(pd.RangeIndex(len(sub)))
    ns, _ = parse_timestamps(sub, tz=cal.tz, time_unit=None, column=what, problems=problems)
    problems.raise_if_any(what=what)
    out[~null] = ns
    return out


# ============================================================================ result
@dataclasses.dataclass(frozen=True, repr=False)
class LifecycleResult(MetricResult):
    """New, returning, resurrecting and dormant users per period.

    Attributes
    ----------
    counts : pandas.DataFrame
        Indexed by ``period_start``; columns ``new``, ``returning``, ``resurrecting`` and
        ``dormant`` (negative when ``dormant_sign="negative"``).  Active users of a period are
        ``new + returning + resurrecting``.
    """

    counts: pd.DataFrame

    @property
    def active(self) -> pd.Series:
        """Active users per period (``new + returning + resurrecting``)."""
        out: pd.Series = (
            self.counts[["new", "returning", "resurrecting"]].sum(axis=1).rename("active")
        )
        return out

    def to_frame(self) -> pd.DataFrame:
        """Return a tidy frame: ``period_start``, ``status``, ``users``.

        Returns
        -------
        pandas.DataFrame
        """
        long = self.counts.reset_index().melt(
            id_vars="period_start", var_name="status", value_name="users"
        )
        out: pd.DataFrame = long
        return out

    def plot(self, ax: Any = None) -> Any:
        """Draw PostHog's lifecycle chart: stacked bars, dormant below zero.

        Parameters
        ----------
        ax : matplotlib.axes.Axes, optional
            Where to draw; a new figure when omitted.

        Returns
        -------
        matplotlib.axes.Axes
        """
        return plotting.lifecycle_bars(self.counts, ax=ax, period=self.params.get("period"))


# ============================================================================ lifecycle
def lifecycle(
    events: EventsLike,
    *,
    period: Period = "week",
    start: DateLike | None = None,
    end: DateLike | None = None,
    created_at: CreatedAt | None = None,
    dormant_sign: DormantSign = "negative",
    activity_events: EventSpec = None,
    tz: str | None = None,
    week_start: WeekStart | int | None = None,
    as_of: DateLike | None = None,
) -> LifecycleResult:
    """Split each period's users into new, returning, resurrecting and dormant (PostHog lifecycle).

    With "active" meaning at least one qualifying event in the period:

    - **new** (新增): active, and created in this period;
    - **returning** (留存): active in this and the previous period, not new;
    - **resurrecting** (回流): active, not active in the previous period, not new -- including
      users whose earlier activity lies before the range;
    - **dormant** (沉默): active in the previous period but not in this one.

    Parameters
    ----------
    events : EventLog, LazyEventLog or DataFrame
        The events.
    period : {"hour", "day", "week", "month"}, default "week"
        The calendar period.
    start, end : str, datetime or Timestamp, optional
        The range; the whole period containing each bound is included.  The period before the
        first one is looked at to classify it.  Default: from the first qualifying event to the
        log's ``as_of``.
    created_at : mapping, Series, DataFrame or str, optional
        When each user was created: a mapping or Series from user id to time, a frame with
        ``user_id`` and ``created_at`` columns, or the name of a property column (the earliest
        value per user).  Naive times are read in ``tz``.  Default, and for users it does not
        cover: the user's first event of any kind in the whole log.
    dormant_sign : {"negative", "positive"}, default "negative"
        Report dormant users as negative counts (PostHog's chart) or as positive counts.
    activity_events : str or list of str, optional
        Only these events make a user active.  Default: every event.
    tz, week_start : optional
        Calendar settings; default the log's.
    as_of : str, datetime or Timestamp, optional
        The "now" (the one as_of policy of the conventions page): events after it are
        ignored, and no period that starts at or after a given ``as_of`` is shown.  Default:
        the log's ``as_of`` (its last event unless given; that event's period is shown).

    Returns
    -------
    LifecycleResult

    Raises
    ------
    InvalidParameterError
        For an unsupported period or ``dormant_sign``, ``end`` before ``start``, an unknown
        time zone, event name or ``created_at`` column, or a ``created_at`` of the wrong type.
    EventSchemaError
        When ``created_at`` holds values that are not times.

    Warns
    -----
    InsufficientDataWarning
        When neither the range nor the period before it holds a qualifying event.

    See Also
    --------
    growth_accounting : The same pool with new users defined by first activity, plus churn and
        the quick ratio.
    growth_states : Duolingo's daily states.

    Notes
    -----
    This is PostHog's lifecycle insight: the previous period may lie before ``start`` (activity
    there is looked up), the period containing ``end`` counts whole, each user has at most one
    status per period, and dormant is negative.  PostHog decides "new" by the person's
    ``created_at``; without a person table the first-seen time is used, as PostHog recommends
    (never the first event inside the analysed window).  Identities: ``active(t) = new +
    returning + resurrecting`` and ``|dormant(t)| = active(t-1) - returning(t)``.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({
    ...     "user_id": ["a", "a", "b", "a", "b"], "event": ["open"] * 5,
    ...     "timestamp": pd.to_datetime(["2024-01-01", "2024-01-02", "2024-01-02",
    ...                                  "2024-01-04", "2024-01-04"], utc=True),
    ... })
    >>> lifecycle(df, period="day").counts
                               new  returning  resurrecting  dormant
    period_start
    2024-01-01 00:00:00+00:00    1          0             0        0
    2024-01-02 00:00:00+00:00    1          1             0        0
    2024-01-03 00:00:00+00:00    0          0             0       -2
    2024-01-04 00:00:00+00:00    0          0             2        0
    """
    from useropslib.metrics._lazycal import engine_ready
    from useropslib.metrics._lazystate import engine_lifecycle

    if created_at is None and engine_ready(events, activity_events):  # the engine counts
        return engine_lifecycle(
            events, period=period, start=start, end=end, dormant_sign=dormant_sign, tz=tz,
            activity_events=activity_events, week_start=week_start, as_of=as_of,
            check_sign=_check_dormant_sign,
        )  # fmt: skip
    # a created_at property column is read from the event rows, so it needs them collected
    grain = None if isinstance(created_at, str) else grain_of(period)
    cal = _prepare(events, activity_events, tz, week_start, grain=grain, subset=False, as_of=as_of)
    p = parse_period(period)
    _check_dormant_sign(dormant_sign)
    created_ns = None if created_at is None else _created_ns(cal, created_at)
    if created_ns is not None:
        _warn_created_after_events(cal, created_ns)
    params: dict[str, Any] = {
        "period": p,
        "created_at": "first event" if created_at is None else "given",
        "dormant_sign": dormant_sign,
        "activity_events": activity_events,
        "tz": cal.tz,
        "week_start": cal.week_start,
    }
    by_index = has_user_index(cal.log)  # read users' rows in order when the index is there
    rng = _period_range(cal, p, start, end, by_index=by_index)
    if rng is None:
        _warn_empty("lifecycle")
        empty = pd.DataFrame(
            {s: pd.Series([], dtype=np.int64) for s in STATUSES}, index=_empty_index(cal.tz)
        )
        return LifecycleResult(params=params, as_of=cal.log.as_of, counts=empty)
    lo, hi = rng
    u, pc = _pairs_with_lookback(cal, p, lo, hi, by_index=by_index)
    if created_ns is None:
        if cal.mask is None:
            # every event qualifies: a user is new at their first pair unless seen before it
            first = np.ones(u.size, dtype=bool)
            first[1:] = u[1:] != u[:-1]
            before = _active_before(cal, p, lo - 1, qualifying=False, by_index=by_index)
            is_new = first if before is None else first & ~before[u]
        else:
            is_new = _first_any_period(cal, p)[u] == pc
    else:
        is_new = _created_periods(cal, p, created_ns)[u] == pc
    flow = _flow(u, pc, lo, hi, is_new)
    if not flow.any_data:
        _warn_empty("lifecycle")
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
    return LifecycleResult(params=params, as_of=cal.log.as_of, counts=counts)


def _check_dormant_sign(dormant_sign: Any) -> None:
    if not isinstance(dormant_sign, str) or dormant_sign not in ("negative", "positive"):
        close = did_you_mean(str(dormant_sign), ("negative", "positive"))
        hint = f"did you mean {close[0]!r}?" if close else "dormant_sign='negative' (PostHog)"
        raise InvalidParameterError(
            f"Invalid dormant_sign={dormant_sign!r}. Expected 'negative' (PostHog's chart) or "
            f"'positive'. Hint: {hint}"
        )


def _created_periods(cal: _Calendar, period: Period, created_ns: I64) -> I64:
    """Per user: the period of created_at, falling back to the first event's period."""
    out = np.full(cal.n_users, _NS_MAX, dtype=np.int64)
    known = created_ns != _NS_MAX
    if known.any():
        out[known] = period_codes(created_ns[known], period, tz=cal.tz, week_start=cal.week_start)
    if not known.all():
        fallback = _first_any_period(cal, period)
        out[~known] = fallback[~known]
    return out
