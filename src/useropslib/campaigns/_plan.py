"""Planning: targets from history, breakdowns, funnel projection and cost / benefit."""

from __future__ import annotations

import dataclasses
import math
import warnings
from collections.abc import Mapping, Sequence
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import pandas as pd

from useropslib._checks import check_int, is_real
from useropslib._results import MetricResult, axes_or_new
from useropslib.campaigns._measure import check_spec, measure, resolve_range
from useropslib.events import EventLog, EventsLike, first_seen_ns
from useropslib.events._query import load, require_data
from useropslib.events._time import to_utc_ns
from useropslib.exceptions import (
    InsufficientDataError,
    InsufficientDataWarning,
    InvalidParameterError,
    did_you_mean,
)
from useropslib.metrics import funnel as _funnel
from useropslib.models import (
    Campaign,
    DateLike,
    MetricSpec,
    NewUsersSpec,
    OrdersSpec,
    ParticipationFunnel,
    RevenueSpec,
)

__all__ = [
    "CostBenefit",
    "FunnelProjection",
    "TargetResult",
    "breakdown_target",
    "cost_benefit",
    "largest_remainder",
    "project_funnel",
    "target_from_history",
]

_SEASON = {"day": 364, "week": 52, "month": 12}
_STEP = {
    "day": pd.DateOffset(days=1),
    "week": pd.DateOffset(weeks=1),
    "month": pd.DateOffset(months=1),
}


@dataclasses.dataclass(frozen=True, repr=False)
class TargetResult(MetricResult):
    """A target set from history: baseline, target and the history's normal band.

    Attributes
    ----------
    baseline : float
        Same period last year (``"yoy"``), the last complete period (``"mom"``) or the trend
        fit's value for the target period (``"trend"``).
    target : float
        The baseline with the uplift.
    band : tuple of float
        ``(low, high)``: the baseline moved by the 5th and 95th percentiles of the history's
        period-to-period relative changes (12 periods apart for ``"yoy"``; the fit's relative
        residuals for ``"trend"``) -- where the metric would land without any push.
    period_start : pandas.Timestamp
        Start of the period the target is for.
    history : pandas.Series
        The metric per complete period before it.
    """

    baseline: float
    target: float
    band: tuple[float, float]
    period_start: pd.Timestamp
    history: pd.Series

    def to_frame(self) -> pd.DataFrame:
        """Return the history with the target period appended (columns ``value``, ``kind``).

        Returns
        -------
        pandas.DataFrame
        """
        hist = pd.DataFrame({"value": self.history, "kind": "history"})
        row = pd.DataFrame(
            {"value": [self.target], "kind": ["target"]},
            index=pd.DatetimeIndex([self.period_start], name=self.history.index.name),
        )
        out: pd.DataFrame = pd.concat([hist, row])
        return out

    def plot(self, ax: Any = None) -> Any:
        """Draw the history, the baseline, the band and the target.

        Parameters
        ----------
        ax : matplotlib.axes.Axes, optional

        Returns
        -------
        matplotlib.axes.Axes
        """
        from useropslib.plotting import target_history

        return target_history(
            self.history.index,
            self.history.to_numpy(dtype=float),
            period_start=self.period_start,
            baseline=self.baseline,
            target=self.target,
            band=self.band,
            ax=axes_or_new(ax),
        )

    def __repr__(self) -> str:
        return (
            f"TargetResult(method={self.params['method']!r}, period_start={self.period_start}, "
            f"baseline={self.baseline:g}, target={self.target:g}, "
            f"band=({self.band[0]:g}, {self.band[1]:g}))"
        )


def _period_start(ts: pd.Timestamp, period: str, week_start: int) -> pd.Timestamp:
    local = ts.tz_localize(None).normalize()
    if period == "week":
        local -= pd.Timedelta(days=(local.weekday() - week_start) % 7)
    elif period == "month":
        local = local.replace(day=1)
    out: pd.Timestamp = local
    return out


