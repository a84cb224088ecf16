"""Monetisation (付费): revenue per period, ARPU, ARPPU, paying share, LTV curves, CAC payback."""

from __future__ import annotations

import dataclasses
import math
import numbers
import warnings
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from useropslib import plotting
from useropslib._results import MetricResult
from useropslib.events import (
    EventLog,
    EventsLike,
    as_event_log,
    check_tz,
    period_codes,
    period_starts,
)
from useropslib.events._time import stamp as _stamp
from useropslib.exceptions import (
    InsufficientDataWarning,
    InvalidParameterError,
    UseropsWarning,
    did_you_mean,
)
from useropslib.metrics._query import (
    _NS_MAX,
    GroupSpec,
    _anchor_ns,
    _as_of_ns,
    _check_week_start,
    _event_mask,
    _property,
    _user_groups,
    grain_of,
    spec_names,
)
from useropslib.models import DateLike, Period, WeekStart, parse_period

__all__ = ["LTVResult", "PaybackResult", "RevenueResult", "ltv_curve", "payback", "revenue"]

_COST_COLUMNS: tuple[str, ...] = ("acquisition_cost", "cac", "cost")


# ============================================================================ helpers
def _values(log: EventLog, value_col: str | None, mask: npt.NDArray[np.bool_]) -> Any:
    """Per-event amounts (NaN where absent) from the log's values or a property column."""
    if value_col is None:
        if log.values is None:
            props = log.properties
            numeric = [str(c) for c in props.columns if pd.api.types.is_numeric_dtype(props[c])]
            hint = (
                f"pass value_col= one of the numeric properties {numeric}"
                if numeric
                else "build the log with value_col='amount' naming your revenue column"
            )
            raise InvalidParameterError(
                "The event log has no values, so revenue cannot be computed. Expected a log built "
                f"with a value column (the amount of each purchase). Hint: {hint}."
            )
        return log.values
    if not isinstance(value_col, str):
        raise InvalidParameterError(
            f"Invalid value_col={value_col!r}. Expected the name of a numeric property column, "
            "or None for the log's values."
        )
    col = _property(log, value_col, "value_col")
    raw = col.to_numpy()[mask]
    nums = pd.to_numeric(pd.Series(raw, dtype=object), errors="coerce").to_numpy(dtype=float)
    bad = pd.notna(pd.Series(raw, dtype=object)).to_numpy() & ~np.isfinite(nums)
    if bad.any():
        examples = list(map(repr, pd.unique(pd.Series(raw[bad], dtype=object))[:3]))
        raise InvalidParameterError(
            f"value_col={value_col!r} has non-numeric or infinite values on purchase events "
            f"(e.g. {', '.join(examples)}). Expected finite numbers. Hint: clean the column or "
            "pick another one."
        )
    out = np.full(log.n_events, np.nan, dtype=np.float64)
    out[mask] = nums
    return out


def _check_periods(periods: Any) -> int:
    if isinstance(periods, bool) or not isinstance(periods, numbers.Integral) or periods < 1:
        raise InvalidParameterError(
            f"Invalid periods={periods!r}. Expected an integer >= 1 (the number of periods "
            "after acquisition to follow). Hint: periods=12."
        )
    return int(periods)


def _check_tz(tz: str | None) -> None:
    if tz is not None:
        check_tz(tz)


@dataclasses.dataclass(frozen=True)
class _CohortRevenue:
    cohorts: npt.NDArray[np.int64]  # cohort period codes, sorted
    sizes: npt.NDArray[np.int64]  # (groups, cohorts)
    revenue: npt.NDArray[np.float64]  # (groups, cohorts, ages): revenue at each age
    observed: npt.NDArray[np.bool_]  # (cohorts, ages)
    starts: pd.DatetimeIndex


def _cohort_revenue(
    log: EventLog,
    *,
    groups: npt.NDArray[np.int64],
    n_groups: int,
    anchor: npt.NDArray[np.int64],
    purchases: npt.NDArray[np.bool_],
    values: npt.NDArray[np.float64],
    period: Period,
    periods: int,
    now: int | None,
    tz: str,
    week_start: int,
) -> _CohortRevenue:
    """Revenue per (group, acquisition cohort, periods since acquisition) and cohort sizes."""
    n_users = len(log.users)
    member = (anchor != _NS_MAX) & (groups >= 0)
    who = np.flatnonzero(member)
    cohort_of = np.full(n_users, -1, dtype=np.int64)
    cc = period_codes(anchor[who], period, tz=tz, week_start=week_start)
    cohorts, cidx = np.unique(cc, return_inverse=True)
    cohort_of[who] = cidx
    nc = cohorts.size
    sizes = np.bincount(groups[who] * nc + cidx, minlength=n_groups * nc).reshape(n_groups, nc)

    u = log.user_codes
    m = purchases & member[u] & (log.timestamps_ns >= anchor[u])
    pu = u[m]
    pc = log.period_codes(period, tz=tz, week_start=week_start)[m]
    age = pc - cohorts[cohort_of[pu]]
    inside = (age >= 0) & (age < periods)
    key = (groups[pu][inside] * nc + cohort_of[pu][inside]) * periods + age[inside]
    rev = (
        np.bincount(
            key, weights=np.nan_to_num(values[m][inside]), minlength=n_groups * nc * periods
        )
        .reshape(n_groups, nc, periods)
        .astype(np.float64)
    )

    if now is None:
        observed = np.zeros((nc, periods), dtype=bool)
    else:
        now_p = int(
            period_codes(np.array([now], dtype=np.int64), period, tz=tz, week_start=week_start)[0]
        )
        observed = cohorts[:, None] + np.arange(periods)[None, :] <= now_p
    starts = period_starts(cohorts, period, tz=tz, week_start=week_start)
    return _CohortRevenue(
        cohorts=cohorts, sizes=sizes, revenue=rev, observed=observed, starts=starts
    )


