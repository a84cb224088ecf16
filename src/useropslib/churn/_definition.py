"""Churn definition from the data: where the return curve flattens (流失定义).

Also holds the helpers every churn-label and survival function shares: reading a definition,
resolving ``as_of``, picking the activity events, and sorting them by (user, time).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
from pydantic import ValidationError

from useropslib._results import MetricResult
from useropslib.events import EventLog, EventsLike, as_event_log
from useropslib.events._query import EventSelector
from useropslib.events._query import resolve_as_of as resolve_log_as_of
from useropslib.events._time import NS_PER_DAY, stamp
from useropslib.exceptions import (
    InsufficientDataError,
    InsufficientDataWarning,
    InvalidParameterError,
)
from useropslib.metrics import axes_or_new as axes
from useropslib.models import ChurnDefinition
from useropslib.models._types import window_ns

__all__ = ["InactivityThresholdResult", "infer_inactivity_threshold"]

IntArray = npt.NDArray[np.int64]
DefinitionLike = ChurnDefinition | str | dt.timedelta
"""A churn definition, or just its threshold (every event then counts as activity)."""

_DEFAULT_GRID: tuple[float, ...] = tuple(float(k) for k in range(1, 91))
_SLACK = 1e-12  # float slack when comparing a drop with the tolerance


# ============================================================================ shared helpers


def as_definition(definition: Any, *, name: str = "definition") -> ChurnDefinition:
    """Return a :class:`ChurnDefinition` from one, or from a window such as ``"30D"``."""
    if isinstance(definition, ChurnDefinition):
        return definition
    if isinstance(definition, str | dt.timedelta):
        try:
            return ChurnDefinition(threshold=definition)
        except ValidationError as exc:
            reason = exc.errors()[0]["msg"].removeprefix("Value error, ")
            raise InvalidParameterError(
                f"Invalid {name}={definition!r}: {reason}. Expected a ChurnDefinition or a "
                "positive window such as '30D'."
            ) from None
    raise InvalidParameterError(
        f"Invalid {name} of type {type(definition).__name__}. Expected a ChurnDefinition, or a "
        "positive window such as '30D' (every event then counts as activity). Hint: "
        "infer_inactivity_threshold(events).definition derives one from your data."
    )


def threshold_ns(definition: ChurnDefinition) -> int:
    """Return the definition's threshold in nanoseconds."""
    return int(pd.Timedelta(definition.threshold).value)


def stamps(ns: npt.NDArray[np.int64], tz: str) -> pd.DatetimeIndex:
    """Aware timestamps in ``tz`` from UTC nanoseconds (int64 min becomes NaT)."""
    utc = pd.DatetimeIndex(np.asarray(ns, dtype=np.int64).view("datetime64[ns]"), tz="UTC")
    out: pd.DatetimeIndex = utc.tz_convert(tz)
    return out


def resolve_as_of(log: EventLog, as_of: Any) -> int:
    """Return the analysis instant under the one as_of policy, refusing an empty log.

    Raises
    ------
    InsufficientDataError
        For a log without events.
    InvalidParameterError
        When ``as_of`` is before the log's first event.
    """
    when = resolve_log_as_of(log, as_of) if log.n_events else None
    if when is None:
        raise InsufficientDataError(
            "The event log has no events (0 events, 0 users); churn needs users with activity. "
            "Hint: check the filters that built the log."
        )
    return when.ns


def names_mask(log: EventLog, names: Sequence[str] | None, param: str) -> npt.NDArray[np.bool_]:
    """Per-event mask of the events named in ``names`` (all events when None)."""
    out = EventSelector.parse(None if names is None else list(names), param=param).mask(log)
    return np.ones(log.n_events, dtype=bool) if out is None else out


def check_activity_names(value: Any, param: str = "activity_events") -> tuple[str, ...] | None:
    """Validate a list of activity event names the way :class:`ChurnDefinition` does."""
    if value is None:
        return None
    try:
        d = ChurnDefinition(threshold="1D", activity_events=value)
    except ValidationError as exc:
        reason = exc.errors()[0]["msg"].removeprefix("Value error, ")
        raise InvalidParameterError(
            f"Invalid {param}={value!r}: {reason}. Expected event names such as ['app_open']."
        ) from None
    return d.activity_events