def target_from_history(
    spec: MetricSpec,
    events: EventsLike,
    *,
    period: Literal["day", "week", "month"] = "month",
    method: Literal["yoy", "mom", "trend"] = "yoy",
    uplift: float = 0.1,
    relative: bool = True,
    as_of: DateLike | None = None,
    trend_periods: int = 12,
) -> TargetResult:
    """Set a target for the period holding ``as_of`` from the metric's own history.

    Parameters
    ----------
    spec : MetricSpec
    events : EventLog, LazyEventLog or DataFrame
    period : {"day", "week", "month"}, default "month"
    method : {"yoy", "mom", "trend"}, default "yoy"
        The baseline: the same period one year earlier (12 months, 52 weeks or 364 days, so
        weekdays align), the last complete period, or a least-squares line through the last
        ``trend_periods`` complete periods, read at the target period.
    uplift : float, default 0.1
        The push on top of the baseline: relative (0.1 = +10 %) or absolute.
    relative : bool, default True
    as_of : str, datetime or Timestamp, optional
        "Now"; the target is for the period holding it.  Default: the log's ``as_of``.
    trend_periods : int, default 12
        Periods of the trend fit (at least 3).

    Returns
    -------
    TargetResult

    Raises
    ------
    InsufficientDataError
        When the history lacks the periods the method needs (the message says how many).
    InvalidParameterError
        For a relative uplift on a zero baseline, unknown options.

    Notes
    -----
    The history is the complete periods before the target period, starting with the first
    period whose first day the log covers.

    This is the spreadsheet arithmetic of operations teams (同比 year-over-year, 环比
    period-over-period) done on the log.  Its limits: holidays that move between years (Lunar
    New Year, Easter) and weekday mix are not modelled beyond aligning weeks; the band is the
    history's own spread, not a forecast interval.  For a campaign's *effect* against such a
    baseline, use a counterfactual method instead.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from useropslib.models import NewUsersSpec
    >>> days = pd.date_range("2024-01-01", "2024-04-15", freq="D", tz="UTC")
    >>> df = pd.DataFrame({"user_id": [f"u{i}" for i in range(len(days))], "event": "signup",
    ...                    "timestamp": days})
    >>> res = target_from_history(NewUsersSpec(), df, method="mom", uplift=0.1)
    >>> res.baseline, round(res.target, 1), str(res.period_start.date())
    (31.0, 34.1, '2024-04-01')
    """
    spec = check_spec(spec)
    log = load(events)
    if period not in _SEASON:
        raise InvalidParameterError(f"period must be 'day', 'week' or 'month', got {period!r}.")
    if not isinstance(method, str) or method not in ("yoy", "mom", "trend"):
        close = did_you_mean(str(method), ("yoy", "mom", "trend"))
        raise InvalidParameterError(
            f"method must be 'yoy', 'mom' or 'trend', got {method!r}."
            + (f" Hint: did you mean {close[0]!r}?" if close else "")
        )
    if isinstance(trend_periods, bool) or not isinstance(trend_periods, int) or trend_periods < 3:
        raise InvalidParameterError(
            f"trend_periods must be an integer >= 3, got {trend_periods!r}."
        )
    if log.start is None or log.as_of_ns is None:
        raise InsufficientDataError("the log is empty: there is no history to set a target from.")
    now_ns = log.as_of_ns if as_of is None else to_utc_ns(as_of, tz=log.tz, name="as_of")
    now = pd.Timestamp(now_ns, unit="ns", tz="UTC").tz_convert(log.tz)
    current = _period_start(now, period, log.week_start)
    first = _period_start(log.start, period, log.week_start)
    if log.start.tz_localize(None) - first >= pd.Timedelta(days=1):
        # only periods the log covers from their first day on
        first = first + _STEP[period]
    need = {"yoy": _SEASON[period], "mom": 1, "trend": trend_periods}[method]
    have = len(pd.date_range(first, current, freq=_STEP[period], inclusive="left"))
    if have < need:
        raise InsufficientDataError(
            f"method={method!r} with period={period!r} needs {need} complete periods of history "
            f"before {current.date()}, the log has {have} (from {first.date()}). Hint: "
            + (
                "use method='mom' or 'trend' on a shorter history."
                if method == "yoy"
                else "a longer history, or a shorter period."
            )
        )
    tz = log.tz
    start = first.tz_localize(tz)
    history = measure(spec, log.until(now), start=start, end=current.tz_localize(tz), every=period)
    assert isinstance(history, pd.Series)
    values = history.to_numpy(dtype=float)
    if method == "yoy":
        baseline = float(values[-_SEASON[period]])
        lag = _SEASON[period]
    elif method == "mom":
        baseline = float(values[-1])
        lag = 1
    else:
        y = values[-trend_periods:]
        x = np.arange(y.size, dtype=float)
        ok = np.isfinite(y)
        slope, intercept = np.polyfit(x[ok], y[ok], 1)
        baseline = float(intercept + slope * y.size)
        lag = 0
        residuals = (y - (intercept + slope * x))[ok]
    if not math.isfinite(baseline):
        raise InsufficientDataError(
            f"the baseline period has no value for {spec.label!r} (an empty denominator). "
            "Hint: use another method or period."
        )
    if relative:
        if baseline == 0:
            raise InvalidParameterError(
                f"the baseline of {spec.label!r} is 0, so a relative uplift of {uplift!r} "
                "gives 0. Hint: pass relative=False and an absolute uplift."
            )
        target = baseline * (1 + uplift)
    else:
        target = baseline + uplift
    if lag:
        with np.errstate(divide="ignore", invalid="ignore"):
            changes = values[lag:] / values[:-lag] - 1
        changes = changes[np.isfinite(changes)]
    else:
        # trend: the band is the fit's own residual spread around the line
        changes = residuals / baseline if baseline else residuals * np.nan
        changes = changes[np.isfinite(changes)]
    if changes.size >= 2:
        lo_q, hi_q = np.quantile(changes, [0.05, 0.95])
        band = (float(baseline * (1 + lo_q)), float(baseline * (1 + hi_q)))
    else:
        warnings.warn(
            f"target_from_history: {changes.size} period-to-period change(s) in the history, "
            "too few for a band; the band is the baseline itself.",
            InsufficientDataWarning,
            stacklevel=2,
        )
        band = (baseline, baseline)
    return TargetResult(
        params={
            "metric": spec.label,
            "period": period,
            "method": method,
            "uplift": uplift,
            "relative": relative,
        },
        as_of=now,
        baseline=baseline,
        target=float(target),
        band=band,
        period_start=current.tz_localize(tz),
        history=history,
    )