def _chained_curve(cr: _CohortRevenue) -> npt.NDArray[np.float64]:
    """Per group: cumulative sum over ages of revenue per user of the cohorts that reached it."""
    obs = cr.observed[None, :, :]
    rev_obs = np.where(obs, cr.revenue, 0.0).sum(axis=1)  # (groups, ages)
    users_obs = (cr.sizes[:, :, None] * obs).sum(axis=1)  # (groups, ages)
    with np.errstate(invalid="ignore", divide="ignore"):
        inc = np.where(users_obs > 0, rev_obs / np.maximum(users_obs, 1), np.nan)
    curve = np.cumsum(inc, axis=1)  # NaN propagates once no cohort is observed
    out: npt.NDArray[np.float64] = curve
    return out


# ============================================================================ revenue
@dataclasses.dataclass(frozen=True, repr=False)
class RevenueResult(MetricResult):
    """Revenue, ARPU, ARPPU and paying share per calendar period.

    Attributes
    ----------
    table : pandas.DataFrame
        Indexed by period start (``period``): ``revenue``, ``purchases``, ``active_users``,
        ``paying_users``, ``arpu`` (revenue / active users), ``arppu`` (revenue / paying users,
        NaN without payers) and ``paying_share`` (paying / active users).  Every period from the
        first to the last with activity is listed.
    totals : pandas.Series
        The same quantities over the whole log (users counted once).
    """

    table: pd.DataFrame
    totals: pd.Series

    def to_frame(self) -> pd.DataFrame:
        """Return the table as a flat frame, one row per period.

        Returns
        -------
        pandas.DataFrame
        """
        out: pd.DataFrame = self.table.reset_index()
        return out

    def plot(self, ax: Any = None) -> Any:
        """Plot revenue per period (bars) with ARPU on a second axis.

        Parameters
        ----------
        ax : matplotlib.axes.Axes, optional
            Where to draw; a new figure when omitted.

        Returns
        -------
        matplotlib.axes.Axes
        """
        return plotting.revenue_bars(
            self.table.index,
            self.table["revenue"],
            self.table["arpu"],
            ax=ax,
            period=str(self.params["period"]),
        )


def revenue(
    events: EventsLike,
    *,
    period: Period | str = "week",
    purchase_event: str | Sequence[str] = "purchase",
    value_col: str | None = None,
    activity_events: str | Sequence[str] | None = None,
    tz: str | None = None,
    week_start: WeekStart | int | None = None,
) -> RevenueResult:
    """Revenue per calendar period with ARPU, ARPPU and the paying share.

    Parameters
    ----------
    events : EventLog, LazyEventLog or DataFrame
        The events.
    period : {"day", "week", "month", "hour"}, default "week"
        Calendar period, in ``tz``.
    purchase_event : str or list of str, default "purchase"
        The event(s) that carry revenue.
    value_col : str, optional
        A numeric property column holding the amount.  Default: the log's values.
    activity_events : str or list of str, optional
        Events that make a user active in a period (the ARPU denominator).  Default: any event.
        A purchase always makes its user active, so ``paying_users <= active_users``.
    tz : str, optional
        Time zone of the calendar; default the log's.
    week_start : str or int, optional
        First day of a week; default the log's.

    Returns
    -------
    RevenueResult
        ``table`` per period and ``totals``.

    Raises
    ------
    InvalidParameterError
        For unknown event names (with close names), a log without values and no
        ``value_col`` (with a hint), an unknown ``value_col``, non-numeric amounts, an unknown
        period or time zone.

    Warns
    -----
    InsufficientDataWarning
        When the log has no (active) events; the table is empty.

    See Also
    --------
    ltv_curve : Cumulative revenue per user by acquisition cohort.

    Notes
    -----
    ARPU = revenue / active users of the period (Amplitude's and Mixpanel's "ARPU" over active
    users, not over all registered users); ARPPU = revenue / paying users; paying share =
    paying / active users (付费率).  A purchase without an amount counts as a purchase (its user
    pays) with 0 revenue; negative amounts (refunds) are summed as given, so with refunds ARPU can
    exceed ARPPU.  Periods are calendar periods in ``tz``, as PostHog's trends.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({
    ...     "user_id": ["a", "a", "b", "c", "c"],
    ...     "event": ["open", "purchase", "open", "open", "purchase"],
    ...     "timestamp": pd.to_datetime(["2024-01-01", "2024-01-01", "2024-01-02",
    ...                                  "2024-01-08", "2024-01-09"], utc=True),
    ...     "value": [None, 30.0, None, None, 10.0],
    ... })
    >>> t = revenue(df, period="week").table
    >>> t[["revenue", "active_users", "paying_users", "arpu", "arppu"]].to_dict("records")
    [{'revenue': 30.0, 'active_users': 2, 'paying_users': 1, 'arpu': 15.0, 'arppu': 30.0},
     {'revenue': 10.0, 'active_users': 1, 'paying_users': 1, 'arpu': 10.0, 'arppu': 10.0}]
    """
    from useropslib.metrics._lazymoney import engine_revenue

    eng = engine_revenue(
        events, period=period, purchase_event=purchase_event, value_col=value_col,
        activity_events=activity_events, tz=tz, week_start=week_start,
    )  # fmt: skip
    if eng is not None:  # a lazy log's engine summed it per period
        return _revenue_result(
            {"period": eng.period, "purchase_event": purchase_event, "value_col": value_col,
             "activity_events": activity_events, "tz": eng.tz, "week_start": eng.week_start},
            eng.as_of, eng.p0, eng.revenue, eng.purchases, eng.active, eng.paying,
            (eng.total_revenue, eng.total_purchases, eng.total_active, eng.total_paying),
        )  # fmt: skip
    # lazy log: purchases row by row (they are counted), other activity rolled up per period
    buy = spec_names(purchase_event)
    act = None if activity_events is None else spec_names(activity_events)
    log = as_event_log(
        events,
        names=None if act is None or buy is None else buy + act,
        grain=None if value_col is not None else grain_of(period),
        exact=buy,
        by_event=act is not None,
        tz=tz,
        week_start=_check_week_start(week_start),
    )
    p = parse_period(period)
    _check_tz(tz)
    ws = _check_week_start(week_start)
    z = tz or log.tz
    wsv = log.week_start if ws is None else ws
    pm = _event_mask(log, purchase_event, "purchase_event")
    am: npt.NDArray[np.bool_] | None = None  # None: every event counts as activity
    if activity_events is not None:
        am = _event_mask(log, activity_events, "activity_events") | pm
    vals = np.asarray(_values(log, value_col, pm), dtype=np.float64)
    params = {
        "period": p,
        "purchase_event": purchase_event,
        "value_col": value_col,
        "activity_events": activity_events,
        "tz": z,
        "week_start": wsv,
    }
    if log.n_events == 0 or (am is not None and not am.any()):
        no = np.empty(0, dtype=np.int64)
        return _revenue_result(params, log.as_of, 0, no.astype(np.float64), no, no, no, None)

    pc = log.period_codes(p, tz=z, week_start=wsv)
    if am is None:
        p0, p1 = int(pc.min()), int(pc.max())
    else:
        p0, p1 = _masked_range(pc, am)
    span = p1 - p0 + 1
    n_active, users_active = _distinct_users(log.user_codes, pc, am, p0, span, len(log.users))
    n_paying, users_paying = _distinct_users(log.user_codes, pc, pm, p0, span, len(log.users))
    amounts = np.nan_to_num(vals[pm])
    pc_pm = pc[pm] - p0
    rev = np.bincount(pc_pm, weights=amounts, minlength=span).astype(np.float64)
    n_purch = np.bincount(pc_pm, minlength=span)
    with np.errstate(over="ignore", invalid="ignore"):
        total_revenue = amounts.sum()
    totals = (float(total_revenue), int(pm.sum()), users_active, users_paying)
    return _revenue_result(params, log.as_of, p0, rev, n_purch, n_active, n_paying, totals)


