"""Pacing: whether a running goal or campaign is on course to meet its target."""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import numpy as np
import pandas as pd

from useropslib._results import MetricResult, axes_or_new
from useropslib.campaigns._goals import goal_metric
from useropslib.campaigns._measure import measure_value, series_between
from useropslib.events import EventsLike, first_seen_ns
from useropslib.events._query import load, warn_empty
from useropslib.events._time import to_utc_ns
from useropslib.exceptions import InvalidParameterError
from useropslib.models import Campaign, DateLike, Goal, NewUsersSpec

__all__ = ["PacingResult", "pacing"]

_DAY = 86_400 * 10**9


@dataclasses.dataclass(frozen=True, repr=False)
class PacingResult(MetricResult):
    """A goal's pace at ``as_of``: actual against the expected curves, and what it takes now.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per day from the start to ``as_of`` (index ``day``): ``actual`` (cumulative for
        additive metrics, else the value since the start), ``expected_linear`` and
        ``expected_history``.
    actual, expected_linear, expected_history : float
        At ``as_of``.  ``expected_history`` is NaN when no earlier period of the same length
        exists (or the metric is not additive).
    status : {"ahead", "on track", "behind"}
    gap : float
        ``actual - expected_linear`` (in the metric's unit).
    required_daily : float
        Additive metrics: the daily amount needed from now on to reach the target; others: the
        change per day needed.
    projected : float
        The value expected at the deadline at the current pace.
    projected_interval : tuple of float
        Its ``1 - alpha`` interval from the day-to-day variability.
    """

    table: pd.DataFrame
    actual: float
    expected_linear: float
    expected_history: float
    status: str
    gap: float
    required_daily: float
    projected: float
    projected_interval: tuple[float, float]

    def to_frame(self) -> pd.DataFrame:
        """Return the daily table.

        Returns
        -------
        pandas.DataFrame
        """
        out: pd.DataFrame = self.table.copy()
        return out

    def plot(self, ax: Any = None) -> Any:
        """Draw actual against the expected curves, with the target.

        Parameters
        ----------
        ax : matplotlib.axes.Axes, optional

        Returns
        -------
        matplotlib.axes.Axes
        """
        from useropslib.plotting import pacing_curves

        return pacing_curves(
            self.table.index,
            self.table["actual"].to_numpy(dtype=float),
            self.table["expected_linear"].to_numpy(dtype=float),
            self.table["expected_history"].to_numpy(dtype=float),
            target=float(self.params["target"]),
            ax=axes_or_new(ax),
        )

    def __repr__(self) -> str:
        return (
            f"PacingResult(status={self.status!r}, actual={self.actual:g}, "
            f"expected_linear={self.expected_linear:g}, gap={self.gap:+g}, "
            f"required_daily={self.required_daily:g}, projected={self.projected:g} "
            f"[{self.projected_interval[0]:g}, {self.projected_interval[1]:g}], as_of={self.as_of})"
        )