def largest_remainder(total: int, shares: Sequence[float] | npt.NDArray[np.float64]) -> Any:
    """Split an integer ``total`` by ``shares`` into integers that sum to it exactly.

    Each part gets the floor of its quota; the units left go to the largest remainders (ties
    to the earlier part), the Hamilton method.

    Parameters
    ----------
    total : int
        >= 0.
    shares : sequence of float
        Non-negative, not all zero (normalised to sum to 1).

    Returns
    -------
    ndarray of int64

    Examples
    --------
    >>> largest_remainder(10, [1, 1, 1]).tolist()
    [4, 3, 3]
    """
    total = check_int(total, "total", minimum=0, hint="total=100")
    try:
        w = np.asarray(shares, dtype=float).reshape(-1)
    except (TypeError, ValueError):
        raise InvalidParameterError(
            f"shares must be numbers, got {type(shares).__name__}. Hint: shares=[1, 1, 2]."
        ) from None
    if w.size == 0 or not np.all(np.isfinite(w)) or (w < 0).any() or w.sum() <= 0:
        raise InvalidParameterError(
            f"shares must be finite, non-negative and not all zero, got {list(w)}."
        )
    quota = total * w / w.sum()
    base = np.floor(quota).astype(np.int64)
    left = int(total - base.sum())
    order = np.lexsort((np.arange(w.size), -(quota - base)))
    base[order[:left]] += 1
    return base