def _revenue_result(
    params: dict[str, Any],
    as_of: Any,
    p0: int,
    rev: npt.NDArray[np.float64],
    n_purch: npt.NDArray[np.int64],
    n_active: npt.NDArray[np.int64],
    n_paying: npt.NDArray[np.int64],
    totals_of: tuple[float, int, int, int] | None,
) -> RevenueResult:
    """Build revenue's result from its sums per period ``p0 ..`` (None totals: no activity)."""
    p, z, wsv = params["period"], params["tz"], params["week_start"]
    cols = ["revenue", "purchases", "active_users", "paying_users", "arpu", "arppu"]
    cols.append("paying_share")
    if totals_of is None or rev.size == 0:
        warnings.warn(
            "revenue: the log has no active events, so the table is empty.",
            InsufficientDataWarning,
            stacklevel=3,
        )
        empty = pd.DataFrame({c: pd.Series(dtype=float) for c in cols})
        empty.index = pd.DatetimeIndex([], tz=z, name="period")
        totals = pd.Series(
            {"revenue": 0.0, "purchases": 0, "active_users": 0, "paying_users": 0}
            | {"arpu": np.nan, "arppu": np.nan, "paying_share": np.nan},
            name="total",
        )
        return RevenueResult(params=params, as_of=as_of, table=empty, totals=totals)
    table = _money_table(rev, n_purch, n_active, n_paying)
    table.index = period_starts(np.arange(p0, p0 + rev.size), p, tz=z, week_start=wsv)
    table.index.name = "period"
    total_revenue, total_purchases, users_active, users_paying = totals_of
    with np.errstate(over="ignore", invalid="ignore"):
        totals = _money_table(
            np.array([total_revenue]),
            np.array([total_purchases]),
            np.array([users_active]),
            np.array([users_paying]),
        ).iloc[0]
    if not (np.isfinite(rev).all() and np.isfinite(total_revenue)):
        warnings.warn(
            "Revenue sums exceed the largest float (about 1.8e308) and show as inf. Expected "
            "amounts whose sums stay finite. Hint: rescale the value column (e.g. to thousands)",
            UseropsWarning,
            stacklevel=3,
        )
    totals.name = "total"
    return RevenueResult(params=params, as_of=as_of, table=table, totals=totals)


_CHUNK = 1 << 20  # events per block when a pass would otherwise build event-length temporaries


def _masked_range(codes: npt.NDArray[np.int64], mask: npt.NDArray[np.bool_]) -> tuple[int, int]:
    """Smallest and largest of ``codes[mask]`` (mask has a True), without copying the selection."""
    lo, hi = np.iinfo(np.int64).max, np.iinfo(np.int64).min
    for a in range(0, codes.size, _CHUNK):  # blocks of events, not single events
        sel = codes[a : a + _CHUNK][mask[a : a + _CHUNK]]
        if sel.size:
            lo, hi = min(lo, int(sel.min())), max(hi, int(sel.max()))
    return lo, hi


