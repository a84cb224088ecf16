"""Goals on the log: the SMART check and progress against the target (target vs actual)."""

from __future__ import annotations

import dataclasses
import warnings
from collections.abc import Mapping
from typing import Any, Literal

import numpy as np
import pandas as pd

from useropslib._results import MetricResult, axes_or_new
from useropslib.campaigns._measure import measure_value, missing_events, resolve_range
from useropslib.events import EventLog, EventsLike
from useropslib.events._query import load, warn_empty
from useropslib.events._time import to_utc_ns
from useropslib.exceptions import InsufficientDataWarning, InvalidParameterError
from useropslib.models import DateLike, Goal

__all__ = [
    "RELEVANT_METRICS",
    "GoalProgress",
    "SmartFinding",
    "goal_metric",
    "progress",
    "smart_check",
]

RELEVANT_METRICS: dict[str, tuple[str, ...]] = {
    "acquisition": ("new_users", "conversion", "active_users"),
    "activation": ("active_users", "conversion", "retention", "reactivated_users"),
    "retention": ("retention", "churn_rate", "active_users"),
    "conversion": ("conversion", "paying_users", "orders", "revenue"),
    "revenue": ("revenue", "arpu", "arppu", "paying_users", "orders"),
    "recall": ("reactivated_users", "message_rate", "churn_rate", "retention", "active_users"),
    "brand": ("new_users", "active_users", "message_rate"),
}
"""Which metric kinds fit each goal kind (the SMART "relevant" check)."""

SmartProperty = Literal["specific", "measurable", "achievable", "relevant", "time_bound"]


@dataclasses.dataclass(frozen=True)
class SmartFinding:
    """One SMART property a goal fails, and why.

    Attributes
    ----------
    property : {"specific", "measurable", "achievable", "relevant", "time_bound"}
    reason : str
        What is wrong and how to fix it.
    detail : dict
        Numbers behind the finding (missing events, the percentile ...).
    """

    property: SmartProperty
    reason: str
    detail: Mapping[str, Any] = dataclasses.field(default_factory=dict)


def _check_goal(goal: Any) -> Goal:
    if not isinstance(goal, Goal):
        raise InvalidParameterError(
            f"goal must be a useropslib.models.Goal, got {type(goal).__name__}."
        )
    return goal


def goal_metric(goal: Goal) -> Any:
    """Return the goal's metric, or raise a helpful error for a goal without one.

    Parameters
    ----------
    goal : Goal

    Returns
    -------
    MetricSpec

    Raises
    ------
    InvalidParameterError
        When ``goal.metric`` is None.
    """
    if goal.metric is None:
        raise InvalidParameterError(
            f"goal {goal.label!r} has no metric, so nothing can be measured. Hint: give "
            "metric=... (e.g. NewUsersSpec(), ConversionSpec(steps=[...]))."
        )
    return goal.metric