def _group_values(spec: MetricSpec, log: EventLog, breakdown: Any, lo: int, hi: int) -> pd.Series:
    names = list(spec.required_events()) if spec.required_events() else None
    sub = log.filter_events(names) if names else log
    codes = sub.user_codes.astype(np.int64)
    ts = sub.timestamps_ns
    if isinstance(breakdown, str):
        if breakdown not in sub.property_names:
            close = did_you_mean(breakdown, sub.property_names)
            raise InvalidParameterError(
                f"breakdown={breakdown!r} is not a property of the log's events "
                f"{list(sub.property_names)}."
                + (f" Hint: did you mean {close[0]!r}?" if close else "")
            )
        group = sub.property_values(breakdown).to_numpy(dtype=object)
    elif isinstance(breakdown, pd.Series):
        group = breakdown.reindex(sub.users[codes]).to_numpy(dtype=object)
    else:
        raise InvalidParameterError(
            "breakdown must be an event property name or a pandas Series mapping user id -> group, "
            f"got {type(breakdown).__name__}."
        )
    if isinstance(spec, NewUsersSpec):
        first = first_seen_ns(sub)
        keep = (ts == first[codes]) & (ts >= lo) & (ts < hi)
        # one row per new user: their first qualifying event
        _, idx = np.unique(codes[keep], return_index=True)
        rows = np.flatnonzero(keep)[idx]
        weights = np.ones(rows.size)
    elif isinstance(spec, RevenueSpec | OrdersSpec):
        rows = np.flatnonzero((ts >= lo) & (ts < hi))
        if isinstance(spec, RevenueSpec):
            if sub.values is None:
                raise InvalidParameterError("revenue shares need a value column in the log.")
            weights = np.nan_to_num(sub.values[rows])
        else:
            weights = np.ones(rows.size)
    else:
        raise InvalidParameterError(
            f"breakdown_target splits additive metrics (new users, revenue, orders) by their "
            f"historical shares; {spec.label!r} is not additive. Hint: set a target per group "
            "with target_from_history on a segment of the log instead."
        )
    g = pd.Series(group[rows], dtype=object)
    unknown = int(g.isna().sum())
    if unknown:
        warnings.warn(
            f"breakdown_target: {unknown} event(s) have no {breakdown!r} value; they form the "
            "group '(none)'.",
            InsufficientDataWarning,
            stacklevel=3,
        )
    g = g.fillna("(none)").astype(str)
    out: pd.Series = pd.Series(weights).groupby(g.to_numpy()).sum()
    return out


def breakdown_target(
    total: float,
    spec: MetricSpec,
    events: EventsLike,
    *,
    breakdown: str | pd.Series,
    start: DateLike,
    end: DateLike,
) -> pd.DataFrame:
    """Split a target by channel, product or any property, by the groups' historical shares.

    Parameters
    ----------
    total : float
        The target to split.  An integer total (``int``, or a float with no fraction) is split
        into integers that sum to it exactly (largest-remainder rounding).
    spec : MetricSpec
        An additive metric: ``NewUsersSpec`` (a user's group is that of their first
        qualifying event), ``RevenueSpec`` or ``OrdersSpec``.
    events : EventLog, LazyEventLog or DataFrame
    breakdown : str or pandas.Series
        An event property name (``"channel"``), or a Series mapping user id to a group.
    start, end : str, datetime or Timestamp
        The history ``[start, end)`` the shares come from.

    Returns
    -------
    pandas.DataFrame
        Index ``group`` (largest share first), columns ``history`` (the metric per group),
        ``share`` and ``target``.

    Raises
    ------
    InvalidParameterError
        For a non-additive metric, an unknown property, a history without the metric.
    InsufficientDataError
        When the log has no events (shares are estimated, so the empty-data policy raises).

    Examples
    --------
    >>> import pandas as pd
    >>> from useropslib.models import OrdersSpec
    >>> df = pd.DataFrame({"user_id": list("abcdef"), "event": "purchase",
    ...     "timestamp": pd.date_range("2024-01-01", periods=6, freq="D", tz="UTC"),
    ...     "channel": ["app", "app", "app", "web", "web", "shop"]})
    >>> breakdown_target(100, OrdersSpec(), df, breakdown="channel", start="2024-01-01",
    ...                  end="2024-02-01")["target"].tolist()
    [50, 33, 17]
    """
    spec = check_spec(spec)
    log = load(events)
    if isinstance(total, bool) or not isinstance(total, int | float | np.number):
        raise InvalidParameterError(f"total must be a number, got {type(total).__name__}.")
    if not math.isfinite(float(total)) or total < 0:
        raise InvalidParameterError(f"total must be a finite number >= 0, got {total!r}.")
    lo, hi = resolve_range(log, start, end)
    # shares are estimated from the history (empty-data policy): no events, nothing to split by
    require_data(
        log.n_events, "breakdown_target: events in the log", hint="pass the log of the history"
    )
    hist = _group_values(spec, log, breakdown, lo, hi)
    if hist.sum() <= 0:
        raise InvalidParameterError(
            f"no {spec.label!r} in [{start}, {end}) to take shares from. Hint: widen the range."
        )
    hist = hist.sort_values(ascending=False, kind="stable")
    share = hist / hist.sum()
    integral = float(total).is_integer()
    if integral:
        target: Any = largest_remainder(int(total), share.to_numpy())
    else:
        target = share.to_numpy() * float(total)
    out: pd.DataFrame = pd.DataFrame(
        {"history": hist.to_numpy(), "share": share.to_numpy(), "target": target}
    )
    out.index = pd.Index(hist.index.astype(str), name="group")
    return out