def _distinct_users(
    users: npt.NDArray[np.int32],
    codes: npt.NDArray[np.int64],
    mask: npt.NDArray[np.bool_] | None,
    p0: int,
    span: int,
    n_users: int,
) -> tuple[npt.NDArray[np.int64], int]:
    """Distinct users per period (codes ``p0 .. p0 + span - 1``) and in all, over ``mask``.

    When a (period x user) presence grid of one byte per cell is no larger than sorting the
    keys would need (16 bytes per event), the events are scattered into it block by block, so
    no event-length key or count array is built; otherwise the distinct keys come from a sort.
    """
    n_keys = users.size if mask is None else int(np.count_nonzero(mask))
    n_bins = span * n_users
    if n_bins <= max(16 * n_keys, 1 << 20):
        grid = np.zeros((span, n_users), dtype=bool)
        flat = grid.reshape(-1)
        for a in range(0, users.size, _CHUNK):  # blocks of events, not single events
            b = a + _CHUNK
            key = codes[a:b] - p0
            u = users[a:b]
            if mask is not None:
                key, u = key[mask[a:b]], u[mask[a:b]]
            key *= n_users
            key += u
            flat[key] = True
        per_period = np.count_nonzero(grid, axis=1).astype(np.int64)
        return per_period, int(np.count_nonzero(grid.any(axis=0)))
    sel_codes = codes if mask is None else codes[mask]
    sel_users = users if mask is None else users[mask]
    keys = sel_codes - p0
    keys *= n_users
    keys += sel_users
    uniq = np.unique(keys)
    del keys
    per_period = np.bincount(uniq // n_users, minlength=span).astype(np.int64)
    return per_period, int(np.unique(uniq % n_users).size)


def _money_table(
    rev: npt.NDArray[np.float64],
    purchases: npt.NDArray[np.int64],
    active: npt.NDArray[np.int64],
    paying: npt.NDArray[np.int64],
) -> pd.DataFrame:
    with np.errstate(invalid="ignore", divide="ignore"):
        arpu = np.where(active > 0, rev / np.maximum(active, 1), np.nan)
        arppu = np.where(paying > 0, rev / np.maximum(paying, 1), np.nan)
        share = np.where(active > 0, paying / np.maximum(active, 1), np.nan)
    out: pd.DataFrame = pd.DataFrame(
        {
            "revenue": rev.astype(np.float64),
            "purchases": purchases.astype(np.int64),
            "active_users": active.astype(np.int64),
            "paying_users": paying.astype(np.int64),
            "arpu": arpu,
            "arppu": arppu,
            "paying_share": share,
        }
    )
    return out


# ============================================================================ LTV curve
@dataclasses.dataclass(frozen=True, repr=False)
class LTVResult(MetricResult):
    """Cumulative revenue per user by acquisition cohort and periods since acquisition.

    Attributes
    ----------
    table : pandas.DataFrame
        Cohorts (index ``cohort``, period start) by age (columns ``0 .. periods - 1``, periods
        since the acquisition period): cumulative revenue per cohort user; NaN where the age is
        not reached by ``as_of``.
    revenue : pandas.DataFrame
        The same cells as cumulative revenue totals.
    sizes : pandas.Series
        Users per cohort.
    curve : pandas.Series
        By age: the cumulative sum of revenue per user at each age over the cohorts that reached
        it (a chain-ladder mean that never decreases and uses every cohort's data).
    """

    table: pd.DataFrame
    revenue: pd.DataFrame
    sizes: pd.Series
    curve: pd.Series

    def to_frame(self) -> pd.DataFrame:
        """Return a tidy frame: one row per observed (cohort, age) cell.

        Columns ``cohort``, ``age``, ``users``, ``cumulative_revenue`` and
        ``cumulative_revenue_per_user``.

        Returns
        -------
        pandas.DataFrame
        """
        per_user = self.table.stack(future_stack=True).rename("cumulative_revenue_per_user")
        total = self.revenue.stack(future_stack=True).rename("cumulative_revenue")
        out = pd.concat([total, per_user], axis=1).reset_index()
        out = out[out["cumulative_revenue"].notna()].reset_index(drop=True)
        out.insert(2, "users", self.sizes.reindex(out["cohort"]).to_numpy())
        result: pd.DataFrame = out
        return result

    def plot(self, ax: Any = None) -> Any:
        """Plot each cohort's curve (thin) and the mean curve (thick).

        Parameters
        ----------
        ax : matplotlib.axes.Axes, optional
            Where to draw; a new figure when omitted.

        Returns
        -------
        matplotlib.axes.Axes
        """
        return plotting.ltv_curves(
            self.table, self.curve, ax=ax, period=str(self.params["cohort_period"])
        )


def _load_cohort_money(
    events: Any,
    purchase_event: Any,
    signup_event: Any,
    value_col: str | None,
    cohort_period: Any,
    tz: str | None,
    week_start: Any,
    as_of: Any,
    *,
    rows: bool,
) -> EventLog:
    """Get the log for a cohort revenue query; from a lazy log collect only what it reads.

    Purchases come row by row; the acquisition anchor (first event, or first signup event) is
    exact in the engine's roll-up, so other events are rolled up per cohort period.
    """
    buy = spec_names(purchase_event)
    names = None
    if signup_event is not None:
        sign = spec_names(signup_event)
        names = None if sign is None or buy is None else buy + sign
    exact_rows = rows or value_col is not None
    return as_event_log(
        events,
        names=names,
        grain=None if exact_rows else grain_of(cohort_period),
        exact=buy,
        by_event=signup_event is not None,
        tz=tz,
        week_start=_check_week_start(week_start),
        until=as_of,
    )


@dataclasses.dataclass(frozen=True)
class _CohortQuery:
    """The shared front of the cohort revenue metrics: checked options, purchases, as_of."""

    log: EventLog
    period: Period
    periods: int
    tz: str
    week_start: int
    purchase_event: Any
    value_col: str | None
    signup_event: Any
    purchases: npt.NDArray[np.bool_]
    values: npt.NDArray[np.float64]
    now: int | None
    keep: npt.NDArray[np.bool_]
    anchor: npt.NDArray[np.int64]

    def revenue(
        self, groups: npt.NDArray[np.int64], n_groups: int, *, empty: str
    ) -> _CohortRevenue:
        """Revenue per (group, cohort, age); warn ``empty`` (formatted with as_of) without any."""
        cr = _cohort_revenue(
            self.log,
            groups=groups,
            n_groups=n_groups,
            anchor=self.anchor,
            purchases=self.purchases & self.keep,
            values=self.values,
            period=self.period,
            periods=self.periods,
            now=self.now,
            tz=self.tz,
            week_start=self.week_start,
        )
        if cr.cohorts.size == 0:
            warnings.warn(
                empty.format(as_of=_stamp(self.now, self.log.tz)),
                InsufficientDataWarning,
                stacklevel=3,
            )
        return cr

    def params(self, **extra: Any) -> dict[str, Any]:
        """Return the parameters every cohort revenue result echoes, with ``extra``."""
        return {
            "cohort_period": self.period,
            "periods": self.periods,
            "purchase_event": self.purchase_event,
            "value_col": self.value_col,
            "signup_event": self.signup_event,
            **extra,
            "tz": self.tz,
            "week_start": self.week_start,
        }


def _cohort_query(
    events: Any,
    cohort_period: Any,
    periods: Any,
    purchase_event: Any,
    value_col: str | None,
    signup_event: Any,
    as_of: Any,
    tz: str | None,
    week_start: Any,
    *,
    rows: bool,
) -> _CohortQuery:
    """Check the options, load the log and select purchases, values and anchors at as_of."""
    log = _load_cohort_money(
        events,
        purchase_event,
        signup_event,
        value_col,
        cohort_period,
        tz,
        week_start,
        as_of,
        rows=rows,
    )
    p = parse_period(cohort_period)
    n = _check_periods(periods)
    _check_tz(tz)
    ws = _check_week_start(week_start)
    pm = _event_mask(log, purchase_event, "purchase_event")
    now = _as_of_ns(log, as_of)
    keep = np.ones(log.n_events, dtype=bool) if now is None else log.timestamps_ns <= now
    return _CohortQuery(
        log=log,
        period=p,
        periods=n,
        tz=tz or log.tz,
        week_start=log.week_start if ws is None else ws,
        purchase_event=purchase_event,
        value_col=value_col,
        signup_event=signup_event,
        purchases=pm,
        values=np.asarray(_values(log, value_col, pm), dtype=np.float64),
        now=now,
        keep=keep,
        anchor=_anchor_ns(log, signup_event, keep),
    )


def ltv_curve(
    events: EventsLike,
    *,
    cohort_period: Period | str = "week",
    periods: int = 12,
    purchase_event: str | Sequence[str] = "purchase",
    value_col: str | None = None,
    signup_event: str | Sequence[str] | None = None,
    as_of: DateLike | None = None,
    tz: str | None = None,
    week_start: WeekStart | int | None = None,
) -> LTVResult:
    """Cumulative revenue per user of each acquisition cohort, period by period (LTV curve).

    A user's cohort is the calendar period of their first event (or first ``signup_event``);
    a purchase at age ``k`` happened ``k`` calendar periods after that one.  Cell ``(c, k)`` is
    the revenue of cohort ``c``'s users at ages ``0..k`` divided by the cohort's size (payers
    and non-payers alike).

    Parameters
    ----------
    events : EventLog, LazyEventLog or DataFrame
        The events.
    cohort_period : {"day", "week", "month", "hour"}, default "week"
        Calendar period of cohorts and ages, in ``tz``.
    periods : int, default 12
        Ages to report: ``0 .. periods - 1``.
    purchase_event : str or list of str, default "purchase"
        The event(s) that carry revenue.
    value_col : str, optional
        A numeric property column holding the amount.  Default: the log's values.
    signup_event : str or list of str, optional
        Acquire users at their first such event instead of their first event; purchases before
        it are ignored and users without it are left out.
    as_of : str, datetime or Timestamp, optional
        "Now": later events are ignored, and ages after the period containing it are NaN.
        Default: the log's ``as_of``.
    tz : str, optional
        Time zone of the calendar; default the log's.
    week_start : str or int, optional
        First day of a week; default the log's.

    Returns
    -------
    LTVResult
        ``table`` (per user), ``revenue`` (totals), ``sizes``, ``curve``.

    Raises
    ------
    InvalidParameterError
        For unknown event names, a missing value column, ``periods < 1``, an unknown period or
        time zone.

    Warns
    -----
    InsufficientDataWarning
        When no user is acquired by ``as_of``.

    See Also
    --------
    payback : When each channel's cumulative revenue per user covers its CAC.
    revenue : Revenue, ARPU and ARPPU per period.

    Notes
    -----
    Ages are calendar periods, as PostHog's and Mixpanel's cohort tables; the period containing
    ``as_of`` counts although it is partial (as in the retention table).  Cumulative revenue
    never decreases along a row when amounts are non-negative.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({
    ...     "user_id": ["a", "a", "a", "b"],
    ...     "event": ["signup", "purchase", "purchase", "signup"],
    ...     "timestamp": pd.to_datetime(["2024-01-01", "2024-01-02", "2024-01-09",
    ...                                  "2024-01-03"], utc=True),
    ...     "value": [None, 10.0, 4.0, None],
    ... })
    >>> res = ltv_curve(df, cohort_period="week", periods=3, as_of="2024-01-20")
    >>> res.table.round(2).to_dict("list")
    {0: [5.0], 1: [7.0], 2: [7.0]}
    >>> int(res.sizes.iloc[0])
    2
    """
    from useropslib.metrics._lazymoney import engine_ltv_curve

    empty = "ltv_curve: no user was acquired by as_of={as_of}; the table is empty."
    eng = engine_ltv_curve(
        events, cohort_period=cohort_period, periods=lambda: _check_periods(periods),
        purchase_event=purchase_event, value_col=value_col, signup_event=signup_event,
        as_of=as_of, tz=tz, week_start=week_start,
    )  # fmt: skip
    if eng is not None:  # a lazy log's engine summed the cohorts' revenue
        cr = _engine_cohorts(eng.cohorts, eng.sizes, eng.revenue, eng.now, eng.period, eng.tz,
                             eng.week_start)  # fmt: skip
        if cr.cohorts.size == 0:
            warnings.warn(
                empty.format(as_of=_stamp(eng.now, eng.log_tz)),
                InsufficientDataWarning,
                stacklevel=2,
            )
        params = {
            "cohort_period": eng.period, "periods": eng.periods, "purchase_event": purchase_event,
            "value_col": value_col, "signup_event": signup_event, "tz": eng.tz,
            "week_start": eng.week_start,
        }  # fmt: skip
        return _ltv_result(cr, params, _stamp(eng.now, eng.log_tz), eng.periods)
    args = (events, cohort_period, periods, purchase_event, value_col, signup_event, as_of, tz)
    q = _cohort_query(*args, week_start, rows=False)
    log, n, now = q.log, q.periods, q.now
    cr = q.revenue(np.zeros(len(log.users), dtype=np.int64), 1, empty=empty)
    return _ltv_result(cr, q.params(), _stamp(now, log.tz), n)


def _engine_cohorts(
    cohorts: npt.NDArray[np.int64],
    sizes: npt.NDArray[np.int64],
    revenue: npt.NDArray[np.float64],
    now: int | None,
    period: Period,
    tz: str,
    week_start: int,
) -> _CohortRevenue:
    """Return one group's cohort revenue from an engine's sums (as ``_cohort_revenue``)."""
    periods = revenue.shape[1]
    if now is None:
        observed = np.zeros((cohorts.size, periods), dtype=bool)
    else:
        at = np.array([now], dtype=np.int64)
        now_p = int(period_codes(at, period, tz=tz, week_start=week_start)[0])
        observed = cohorts[:, None] + np.arange(periods)[None, :] <= now_p
    starts = period_starts(cohorts, period, tz=tz, week_start=week_start)
    return _CohortRevenue(
        cohorts=cohorts, sizes=sizes[None, :], revenue=revenue[None, :, :], observed=observed,
        starts=starts,
    )  # fmt: skip


def _ltv_result(cr: _CohortRevenue, params: dict[str, Any], as_of: Any, n: int) -> LTVResult:
    ages = pd.RangeIndex(n, name="age")
    index = pd.Index(cr.starts, name="cohort")
    cum = np.cumsum(cr.revenue[0], axis=1)
    cum = np.where(cr.observed, cum, np.nan)
    size = cr.sizes[0].astype(np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        per_user = cum / size[:, None]
    curve = _chained_curve(cr)[0] if cr.cohorts.size else np.full(n, np.nan)
    return LTVResult(
        params=params,
        as_of=as_of,
        table=pd.DataFrame(per_user, index=index, columns=ages),
        revenue=pd.DataFrame(cum, index=index, columns=ages),
        sizes=pd.Series(cr.sizes[0], index=index, name="users"),
        curve=pd.Series(curve, index=ages, name="cumulative_revenue_per_user"),
    )


# ============================================================================ payback
@dataclasses.dataclass(frozen=True, repr=False)
class PaybackResult(MetricResult):
    """CAC payback period per acquisition channel.

    Attributes
    ----------
    table : pandas.DataFrame
        Indexed by channel: ``users`` (acquired), ``cac`` (cost per acquired user),
        ``payback_period`` (the first age, in periods since acquisition with 0 the acquisition
        period, at which cumulative revenue per user reaches the CAC; ``<NA>`` when not within
        the followed periods), ``ltv`` (cumulative revenue per user at the last age with data)
        and ``ltv_to_cac`` (NaN when the CAC is 0).
    curves : pandas.DataFrame
        Channel by age: cumulative revenue per user (chain-ladder mean over cohorts, as
        ``LTVResult.curve``).
    """

    table: pd.DataFrame
    curves: pd.DataFrame

    def to_frame(self) -> pd.DataFrame:
        """Return a tidy frame: one row per (channel, age) with the curve value and the CAC.

        Returns
        -------
        pandas.DataFrame
        """
        long = self.curves.stack(future_stack=True).rename("cumulative_revenue_per_user")
        out = long.reset_index()
        out["cac"] = self.table["cac"].reindex(out.iloc[:, 0]).to_numpy()
        result: pd.DataFrame = out
        return result

    def plot(self, ax: Any = None) -> Any:
        """Plot each channel's cumulative revenue per user with its CAC as a dashed line.

        Parameters
        ----------
        ax : matplotlib.axes.Axes, optional
            Where to draw; a new figure when omitted.

        Returns
        -------
        matplotlib.axes.Axes
        """
        return plotting.payback_curves(
            self.curves, self.table["cac"], ax=ax, period=str(self.params["cohort_period"])
        )


def _cac_per_user(log: EventLog, frame: pd.DataFrame) -> npt.NDArray[np.float64]:
    """Per user-code cost (NaN unknown) from a frame with ``user_id`` and a cost column."""
    cols = [str(c) for c in frame.columns]
    if "user_id" not in frame.columns:
        close = did_you_mean("user_id", cols)
        hint = f"did you mean {close[0]!r}? rename it to 'user_id'" if close else "add it"
        raise InvalidParameterError(
            f"The cac frame has no 'user_id' column. Expected columns 'user_id' and one of "
            f"{list(_COST_COLUMNS)}; got {cols}. Hint: {hint}."
        )
    cost_col = next((c for c in _COST_COLUMNS if c in frame.columns), None)
    if cost_col is None:
        close = [c for c in cols if did_you_mean(c, _COST_COLUMNS)]
        hint = f"rename {close[0]!r} to 'acquisition_cost'" if close else "add one"
        raise InvalidParameterError(
            f"The cac frame has no cost column. Expected one of {list(_COST_COLUMNS)}; got "
            f"{cols}. Hint: {hint}."
        )
    ids = frame["user_id"]
    if not ids.is_unique:
        dup = ids[ids.duplicated()].unique().tolist()[:5]
        raise InvalidParameterError(
            f"The cac frame lists user ids {dup} more than once. Expected one cost per user."
        )
    raw = frame[cost_col]
    cost = pd.to_numeric(raw, errors="coerce").to_numpy(dtype=float)
    given = raw.notna().to_numpy(dtype=bool)
    with np.errstate(invalid="ignore"):
        bad = given & (~np.isfinite(cost) | (cost < 0))
    if bad.any():
        _raise_bad_costs(list(zip(ids[bad].tolist(), raw[bad].tolist(), strict=True)), "user")
    out = np.full(len(log.users), np.nan, dtype=np.float64)
    pos = pd.Index(ids).get_indexer(log.users)
    found = pos >= 0
    out[found] = cost[pos[found]]
    return out


def _check_costs(costs: Mapping[Any, Any]) -> dict[Any, float]:
    """Validate a channel -> cost mapping and return it with float costs."""
    bad = []
    out = {}
    for k, v in costs.items():
        ok = not isinstance(v, bool) and isinstance(v, numbers.Real) and math.isfinite(float(v))
        if not ok or float(v) < 0:
            bad.append((k, v))
        else:
            out[k] = float(v)
    if bad:
        _raise_bad_costs(bad, "channel")
    return out


def _raise_bad_costs(bad: list[tuple[Any, Any]], per: str) -> None:
    shown = ", ".join(f"{k!r}: {v!r}" for k, v in bad[:5])
    more = f" and {len(bad) - 5} more" if len(bad) > 5 else ""
    raise InvalidParameterError(
        f"Invalid acquisition cost(s) per {per}: {shown}{more}. Expected finite numbers >= 0 (a "
        "cost per acquired user). Hint: use 0.0 for channels that cost nothing, such as organic."
    )


def payback(
    events: EventsLike,
    *,
    cac: Mapping[Any, float] | pd.Series | pd.DataFrame,
    breakdown: GroupSpec,
    cohort_period: Period | str = "week",
    periods: int = 12,
    purchase_event: str | Sequence[str] = "purchase",
    value_col: str | None = None,
    signup_event: str | Sequence[str] | None = None,
    as_of: DateLike | None = None,
    tz: str | None = None,
    week_start: WeekStart | int | None = None,
) -> PaybackResult:
    """Payback period per acquisition channel: when revenue per user covers the cost per user.

    Each channel's cumulative revenue per user is followed by age (periods since acquisition,
    as in :func:`ltv_curve`); its payback period is the first age at which that curve reaches
    the channel's CAC.

    Parameters
    ----------
    events : EventLog, LazyEventLog or DataFrame
        The events.
    cac : mapping, Series or DataFrame
        A cost per acquired user for each channel (``{"ads": 6.0, "organic": 0.0}`` or a
        Series indexed by channel), or a frame with ``user_id`` and one of
        ``acquisition_cost`` / ``cac`` / ``cost`` giving each user's cost (the channel's CAC is
        then the mean cost of its acquired users with a known cost).
    breakdown : str, Series or mapping
        Each user's acquisition channel (the library's one user-grouping parameter): a Series
        or mapping from user id to channel, a property column of the log (first-touch value),
        or, when ``cac`` is a frame that has this column, that column.
    cohort_period : {"day", "week", "month", "hour"}, default "week"
        Calendar period of ages, in ``tz``.
    periods : int, default 12
        Ages followed: ``0 .. periods - 1``.
    purchase_event : str or list of str, default "purchase"
        The event(s) that carry revenue.
    value_col : str, optional
        A numeric property column holding the amount.  Default: the log's values.
    signup_event : str or list of str, optional
        Acquire users at their first such event instead of their first event.
    as_of : str, datetime or Timestamp, optional
        "Now"; default the log's ``as_of``.
    tz : str, optional
        Time zone of the calendar; default the log's.
    week_start : str or int, optional
        First day of a week; default the log's.

    Returns
    -------
    PaybackResult
        ``table`` per channel and ``curves``.

    Raises
    ------
    InvalidParameterError
        For a negative, infinite or non-numeric CAC, a channel with users but no CAC, an unknown
        ``breakdown`` property (with close names), channel ids that match no user, a cac frame
        without ``user_id`` or a cost column, unknown event names, a missing value column or
        ``periods < 1``.

    See Also
    --------
    ltv_curve : The cohort curves this is built from.

    Notes
    -----
    Payback compares revenue (not margin) with CAC; multiply amounts by your margin first for a
    margin-based payback.  The per-channel curve adds, age by age, the revenue per user of the
    cohorts that reached that age, so recent cohorts count for the early ages only.  A CAC of 0
    pays back at age 0.  Users without a channel are left out.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({
    ...     "user_id": ["a", "a", "a", "b", "b"],
    ...     "event": ["signup", "purchase", "purchase", "signup", "purchase"],
    ...     "timestamp": pd.to_datetime(["2024-01-01", "2024-01-02", "2024-01-16",
    ...                                  "2024-01-01", "2024-01-03"], utc=True),
    ...     "value": [None, 4.0, 4.0, None, 1.0],
    ... })
    >>> res = payback(df, cac={"ads": 6.0, "organic": 0.0},
    ...               breakdown={"a": "ads", "b": "organic"}, periods=4, as_of="2024-01-31")
    >>> res.table["payback_period"].tolist()
    [2, 0]
    >>> res.curves.loc["ads"].tolist()
    [4.0, 4.0, 8.0, 8.0]
    """
    args = (events, cohort_period, periods, purchase_event, value_col, signup_event, as_of, tz)
    # a channel property is read from the event rows
    q = _cohort_query(*args, week_start, rows=isinstance(breakdown, str))
    log, n, now, anchor = q.log, q.periods, q.now, q.anchor

    per_user_cost: npt.NDArray[np.float64] | None = None
    cac_map: dict[Any, float] | None = None
    if isinstance(cac, pd.DataFrame):
        if isinstance(breakdown, str) and breakdown in cac.columns and "user_id" in cac.columns:
            breakdown = pd.Series(
                cac[breakdown].to_numpy(), index=pd.Index(cac["user_id"]), name=breakdown
            )
        per_user_cost = _cac_per_user(log, cac)
    elif isinstance(cac, pd.Series | Mapping):
        cac_map = _check_costs(dict(cac.items()))
    else:
        raise InvalidParameterError(
            f"Invalid cac of type {type(cac).__name__}. Expected a mapping channel -> cost per "
            "user (e.g. {'ads': 6.0, 'organic': 0.0}) or a frame with 'user_id' and "
            "'acquisition_cost' columns."
        )
    if breakdown is None:
        raise InvalidParameterError(
            "Invalid breakdown=None. Expected each user's acquisition channel: a Series or mapping "
            "user id -> channel, or a property column name. Hint: "
            "breakdown=users.set_index('user_id')['channel']."
        )

    grp = _user_groups(log, breakdown, anchor_ns=anchor, event_mask=q.keep, periods_allowed=False)
    labels = grp.labels
    codes = grp.codes
    if cac_map is not None and log.n_events > 0:
        # an empty log shows no channel (empty-data policy: a zero-size table)
        extra = [k for k in cac_map if k not in set(labels)]
        if extra:
            labels = labels.append(pd.Index(extra, dtype=object))
    ng = len(labels)
    acquired = (anchor != _NS_MAX) & (codes >= 0)
    users = np.bincount(codes[acquired], minlength=ng).astype(np.int64)

    if cac_map is not None:
        cost = np.array([cac_map.get(lab, np.nan) for lab in labels], dtype=np.float64)
        missing = [
            lab for lab, c, k in zip(labels, cost, users, strict=True) if k > 0 and np.isnan(c)
        ]
        if missing:
            raise InvalidParameterError(
                f"No CAC for channel(s) {missing!r}, which have acquired users. Expected a cost "
                f"per user for every channel; got costs for {list(cac_map)!r}. Hint: add them, "
                f"e.g. cac={{..., {missing[0]!r}: 0.0}}."
            )
    else:
        assert per_user_cost is not None
        known = acquired & ~np.isnan(per_user_cost)
        sums = np.bincount(codes[known], weights=per_user_cost[known], minlength=ng)
        cnt = np.bincount(codes[known], minlength=ng)
        with np.errstate(invalid="ignore", divide="ignore"):
            cost = np.where(cnt > 0, sums / np.maximum(cnt, 1), np.nan)

    cr = q.revenue(
        np.where(acquired, codes, -1),
        ng,
        empty="payback: no user with a channel was acquired by as_of={as_of}.",
    )
    curve = np.full((ng, n), np.nan) if cr.cohorts.size == 0 else _chained_curve(cr)
    tol = 1e-9 * np.maximum(1.0, np.abs(cost))
    with np.errstate(invalid="ignore"):
        reached = curve >= (cost - tol)[:, None]
    first = np.argmax(reached, axis=1)
    pay = pd.Series(np.where(reached.any(axis=1), first, np.nan), index=labels).astype("Int64")
    valid = ~np.isnan(curve)
    last = np.where(valid.any(axis=1), n - 1 - np.argmax(valid[:, ::-1], axis=1), 0)
    ltv = np.where(valid.any(axis=1), curve[np.arange(ng), last], np.nan)
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = np.where(cost > 0, ltv / np.where(cost > 0, cost, 1.0), np.nan)
    index = pd.Index(labels, name=grp.name if grp.name != "group" else "channel")
    table = pd.DataFrame(
        {
            "users": users,
            "cac": cost,
            "payback_period": pay.array,
            "ltv": ltv,
            "ltv_to_cac": ratio,
        },
        index=index,
    )
    curves = pd.DataFrame(curve, index=index, columns=pd.RangeIndex(n, name="age"))
    return PaybackResult(
        params=q.params(
            breakdown=breakdown if isinstance(breakdown, str) else index.name,
        ),
        as_of=_stamp(now, log.tz),
        table=table,
        curves=curves,
    )