@dataclasses.dataclass(frozen=True)
class Activity:
    """The activity events at or before ``as_of``: user codes and UTC instants, in log order."""

    users: IntArray
    ts: IntArray
    as_of_ns: int
    n_codes: int

    def by_user(self) -> tuple[IntArray, IntArray]:
        """Return (users, times) sorted by user code, then time (one sort)."""
        return sort_by_user(self.users, self.ts)

    def first_last(self) -> tuple[IntArray, IntArray, IntArray]:
        """Return the codes of users with activity and their first and last activity instants."""
        first = np.full(self.n_codes, np.iinfo(np.int64).max, dtype=np.int64)
        last = np.full(self.n_codes, np.iinfo(np.int64).min, dtype=np.int64)
        np.minimum.at(first, self.users, self.ts)
        np.maximum.at(last, self.users, self.ts)
        codes = np.flatnonzero(last != np.iinfo(np.int64).min)
        return codes, first[codes], last[codes]


def activity(
    log: EventLog, names: Sequence[str] | None, as_of_ns: int, *, param: str = "activity_events"
) -> Activity:
    """Select the activity events at or before ``as_of``.

    Raises
    ------
    InsufficientDataError
        When no activity event is at or before ``as_of`` (the counts are in the message).
    """
    ts = log.timestamps_ns
    mask = ts <= as_of_ns
    n_before = int(np.count_nonzero(mask))
    if names is not None:
        mask &= names_mask(log, names, param)
    users = log.user_codes[mask].astype(np.int64)
    if users.size == 0:
        raise InsufficientDataError(
            f"No activity events at or before as_of={stamp(as_of_ns, log.tz)}: the log has "
            f"{log.n_events:,} events from {log.n_users:,} users, {n_before:,} of them at or "
            f"before as_of, none of them named {list(names or [])}. Expected at least one "
            "activity event. Hint: check activity_events against log.event_names."
        )
    return Activity(
        users=users,
        ts=ts[mask],
        as_of_ns=as_of_ns,
        n_codes=len(log.users),
    )


def sort_by_user(users: IntArray, ts: IntArray) -> tuple[IntArray, IntArray]:
    """Sort events by (user, time) with one sort of int64 keys when possible.

    When the times are already in order (the usual case) the key ``user * n + position`` is
    sorted once; otherwise a lexicographic sort is used.
    """
    n = users.size
    if n == 0:
        return users, ts
    in_order = bool(np.all(ts[1:] >= ts[:-1]))
    n_users = int(users.max()) + 1
    if in_order and n_users < np.iinfo(np.int64).max // max(n, 1):
        key = users * np.int64(n) + np.arange(n, dtype=np.int64)
        key.sort()
        su = key // n
        return su, ts[key - su * n]
    order = np.lexsort((ts, users))
    return users[order], ts[order]


def observed_days(ns: npt.NDArray[np.int64]) -> npt.NDArray[np.float64]:
    """Nanoseconds as float days."""
    out: npt.NDArray[np.float64] = ns / NS_PER_DAY
    return out


# ============================================================================ threshold
def _grid_days(grid: Any) -> npt.NDArray[np.float64]:
    if grid is None:
        return np.asarray(_DEFAULT_GRID, dtype=np.float64)
    items = [grid] if isinstance(grid, str | dt.timedelta) else list(grid)
    out = []
    for item in items:
        if isinstance(item, str | dt.timedelta):
            out.append(window_ns(item, "grid") / NS_PER_DAY)
        elif isinstance(item, int | float | np.integer | np.floating) and not isinstance(
            item, bool
        ):
            days = float(item)
            if not math.isfinite(days) or days <= 0:
                raise InvalidParameterError(
                    f"Invalid grid value {item!r}. Expected positive, finite numbers of days (or "
                    "windows such as '2W'). Hint: the default grid is 1, 2, ..., 90 days."
                )
            out.append(days)
        else:
            raise InvalidParameterError(
                f"Invalid grid value {item!r} of type {type(item).__name__}. Expected numbers of "
                "days or windows such as '2W'."
            )
    if not out:
        raise InvalidParameterError(
            "grid is empty. Expected at least one silence length in days, e.g. range(1, 91)."
        )
    return np.unique(np.asarray(out, dtype=np.float64))