@dataclasses.dataclass(frozen=True, repr=False)
class FunnelProjection(MetricResult):
    """Expected users at each stage of a participation funnel, and where to improve.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per stage: ``stage``, ``rate`` (from the previous stage; 1 for the first),
        ``users`` (expected), ``gain_per_point`` (extra final actions if this stage's rate
        rises by one percentage point).
    best_stage : str
        The stage whose one-point improvement gains the most actions.
    """

    table: pd.DataFrame
    best_stage: str

    def to_frame(self) -> pd.DataFrame:
        """Return the stage table.

        Returns
        -------
        pandas.DataFrame
        """
        out: pd.DataFrame = self.table.copy()
        return out

    def plot(self, ax: Any = None) -> Any:
        """Draw the expected users per stage.

        Parameters
        ----------
        ax : matplotlib.axes.Axes, optional

        Returns
        -------
        matplotlib.axes.Axes
        """
        from useropslib.plotting import funnel_projection

        return funnel_projection(
            self.table["stage"].astype(str).tolist(),
            self.table["users"].to_numpy(dtype=float),
            ax=axes_or_new(ax),
        )

    def __repr__(self) -> str:
        lines = [f"FunnelProjection(best_stage={self.best_stage!r})"]
        for _, r in self.table.iterrows():
            lines.append(f"  {r['stage']:<10} rate={r['rate']:.3f} users={r['users']:.1f}")
        return "\n".join(lines)


def _rate(value: Any) -> float:
    if not is_real(value):
        raise InvalidParameterError(
            f"each stage rate must be a number, got {value!r:.60}. Hint: rates=[0.5, 0.2]."
        )
    return float(value)


def project_funnel(
    reach: float,
    rates: Mapping[str, float] | Sequence[float] | None = None,
    *,
    funnel: ParticipationFunnel | None = None,
    events: EventsLike | None = None,
    start: DateLike | None = None,
    end: DateLike | None = None,
    window: str = "7D",
) -> FunnelProjection:
    """Project a participation funnel from its reach: users expected at each stage.

    Parameters
    ----------
    reach : float
        People reached (entering the first stage); >= 0.
    rates : mapping or sequence of float, optional
        Each stage's rate from the previous stage, in (0, 1]: a mapping ``stage -> rate`` (the
        first stage's rate, if given, scales the reach) or a sequence for stages 2..n.  Omit it
        to take the rates from the history of ``funnel`` in ``events``.
    funnel : ParticipationFunnel, optional
        The stages (and, with ``events``, their events); one event name per stage for history.
    events : EventLog, LazyEventLog or DataFrame, optional
    start, end : str, datetime or Timestamp, optional
        The history's range, for rates from the log.
    window : str, default "7D"
        Conversion window of the historical funnel (:func:`useropslib.metrics.funnel`).

    Returns
    -------
    FunnelProjection

    Raises
    ------
    InvalidParameterError
        For rates outside (0, 1], a negative reach, or neither rates nor a funnel with events.

    Notes
    -----
    Rates multiply: users at stage k = reach x rate_2 x ... x rate_k.  Raising stage i's rate by
    one point multiplies the final actions by ``(r_i + 0.01) / r_i``, so the lowest rate is
    where a point gains the most.

    Examples
    --------
    >>> res = project_funnel(10000, {"attention": 1.0, "interest": 0.3, "weigh": 0.5,
    ...                              "action": 0.2})
    >>> res.table["users"].tolist(), res.best_stage
    ([10000.0, 3000.0, 1500.0, 300.0], 'action')
    """
    if isinstance(reach, bool) or not isinstance(reach, int | float | np.number) or reach < 0:
        raise InvalidParameterError(f"reach must be a number >= 0, got {reach!r}.")
    if rates is None:
        if funnel is None or events is None:
            raise InvalidParameterError(
                "give rates=..., or a funnel=ParticipationFunnel(...) with events= (and start, "
                "end) to take the rates from history."
            )
        names, rate_list = _historical_rates(funnel, events, start, end, window)
    elif isinstance(rates, Mapping):
        names = [str(k) for k in rates]
        rate_list = [_rate(v) for v in rates.values()]
    else:
        if isinstance(rates, (str, bytes)) or not hasattr(rates, "__iter__"):
            raise InvalidParameterError(
                f"rates must be a sequence or a mapping of stage rates, got "
                f"{type(rates).__name__}. Hint: rates=[0.5, 0.2]."
            )
        rate_list = [1.0, *(_rate(v) for v in rates)]
        names = (
            [s for s, _ in funnel.stages]
            if funnel is not None
            else [f"stage_{i}" for i in range(len(rate_list))]
        )
        if len(names) != len(rate_list):
            raise InvalidParameterError(
                f"{len(rate_list) - 1} rates for {len(names)} stages; give one rate per stage "
                "after the first."
            )
    r = np.asarray(rate_list, dtype=float)
    bad = ~np.isfinite(r) | (r <= 0) | (r > 1)
    if bad.any():
        raise InvalidParameterError(
            f"stage rates must lie in (0, 1], got {dict(zip(names, rate_list, strict=True))}. "
            "Hint: write percentages as fractions."
        )
    users = float(reach) * np.cumprod(r)
    final = users[-1]
    gain = final * 0.01 / r
    table = pd.DataFrame({"stage": names, "rate": r, "users": users, "gain_per_point": gain})
    best = (
        str(names[int(np.argmax(np.where(r < 1, gain, -np.inf)))])
        if (r < 1).any()
        else str(names[0])
    )
    return FunnelProjection(
        params={"reach": reach, "source": "history" if rates is None else "given"},
        as_of=None,
        table=table,
        best_stage=best,
    )


