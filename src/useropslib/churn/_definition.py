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
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import pandas as pd
from pydantic import ValidationError

from useropslib import plotting
from useropslib._results import MetricResult
from useropslib.churn._threshold import (
    RULES,
    Curve,
    default_grid_days,
    plateau,
    return_curve,
    scaled_min_gaps,
)
from useropslib.events import EventLog, EventsLike, as_event_log
from useropslib.events._query import EventSelector, churn_engine_ready
from useropslib.events._query import resolve_as_of as resolve_log_as_of
from useropslib.events._time import NS_PER_DAY, local_ns, stamp
from useropslib.exceptions import (
    InsufficientDataError,
    InvalidParameterError,
    NoPlateauWarning,
    did_you_mean,
)
from useropslib.models import ChurnDefinition, DateLike
from useropslib.models._types import window_ns

__all__ = ["InactivityThresholdResult", "infer_inactivity_threshold"]

IntArray = npt.NDArray[np.int64]
DefinitionLike = ChurnDefinition | str | dt.timedelta
"""A churn definition, or just its threshold (every event then counts as activity)."""


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
    return window_ns(definition.threshold, "threshold")


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
    if not isinstance(grid, str | dt.timedelta | list | tuple | range | np.ndarray | pd.Index):
        raise InvalidParameterError(
            f"Invalid grid={type(grid).__name__}. Expected a list of windows. "
            "Hint: grid=['7D', '14D', '30D']."
        )
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
                    "windows such as '2W'). Hint: the default grid covers the data's span."
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


Rule = Literal["plateau", "return_probability", "gap_percentile"]


def _check_share(value: Any, name: str, *, low: float, high: float, example: str) -> float:
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float | np.integer | np.floating)
        or not math.isfinite(value)
        or not low < value < high
    ):
        raise InvalidParameterError(
            f"Invalid {name}={value!r}. Expected a number strictly between {low:g} and {high:g}, "
            f"e.g. {name}={example}."
        )
    return float(value)


def _day_gaps(users: IntArray, ts: IntArray, tz: str) -> IntArray:
    """Gaps in whole days between a user's consecutive activity days (local calendar days)."""
    days = local_ns(ts, tz) // NS_PER_DAY
    same = users[1:] == users[:-1]
    step = np.diff(days)[same]
    out: IntArray = step[step > 0].astype(np.int64)
    return out


@dataclasses.dataclass(frozen=True)
class Silences:
    """What the threshold rules read of the activity: totals, return curves and day gaps.

    Built from the sorted activity of an :class:`EventLog` (:func:`_memory_silences`) or from
    reductions in a lazy log's engine (``useropslib.churn._lazychurn.engine_silences``).
    """

    as_of_ns: int
    tz: str
    n_rows: int
    n_users: int
    n_gaps: int
    first: int
    day_gaps: IntArray  # distinct gap lengths between activity days, sorted
    day_gap_counts: IntArray  # how many gaps have each length
    curve_of: Any  # callable: k (ns, int64 array) -> Curve

    @property
    def n_day_gaps(self) -> int:
        """Number of gaps between a user's consecutive activity days."""
        return int(self.day_gap_counts.sum())

    def gap_percentile(self, q: float) -> float:
        """Return the ``q``-th percentile (``method="higher"``) of the day gaps (NaN: none)."""
        from useropslib.churn._lazychurn import gap_percentile_from_counts

        return gap_percentile_from_counts(self.day_gaps, self.day_gap_counts, q)

    def curves(self, k_ns: IntArray, extra_ns: int | None) -> tuple[Curve, Curve | None]:
        """Return the return curve on ``k_ns`` and at ``extra_ns`` (None: not asked)."""
        if extra_ns is None:
            return self.curve_of(k_ns), None
        both: Curve = self.curve_of(np.append(k_ns, np.int64(extra_ns)))
        n = k_ns.size
        grid = Curve(*(getattr(both, f.name)[:n] for f in dataclasses.fields(Curve)))
        at = Curve(*(getattr(both, f.name)[n:] for f in dataclasses.fields(Curve)))
        return grid, at