def _history_changes(goal: Goal, log: EventLog) -> tuple[np.ndarray, int]:
    """Relative changes between consecutive windows of the goal's length before its start."""
    lo, hi = resolve_range(log, goal.start, goal.deadline)
    length = hi - lo
    first = log.start
    if first is None:
        return np.array([]), 0
    first_ns = int(first.value)
    day = 86_400 * 10**9
    ends = [lo - i * length for i in range(0, 60) if lo - (i + 1) * length + day > first_ns]
    values = [
        measure_value(goal_metric(goal), log, start=_ts(e - length, log), end=_ts(e, log))
        for e in reversed(ends)
    ]
    v = np.asarray(values, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        change = v[1:] / v[:-1] - 1
    return change[np.isfinite(change)], len(values)


def _ts(ns: int, log: EventLog) -> pd.Timestamp:
    out: pd.Timestamp = pd.Timestamp(ns, unit="ns", tz="UTC").tz_convert(log.tz)
    return out


def smart_check(
    goal: Goal,
    events: EventsLike | None = None,
    *,
    min_windows: int = 4,
    percentile_limit: float = 95.0,
) -> list[SmartFinding]:
    """Check a goal against SMART: one finding per property it fails, with the reason.

    Parameters
    ----------
    goal : Goal
    events : EventLog, LazyEventLog or DataFrame, optional
        Without a log, "measurable" and "achievable" are not judged.
    min_windows : int, default 4
        Windows of the goal's length the history must hold before the start to judge
        "achievable" (fewer: an :class:`InsufficientDataWarning`, and no finding).
    percentile_limit : float, default 95.0
        The goal is not achievable when the change it needs lies beyond this percentile of the
        history's window-to-window changes (below ``100 - limit`` for a decrease).

    Returns
    -------
    list of SmartFinding
        Empty when the goal passes every check.

    Raises
    ------
    InvalidParameterError
        When ``goal`` is not a Goal.

    Warns
    -----
    InsufficientDataWarning
        When the history is too short to judge "achievable".

    Notes
    -----
    - specific: the goal has a kind and a metric;
    - measurable: the log has every event the metric names (missing ones are listed);
    - achievable: the change from the baseline (or the metric over the window before the start)
      to the target, relative, compared with the relative changes between consecutive windows
      of the same length in the history (the share of them that were smaller is reported as a
      percentile);
    - relevant: the metric kind fits the goal kind (:data:`RELEVANT_METRICS`);
    - time-bound: the goal has a deadline.

    Examples
    --------
    >>> import datetime as dt
    >>> from useropslib.models import Goal, RevenueSpec
    >>> goal = Goal(kind="acquisition", metric=RevenueSpec(), target=100, start="2024-01-01")
    >>> [f.property for f in smart_check(goal)]
    ['relevant', 'time_bound']
    """
    goal = _check_goal(goal)
    out: list[SmartFinding] = []
    if goal.kind is None or goal.metric is None:
        what = [n for n, v in (("kind", goal.kind), ("metric", goal.metric)) if v is None]
        out.append(
            SmartFinding(
                "specific",
                f"the goal has no {' and no '.join(what)}; say what it is about (kind=...) and "
                "which KPI measures it (metric=...)",
                {"missing": what},
            )
        )
    log = load(events) if events is not None else None
    measurable = goal.metric is not None
    if log is not None and goal.metric is not None:
        missing = missing_events(goal.metric, log)
        if missing:
            measurable = False
            out.append(
                SmartFinding(
                    "measurable",
                    f"the log cannot compute {goal.metric.label!r}: it has no {missing} events; "
                    "record them or pick a metric the log supports",
                    {"missing_events": missing},
                )
            )
    if log is not None and measurable and goal.deadline is not None:
        finding = _achievable(goal, log, min_windows, percentile_limit)
        if finding is not None:
            out.append(finding)
    if (
        goal.kind is not None
        and goal.metric is not None
        and goal.metric.kind not in RELEVANT_METRICS[goal.kind]
    ):
        out.append(
            SmartFinding(
                "relevant",
                f"a {goal.metric.kind!r} metric does not measure a {goal.kind!r} goal; fitting "
                f"metrics: {list(RELEVANT_METRICS[goal.kind])}",
                {"fitting": list(RELEVANT_METRICS[goal.kind])},
            )
        )
    if goal.deadline is None:
        out.append(
            SmartFinding("time_bound", "the goal has no deadline; give deadline=... (exclusive)")
        )
    return out


def _achievable(goal: Goal, log: EventLog, min_windows: int, limit: float) -> SmartFinding | None:
    changes, n_windows = _history_changes(goal, log)
    if changes.size < min_windows - 1:
        warnings.warn(
            f"smart_check: only {n_windows} window(s) of {goal.window_days:g} days before the "
            f"goal's start, {min_windows} needed to judge whether the target is achievable. "
            "Hint: a longer history, or a shorter goal window.",
            InsufficientDataWarning,
            stacklevel=3,
        )
        return None
    baseline = goal.baseline
    if baseline is None:
        assert goal.deadline is not None
        length = goal.deadline - goal.start
        baseline = measure_value(goal_metric(goal), log, start=goal.start - length, end=goal.start)
    if not baseline:
        return None
    required = goal.target / baseline - 1
    pct = float(np.mean(changes < required) * 100)
    up = goal.direction == "increase"
    if (up and pct > limit) or (not up and pct < 100 - limit):
        return SmartFinding(
            "achievable",
            f"the target needs a change of {required:+.1%} over {goal.window_days:g} days, "
            f"beyond the {pct:.0f}th percentile of the {changes.size} window-to-window changes "
            f"in the history (largest {changes.max():+.1%}, smallest {changes.min():+.1%}); "
            "lower the target or plan a bigger campaign",
            {"required_change": required, "percentile": pct, "n_changes": int(changes.size)},
        )
    return None


@dataclasses.dataclass(frozen=True, repr=False)
class GoalProgress(MetricResult):
    """Where a goal stands at ``as_of``: actual, attainment and a red / amber / green status.

    Attributes
    ----------
    actual : float
        The metric over ``[start, min(as_of, deadline))``.
    target, baseline : float
    attainment : float
        Share of the way from baseline to target (1.0 = reached; can exceed 1 or be negative).
        Without a baseline: ``actual / target`` (``target / actual`` for a decrease).
    status : {"green", "amber", "red"}
    table : pandas.DataFrame
        One row with the fields above, for ``to_frame``.
    """

    actual: float
    target: float
    baseline: float | None
    attainment: float
    status: str
    table: pd.DataFrame

    def to_frame(self) -> pd.DataFrame:
        """Return the one-row table.

        Returns
        -------
        pandas.DataFrame
        """
        out: pd.DataFrame = self.table.copy()
        return out

    def plot(self, ax: Any = None) -> Any:
        """Draw the attainment as a bar against the status thresholds.

        Parameters
        ----------
        ax : matplotlib.axes.Axes, optional

        Returns
        -------
        matplotlib.axes.Axes
        """
        from useropslib.plotting import goal_attainment

        return goal_attainment(self.attainment, dict(self.params["thresholds"]), ax=axes_or_new(ax))

    def __repr__(self) -> str:
        return (
            f"GoalProgress(actual={self.actual:g}, target={self.target:g}, "
            f"attainment={self.attainment:.1%}, status={self.status!r}, as_of={self.as_of})"
        )


def _status(att: float, thresholds: Mapping[str, float]) -> str:
    if not np.isfinite(att):
        return "red"
    if att >= thresholds["green"]:
        return "green"
    return "amber" if att >= thresholds["amber"] else "red"


def _thresholds(value: Any) -> dict[str, float]:
    if not isinstance(value, Mapping) or set(value) != {"green", "amber"}:
        raise InvalidParameterError(
            f"thresholds must be a mapping with keys 'green' and 'amber', got {value!r}. "
            "Hint: thresholds={'green': 0.9, 'amber': 0.75}."
        )
    g, a = float(value["green"]), float(value["amber"])
    if not 0 <= a <= g:
        raise InvalidParameterError(
            f"thresholds need 0 <= amber <= green, got amber={a!r}, green={g!r}."
        )
    return {"green": g, "amber": a}


def attainment_of(
    goal: Goal, actual: float, baseline: float | None, *, share: float = 1.0
) -> float:
    """Return the share of the way from baseline to target reached by ``actual`` (with direction).

    Parameters
    ----------
    goal : Goal
    actual : float
    baseline : float or None
    share : float, default 1.0
        For additive metrics before the deadline: the elapsed share of the goal's window;
        baseline and target are pro-rated by it.

    Returns
    -------
    float
    """
    target = goal.target * share
    base = None if baseline is None else baseline * share
    if base is not None and target != base:
        return float((actual - base) / (target - base))
    if goal.direction == "increase":
        return float(actual / target) if target else float("nan")
    return float(target / actual) if actual else float("nan")


def progress(
    goal: Goal,
    events: EventsLike,
    *,
    as_of: DateLike | None = None,
    thresholds: Mapping[str, float] | None = None,
) -> GoalProgress:
    """Where a goal stands: actual to date, attainment and a red / amber / green status.

    Parameters
    ----------
    goal : Goal
    events : EventLog, LazyEventLog or DataFrame
    as_of : str, datetime or Timestamp, optional
        "Now"; the metric is measured over ``[goal.start, min(as_of, deadline))``.  Default:
        the log's ``as_of``.
    thresholds : mapping, optional
        ``{"green": 0.9, "amber": 0.75}`` (default, ServiceNow's goal framework): green when
        the attainment is at least ``green``, amber at least ``amber``, else red.

    Returns
    -------
    GoalProgress

    Raises
    ------
    InvalidParameterError
        For a goal without a metric, events the log lacks, an ``as_of`` before the start, bad
        thresholds.

    Warns
    -----
    InsufficientDataWarning
        When the log has no events (the empty-data policy: the actual is 0).

    See Also
    --------
    pacing : Whether the goal is on course to be met, with the curve expected to date.

    Notes
    -----
    Attainment is the share of the way from baseline to target, so it respects the direction
    (a churn goal from 10 % to 8 % that reaches 9 % is at 50 %).  Without a baseline it is
    ``actual / target`` (``target / actual`` for a decrease), as ServiceNow's goal framework.
    For additive metrics (new users, revenue ...) the actual is cumulative since the start, so
    before the deadline baseline and target are pro-rated by the elapsed share of the window
    (a straight-line pace; :func:`pacing` also offers a history-shaped one).

    Examples
    --------
    >>> import pandas as pd
    >>> from useropslib.models import Goal, NewUsersSpec
    >>> df = pd.DataFrame({"user_id": list("abcd"), "event": "signup",
    ...                    "timestamp": pd.date_range("2024-01-01", periods=4, freq="D", tz="UTC")})
    >>> goal = Goal(kind="acquisition", metric=NewUsersSpec(), baseline=0, target=4,
    ...             start="2024-01-01", deadline="2024-01-05")
    >>> res = progress(goal, df, as_of="2024-01-05")
    >>> res.actual, res.attainment, res.status
    (4.0, 1.0, 'green')
    >>> mid = progress(goal, df, as_of="2024-01-02T12:00Z")
    >>> mid.actual, round(mid.attainment, 2), mid.status
    (2.0, 1.33, 'green')
    """
    goal = _check_goal(goal)
    spec = goal_metric(goal)
    th = _thresholds(thresholds if thresholds is not None else {"green": 0.9, "amber": 0.75})
    log = load(events)
    if log.n_events == 0:
        warn_empty(
            "progress: the event log has no events", hint="check the filters that built the log"
        )
    now_ns = log.as_of_ns if as_of is None else to_utc_ns(as_of, tz=log.tz, name="as_of")
    if now_ns is None:
        raise InvalidParameterError("the log is empty; there is no as_of to measure up to.")
    lo = to_utc_ns(goal.start, tz=log.tz, name="goal.start")
    if now_ns <= lo:
        raise InvalidParameterError(
            f"as_of={_ts(now_ns, log)} is not after the goal's start {goal.start.isoformat()}. "
            "Hint: progress is measured from the start; pass a later as_of."
        )
    hi = now_ns + 1
    if goal.deadline is not None:
        hi = min(hi, to_utc_ns(goal.deadline, tz=log.tz, name="goal.deadline"))
    actual = measure_value(spec, log.until(_ts(now_ns, log)), start=_ts(lo, log), end=_ts(hi, log))
    share = 1.0
    if spec.additive and goal.deadline is not None:
        end_ns = to_utc_ns(goal.deadline, tz=log.tz, name="goal.deadline")
        share = min(1.0, (hi - lo) / (end_ns - lo))
    att = attainment_of(goal, actual, goal.baseline, share=share)
    status = _status(att, th)
    table = pd.DataFrame(
        [
            {
                "goal": goal.label,
                "metric": spec.label,
                "actual": actual,
                "baseline": goal.baseline,
                "target": goal.target,
                "attainment": att,
                "status": status,
            }
        ]
    )
    return GoalProgress(
        params={"goal": goal.label, "thresholds": th},
        as_of=_ts(now_ns, log),
        actual=actual,
        target=goal.target,
        baseline=goal.baseline,
        attainment=att,
        status=status,
        table=table,
    )