def _historical_rates(
    funnel: ParticipationFunnel, events: EventsLike, start: Any, end: Any, window: str
) -> tuple[list[str], list[float]]:
    log = load(events)
    stages = funnel.stages
    multi = [s for s, names in stages if len(names) > 1]
    if multi:
        raise InvalidParameterError(
            f"stages {multi} name several events; rates from history need one event per stage. "
            "Hint: give rates=... for these."
        )
    steps = [names[0] for _, names in stages]
    res = _funnel(log, steps, window=window, start=start, end=end)
    users = res.table["users"].to_numpy(dtype=float)
    if users[0] <= 0:
        raise InsufficientDataError(
            f"nobody entered the funnel at {steps[0]!r} in the history range. Hint: widen it."
        )
    with np.errstate(divide="ignore", invalid="ignore"):
        step_rates = np.r_[1.0, users[1:] / users[:-1]]
    return [s for s, _ in stages], [float(x) for x in np.nan_to_num(step_rates)]


@dataclasses.dataclass(frozen=True, repr=False)
class CostBenefit(MetricResult):
    """A campaign's cost and return: total cost, CAC, cost per incremental conversion, ROI.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per cost item (``item``, ``source``, ``amount``).
    total_cost, cac, cost_per_incremental, value, roi, break_even_incremental : float
    currency : str
    """

    table: pd.DataFrame
    total_cost: float
    cac: float
    cost_per_incremental: float
    value: float
    roi: float
    break_even_incremental: float
    currency: str

    def to_frame(self) -> pd.DataFrame:
        """Return the cost items.

        Returns
        -------
        pandas.DataFrame
        """
        out: pd.DataFrame = self.table.copy()
        return out

    def plot(self, ax: Any = None) -> Any:
        """Draw the cost items as bars.

        Parameters
        ----------
        ax : matplotlib.axes.Axes, optional

        Returns
        -------
        matplotlib.axes.Axes
        """
        from useropslib.plotting import cost_items

        return cost_items(
            self.table["item"].astype(str).tolist(),
            self.table["amount"].to_numpy(dtype=float),
            currency=self.currency,
            ax=axes_or_new(ax),
        )

    def __repr__(self) -> str:
        return (
            f"CostBenefit(total_cost={self.total_cost:,.2f} {self.currency}, "
            f"cost_per_incremental={self.cost_per_incremental:,.2f}, roi={self.roi:.2f}, "
            f"break_even_incremental={self.break_even_incremental:,.1f})"
        )