def _memory_silences(
    log: EventLog, names: Sequence[str] | None, as_of: DateLike | None, h_ns: int
) -> Silences:
    """Return the silences of an in-memory log's activity (one sort by user and time)."""
    as_of_ns = resolve_as_of(log, as_of)
    act = activity(log, names, as_of_ns)
    users, ts = act.by_user()
    same = users[1:] == users[:-1]
    closed = np.diff(ts)[same]
    closed_start = ts[:-1][same]
    ends = np.flatnonzero(np.append(~same, True))
    open_start = ts[ends]
    lengths, counts = np.unique(_day_gaps(users, ts, log.tz), return_counts=True)

    def curve_of(k: IntArray) -> Curve:
        return return_curve(closed_start, closed, open_start, as_of_ns, h_ns, k)

    return Silences(
        as_of_ns=as_of_ns,
        tz=log.tz,
        n_rows=int(act.users.size),
        n_users=int(ends.size),
        n_gaps=int(closed.size),
        first=int(ts.min()),
        day_gaps=lengths.astype(np.int64),
        day_gap_counts=counts.astype(np.int64),
        curve_of=curve_of,
    )


def _horizon_text(h_ns: int) -> str:
    days = h_ns / NS_PER_DAY
    return f"{days:g} day" if days == 1 else f"{days:g} days"


@dataclasses.dataclass(frozen=True, repr=False)
class InactivityThresholdResult(MetricResult):
    """The inferred churn threshold with its evidence: the return curve and the rules compared.

    Attributes
    ----------
    definition : ChurnDefinition
        The churn definition built from the chosen silence (kind ``"terminal"``; change it with
        ``definition.model_copy(update={"kind": "first_lapse"})``).
    threshold_days : float
        The silence ``k*`` (days) chosen by ``rule``.
    return_rate : float
        P(return within the horizon | silent ``k*`` days), read on the censoring-aware curve at
        ``k*``: the share of users called churned at ``k*`` who would still come back.
    rule : str
        The rule that chose ``threshold_days``: ``"plateau"``, ``"return_probability"`` or
        ``"gap_percentile"``.
    plateau_found : bool
        Whether the return curve was seen to flatten (see Notes of
        :func:`infer_inactivity_threshold`).  Reported whatever the rule.
    end_slope : float
        Least-squares slope of the return rate over the last stretch of the usable grid, per day
        of silence (negative: still falling).
    min_gaps : int
        The least number of decided silences a grid value needed to be used.
    rules : pandas.DataFrame
        One row per rule (index ``rule``): ``setting`` (its parameter, e.g. ``"p=0.05"``),
        ``threshold_days`` (NaN when it has no answer), ``return_rate`` and ``decided`` (the
        curve read at that threshold), ``found`` (the rule found what it looks for), ``chosen``
        and ``note`` (why it was not found).
    curve : pandas.DataFrame
        One row per grid value (index ``silent_days``): ``silent`` (silences that reached k
        days), ``returned`` (the next activity came within the horizon after reaching k),
        ``not_returned`` (no activity for the whole horizon after reaching k), ``censored``
        (reached k, but the horizon after it is not wholly observed before ``as_of``; left
        out), ``return_rate`` (``returned / (returned + not_returned)``), ``remaining_drop``
        (``return_rate`` minus the lowest ``return_rate`` at any longer usable silence) and
        ``usable`` (at least ``min_gaps`` decided silences).
    """

    definition: ChurnDefinition
    threshold_days: float
    return_rate: float
    rule: str
    plateau_found: bool
    end_slope: float
    min_gaps: int
    rules: pd.DataFrame
    curve: pd.DataFrame

    def summary(self) -> str:
        """One sentence naming the threshold, the rule that chose it and whether the curve flattens.

        Returns
        -------
        str
        """
        row = self.rules.loc[self.rule]
        flat = (
            "the return curve flattens"
            if self.plateau_found
            else f"the return curve does not flatten within the data (slope at the end of the "
            f"grid {self.end_slope * 30:+.4f} per 30 days)"
        )
        return (
            f"{self.threshold_days:g} days, chosen by the {self.rule} rule ({row['setting']}); "
            f"{flat}."
        )

    def to_frame(self) -> pd.DataFrame:
        """Return the curve as a flat frame, one row per grid value.

        Returns
        -------
        pandas.DataFrame
        """
        out: pd.DataFrame = self.curve.reset_index()
        return out

    def plot(self, ax: Any = None) -> Any:
        """Plot the return curve and mark the threshold of each rule (the chosen one solid).

        Parameters
        ----------
        ax : matplotlib.axes.Axes, optional
            Where to draw; a new figure when omitted.

        Returns
        -------
        matplotlib.axes.Axes
        """
        usable = self.curve[self.curve["usable"]]
        flat = "flattens" if self.plateau_found else "does not flatten"
        return plotting.return_curve(
            usable.index,
            usable["return_rate"],
            threshold=self.threshold_days,
            plateau_found=self.plateau_found,
            rules=self.rules,
            horizon=str(self.params["horizon"]),
            ax=ax,
            title=f"Return curve ({flat}) and churn thresholds",
        )


