"""Growth accounting (the pool that fills and drains) and Duolingo's daily growth-model states."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from useropslib import plotting
from useropslib._checks import check_int
from useropslib._results import MetricResult
from useropslib.events import EventsLike
from useropslib.exceptions import InvalidParameterError
from useropslib.metrics._query import (
    I64,
    EventSpec,
    _accounting_frames,
    _active_before,
    _distinct_pairs,
    _empty_index,
    _flow,
    _next_same_user,
    _pairs_with_lookback,
    _period_range,
    _prepare,
    _ratio,
    _warn_empty,
    grain_of,
)
from useropslib.models import DateLike, Period, WeekStart, parse_period

__all__ = [
    "GROWTH_STATES",
    "GrowthAccountingResult",
    "GrowthStatesResult",
    "growth_accounting",
    "growth_states",
]

_COUNT_COLUMNS: tuple[str, ...] = (
    "active",
    "new",
    "retained",
    "resurrected",
    "churned",
    "net_change",
    "ever_active",
    "lapsed",
)
_RATE_COLUMNS: tuple[str, ...] = ("quick_ratio", "retention_rate", "churn_rate", "growth_rate")


# ============================================================================ growth accounting
@dataclasses.dataclass(frozen=True, repr=False)
class GrowthAccountingResult(MetricResult):
    """Growth accounting per period: where this period's active users came from and went.

    Attributes
    ----------
    counts : pandas.DataFrame
        Indexed by ``period_start``:

        - ``active``: users active in the period (``new + retained + resurrected``);
        - ``new`` (新增): first-ever qualifying activity in this period;
        - ``retained`` (留存): active in this and the previous period;
        - ``resurrected`` (回流): active, not in the previous period, active at some earlier time;
        - ``churned`` (流失): active in the previous period, not in this one (a positive count);
        - ``net_change``: ``active - previous active = new + resurrected - churned``;
        - ``ever_active``: users with qualifying activity up to the end of the period (the pool);
        - ``lapsed``: ``ever_active - active``, the part of the pool not active now.
    rates : pandas.DataFrame
        ``quick_ratio`` = (new + resurrected) / churned, and ``retention_rate``,
        ``churn_rate`` and ``growth_rate`` = retained, churned and net change over the previous
        period's active users.  NaN where the divisor is 0.
    """

    counts: pd.DataFrame
    rates: pd.DataFrame

    def to_frame(self) -> pd.DataFrame:
        """Return a tidy frame: ``period_start``, ``metric``, ``value``.

        Returns
        -------
        pandas.DataFrame
        """
        wide = pd.concat([self.counts.astype(np.float64), self.rates], axis=1)
        out: pd.DataFrame = wide.reset_index().melt(
            id_vars="period_start", var_name="metric", value_name="value"
        )
        return out

    def plot(self, ax: Any = None) -> Any:
        """Draw inflows (new, resurrected) above zero and churn below, with the net change.

        Parameters
        ----------
        ax : matplotlib.axes.Axes, optional
            Where to draw; a new figure when omitted.

        Returns
        -------
        matplotlib.axes.Axes
        """
        return plotting.growth_accounting_bars(self.counts, ax=ax, period=self.params.get("period"))


def growth_accounting(
    events: EventsLike,
    *,
    period: Period = "month",
    start: DateLike | None = None,
    end: DateLike | None = None,
    activity_events: EventSpec = None,
    tz: str | None = None,
    week_start: WeekStart | int | None = None,
    as_of: DateLike | None = None,
) -> GrowthAccountingResult:
    """Growth accounting: new, retained, resurrected and churned users, net change, quick ratio.

    The active pool of a period fills with new and resurrected users and drains by churn
    (蓄水池: 开源 is the inflow, 节流 stops the outflow).

    Parameters
    ----------
    events : EventLog, LazyEventLog or DataFrame
        The events.
    period : {"hour", "day", "week", "month"}, default "month"
        The calendar period.
    start, end : str, datetime or Timestamp, optional
        The range; the whole period containing each bound is included, and the period before
        the first one is looked at.  Default: from the first qualifying event to the log's
        ``as_of``.
    activity_events : str or list of str, optional
        Only these events make a user active (``"purchase"`` gives paying-user accounting).
        Default: every event.
    tz, week_start : optional
        Calendar settings; default the log's.
    as_of : str, datetime or Timestamp, optional
        The "now" (the one as_of policy of the conventions page): events after it are
        ignored, and no period that starts at or after a given ``as_of`` is shown.  Default:
        the log's ``as_of`` (its last event unless given; that event's period is shown).

    Returns
    -------
    GrowthAccountingResult

    Raises
    ------
    InvalidParameterError
        For an unsupported period, ``end`` before ``start``, an unknown time zone or event.

    Warns
    -----
    InsufficientDataWarning
        When neither the range nor the period before it holds a qualifying event.

    See Also
    --------
    lifecycle : PostHog's form, where "new" follows ``created_at`` or the first event of any
        kind.

    Notes
    -----
    This is the growth accounting of Social Capital (Jonathan Hsu, "Diligence at Social
    Capital"): "new" is the first period with qualifying activity over the whole history, so
    ``active = new + retained + resurrected`` and ``net_change = new + resurrected - churned``
    hold exactly; the quick ratio is ``(new + resurrected) / churned`` (above 1 the pool grows).

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({
    ...     "user_id": ["a", "b", "a", "c", "b"], "event": ["open"] * 5,
    ...     "timestamp": pd.to_datetime(["2024-01-05", "2024-01-09", "2024-02-01",
    ...                                  "2024-02-11", "2024-03-02"], utc=True),
    ... })
    >>> r = growth_accounting(df, period="month")
    >>> r.counts[["new", "retained", "resurrected", "churned"]]
                               new  retained  resurrected  churned
    period_start
    2024-01-01 00:00:00+00:00    2         0            0        0
    2024-02-01 00:00:00+00:00    1         1            0        1
    2024-03-01 00:00:00+00:00    0         0            1        2
    >>> r.counts["net_change"].tolist()
    [2, 0, -1]
    >>> r.rates["quick_ratio"].tolist()
    [nan, 1.0, 0.5]
    """
    from useropslib.metrics._lazycal import engine_ready
    from useropslib.metrics._lazystate import engine_growth_accounting

    if engine_ready(events, activity_events):  # a lazy log's engine counts the statuses
        return engine_growth_accounting(
            events, period=period, start=start, end=end, activity_events=activity_events,
            tz=tz, week_start=week_start, as_of=as_of,
        )  # fmt: skip
    cal = _prepare(
        events, activity_events, tz, week_start, grain=grain_of(period), subset=False, as_of=as_of
    )
    p = parse_period(period)
    params: dict[str, Any] = {
        "period": p,
        "activity_events": activity_events,
        "tz": cal.tz,
        "week_start": cal.week_start,
    }
    rng = _period_range(cal, p, start, end)
    if rng is None:
        _warn_empty("growth_accounting")
        idx = _empty_index(cal.tz)
        counts = pd.DataFrame({c: pd.Series([], dtype=np.int64) for c in _COUNT_COLUMNS}, index=idx)
        rates = pd.DataFrame({c: pd.Series([], dtype=np.float64) for c in _RATE_COLUMNS}, index=idx)
        return GrowthAccountingResult(
            params=params, as_of=cal.log.as_of, counts=counts, rates=rates
        )
    lo, hi = rng
    u, pc = _pairs_with_lookback(cal, p, lo, hi)
    first = np.ones(u.size, dtype=bool)
    first[1:] = u[1:] != u[:-1]
    before = _active_before(cal, p, lo - 1, qualifying=True)
    is_new = first if before is None else first & ~before[u]
    flow = _flow(u, pc, lo, hi, is_new)
    if not flow.any_data:
        _warn_empty("growth_accounting")
    # the pool before the range: anyone with qualifying activity before lo
    seen_before = np.zeros(cal.n_users, dtype=bool) if before is None else before.copy()
    seen_before[u[pc == lo - 1]] = True
    counts, rates = _accounting_frames(
        flow, int(np.count_nonzero(seen_before)), cal.starts(np.arange(lo, hi + 1), p)
    )
    params.update(start=counts.index[0], end=counts.index[-1])
    return GrowthAccountingResult(params=params, as_of=cal.log.as_of, counts=counts, rates=rates)


# ============================================================================ growth states
GROWTH_STATES: tuple[str, ...] = (
    "new",
    "current",
    "reactivated",
    "resurrected",
    "at_risk_wau",
    "at_risk_mau",
    "dormant",
)
"""Duolingo's daily user states, in order."""

_NEW, _CUR, _REACT, _RES, _WAU, _MAU, _DORM = range(7)
_S = len(GROWTH_STATES)
# named transition rates: (name, from state, to state)
_RATES: tuple[tuple[str, int, int], ...] = (
    ("NURR", _NEW, _CUR),
    ("CURR", _CUR, _CUR),
    ("RURR", _REACT, _CUR),
    ("SURR", _RES, _CUR),
    ("iWAURR", _WAU, _CUR),
    ("iMAURR", _MAU, _REACT),
    ("WAU_loss_rate", _WAU, _MAU),
    ("MAU_loss_rate", _MAU, _DORM),
    ("resurrection_rate", _DORM, _RES),
)


@dataclasses.dataclass(frozen=True, repr=False)
class GrowthStatesResult(MetricResult):
    """Duolingo's growth-model states per day, the transitions between them and their rates.

    Attributes
    ----------
    counts : pandas.DataFrame
        Users in each state (columns, :data:`GROWTH_STATES` order) on each day (index
        ``period_start``).  The states partition the users active on or before the day.
    active : pandas.DataFrame
        ``dau`` (new + current + reactivated + resurrected), ``wau`` (+ at-risk WAU), ``mau``
        (+ at-risk MAU) and ``ever_active`` (+ dormant) per day.
    transitions : pandas.DataFrame
        Users moving from the state of the row on day ``d`` to the state of the column on day
        ``d + 1``, summed over the days ``d`` of the range whose next day is also in it.
    rates : pandas.DataFrame
        Named daily transition rates indexed by the day ``d`` they leave from: ``NURR``,
        ``CURR``, ``RURR``, ``SURR`` (new, current, reactivated, resurrected -> current),
        ``iWAURR`` (at-risk WAU -> current), ``iMAURR`` (at-risk MAU -> reactivated, the
        reactivation rate), ``WAU_loss_rate`` (at-risk WAU -> at-risk MAU), ``MAU_loss_rate``
        (at-risk MAU -> dormant) and ``resurrection_rate`` (dormant -> resurrected).
    pooled_rates : pandas.Series
        The same rates over the whole range (transitions summed before dividing).
    """

    counts: pd.DataFrame
    active: pd.DataFrame
    transitions: pd.DataFrame
    rates: pd.DataFrame
    pooled_rates: pd.Series
    _states: pd.Series
    _fetch: Callable[[], pd.Series] | None = None  # a lazy log's per-user states, on demand

    def user_states(self) -> pd.Series:
        """Return each user's state on the last day of the range (who to recall, who is at risk).

        On a lazy log the engine returned only the counts; the per-user states are computed on
        the first call (reading the users then).

        Returns
        -------
        pandas.Series
            Categorical (:data:`GROWTH_STATES`), indexed by ``user_id``, for every user active on
            or before that day.
        """
        out: pd.Series = (self._states if self._fetch is None else self._fetch()).copy()
        return out

    def to_frame(self) -> pd.DataFrame:
        """Return a tidy frame: ``period_start``, ``state``, ``users``.

        Returns
        -------
        pandas.DataFrame
        """
        out: pd.DataFrame = self.counts.reset_index().melt(
            id_vars="period_start", var_name="state", value_name="users"
        )
        return out

    def plot(self, ax: Any = None) -> Any:
        """Draw the users in each state per day as stacked areas.

        Parameters
        ----------
        ax : matplotlib.axes.Axes, optional
            Where to draw; a new figure when omitted.

        Returns
        -------
        matplotlib.axes.Axes
        """
        return plotting.state_areas(self.counts, ax=ax)


def _active_state(gap: I64, first: npt.NDArray[np.bool_], w: int, m: int) -> I64:
    """State of an active day from the gap to the user's previous active day."""
    st = np.where(gap <= w - 1, _CUR, np.where(gap <= m - 1, _REACT, _RES))
    out: I64 = np.where(first, _NEW, st).astype(np.int64)
    return out


def _inactive_state(gap: I64, w: int, m: int) -> I64:
    """State of an inactive day ``gap`` days after the user's last active day."""
    out: I64 = np.where(gap <= w - 1, _WAU, np.where(gap <= m - 1, _MAU, _DORM)).astype(np.int64)
    return out


class _Segments:
    """Collects (first day, last day, category) runs and counts them per day and category."""

    def __init__(self, lo: int, hi: int, n_cat: int) -> None:
        self.lo, self.hi, self.n_cat = lo, hi, n_cat
        self.starts: list[I64] = []
        self.stops: list[I64] = []

    def add(self, first: I64, last: I64, cat: I64 | int) -> None:
        a = np.maximum(first, self.lo)
        b = np.minimum(last, self.hi)
        ok = a <= b
        c = np.broadcast_to(np.asarray(cat, dtype=np.int64), a.shape)
        self.starts.append((a[ok] - self.lo) * self.n_cat + c[ok])
        self.stops.append((b[ok] + 1 - self.lo) * self.n_cat + c[ok])

    def counts(self) -> I64:
        n_days = self.hi - self.lo + 1
        size = (n_days + 1) * self.n_cat
        plus = np.bincount(np.concatenate(self.starts), minlength=size)
        minus = np.bincount(np.concatenate(self.stops), minlength=size)
        grid = np.cumsum((plus - minus).reshape(n_days + 1, self.n_cat), axis=0)
        out: I64 = grid[:n_days].astype(np.int64)
        return out


def growth_states(
    events: EventsLike,
    *,
    start: DateLike | None = None,
    end: DateLike | None = None,
    activity_events: EventSpec = None,
    week_days: int = 7,
    month_days: int = 30,
    tz: str | None = None,
    as_of: DateLike | None = None,
) -> GrowthStatesResult:
    """Duolingo's growth model: each user's daily state and the rates between states.

    On day ``d``, a user with any activity on or before ``d`` is in exactly one state:

    - **new**: ``d`` is their first-ever active day;
    - **current**: active on ``d`` and on some day of ``d-6 .. d-1``;
    - **reactivated**: active on ``d``, not on ``d-6 .. d-1``, but on some day of ``d-29 .. d-7``;
    - **resurrected** (回流): active on ``d``, not on ``d-29 .. d-1``, active before;
    - **at_risk_wau**: inactive on ``d``, active on some day of ``d-6 .. d-1``;
    - **at_risk_mau**: inactive on ``d-6 .. d``, active on some day of ``d-29 .. d-7``;
    - **dormant** (沉默): inactive on ``d-29 .. d``, active before.

    Parameters
    ----------
    events : EventLog, LazyEventLog or DataFrame
        The events.
    start, end : str, datetime or Timestamp, optional
        The days to report; the whole day containing each bound counts.  Activity before
        ``start`` is looked at.  Default: from the first qualifying event's day to the day of the
        log's ``as_of``.  ``start == end`` gives a one-day snapshot.
    activity_events : str or list of str, optional
        Only these events make a user active.  Default: every event.
    week_days, month_days : int, default 7 and 30
        Lengths of the WAU and MAU windows in days (``2 <= week_days < month_days``).
    tz : str, optional
        Time zone of the calendar days.  Default: the log's.
    as_of : str, datetime or Timestamp, optional
        The "now" (the one as_of policy of the conventions page): events after it are
        ignored, and no period that starts at or after a given ``as_of`` is shown.  Default:
        the log's ``as_of`` (its last event unless given; that event's period is shown).

    Returns
    -------
    GrowthStatesResult

    Raises
    ------
    InvalidParameterError
        For bad window lengths, ``end`` before ``start``, an unknown time zone or event name.

    Warns
    -----
    InsufficientDataWarning
        When no qualifying event lies on or before the last day.

    See Also
    --------
    lifecycle, growth_accounting

    Notes
    -----
    The states and the rate names (CURR, NURR, RURR, SURR, iWAURR ...) follow Duolingo's growth
    model (Erin Gustafson, Duolingo blog; Jorge Mazal, Lenny's Newsletter).  The windows are the
    day windows above, so ``MAU`` is exactly the users active in the last 30 days; "resurrected"
    means the last activity was 30 or more days before.  A rate for day ``d`` is the share of
    the users in the "from" state on ``d`` who are in the "to" state on ``d + 1``.

    Examples
    --------
    >>> import pandas as pd
    >>> days = [0, 1, 2, 5, 13]
    >>> df = pd.DataFrame({
    ...     "user_id": "u1", "event": "lesson",
    ...     "timestamp": pd.Timestamp("2024-01-01", tz="UTC") + pd.to_timedelta(days, "D"),
    ... })
    >>> r = growth_states(df, start="2024-01-01", end="2024-01-15")
    >>> r.counts.idxmax(axis=1).tolist()[:8]
    ['new', 'current', 'current', 'at_risk_wau', 'at_risk_wau', 'current', 'at_risk_wau', 'at_risk_wau']
    >>> r.user_states().to_dict()
    {'u1': 'at_risk_wau'}
    >>> r.transitions.loc["current", ["current", "at_risk_wau"]].tolist()
    [1, 2]
    >>> round(float(r.pooled_rates["CURR"]), 3)
    0.333
    """  # noqa: E501
    from useropslib.metrics._lazycal import engine_ready
    from useropslib.metrics._lazystate import engine_growth_states

    if engine_ready(events, activity_events):  # a lazy log's engine counts the states
        return engine_growth_states(
            events, start=start, end=end, activity_events=activity_events, tz=tz, as_of=as_of,
            week_days=week_days, month_days=month_days, check=_windows, empty=_empty_states,
        )  # fmt: skip
    cal = _prepare(
        events, activity_events=activity_events, tz=tz, week_start=None, subset=False, as_of=as_of
    )
    w, m = _windows(week_days, month_days)
    params: dict[str, Any] = {
        "activity_events": activity_events,
        "week_days": w,
        "month_days": m,
        "tz": cal.tz,
    }
    rng = _period_range(cal, "day", start, end)
    if rng is None:
        return _empty_states(cal, params)
    s, e = rng
    n_days = e - s + 1
    # every qualifying event before s - m - 1 is moved to that day: any gap >= m looks the same
    base = s - m - 1
    codes = cal.codes("day")
    keep = codes <= e
    if cal.mask is not None:
        keep &= cal.mask
    users = cal.log.user_codes[keep]
    days = np.maximum(codes[keep], base)
    u, a = _distinct_pairs(users, days, base, e, cal.n_users)
    if u.size == 0:
        return _empty_states(cal, params)

    first = np.ones(u.size, dtype=bool)
    first[1:] = u[1:] != u[:-1]
    prev = np.empty_like(a)
    prev[0] = a[0]
    prev[1:] = a[:-1]
    st = _active_state(a - prev, first & (a > base), w, m)
    nxt = _next_same_user(u, a, e + 1)
    real_next = nxt <= e

    # --- states per day --------------------------------------------------------------------
    seg = _Segments(s, e, _S)
    seg.add(a, a, st)
    seg.add(a + 1, np.minimum(a + w - 1, nxt - 1), _WAU)
    seg.add(a + w, np.minimum(a + m - 1, nxt - 1), _MAU)
    seg.add(a + m, nxt - 1, _DORM)
    counts_arr = seg.counts()

    # --- transitions d -> d + 1 for d in [s, e - 1] ----------------------------------------
    n_tr = max(n_days - 1, 0)
    trans = np.zeros((n_tr, _S * _S), dtype=np.int64)
    if n_tr:
        tr = _Segments(s, e - 1, _S * _S)

        def pair(f: I64 | int, t: I64 | int) -> I64:
            out: I64 = np.asarray(f, dtype=np.int64) * _S + np.asarray(t, dtype=np.int64)
            return out

        # from an active day: to the next active day, or into the first inactive day
        adjacent = real_next & (nxt == a + 1)
        to_state = np.where(adjacent, _active_state(nxt - a, np.zeros_like(first), w, m), _WAU)
        tr.add(a, a, pair(st, to_state))
        # inactive -> inactive, while the next active day is at least two days away
        stay = nxt - 2
        tr.add(a + 1, np.minimum(a + w - 2, stay), pair(_WAU, _WAU))
        tr.add(a + w - 1, np.minimum(a + w - 1, stay), pair(_WAU, _MAU))
        tr.add(a + w, np.minimum(a + m - 2, stay), pair(_MAU, _MAU))
        tr.add(a + m - 1, np.minimum(a + m - 1, stay), pair(_MAU, _DORM))
        tr.add(a + m, stay, pair(_DORM, _DORM))
        # the inactive day before an active day
        back = real_next & (nxt >= a + 2)
        gap = nxt[back] - a[back]
        from_state = _inactive_state(gap - 1, w, m)
        into = _active_state(gap, np.zeros(gap.size, dtype=bool), w, m)
        tr.add(nxt[back] - 1, nxt[back] - 1, pair(from_state, into))
        trans = tr.counts()

    # --- states on the last day, per user -------------------------------------------------
    last = np.ones(u.size, dtype=bool)
    last[:-1] = u[1:] != u[:-1]
    lu, la, lst = u[last], a[last], st[last]
    final = np.where(la == e, lst, _inactive_state(e - la, w, m))
    states = pd.Series(
        pd.Categorical.from_codes(final, categories=pd.Index(GROWTH_STATES)),
        index=pd.Index(cal.log.users.take(lu), name="user_id"),
        name="state",
    )

    index = cal.starts(np.arange(s, e + 1), "day")
    counts = pd.DataFrame(counts_arr, index=index, columns=list(GROWTH_STATES))
    dau = counts_arr[:, :4].sum(axis=1)
    wau = dau + counts_arr[:, _WAU]
    mau = wau + counts_arr[:, _MAU]
    active = pd.DataFrame(
        {"dau": dau, "wau": wau, "mau": mau, "ever_active": mau + counts_arr[:, _DORM]},
        index=index,
    )
    pooled = trans.sum(axis=0).reshape(_S, _S)
    transitions = pd.DataFrame(
        pooled,
        index=pd.Index(GROWTH_STATES, name="from"),
        columns=pd.Index(GROWTH_STATES, name="to"),
    )
    from_counts = counts_arr[:n_tr]
    rates = pd.DataFrame(
        {name: _ratio(trans[:, f * _S + t], from_counts[:, f]) for name, f, t in _RATES},
        index=index[:n_tr],
    )
    pooled_rates = pd.Series(
        {name: float(_ratio(pooled[f, t], from_counts[:, f].sum())) for name, f, t in _RATES},
        name="rate",
    )
    if int(active["ever_active"].iloc[-1]) == 0:
        _warn_empty("growth_states")
    params.update(start=index[0], end=index[-1])
    return GrowthStatesResult(
        params=params,
        as_of=cal.log.as_of,
        counts=counts,
        active=active,
        transitions=transitions,
        rates=rates,
        pooled_rates=pooled_rates,
        _states=states,
    )


def _windows(week_days: Any, month_days: Any) -> tuple[int, int]:
    w = check_int(week_days, "week_days", minimum=2, hint="week_days=7 (a week).")
    m = check_int(month_days, "month_days", minimum=3, hint="month_days=30 (Duolingo) or 28.")
    if m <= w:
        raise InvalidParameterError(
            f"month_days={month_days!r} must be larger than week_days={week_days!r}. Expected "
            "2 <= week_days < month_days. Hint: week_days=7, month_days=30."
        )
    return w, m


def _empty_states(cal: Any, params: dict[str, Any]) -> GrowthStatesResult:
    _warn_empty("growth_states", stacklevel=4)
    idx = _empty_index(cal.tz)
    zeros = np.zeros((_S, _S), dtype=np.int64)
    return GrowthStatesResult(
        params=params,
        as_of=cal.log.as_of,
        counts=pd.DataFrame({c: pd.Series([], dtype=np.int64) for c in GROWTH_STATES}, index=idx),
        active=pd.DataFrame(
            {c: pd.Series([], dtype=np.int64) for c in ("dau", "wau", "mau", "ever_active")},
            index=idx,
        ),
        transitions=pd.DataFrame(
            zeros,
            index=pd.Index(GROWTH_STATES, name="from"),
            columns=pd.Index(GROWTH_STATES, name="to"),
        ),
        rates=pd.DataFrame(
            {name: pd.Series([], dtype=np.float64) for name, _, _ in _RATES}, index=idx
        ),
        pooled_rates=pd.Series({name: np.nan for name, _, _ in _RATES}, name="rate"),
        _states=pd.Series(
            pd.Categorical([], categories=list(GROWTH_STATES)),
            index=pd.Index([], dtype=object, name="user_id"),
            name="state",
        ),
    )