def pacing(
    goal_or_campaign: Goal | Campaign,
    events: EventsLike,
    *,
    as_of: DateLike | None = None,
    tolerance: float = 0.05,
    alpha: float = 0.1,
) -> PacingResult:
    """Pace a running goal (or a campaign's primary goal) against its target.

    Parameters
    ----------
    goal_or_campaign : Goal or Campaign
        The goal needs a metric and a deadline.
    events : EventLog, LazyEventLog or DataFrame
    as_of : str, datetime or Timestamp, optional
        "Now", inside ``[start, deadline]``.  Default: the log's ``as_of``.
    tolerance : float, default 0.05
        "On track" when actual is within this share of the linear expectation; beyond it
        "ahead" or "behind" (in the goal's direction).
    alpha : float, default 0.1
        The projection interval is ``1 - alpha``.

    Returns
    -------
    PacingResult

    Raises
    ------
    InvalidParameterError
        For a goal without a metric or deadline, an ``as_of`` outside the goal's window.

    Warns
    -----
    InsufficientDataWarning
        When the log has no events (the empty-data policy: the actual is 0).

    Notes
    -----
    Additive metrics (new users, revenue, orders, reactivated users) accumulate from the start:
    the linear curve expects ``target x elapsed / duration``; the history-shaped curve expects
    ``target x`` the share of the total the same metric had reached after as many days in the
    window of the same length just before the start (a weekday or launch-day profile), when the
    log starts no later than that window's first day.  The
    projection adds the mean daily amount so far for each remaining day, with a normal interval
    from the daily amounts' standard deviation.  Other metrics (rates, means) move from the
    baseline (or the first day's value) towards the target: the linear curve is
    ``baseline + (target - baseline) x elapsed / duration``, the projection is the value so far,
    with an interval from the daily values' spread.

    Examples
    --------
    >>> import pandas as pd
    >>> from useropslib.models import Goal, NewUsersSpec
    >>> days = pd.date_range("2024-03-01", periods=10, freq="D", tz="UTC")
    >>> df = pd.DataFrame({"user_id": [f"u{i}" for i in range(10)], "event": "signup",
    ...                    "timestamp": days + pd.Timedelta(hours=12)})
    >>> goal = Goal(metric=NewUsersSpec(), target=30, start="2024-03-01T00:00Z",
    ...             deadline="2024-03-31T00:00Z")
    >>> res = pacing(goal, df, as_of="2024-03-11T00:00Z")
    >>> res.actual, res.expected_linear, res.status, res.required_daily
    (10.0, 10.0, 'on track', 1.0)
    """
    if isinstance(goal_or_campaign, Campaign):
        goal = goal_or_campaign.primary_goal
    elif isinstance(goal_or_campaign, Goal):
        goal = goal_or_campaign
    else:
        raise InvalidParameterError(
            f"pacing takes a Goal or a Campaign, got {type(goal_or_campaign).__name__}."
        )
    spec = goal_metric(goal)
    if goal.deadline is None:
        raise InvalidParameterError(
            f"goal {goal.label!r} has no deadline, so there is no pace to keep. Hint: give "
            "deadline=..."
        )
    for name, v in (("tolerance", tolerance), ("alpha", alpha)):
        if isinstance(v, bool) or not isinstance(v, int | float) or not 0 < v < 1:
            raise InvalidParameterError(f"{name} must lie strictly between 0 and 1, got {v!r}.")
    log = load(events)
    if log.n_events == 0:
        warn_empty(
            "pacing: the event log has no events", hint="check the filters that built the log"
        )
    tz = log.tz
    lo = to_utc_ns(goal.start, tz=tz, name="goal.start")
    end = to_utc_ns(goal.deadline, tz=tz, name="goal.deadline")
    now = log.as_of_ns if as_of is None else to_utc_ns(as_of, tz=tz, name="as_of")
    if now is None or not lo < now <= end:
        raise InvalidParameterError(
            f"as_of must lie in the goal's window ({goal.start.isoformat()}, "
            f"{goal.deadline.isoformat()}], got {_ts(now, tz) if now is not None else None}. "
            "Hint: pacing is for a running goal; use progress() after the deadline."
        )
    # additive kinds only read rows inside the edges (and first-seen times, which later events
    # cannot change), so they skip the copy a cut at as_of costs
    known = log if spec.additive else log.until(_ts(now, tz))
    edges = np.arange(lo, now, _DAY, dtype=np.int64)
    bounds = np.r_[edges, now]
    duration = end - lo
    prev_lo = lo - duration
    first: Any = None
    start_ns: int | None = None
    if isinstance(spec, NewUsersSpec) and spec.event is None:
        # the first-seen pass gives the log's first event too (a min over users, not events)
        first = first_seen_ns(known)
        start_ns = int(first.min()) if first.size else None
    elif spec.additive and log.start is not None:
        start_ns = int(log.start.value)
    with_history = spec.additive and start_ns is not None and start_ns < prev_lo + _DAY
    if with_history:
        # one pass over the log: the earlier window's slots (ending where the current window's
        # elapsed days end, and at its own end) followed by the current window's days
        prev_edges = np.unique(np.r_[bounds - duration, lo])
        slots = series_between(
            spec, known, np.r_[prev_edges, bounds[1:]], first_seen=first
        ).to_numpy(dtype=float)
        prev_slots, daily = slots[: prev_edges.size - 1], slots[prev_edges.size - 1 :]
    elif spec.additive:
        daily = series_between(spec, known, bounds, first_seen=first).to_numpy(dtype=float)
    else:
        daily = np.full(bounds.size - 1, np.nan)
    frac = (bounds[1:] - lo) / duration
    target = goal.target
    hist_profile = np.full(frac.size, np.nan)
    if spec.additive:
        actual_curve = np.cumsum(daily)
        linear = target * frac
        if with_history:
            prev = float(prev_slots.sum())
            if prev > 0:
                reached = np.cumsum(prev_slots)[: bounds.size - 1]
                hist_profile = target * reached / prev
        actual = float(actual_curve[-1])
        elapsed_days = (now - lo) / _DAY
        remaining_days = (end - now) / _DAY
        required = (target - actual) / remaining_days if remaining_days > 0 else float("nan")
        rate = actual / elapsed_days
        sd = float(np.std(daily, ddof=1)) if daily.size > 1 else float("nan")
        projected = actual + rate * remaining_days
        half = _z(alpha) * sd * math.sqrt(remaining_days) if math.isfinite(sd) else float("nan")
    else:
        actual_curve = np.asarray(
            [measure_value(spec, known, start=_ts(lo, tz), end=_ts(int(b), tz)) for b in bounds[1:]]
        )
        start_value = goal.baseline if goal.baseline is not None else float(actual_curve[0])
        linear = start_value + (target - start_value) * frac
        actual = float(actual_curve[-1])
        remaining_days = (end - now) / _DAY
        required = (target - actual) / remaining_days if remaining_days > 0 else float("nan")
        projected = actual
        steps = np.diff(actual_curve)
        sd = float(np.std(steps, ddof=1)) if steps.size > 1 else float("nan")
        half = _z(alpha) * sd * math.sqrt(remaining_days) if math.isfinite(sd) else float("nan")
    expected = float(linear[-1])
    gap = actual - expected
    scale = abs(expected) if expected else 1.0
    rel = gap / scale
    sign = 1 if goal.direction == "increase" else -1
    if sign * rel > tolerance:
        status = "ahead"
    elif sign * rel < -tolerance:
        status = "behind"
    else:
        status = "on track"
    index = pd.DatetimeIndex([_ts(int(b), tz) for b in bounds[:-1]], name="day")
    table = pd.DataFrame(
        {"actual": actual_curve, "expected_linear": linear, "expected_history": hist_profile},
        index=index,
    )
    return PacingResult(
        params={
            "goal": goal.label,
            "metric": spec.label,
            "target": target,
            "tolerance": tolerance,
            "alpha": alpha,
            "deadline": goal.deadline,
        },
        as_of=_ts(now, tz),
        table=table,
        actual=actual,
        expected_linear=expected,
        expected_history=float(hist_profile[-1]),
        status=status,
        gap=float(gap),
        required_daily=float(required),
        projected=float(projected),
        projected_interval=(float(projected - half), float(projected + half)),
    )


def _z(alpha: float) -> float:
    from scipy.stats import norm

    return float(norm.ppf(1 - alpha / 2))


def _ts(ns: int, tz: str) -> pd.Timestamp:
    out: pd.Timestamp = pd.Timestamp(ns, unit="ns", tz="UTC").tz_convert(tz)
    return out