def infer_inactivity_threshold(
    events: EventsLike,
    *,
    horizon: str | dt.timedelta = "30D",
    grid: Sequence[float | str | dt.timedelta] | None = None,
    tolerance: float = 0.01,
    relative: bool = False,
    activity_events: Sequence[str] | None = None,
    as_of: DateLike | None = None,
    min_gaps: int | None = None,
    rule: Rule = "plateau",
    return_probability: float = 0.05,
    gap_percentile: float = 95.0,
) -> InactivityThresholdResult:
    """Derive the churn threshold from the data, by a named rule, with the evidence.

    For every silence length ``k`` of the grid it estimates, censoring-aware, the probability
    that a user who has been silent for ``k`` days comes back within ``horizon`` (the return
    curve).  Three rules practitioners use read a threshold off the data; all three are
    reported side by side in ``result.rules`` and ``rule`` chooses the one that makes the
    definition:

    - ``"plateau"``: where the return curve stops falling (流失曲线趋于平稳), within ``tolerance``;
    - ``"return_probability"``: the shortest silence after which fewer than
      ``return_probability`` of users come back within the horizon;
    - ``"gap_percentile"``: the ``gap_percentile``-th percentile of the gaps between a user's
      activity days (95 % of returns happen sooner).

    Parameters
    ----------
    events : EventLog, LazyEventLog or DataFrame
        The events (a frame needs ``user_id``, ``event``, ``timestamp`` columns).
    horizon : str or timedelta, default "30D"
        How soon after reaching ``k`` days of silence a comeback counts as a return (H).
    grid : sequence of float or window, optional
        Silence lengths ``k`` to evaluate, in days (``1.5``) or as windows (``"2W"``).
        Default: whole days from 1 to the longest silence whose horizon fits in the data (the
        span from the first activity to ``as_of`` minus the horizon), at most 365 values.
    tolerance : float, default 0.01
        Plateau rule: how much lower the return rate may still go after the chosen ``k``.
    relative : bool, default False
        Plateau rule: read ``tolerance`` as a share of the curve's whole drop over the grid
        instead of an absolute probability.
    activity_events : sequence of str, optional
        Event names that count as activity; default every event.
    as_of : str, datetime or Timestamp, optional
        The analysis date; later events are ignored.  Default: the log's ``as_of``.
    min_gaps : int, optional
        Grid values with fewer decided silences (``returned + not_returned``) are reported but
        not used.  Default: 1 % of the users with activity, at least 30 (``result.min_gaps``).
    rule : {"plateau", "return_probability", "gap_percentile"}, default "plateau"
        The rule whose threshold makes ``definition``.
    return_probability : float, default 0.05
        Return-probability rule: the threshold is the smallest usable ``k`` with a return rate
        below this (p).
    gap_percentile : float, default 95.0
        Gap-percentile rule: the percentile q (0-100) of the gaps between activity days.

    Returns
    -------
    InactivityThresholdResult
        ``definition`` (a :class:`~useropslib.models.ChurnDefinition`), ``threshold_days``,
        ``return_rate``, ``rule``, ``plateau_found``, ``end_slope``, ``min_gaps``, the
        ``rules`` table, the ``curve`` frame (the evidence), ``summary()``, ``plot()``.

    Raises
    ------
    InvalidParameterError
        For a non-positive horizon or grid value, a negative tolerance, ``min_gaps < 1``, an
        unknown rule, ``return_probability`` outside (0, 1), ``gap_percentile`` outside
        (0, 100), unknown event names, or ``as_of`` before the first event.
    InsufficientDataError
        When the data cannot answer: the span from the first activity to ``as_of`` is not
        longer than the horizon by a day (no silence can be followed for its whole horizon), no
        grid value has ``min_gaps`` decided silences, or the gap-percentile rule is chosen and
        no user has two activity days (the counts are in the message).

    Warns
    -----
    NoPlateauWarning
        When ``rule="plateau"`` and the curve was not seen to flatten (the reason is in the
        message), or ``rule="return_probability"`` and the rate never falls below p on the
        usable grid (the last usable value is then returned, a lower bound).
        :class:`~useropslib.exceptions.NoPlateauWarning` is an ``InsufficientDataWarning``.

    See Also
    --------
    churn_labels : Per-user churn flags under a definition.
    natural_churn_rate : Share of each signup cohort that never comes back.

    Notes
    -----
    *Silences.*  Activity events are sorted by user and time once; each gap between a user's
    consecutive activities is a closed silence of length ``g`` starting at ``s``, and the time
    from a user's last activity to ``as_of`` is an open silence.  A silence *reaches* ``k`` at
    ``s + k`` when its length is at least ``k``.

    *Returns.*  A silence is *decided* at ``k`` only when its whole horizon after reaching ``k``
    is observed, ``s + k + H <= as_of``; otherwise it is *censored* at ``k`` and left out, the
    closed ones included (counting the closed silences near the end of the data, which can only
    be closed by a return, would push the rate up: the censoring artefact of a long horizon).
    A decided silence returned when its next activity came at most ``H`` after reaching ``k``
    (``g <= k + H``).  The curve is ``P(k) = returned / (returned + not_returned)``, computed
    for the whole grid at once with binary searches (no loop over gaps).

    *Plateau rule.*  Over the usable grid values (``min_gaps`` decided silences), let ``m(k)``
    be the lowest ``P`` at any usable ``k' >= k``.  The threshold is the smallest usable ``k``
    with ``P(k) - m(k) <= tolerance`` (with ``relative=True`` the bound is ``tolerance`` times
    the curve's whole drop).  The plateau is *found* when the chosen ``k`` leaves a stretch of
    usable grid after it at least as long as the tail (the longer of the horizon and a quarter
    of the usable grid's range) and the straight line fitted to the rates over that tail falls
    by at most the bound over it (``end_slope`` is its slope per day).  A curve that keeps
    falling (many purchase logs: the return rate halves with every doubling of the silence)
    has no plateau; its plateau pick would move with the grid's end, so it warns.  When the
    plateau is found, extending the grid beyond its end moves the pick only if the curve later
    falls by more than the tolerance below the rate at the pick.

    *Return-probability rule.*  The smallest usable ``k`` with ``P(k) < p``, on the same curve
    (so "ever return" is read as "return within the horizon"; a longer horizon comes closer to
    "ever").  *Gap-percentile rule.*  The ``q``-th percentile (``method="higher"``, an observed
    gap) of the closed gaps between consecutive activity days of a user, in local calendar days
    of the log's zone; open silences are not gaps, so a short log pulls it down.

    *Conventions.*  The plateau rule is the operations practice of defining churn where the
    churn curve flattens (流失曲线趋于平稳: "users silent this long stay silent"); the other two
    are the practitioners' fixed-share rules ("fewer than 5 % come back", "95 % of returns come
    sooner").  The analytics products useropslib is compared with (PostHog, Amplitude,
    Mixpanel) take a fixed dormancy window instead of inferring one.

    Examples
    --------
    Three users open the app every 2 days, then once more after a month.  With a 7-day horizon,
    the fifteen 2-day gaps end within the horizon and the three 30-day gaps do not; from 3 days
    of silence on nobody returns, so the threshold is 3 days.  Silences whose horizon runs past
    ``as_of`` are censored:

    >>> import pandas as pd
    >>> from useropslib.churn import infer_inactivity_threshold
    >>> days = [0, 2, 4, 6, 8, 10, 40]
    >>> df = pd.DataFrame({
    ...     "user_id": [u for u in "abc" for _ in days],
    ...     "event": "open",
    ...     "timestamp": [pd.Timestamp("2024-01-01", tz="UTC") + pd.Timedelta(days=d + i)
    ...                   for i in range(3) for d in days],
    ... })
    >>> res = infer_inactivity_threshold(df, horizon="7D", grid=[1, 2, 3, 4, 20], min_gaps=1)
    >>> res.threshold_days, res.definition.threshold, res.plateau_found
    (3.0, datetime.timedelta(days=3), True)
    >>> res.curve[["silent", "returned", "not_returned", "censored", "return_rate"]]
                 silent  returned  not_returned  censored  return_rate
    silent_days
    1.0              20        15             3         2     0.833333
    2.0              19        15             3         1     0.833333
    3.0               3         0             3         0     0.000000
    4.0               3         0             3         0     0.000000
    20.0              3         0             3         0     0.000000
    >>> res.rules[["setting", "threshold_days", "found", "chosen"]]
                                   setting  threshold_days  found  chosen
    rule
    plateau             tolerance=0.01               3.0   True    True
    return_probability          p=0.05               3.0   True   False
    gap_percentile                q=95              30.0   True   False
    """
    lazy = events if churn_engine_ready(events) else None
    log = None if lazy is not None else as_event_log(events)
    h_ns = window_ns(horizon, "horizon")
    user_grid = None if grid is None else _grid_days(grid)
    if (
        isinstance(tolerance, bool)
        or not isinstance(tolerance, int | float)
        or not math.isfinite(tolerance)
        or tolerance < 0
    ):
        raise InvalidParameterError(
            f"Invalid tolerance={tolerance!r}. Expected a finite number >= 0, e.g. 0.01 (one "
            "percentage point of return probability)."
        )
    if not isinstance(relative, bool | np.bool_):
        raise InvalidParameterError(
            f"Invalid relative={relative!r}. Expected True (tolerance as a share of the curve's "
            "whole drop) or False (an absolute probability)."
        )
    if min_gaps is not None and (
        isinstance(min_gaps, bool) or not isinstance(min_gaps, int | np.integer) or min_gaps < 1
    ):
        raise InvalidParameterError(
            f"Invalid min_gaps={min_gaps!r}. Expected an integer >= 1, or None for 1% of the "
            "users with activity (at least 30)."
        )
    if not isinstance(rule, str) or rule not in RULES:
        close = did_you_mean(str(rule), RULES)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        raise InvalidParameterError(f"Invalid rule={rule!r}. Expected one of {list(RULES)}.{hint}")
    p = _check_share(return_probability, "return_probability", low=0, high=1, example="0.05")
    q = _check_share(gap_percentile, "gap_percentile", low=0, high=100, example="95")
    names = check_activity_names(activity_events)
    if lazy is not None:  # the reductions in the engine: totals, silences' bounds, day gaps
        from useropslib.churn._lazychurn import engine_silences

        sil = engine_silences(lazy, names, as_of, h_ns)
    else:
        assert log is not None
        sil = _memory_silences(log, names, as_of, h_ns)
    as_of_ns = sil.as_of_ns
    n_users = sil.n_users
    span_ns = as_of_ns - sil.first
    context = (
        f"the log has {sil.n_rows:,} activity events from {n_users:,} users over "
        f"{span_ns / NS_PER_DAY:.4g} days (first activity to as_of), {sil.n_gaps:,} gaps "
        "between activities"
    )
    shortest_ns = NS_PER_DAY if user_grid is None else round(float(user_grid[0]) * NS_PER_DAY)
    if span_ns < h_ns + shortest_ns:
        raise InsufficientDataError(
            f"The data cannot answer: horizon={_horizon_text(h_ns)} needs silences of "
            f"{_horizon_text(shortest_ns)} (the shortest grid value) followed for the whole "
            f"horizon, so the data must span at least {(h_ns + shortest_ns) / NS_PER_DAY:g} "
            f"days, but {context}. Expected a span of at least the horizon plus the shortest "
            "silence. Hint: use a shorter horizon (e.g. "
            f"horizon='{max(1, int(span_ns // NS_PER_DAY) // 3)}D') or a longer log."
        )
    grid_days = default_grid_days(span_ns, h_ns) if user_grid is None else user_grid
    need = scaled_min_gaps(n_users) if min_gaps is None else int(min_gaps)

    # silences are at most the span long: longer grid values count nothing (clipped, no overflow)
    k_ns = np.round(np.minimum(grid_days, (span_ns + 1) / NS_PER_DAY) * NS_PER_DAY).astype(np.int64)
    gaps_size = sil.n_day_gaps
    gp_k = sil.gap_percentile(q)
    counts, at = sil.curves(k_ns, round(gp_k * NS_PER_DAY) if math.isfinite(gp_k) else None)
    decided = counts.decided
    rate = counts.rate
    usable = decided >= need
    if not usable.any():
        k_fit = (span_ns - h_ns) / NS_PER_DAY
        beyond = (
            f"; grid values above {k_fit:.4g} days can never be decided (k plus the horizon "
            "exceeds the span)"
            if grid_days[-1] > k_fit
            else ""
        )
        raise InsufficientDataError(
            f"Too few silences to infer a threshold: at most {int(decided.max()):,} decided "
            f"silences at any grid value (need min_gaps={need}); {context} and "
            f"{n_users:,} open silences up to as_of{beyond}. Hint: use a longer log, a "
            "shorter horizon, or a smaller min_gaps."
        )
    pos = np.flatnonzero(usable)
    k_first, k_last = float(grid_days[pos[0]]), float(grid_days[pos[-1]])
    if relative:
        limit = tolerance * (float(rate[pos[0]]) - float(np.min(rate[pos])))
    else:
        limit = float(tolerance)
    tail = max(h_ns / NS_PER_DAY, 0.25 * (k_last - k_first))
    fit = plateau(grid_days, rate, usable, limit, tail, h_ns / NS_PER_DAY)

    # the three rules
    below = usable & (rate < p)
    rp_found = bool(below.any())
    rp_k = float(grid_days[int(np.argmax(below))]) if rp_found else k_last
    gp_found = gaps_size >= need
    picks = np.array([float(grid_days[fit.index]), rp_k, gp_k])
    at_rate = np.full(3, np.nan)
    at_decided = np.zeros(3, dtype=np.int64)
    on_grid = np.searchsorted(grid_days, picks[:2])  # plateau and p-rule picks are grid values
    at_rate[:2], at_decided[:2] = rate[on_grid], decided[on_grid]
    if at is not None:  # the gap percentile need not be on the grid: read the curve there
        at_rate[2], at_decided[2] = at.rate[0], at.decided[0]
    notes = [
        fit.why,
        ""
        if rp_found
        else f"the return rate stays at or above p={p:g} over the usable grid (up to "
        f"{k_last:g} days); {k_last:g} days is a lower bound",
        "" if gp_found else f"only {gaps_size:,} gaps between activity days (need min_gaps={need})",
    ]
    rules = pd.DataFrame(
        {
            "setting": [
                f"tolerance={tolerance:g}" + (" (relative)" if relative else ""),
                f"p={p:g}",
                f"q={q:g}",
            ],
            "threshold_days": picks,
            "return_rate": at_rate,
            "decided": at_decided,
            "found": [fit.found, rp_found, gp_found],
            "chosen": [r == rule for r in RULES],
            "note": notes,
        },
        index=pd.Index(list(RULES), name="rule"),
    )
    chosen = RULES.index(rule)
    k_star = float(picks[chosen])
    if not math.isfinite(k_star):
        raise InsufficientDataError(
            f"The gap-percentile rule needs gaps between activity days, but no user has two "
            f"activity days: {context}. Hint: use a longer log, or rule='plateau'."
        )
    if rule != "gap_percentile" and not bool(rules["found"].iloc[chosen]):
        what = "plateau" if rule == "plateau" else f"return rate below p={p:g}"
        warnings.warn(
            f"No {what} found: {notes[chosen]}. The threshold {k_star:g} days depends on where "
            f"the grid ends ({grid_days.size} values, {grid_days[0]:g}..{grid_days[-1]:g} days) "
            "rather than on a flat stretch of the curve. Hint: compare result.rules, use a "
            "longer log, or choose rule='return_probability' or 'gap_percentile', whose answers "
            "do not need a plateau.",
            NoPlateauWarning,
            stacklevel=2,
        )
    definition = ChurnDefinition(
        threshold=dt.timedelta(days=k_star), activity_events=names, kind="terminal"
    )
    curve = pd.DataFrame(
        {
            "silent": counts.silent,
            "returned": counts.returned,
            "not_returned": counts.not_returned,
            "censored": counts.censored,
            "return_rate": rate,
            "remaining_drop": fit.remaining_drop,
            "usable": usable,
        },
        index=pd.Index(grid_days, name="silent_days"),
    )
    params = {
        "horizon": horizon if isinstance(horizon, str) else str(pd.Timedelta(horizon)),
        "grid": f"{grid_days.size} values, {grid_days[0]:g}..{grid_days[-1]:g} days"
        + (" (default: the data's span)" if user_grid is None else ""),
        "tolerance": tolerance,
        "relative": relative,
        "activity_events": None if names is None else list(names),
        "min_gaps": need,
        "rule": rule,
        "return_probability": p,
        "gap_percentile": q,
    }
    return InactivityThresholdResult(
        params=params,
        as_of=stamp(as_of_ns, sil.tz),
        definition=definition,
        threshold_days=k_star,
        return_rate=float(rules["return_rate"].iloc[chosen]),
        rule=rule,
        plateau_found=fit.found,
        end_slope=fit.end_slope,
        min_gaps=need,
        rules=rules,
        curve=curve,
    )