def _count_below(values: IntArray, edges: IntArray, *, inclusive: bool) -> IntArray:
    """For each edge, how many values are below it (``<``, or ``<=`` when inclusive).

    One binary search of every value among the few sorted edges plus a cumulative sum: the
    same counts as sorting the values and searching each edge, without sorting millions of gaps.
    """
    order = np.argsort(edges, kind="stable")
    sorted_edges = edges[order]
    # values below edge j are those whose insertion point is at most j
    slot = np.searchsorted(sorted_edges, values, side="left" if inclusive else "right")
    below = np.cumsum(np.bincount(slot, minlength=edges.size + 1))[: edges.size]
    out = np.empty(edges.size, dtype=np.int64)
    out[order] = below
    return out


@dataclasses.dataclass(frozen=True, repr=False)
class InactivityThresholdResult(MetricResult):
    """The inferred churn threshold with its evidence, the return curve.

    Attributes
    ----------
    definition : ChurnDefinition
        The churn definition built from the chosen silence (kind ``"terminal"``; change it with
        ``definition.model_copy(update={"kind": "first_lapse"})``).
    threshold_days : float
        The chosen silence ``k*`` in days.
    return_rate : float
        P(return within the horizon | silent ``k*`` days): the share of users called churned at
        ``k*`` who would still come back within the horizon.
    curve : pandas.DataFrame
        One row per grid value (index ``silent_days``): ``silent`` (silences that reached k days,
        censored ones included), ``returned`` (the next activity came within the horizon after
        reaching k), ``not_returned`` (no activity for the horizon after reaching k: a longer
        closed gap, or an open one observed long enough), ``censored`` (open silences observed
        for less than the horizon after reaching k; left out), ``return_rate`` (``returned /
        (returned + not_returned)``), ``remaining_drop`` (``return_rate`` minus the lowest
        ``return_rate`` at any longer usable silence) and ``usable`` (at least ``min_gaps``
        decided silences).
    """

    definition: ChurnDefinition
    threshold_days: float
    return_rate: float
    curve: pd.DataFrame

    def to_frame(self) -> pd.DataFrame:
        """Return the curve as a flat frame, one row per grid value.

        Returns
        -------
        pandas.DataFrame
        """
        out: pd.DataFrame = self.curve.reset_index()
        return out

    def plot(self, ax: Any = None) -> Any:
        """Plot the return curve and mark the chosen threshold.

        Parameters
        ----------
        ax : matplotlib.axes.Axes, optional
            Where to draw; a new figure when omitted.

        Returns
        -------
        matplotlib.axes.Axes
        """
        ax = axes(ax)
        usable = self.curve[self.curve["usable"]]
        ax.plot(usable.index, usable["return_rate"], marker=".", label="P(return | silent k days)")
        ax.axvline(
            self.threshold_days,
            color="tab:red",
            linestyle="--",
            label=f"k* = {self.threshold_days:g} d",
        )
        ax.set_xlabel("days silent (k)")
        ax.set_ylabel(f"P(return within {self.params['horizon']})")
        ax.set_ylim(0, 1)
        ax.set_title("Return curve and inferred churn threshold")
        ax.legend()
        return ax