def cost_benefit(
    campaign: Campaign,
    *,
    expected_incremental: float,
    value_per_conversion: float,
    participants: float | None = None,
    reach: Mapping[str, float] | None = None,
) -> CostBenefit:
    """Total cost, CAC, cost per incremental conversion, ROI and the break-even point of a plan.

    Parameters
    ----------
    campaign : Campaign
    expected_incremental : float
        Conversions the campaign adds over what would have happened anyway; >= 0.
    value_per_conversion : float
        Value of one conversion (margin, or lifetime value); >= 0.
    participants : float, optional
        People expected to take part (they receive ``reward_per_participant``, and CAC divides
        by them).  Default: ``expected_incremental``.
    reach : mapping, optional
        People reached per channel, overriding the channels' ``expected_reach``.

    Returns
    -------
    CostBenefit

    Raises
    ------
    InvalidParameterError
        For negative or non-finite inputs, unknown channel names in ``reach``.

    Notes
    -----
    Cost = budget lines + each channel's ``fixed_cost + cost_per_contact x reach`` (a channel
    with its own budget line is counted by that line only) + ``reward_per_participant x
    participants``.  CAC = cost / participants; cost per incremental conversion = cost /
    incremental; value = incremental x value per conversion; ROI = (value - cost) / cost;
    break-even = cost / value per conversion.

    Examples
    --------
    >>> from useropslib.models import Campaign, Goal, NewUsersSpec
    >>> camp = Campaign(id="c", name="Push", type="acquisition",
    ...     primary_goal=Goal(metric=NewUsersSpec(), target=500, start="2024-03-01"),
    ...     channels=[{"name": "push", "cost_per_contact": 0.01, "fixed_cost": 100,
    ...                "expected_reach": 50000}],
    ...     budget=[{"item": "creative", "amount": 400}], reward_per_participant=2)
    >>> res = cost_benefit(camp, expected_incremental=200, value_per_conversion=20,
    ...                    participants=500)
    >>> res.total_cost, res.cost_per_incremental, res.roi, res.break_even_incremental
    (2000.0, 10.0, 1.0, 100.0)
    """
    if not isinstance(campaign, Campaign):
        raise InvalidParameterError(f"campaign must be a Campaign, got {type(campaign).__name__}.")

    def nonneg(v: Any, name: str) -> float:
        if isinstance(v, bool) or not isinstance(v, int | float | np.number):
            raise InvalidParameterError(f"{name} must be a number, got {type(v).__name__}.")
        if not math.isfinite(float(v)) or v < 0:
            raise InvalidParameterError(
                f"{name} must be a finite number >= 0, got {v!r}. Hint: costs and values are "
                "non-negative amounts."
            )
        return float(v)

    inc = nonneg(expected_incremental, "expected_incremental")
    vpc = nonneg(value_per_conversion, "value_per_conversion")
    part = inc if participants is None else nonneg(participants, "participants")
    reach = dict(reach or {})
    known = [c.name for c in campaign.channels]
    for name, v in reach.items():
        if name not in known:
            close = did_you_mean(name, known)
            raise InvalidParameterError(
                f"reach names channel {name!r}, not one of the campaign's {known}."
                + (f" Hint: did you mean {close[0]!r}?" if close else "")
            )
        nonneg(v, f"reach[{name!r}]")
    rows = [{"item": b.item, "source": "budget", "amount": b.amount} for b in campaign.budget]
    budgeted = {b.channel for b in campaign.budget if b.channel is not None}
    for c in campaign.channels:
        if c.name in budgeted:
            continue
        n = float(reach.get(c.name, c.expected_reach))
        rows.append(
            {
                "item": f"channel {c.name}",
                "source": "channel",
                "amount": c.fixed_cost + c.cost_per_contact * n,
            }
        )
    if campaign.reward_per_participant:
        rows.append(
            {
                "item": "rewards",
                "source": "reward",
                "amount": campaign.reward_per_participant * part,
            }
        )
    table = pd.DataFrame(rows, columns=["item", "source", "amount"])
    cost = float(table["amount"].sum())
    value = inc * vpc

    def div(a: float, b: float) -> float:
        return a / b if b > 0 else float("nan")

    return CostBenefit(
        params={
            "campaign": campaign.id,
            "expected_incremental": inc,
            "value_per_conversion": vpc,
            "participants": part,
        },
        as_of=None,
        table=table,
        total_cost=cost,
        cac=div(cost, part),
        cost_per_incremental=div(cost, inc),
        value=value,
        roi=div(value - cost, cost),
        break_even_incremental=div(cost, vpc),
        currency=str(campaign.currency),
    )