def infer_inactivity_threshold(
    events: EventsLike,
    *,
    horizon: str | dt.timedelta = "30D",
    grid: Sequence[float | str | dt.timedelta] | None = None,
    tolerance: float = 0.01,
    relative: bool = False,
    activity_events: Sequence[str] | None = None,
    as_of: Any = None,
    min_gaps: int = 30,
) -> InactivityThresholdResult:
    """Derive the churn threshold from the data: the silence after which users rarely come back.

    For every silence length ``k`` of the grid it estimates, censoring-aware, the probability
    that a user who has been silent for ``k`` days comes back within ``horizon``; the curve falls
    and then flattens (流失曲线趋于平稳), and the threshold is where it has flattened.

    Parameters
    ----------
    events : EventLog, LazyEventLog or DataFrame
        The events (a frame needs ``user_id``, ``event``, ``timestamp`` columns).
    horizon : str or timedelta, default "30D"
        How soon after reaching ``k`` days of silence a comeback counts as a return (H).
    grid : sequence of float or window, optional
        Silence lengths ``k`` to evaluate, in days (``1.5``) or as windows (``"2W"``).
        Default: 1, 2, ..., 90 days.
    tolerance : float, default 0.01
        How much lower the return rate may still go after the chosen ``k`` (see Notes).
    relative : bool, default False
        Read ``tolerance`` as a share of the curve's whole drop over the grid instead of an
        absolute probability.
    activity_events : sequence of str, optional
        Event names that count as activity; default every event.
    as_of : str, datetime or Timestamp, optional
        The analysis date; later events are ignored.  Default: the log's ``as_of``.
    min_gaps : int, default 30
        Grid values with fewer decided silences (``returned + not_returned``) are reported but
        not used to choose ``k``.

    Returns
    -------
    InactivityThresholdResult
        ``definition`` (a :class:`~useropslib.models.ChurnDefinition`), ``threshold_days``,
        ``return_rate`` at the chosen ``k``, the ``curve`` frame (the evidence), ``plot()``.

    Raises
    ------
    InvalidParameterError
        For a non-positive horizon or grid value, a negative tolerance, ``min_gaps < 1``,
        unknown event names, or ``as_of`` before the first event.
    InsufficientDataError
        When no grid value has ``min_gaps`` decided silences (the counts are in the message).

    Warns
    -----
    InsufficientDataWarning
        When the curve has not flattened by the end of the grid (the chosen ``k`` is the last
        usable grid value).

    See Also
    --------
    churn_labels : Per-user churn flags under a definition.
    natural_churn_rate : Share of each signup cohort that never comes back.

    Notes
    -----
    *Silences.*  Activity events are sorted by user and time once; each gap between a user's
    consecutive activities is a closed silence of length ``g``, and the time from a user's last
    activity to ``as_of`` is an open silence of length ``o``.  A silence *reaches* ``k`` when its
    length is at least ``k``.

    *Returns.*  A closed silence that reached ``k`` returned within H when ``g <= k + H``; one
    with ``g > k + H`` did not.  An open silence did not return when ``o >= k + H`` (observed
    for the whole horizon after reaching ``k``); with ``k <= o < k + H`` its outcome is unknown,
    so it is *censored* and left out of the denominator.  The curve is
    ``P(k) = returned / (returned + not_returned)``, computed for the whole grid at once from the
    sorted silences with ``searchsorted`` (no loop over gaps).

    *Choice.*  Over the usable grid values (``min_gaps`` decided silences), let ``m(k)`` be the
    lowest ``P`` at any usable ``k' >= k``.  The threshold is the smallest usable ``k`` with
    ``P(k) - m(k) <= tolerance``: calling users churned after ``k`` days rather than any longer
    silence adds at most ``tolerance`` to the share of them who would have come back within H.
    With ``relative=True`` the bound is ``tolerance * (P(k_0) - min P)``, a share of the curve's
    whole drop from the first usable grid value.  Any ``k`` whose ``P(k) <= tolerance`` satisfies
    the absolute rule, so the rule never waits for the curve to reach a floor that stays above
    zero (win-back campaigns keep some long-silent users returning).

    Examples
    --------
    Three users open the app every 2 days, then once more after a month.  With a 7-day horizon,
    the fifteen 2-day gaps end within the horizon and the three 30-day gaps do not; from 3 days
    of silence on nobody returns, so the threshold is 3 days.  Two users' open silences at
    ``as_of`` (1 and 2 days) are censored:

    >>> import pandas as pd
    >>> from useropslib.churn import infer_inactivity_threshold
    >>> days = [0, 2, 4, 6, 8, 10, 40]
    >>> df = pd.DataFrame({
    ...     "user_id": [u for u in "abc" for _ in days],
    ...     "event": "open",
    ...     "timestamp": [pd.Timestamp("2024-01-01", tz="UTC") + pd.Timedelta(days=d + i)
    ...                   for i in range(3) for d in days],
    ... })
    >>> res = infer_inactivity_threshold(df, horizon="7D", grid=[1, 2, 3, 4], min_gaps=1)
    >>> res.threshold_days, res.definition.threshold
    (3.0, datetime.timedelta(days=3))
    >>> res.curve[["silent", "returned", "not_returned", "censored", "return_rate"]]
                 silent  returned  not_returned  censored  return_rate
    silent_days
    1.0              20        15             3         2     0.833333
    2.0              19        15             3         1     0.833333
    3.0               3         0             3         0     0.000000
    4.0               3         0             3         0     0.000000
    """
    log = as_event_log(events)
    h_ns = window_ns(horizon, "horizon")
    grid_days = _grid_days(grid)
    if not isinstance(tolerance, int | float) or not math.isfinite(tolerance) or tolerance < 0:
        raise InvalidParameterError(
            f"Invalid tolerance={tolerance!r}. Expected a finite number >= 0, e.g. 0.01 (one "
            "percentage point of return probability)."
        )
    if isinstance(min_gaps, bool) or not isinstance(min_gaps, int | np.integer) or min_gaps < 1:
        raise InvalidParameterError(
            f"Invalid min_gaps={min_gaps!r}. Expected an integer >= 1. Hint: the default is 30."
        )
    names = check_activity_names(activity_events)
    as_of_ns = resolve_as_of(log, as_of)
    act = activity(log, names, as_of_ns)

    users, ts = act.by_user()
    same = users[1:] == users[:-1]
    closed = np.diff(ts)[same]
    ends = np.flatnonzero(np.append(~same, True))
    open_ = as_of_ns - ts[ends]

    k_ns = np.round(grid_days * NS_PER_DAY).astype(np.int64)
    lo = _count_below(closed, k_ns, inclusive=False)
    hi = _count_below(closed, k_ns + h_ns, inclusive=True)
    open_reach = open_.size - _count_below(open_, k_ns, inclusive=False)
    open_decided = open_.size - _count_below(open_, k_ns + h_ns, inclusive=False)
    returned = (hi - lo).astype(np.int64)
    not_returned = (closed.size - hi + open_decided).astype(np.int64)
    censored = (open_reach - open_decided).astype(np.int64)
    silent = (closed.size - lo + open_reach).astype(np.int64)
    decided = returned + not_returned
    with np.errstate(invalid="ignore", divide="ignore"):
        rate = np.where(decided > 0, returned / np.maximum(decided, 1), np.nan)
    usable = decided >= min_gaps
    if not usable.any():
        raise InsufficientDataError(
            f"Too few silences to infer a threshold: at most {int(decided.max()):,} decided "
            f"silences at any grid value (need min_gaps={min_gaps}); the log has "
            f"{act.users.size:,} activity events from {ends.size:,} users, {closed.size:,} gaps "
            f"between activities and {open_.size:,} open silences up to as_of. Hint: use a "
            "longer log, a shorter horizon, or a smaller min_gaps."
        )
    future_min = np.minimum.accumulate(np.where(usable, rate, np.inf)[::-1])[::-1]
    drop = np.where(usable, rate - future_min, np.nan)
    if relative:
        first_rate = float(rate[np.argmax(usable)])
        limit = tolerance * (first_rate - float(np.nanmin(np.where(usable, rate, np.nan))))
    else:
        limit = float(tolerance)
    ok = usable & (drop <= limit + _SLACK)
    chosen = int(np.argmax(ok))
    last_usable = int(usable.size - 1 - np.argmax(usable[::-1]))
    if chosen == last_usable:
        why = (
            "only one grid value has enough decided silences"
            if int(usable.sum()) == 1
            else "the return curve is still falling at the end of the grid"
        )
        warnings.warn(
            f"The chosen threshold {grid_days[chosen]:g} days is the last usable grid value: "
            f"{why}, so the curve was not seen to flatten. Hint: extend the grid (e.g. "
            "grid=range(1, 181)), lower min_gaps, or use a longer log.",
            InsufficientDataWarning,
            stacklevel=2,
        )
    k_star = float(grid_days[chosen])
    definition = ChurnDefinition(
        threshold=dt.timedelta(days=k_star), activity_events=names, kind="terminal"
    )
    curve = pd.DataFrame(
        {
            "silent": silent,
            "returned": returned,
            "not_returned": not_returned,
            "censored": censored,
            "return_rate": rate,
            "remaining_drop": drop,
            "usable": usable,
        },
        index=pd.Index(grid_days, name="silent_days"),
    )
    params = {
        "horizon": horizon if isinstance(horizon, str) else str(pd.Timedelta(horizon)),
        "grid": f"{grid_days.size} values, {grid_days[0]:g}..{grid_days[-1]:g} days",
        "tolerance": tolerance,
        "relative": relative,
        "activity_events": None if names is None else list(names),
        "min_gaps": int(min_gaps),
    }
    return InactivityThresholdResult(
        params=params,
        as_of=stamp(as_of_ns, log.tz),
        definition=definition,
        threshold_days=k_star,
        return_rate=float(rate[chosen]),
        curve=curve,
    )
