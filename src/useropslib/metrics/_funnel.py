"""Conversion funnels (漏斗): ordered, strict or unordered, with exclusions and breakdowns.

One function, :func:`funnel`, names every convention peers disagree on (DESIGN.md §5): the step
order, the conversion window (inclusive, measured from the entry event), exclusion steps
evaluated per attempt, which attempt a person is counted by, and how a breakdown value is
attributed to a person.  Steps are numbered from 0; step 0 is the entry.

The kernel works on the encoded arrays of the :class:`~useropslib.events.EventLog`:

1. The events are read in the order of the log's per-user index (user, time).  A few
   comparisons of the event codes (a lookup table beyond eight codes), plus property filters,
   pick the events that match a step or an exclusion, and a table over the event codes gives
   each its bit mask of steps and exclusions.
2. Only events sharing a user and an instant are re-ordered, by step rank; the position in
   the selected events is then a global (user, time, step rank) order.
3. A sweep over the few steps, vectorised over every attempt (every step-0 event in the range):
   for step k, ``np.searchsorted`` over the positions of the step-k events finds, per attempt,
   the first step-k event after the attempt's step-(k-1) event; it counts if it belongs to the
   same user and lies within the window.  Strict funnels take the very next event instead;
   unordered funnels look up, per attempt, the first events of each step inside the window.
4. Exclusions, the per-person choice of attempt and the per-step statistics are segment
   reductions (``reduceat``/``bincount``) over the attempts.

No Python loop runs over users or events; the loops run over steps, exclusions and groups.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal, TypeAlias

import numpy as np
import numpy.typing as npt
import pandas as pd

from useropslib import plotting
from useropslib._checks import check_choice, check_window
from useropslib._results import MetricResult
from useropslib.events import EventLog, EventsLike, check_tz
from useropslib.events._query import (
    EngineFunnel,
    EventSelector,
    EventTerm,
    FunnelAsk,
    check_grain,
    check_instant,
    engine_funnel,
    load,
    resolve_as_of,
    resolve_groups,
    user_index,
    value_in,
    warn_empty,
)
from useropslib.exceptions import InvalidParameterError, did_you_mean
from useropslib.models import DateLike

if TYPE_CHECKING:
    from matplotlib.axes import Axes

from useropslib.events._time import stamp as _stamp
from useropslib.metrics._funnel_tables import (
    bottleneck_step,
    group_frames,
    grouped_step_table,
    step_frame,
    step_summary,
    step_table,
)

__all__ = ["FunnelResult", "funnel"]

Order: TypeAlias = Literal["ordered", "strict", "unordered"]
Attempts: TypeAlias = Literal["best", "first"]
StepSpec: TypeAlias = str | tuple[str, Mapping[str, Any]]
"""An event name, or ``(name, {property: value})``; a list/tuple/set value matches any of them."""
ExclusionSpec: TypeAlias = StepSpec | tuple[StepSpec, int, int]
"""A step spec (excluded anywhere in the funnel), or ``(spec, from_step, to_step)``."""
Attribution: TypeAlias = Literal["first_touch", "last_touch"] | tuple[str, int]

I64: TypeAlias = npt.NDArray[np.int64]
Bools: TypeAlias = npt.NDArray[np.bool_]

_ORDERS = ("ordered", "strict", "unordered")
_ATTEMPTS = ("best", "first")
_TOUCHES = ("first_touch", "last_touch")
_NONE_GROUP = "(none)"
_MAX_BITS = 62  # steps + exclusions share one int64 bit mask
_I64_MAX = np.iinfo(np.int64).max
_I64_MIN = np.iinfo(np.int64).min  # reads as NaT in datetime64[ns]


# ============================================================================ result


@dataclasses.dataclass(frozen=True, eq=False)
class _PerUser:
    """Compact per-person arrays behind ``FunnelResult.per_user`` (built on first access)."""

    users: pd.Index
    user_codes: I64
    reach: I64
    times: I64  # (n_steps, n) UTC ns, int64 min where not reached
    tz: str
    breakdown_name: str | None
    groups: npt.NDArray[np.object_] | None
    load: Callable[[], _PerUser] | None = None  # engine route: read from the engine when asked


@dataclasses.dataclass(frozen=True, repr=False, eq=False)
class FunnelResult(MetricResult):
    """A conversion funnel: users per step, conversion, drop-off and time to convert.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per step: ``step`` (0-based index), ``name``, ``users`` (people who reached at
        least this step), ``conversion_rate`` (over step 0), ``step_conversion_rate`` (over the
        previous step), ``drop_off`` and ``drop_off_rate`` (people lost since the previous
        step), ``mean_time_to_convert`` and ``median_time_to_convert`` (timedelta from the
        previous step's event, over the people who reached this step; NaT for step 0).
    bottleneck : int or None
        The step losing the largest share of the people who reached the step before it
        (highest ``drop_off_rate``; the earliest on ties).  None with a single step, nobody
        in the funnel, or no step losing anyone.
    excluded_users : int
        People who entered the funnel but were left out because every attempt that counted
        was disqualified by an exclusion step.
    breakdown_table : pandas.DataFrame or None
        With a breakdown: the columns of ``table`` per group, the group in a first column
        named after the breakdown (``"(none)"`` for people without a value); groups ordered by
        people at step 0, largest first.
    params : dict
        The parameters used.
    as_of : pandas.Timestamp or None
        Events after it were ignored.
    """

    table: pd.DataFrame
    bottleneck: int | None
    excluded_users: int
    breakdown_table: pd.DataFrame | None
    _per_user: _PerUser

    @functools.cached_property
    def per_user(self) -> pd.DataFrame:
        """One row per person in the funnel, for segments and churn analyses to reuse.

        Columns: ``user_id``; ``furthest_step`` (0-based index of the last step reached);
        ``converted`` (reached the last step); ``step_<k>_time`` for every step (tz-aware, in
        the result's time zone; NaT when not reached) from the attempt the person is counted
        by; and the breakdown column when there is one.  Rows are sorted by ``user_id``.
        Excluded people are left out.
        """
        d = self._per_user if self._per_user.load is None else self._per_user.load()
        frame = pd.DataFrame(
            {
                "user_id": d.users.take(d.user_codes),
                "furthest_step": d.reach - 1,
                "converted": d.reach == d.times.shape[0],
            }
        )
        for k in range(d.times.shape[0]):
            stamps = pd.DatetimeIndex(d.times[k].view("datetime64[ns]"), tz="UTC")
            frame[f"step_{k}_time"] = stamps.tz_convert(d.tz)
        if d.breakdown_name is not None and d.groups is not None:
            frame[d.breakdown_name] = d.groups
        out: pd.DataFrame
        try:
            out = frame.sort_values("user_id", kind="stable", ignore_index=True)
        except TypeError:  # ids of mixed types that cannot be ordered
            key = frame["user_id"].astype(str)
            out = frame.iloc[np.argsort(key.to_numpy(), kind="stable")].reset_index(drop=True)
        return out

    def to_frame(self) -> pd.DataFrame:
        """Return the funnel as a tidy frame: one row per (group, step).

        Returns
        -------
        pandas.DataFrame
            ``breakdown_table`` when there is a breakdown, else ``table`` (copies).

        Examples
        --------
        >>> import pandas as pd
        >>> df = pd.DataFrame({"user_id": ["a", "a", "b"], "event": ["visit", "buy", "visit"],
        ...     "timestamp": pd.to_datetime(["2024-01-01 10:00", "2024-01-01 11:00",
        ...                                  "2024-01-02 09:00"], utc=True)})
        >>> funnel(df, steps=["visit", "buy"]).to_frame()[["step", "name", "users"]]
           step   name  users
        0     0  visit      2
        1     1    buy      1
        """
        frame = self.breakdown_table if self.breakdown_table is not None else self.table
        out: pd.DataFrame = frame.copy()
        return out

    def plot(self, ax: Axes | None = None) -> Axes:
        """Draw people per step as bars, labelled with the conversion from step 0.

        With a breakdown, one group of bars per step and one colour per breakdown group.

        Parameters
        ----------
        ax : matplotlib.axes.Axes, optional
            Where to draw; default a new figure.

        Returns
        -------
        matplotlib.axes.Axes

        Raises
        ------
        UseropsError
            When matplotlib is not installed.
        """
        if self.breakdown_table is None:
            breakdown = None
        else:
            bt = self.breakdown_table
            breakdown = bt.pivot_table(
                index=bt.columns[0], columns="step", values="users", sort=False
            )
        title = f"Funnel ({self.params.get('order')}, window {self.params.get('window')})"
        drawn: Axes = plotting.funnel_bars(
            [str(n) for n in self.table["name"]],
            self.table["users"],
            breakdown=breakdown,
            ax=ax,
            title=title,
        )
        return drawn


# ============================================================================ public function


def funnel(
    events: EventsLike,
    steps: Sequence[StepSpec],
    *,
    window: str | dt.timedelta = "14D",
    order: Order = "ordered",
    exclusions: Sequence[ExclusionSpec] | None = None,
    attempts: Attempts = "best",
    breakdown: str | Mapping[Any, Any] | pd.Series | None = None,
    attribution: Attribution = "first_touch",
    start: DateLike | None = None,
    end: DateLike | None = None,
    tz: str | None = None,
    as_of: DateLike | None = None,
    strict: bool | None = None,
) -> FunnelResult:
    """Count the people who go through a sequence of steps within a conversion window.

    An *attempt* starts at an event matching step 0 (the entry) inside ``[start, end)``.  It
    reaches step k when events matching steps 1..k follow in the chosen ``order``, all within
    ``window`` of the entry (inclusive bound).  Each person is counted once, by one attempt
    (``attempts``); step counts are cumulative (people who reached *at least* step k).

    Parameters
    ----------
    events : EventLog, LazyEventLog or DataFrame
        The events (a frame needs ``user_id``, ``event`` and ``timestamp`` columns).
    steps : sequence of str, None or (str, dict)
        The steps, in order.  A step is an event name, ``None`` for any event (PostHog's "All
        events": the step is matched by the next event of any name, in order), or
        ``(name, {property: value})`` where every listed event property must equal the value
        (a list/tuple/set value matches any of its items).  A name may repeat:
        ``["view", "view", "buy"]`` needs two distinct view events.  A single step is allowed
        (it counts the people with an entry in the range).
    window : str or timedelta, default "14D"
        Conversion window, measured from the entry event; a step exactly ``window`` after the
        entry still counts.  ``"7D"``, ``"24h"``, ``"15s"``, ``"2W"`` ...
    order : {"ordered", "strict", "unordered"}, default "ordered"
        ``"ordered"``: the steps happen in this order; other events may happen in between.
        ``"strict"``: each step is the person's very next event after the previous step (no
        event of any name in between).  ``"unordered"``: the steps may happen in any order;
        reaching "step k" means doing k + 1 distinct steps, and any step can be the entry.
        See Notes.
    exclusions : sequence, optional
        Events that disqualify an attempt.  Each item is a step spec (an event name, ``None``
        for any event, or ``(name, {property: value})``), excluded anywhere between the first
        and the last step, or ``(spec, from_step, to_step)`` with 0-based step indices,
        ``from_step < to_step``.
        An attempt is disqualified when such an event happens strictly after its
        ``from_step`` event and strictly before its ``to_step`` event, or, when it never
        reached ``to_step``, after its ``from_step`` event while its window is still open.
        Unordered funnels accept only exclusions over the whole funnel.
    attempts : {"best", "first"}, default "best"
        ``"best"``: each person is counted by their furthest-reaching attempt that was not
        disqualified (PostHog).  ``"first"``: only by their first entry in the range
        (Mixpanel's uniques); a disqualified first attempt leaves the person out.
    breakdown : str, mapping or pandas.Series, optional
        Split the funnel by the value of an event property (attributed to each person by
        ``attribution``), or by a user-level group given as a mapping or Series user id ->
        group.  People without a value fall in group ``"(none)"``.
    attribution : {"first_touch", "last_touch"} or ("step", i), default "first_touch"
        For a property breakdown: the value on the person's first (or last) step event that
        has one, among the events the funnel reads (from ``start`` to the end of the last
        window), or the value on the step-i event of the attempt the person is counted by
        (``"(none)"`` when that attempt did not reach step i).
    start, end : str, datetime or Timestamp, optional
        Entries must happen at or after ``start`` and before ``end`` (naive values are read in
        ``tz``).  Later steps may happen after ``end``, within the window.  Default: no bound.
    tz : str, optional
        IANA time zone for naive bounds and for the times in ``FunnelResult.per_user``.
        Default: the log's.
    as_of : str, datetime or Timestamp, optional
        Ignore events after this instant.  Default: the log's ``as_of``.
    strict : bool, optional
        Raise for a step or exclusion event the log does not know.  Default (the library-wide
        :func:`useropslib.events.set_strict_events`, off): such a step counts zero people,
        with an :class:`~useropslib.exceptions.UnknownEventWarning` naming close known events.

    Returns
    -------
    FunnelResult
        ``table``, ``bottleneck``, ``breakdown_table``, ``per_user``, ``to_frame()``,
        ``plot()``.

    Raises
    ------
    InvalidParameterError
        For empty steps, a malformed step or exclusion, unknown event names with ``strict``
        (with close known names), unknown properties, a window that is not positive, an
        unknown ``order``, ``attempts`` or ``attribution``, a missing breakdown column, an end
        before the start,
        an unknown time zone, more than 62 steps and exclusions, or, in an unordered funnel,
        a partial exclusion or steps whose filters overlap without being identical.

    Warns
    -----
    InsufficientDataWarning
        When no entry event falls in the range (the result has zero people).
    UnknownEventWarning
        When a step or exclusion names an event the log does not have (it counts zero).

    See Also
    --------
    useropslib.metrics.retention : Who comes back after a start event.

    Notes
    -----
    Conventions, and the peer each matches:

    * Window: measured from the entry (step-0) event (PostHog, Mixpanel, Amplitude), with an
      inclusive bound (PostHog).  Events at the same instant count as in order (PostHog): at
      one instant, events are taken in the order of the first step they match, events
      matching no step last.  A repeated event name needs distinct events.
    * ``attempts="best"`` with ``order="ordered"`` reproduces PostHog's funnel counts.  The
      times of a person come from their attempt that reached the furthest step earliest,
      and among those from the latest entry, as PostHog reports them.  ``attempts="first"``
      is Mixpanel's "uniques" counting.
    * Time to convert is measured from the previous step (PostHog); the median of an even
      count is the mean of the two middle values.
    * ``order="strict"`` looks at every event of the person, not only funnel events (PostHog's
      and Amplitude's "exact order").  An event that matches no step and happens at the same
      instant as one of the person's step events does not break a sequence.  PostHog's
      implementation also tolerates a repeat of the current step event in between; this one
      does not.
    * ``order="unordered"``: the level of an attempt is the number of distinct steps done
      within ``[entry, entry + window]``, each step by a distinct event (PostHog's "any
      order"; results read "completed k + 1 steps").  The time of level k is the instant the
      k + 1-th distinct step was done; a person is counted by the attempt that reached the
      highest level earliest, from its earliest entry (PostHog).
    * Exclusions are evaluated per attempt with strict inequalities, so an excluded event at
      the same instant as a step does not disqualify (PostHog ignores those too).  A person
      whose every attempt is disqualified is removed from all steps (PostHog); a person with
      another, clean attempt is counted by the best clean one.
    * Breakdown attribution ``"first_touch"``, ``"last_touch"`` and ``("step", i)`` follow
      PostHog's names.  PostHog counts a person with step-attribution values in several
      groups once per value; here each person has one value: the one on their counted
      attempt.
    * ``start``/``end`` bound the entries only; later steps may fall after ``end`` (Mixpanel,
      Amplitude).  PostHog ignores events after the range: pass ``events.between(start, end)``
      to reproduce that.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({
    ...     "user_id": ["a", "a", "a", "b", "b", "c", "c"],
    ...     "event": ["signup", "view", "buy", "signup", "view", "signup", "view"],
    ...     "timestamp": pd.to_datetime([
    ...         "2024-05-01 09:00", "2024-05-01 10:00", "2024-05-02 09:00",
    ...         "2024-05-01 12:00", "2024-05-01 14:00",
    ...         "2024-05-02 08:00", "2024-05-20 08:00"], utc=True),
    ... })
    >>> res = funnel(df, steps=["signup", "view", "buy"], window="7D")
    >>> cols = ["step", "name", "users", "conversion_rate", "drop_off", "median_time_to_convert"]
    >>> res.table[cols]
       step    name  users  conversion_rate  drop_off median_time_to_convert
    0     0  signup      3         1.000000         0                    NaT
    1     1    view      2         0.666667         1        0 days 01:30:00
    2     2     buy      1         0.333333         1        0 days 23:00:00
    >>> res.bottleneck
    2
    >>> res.per_user[["user_id", "furthest_step", "converted"]]
      user_id  furthest_step  converted
    0       a              2       True
    1       b              1      False
    2       c              0      False
    >>> funnel(df, steps=["signup", "view"], order="strict").table["users"].tolist()
    [3, 2]
    """
    matchers = _parse_steps(steps)
    n_steps = len(matchers)
    window_ns = check_window(window, "window")
    window_td = pd.Timedelta(window_ns, unit="ns")
    order_ = check_choice(order, _ORDERS, "order", hint="'ordered' is the usual funnel")
    attempts_ = check_choice(attempts, _ATTEMPTS, "attempts", hint="'best' counts the best attempt")
    excl = _parse_exclusions(exclusions, n_steps, order_)
    if n_steps + len(excl) > _MAX_BITS:
        raise InvalidParameterError(
            f"Too many steps and exclusions: {n_steps} + {len(excl)} > {_MAX_BITS}. Expected at "
            f"most {_MAX_BITS} together. Hint: split the funnel."
        )
    touch = _parse_attribution(attribution, n_steps)
    all_matchers = matchers + [m for m, _, _ in excl]
    # from a lazy log, only the rows of the step and exclusion events are collected
    selector = EventSelector(terms=tuple(all_matchers), param="steps", strict=strict)
    # a lazy log whose engine can answer the funnel collects only result-sized tables
    route = engine_funnel(
        events,
        names=[m.name for m in matchers],
        filtered=any(m.where for m in all_matchers),
        exclusion_names=[m.name for m, _, _ in excl],
        order=order_,
        breakdown=breakdown,
        window_ns=window_ns,
        as_of=as_of,
        tz=tz,
    )
    log = load(events, selector) if route is None else route.probe
    check_grain(log, "events", "funnel")
    zone = log.tz if tz is None else check_tz(tz)
    lo_ns = check_instant(start, tz=zone, name="start")
    hi_ns = check_instant(end, tz=zone, name="end")
    if lo_ns is not None and hi_ns is not None and hi_ns < lo_ns:
        raise InvalidParameterError(
            f"end={end!r} is before start={start!r}. Expected start <= end. Hint: swap them."
        )
    when = resolve_as_of(log, as_of, tz=zone)
    asof_ns = None if when is None else when.ns

    # names and properties are checked before any work, so every mistake fails fast
    codes = selector.term_codes(log)
    wanted_props = sorted({k for m in all_matchers for k, _ in m.where})
    props = _properties(log, wanted_props, breakdown if isinstance(breakdown, str) else None)
    user_groups = (
        None if isinstance(breakdown, str) else resolve_groups(log, breakdown, properties=False)
    )

    params: dict[str, Any] = {
        "steps": [m.spec for m in matchers],
        "window": window if isinstance(window, str) else str(window_td),
        "order": order_,
        "attempts": attempts_,
        "exclusions": [[m.spec, a, b] for m, a, b in excl],
        "breakdown": breakdown if breakdown is None or isinstance(breakdown, str) else "mapping",
        "attribution": list(touch) if isinstance(touch, tuple) else touch,
        "start": None if lo_ns is None else _stamp(lo_ns, zone),
        "end": None if hi_ns is None else _stamp(hi_ns, zone),
        "tz": zone,
    }
    labels = (
        [f"Completed {k + 1} step{'s' if k else ''}" for k in range(n_steps)]
        if order_ == "unordered"
        else [m.label for m in matchers]
    )
    as_of_stamp = None if asof_ns is None else _stamp(asof_ns, zone)

    query = _Query(
        matchers=all_matchers,
        codes=codes,
        n_steps=n_steps,
        exclusions=[(n_steps + i, a, b) for i, (_, a, b) in enumerate(excl)],
        window_ns=window_ns,
        order=order_,
        attempts=attempts_,
        lo_ns=lo_ns,
        hi_ns=hi_ns,
        asof_ns=asof_ns,
        need_index=isinstance(breakdown, str),
    )
    if route is not None:
        return _engine_result(route, query, params, labels, as_of_stamp, breakdown, touch, zone)
    out = _run(log, query, props)

    if out.n_entrants == 0:
        warn_empty(
            "No entry event (step 0) in the range, so the funnel is empty",
            hint="check start, end, as_of and the step-0 event name",
        )

    groups: npt.NDArray[np.object_] | None = None
    breakdown_name: str | None = None
    if isinstance(breakdown, str):
        breakdown_name = breakdown
        groups = _attributed_values(out, props[breakdown], touch, n_steps)
    elif user_groups is not None:
        breakdown_name = "group" if user_groups.name == "mapping" else user_groups.name
        groups = user_groups.of(out.user)
    table = step_table(out.reach, out.times, n_steps, labels)
    breakdown_table = None
    if groups is not None and breakdown_name is not None:
        breakdown_table = grouped_step_table(out.reach, out.times, groups, n_steps, labels)
        breakdown_table.insert(0, breakdown_name, breakdown_table.pop("_group"))
    return FunnelResult(
        params=params,
        as_of=as_of_stamp,
        table=table,
        bottleneck=bottleneck_step(table),
        excluded_users=out.n_entrants - int(out.user.size),
        breakdown_table=breakdown_table,
        _per_user=_PerUser(
            users=log.users,
            user_codes=out.user,
            reach=out.reach,
            times=out.times,
            tz=zone,
            breakdown_name=breakdown_name,
            groups=groups,
        ),
    )


def _engine_result(
    route: EngineFunnel,
    q: _Query,
    params: dict[str, Any],
    labels: list[str],
    as_of_stamp: pd.Timestamp | None,
    breakdown: Any,
    touch: str | tuple[str, int],
    zone: str,
) -> FunnelResult:
    """Build the result from the engine's per-group counts (a lazy log's engine route)."""
    name = breakdown if isinstance(breakdown, str) else None
    ask = FunnelAsk(
        codes=tuple(q.codes),
        n_steps=q.n_steps,
        exclusions=tuple((a, b) for _, a, b in q.exclusions),
        window_ns=q.window_ns,
        attempts=q.attempts,
        lo_ns=q.lo_ns,
        hi_ns=q.hi_ns,
        asof_ns=q.asof_ns,
        breakdown=name,
        touch=touch,
    )
    got = route.counts(ask)
    if got.n_entrants == 0:
        warn_empty(
            "No entry event (step 0) in the range, so the funnel is empty",
            hint="check start, end, as_of and the step-0 event name",
        )
    users, mean, median = step_summary(got.reach, got.count, got.sum_hi, got.sum_lo, got.median)
    every = got.overall if got.overall is not None else got
    table: pd.DataFrame
    breakdown_table = None
    if name is None:
        table = step_frame(users[0], mean[0], median[0], labels)
    else:
        values = pd.Series([_NONE_GROUP if v is None else v for v in got.groups], dtype=object)
        total = step_summary(every.reach, every.count, every.sum_hi, every.sum_lo, every.median)
        table = step_frame(total[0][0], total[1][0], total[2][0], labels)
        uniques = pd.Index(values, dtype=object)
        breakdown_table = group_frames(users, mean, median, uniques, q.n_steps, labels)
        breakdown_table.insert(0, name, breakdown_table.pop("_group"))

    def load() -> _PerUser:
        ids, reach, times, vals = route.people(ask)
        groups = None
        if vals is not None:
            groups = np.asarray([_NONE_GROUP if v is None else v for v in vals], dtype=object)
        return _PerUser(
            users=ids,
            user_codes=np.arange(len(ids), dtype=np.int64),
            reach=reach,
            times=times,
            tz=zone,
            breakdown_name=name,
            groups=groups,
        )

    empty = np.zeros(0, dtype=np.int64)
    return FunnelResult(
        params=params,
        as_of=as_of_stamp,
        table=table,
        bottleneck=bottleneck_step(table),
        excluded_users=int(every.reach[:, 0].sum()),  # everyone disqualified by an exclusion
        breakdown_table=breakdown_table,
        _per_user=_PerUser(
            users=pd.Index([]),
            user_codes=empty,
            reach=empty,
            times=np.zeros((q.n_steps, 0), dtype=np.int64),
            tz=zone,
            breakdown_name=name,
            groups=None,
            load=load,
        ),
    )


# ============================================================================ parsing


_Matcher: TypeAlias = EventTerm


def _parse_matcher(item: Any, what: str) -> _Matcher:
    return EventTerm.parse(item, param=what)


def _parse_steps(steps: Any) -> list[_Matcher]:
    if (
        steps is None
        or isinstance(steps, str)
        or (isinstance(steps, tuple) and len(steps) == 2 and isinstance(steps[1], Mapping))
    ):
        raise InvalidParameterError(
            f"steps must be a list of steps, got the single step {steps!r}. Hint: wrap it in a "
            f"list: steps=[{steps!r}]."
        )
    if isinstance(steps, np.ndarray | pd.Series | pd.Index):
        steps = steps.tolist()
    if not isinstance(steps, Sequence) or len(steps) == 0:
        raise InvalidParameterError(
            f"steps is empty or not a list (got {steps!r}). Expected at least one step, e.g. "
            "steps=['signup', 'add_to_cart', 'purchase']."
        )
    return [_parse_matcher(s, f"step {i}") for i, s in enumerate(steps)]


def _parse_exclusions(exclusions: Any, n_steps: int, order: str) -> list[tuple[_Matcher, int, int]]:
    if exclusions is None:
        return []
    if isinstance(exclusions, str) or not isinstance(exclusions, Sequence):
        raise InvalidParameterError(
            f"exclusions must be a list, got {exclusions!r}. Hint: exclusions=[{exclusions!r}]."
        )
    out = []
    for item in exclusions:
        if isinstance(item, tuple | list) and len(item) == 3 and not isinstance(item[1], Mapping):
            spec, a, b = item
        else:
            spec, a, b = item, 0, n_steps - 1
        m = _parse_matcher(spec, "exclusion")
        if n_steps < 2:
            raise InvalidParameterError(
                f"Exclusion {m.label!r} needs a funnel of at least two steps, got {n_steps}. "
                "Hint: add the step the exclusion should come before."
            )
        for v, nm in ((a, "from_step"), (b, "to_step")):
            if isinstance(v, bool) or not isinstance(v, int | np.integer):
                raise InvalidParameterError(
                    f"Exclusion {m.label!r}: {nm} must be an integer step index, got {v!r}. "
                    "Expected (event, from_step, to_step) with 0-based indices."
                )
        a, b = int(a), int(b)
        if not 0 <= a < b <= n_steps - 1:
            raise InvalidParameterError(
                f"Exclusion {m.label!r} between steps {a} and {b} is out of range. Expected "
                f"0 <= from_step < to_step <= {n_steps - 1} (0-based). Hint: (event, 0, 1) "
                "excludes the event between the first and the second step."
            )
        if order == "unordered" and (a, b) != (0, n_steps - 1):
            raise InvalidParameterError(
                f"Exclusion {m.label!r} between steps {a} and {b}: an unordered funnel has no "
                f"step order, so exclusions must span the whole funnel (0 to {n_steps - 1}). "
                "Hint: give the event alone, or use order='ordered'."
            )
        out.append((m, a, b))
    return out


def _parse_attribution(attribution: Any, n_steps: int) -> str | tuple[str, int]:
    if isinstance(attribution, str) and attribution in _TOUCHES:
        return attribution
    if (
        isinstance(attribution, tuple | list)
        and len(attribution) == 2
        and attribution[0] == "step"
        and isinstance(attribution[1], int | np.integer)
        and not isinstance(attribution[1], bool)
    ):
        i = int(attribution[1])
        if not 0 <= i < n_steps:
            raise InvalidParameterError(
                f"attribution=('step', {i}) is out of range. Expected a 0-based step index "
                f"from 0 to {n_steps - 1}."
            )
        return ("step", i)
    close = did_you_mean(str(attribution), _TOUCHES)
    hint = f" Did you mean {close[0]!r}?" if close else ""
    raise InvalidParameterError(
        f"Invalid attribution={attribution!r}. Expected 'first_touch', 'last_touch' or "
        f"('step', i) with a 0-based step index.{hint}"
    )


def _properties(
    log: EventLog, wanted: list[str], breakdown: str | None
) -> dict[str, npt.NDArray[Any]]:
    """Return the property columns the query reads, as arrays aligned with the events."""
    names = [*wanted, *([breakdown] if breakdown is not None else [])]
    if not names:
        return {}
    frame = log.properties
    avail = [str(c) for c in frame.columns]
    for name in names:
        if name not in frame.columns:
            close = did_you_mean(name, avail)
            hint = f" Did you mean {close[0]!r}?" if close else ""
            what = "breakdown column" if name == breakdown else "property"
            raise InvalidParameterError(
                f"Missing {what} {name!r}: the event log has no such property. Available "
                f"properties: {avail}.{hint}"
            )
    return {name: frame[name].to_numpy() for name in names}


# ============================================================================ kernel


@dataclasses.dataclass(frozen=True)
class _Query:
    matchers: list[_Matcher]  # steps first, then exclusions; bit i = matcher i
    codes: list[int]
    n_steps: int
    exclusions: list[tuple[int, int, int]]  # (bit, from_step, to_step)
    window_ns: int
    order: str
    attempts: str
    lo_ns: int | None
    hi_ns: int | None
    asof_ns: int | None
    need_index: bool


@dataclasses.dataclass(frozen=True, eq=False)
class _Sorted:
    """Selected events sorted by (user, time, step rank); position = global order."""

    user: npt.NDArray[np.int32]  # user codes (int32, as the log stores them)
    time: I64
    mask: npt.NDArray[np.integer[Any]]  # bit i: matches step i (then exclusions)
    index: I64 | None  # original event row, when properties are read later

    @functools.cached_property
    def _runs(self) -> tuple[I64, npt.NDArray[np.integer[Any]]]:
        """Runs of equal (user, time): the first position of each, and each position's run."""
        n = self.user.size
        new = np.ones(n + 1, dtype=bool)  # one more: the end of the last run
        if n > 1:
            np.not_equal(self.user[1:], self.user[:-1], out=new[1:n])
            new[1:n] |= self.time[1:] != self.time[:-1]
        bounds = np.flatnonzero(new)  # the first position of every run, then n
        run_of = np.cumsum(new[:n], dtype=np.int32 if n <= np.iinfo(np.int32).max else np.int64)
        run_of -= 1
        return bounds, run_of

    @property
    def group_starts(self) -> I64:
        """First position of every run of equal (user, time)."""
        out: I64 = self._runs[0][:-1]
        return out

    @property
    def run_of(self) -> npt.NDArray[np.integer[Any]]:
        """The (user, time) run of every position (0-based, non-decreasing)."""
        return self._runs[1]

    def group_end(self, pos: I64) -> I64:
        """First position after the (user, time) run of each position."""
        bounds, run_of = self._runs
        j = run_of.take(pos)
        j += 1
        out: I64 = bounds.take(j)
        return out

    def group_start(self, pos: I64) -> I64:
        """First position of the (user, time) run of each position."""
        bounds, run_of = self._runs
        out: I64 = bounds.take(run_of.take(pos))
        return out


@dataclasses.dataclass(frozen=True, eq=False)
class _Outcome:
    """Per person counted: user code, steps reached (1..K) and the time of each step."""

    user: I64
    reach: I64
    times: I64  # (K, n) step-major, int64 min where not reached
    positions: I64  # (K, n) positions in the sorted events, -1 where not reached
    sorted: _Sorted
    n_entrants: int


def _bit(i: int) -> int:
    return 1 << i


def _run(log: EventLog, q: _Query, props: Mapping[str, npt.NDArray[Any]]) -> _Outcome:
    s = _select_and_sort(log, q, props)
    step_bits = (1 << q.n_steps) - 1
    entry_ok = (s.mask & (_bit(0) if q.order != "unordered" else step_bits)) != 0
    if q.hi_ns is not None:
        entry_ok &= s.time < q.hi_ns
    entries = np.flatnonzero(entry_ok)
    del entry_ok  # the sweeps below hold several attempt-length arrays: free these first
    n_entrants = 0
    att_user = s.user.take(entries)  # int32 user code of every attempt
    if entries.size:
        new_user = np.ones(entries.size, dtype=bool)
        np.not_equal(att_user[1:], att_user[:-1], out=new_user[1:])
        firsts = np.flatnonzero(new_user)
        del new_user
        n_entrants = int(firsts.size)
        if q.attempts == "first":
            entries, att_user = entries.take(firsts), att_user.take(firsts)
        del firsts
    if q.order == "unordered":
        reach, times, pos = _sweep_unordered(s, entries, att_user, q)
    else:
        entries, att_user, reach, times, pos = _sweep_ordered(s, entries, att_user, q)
    if q.exclusions and entries.size:
        keep = np.flatnonzero(~_disqualified(s, att_user, reach, times, pos, q))
        att_user, reach, times, pos = att_user[keep], reach[keep], times[:, keep], _cols(pos, keep)
    if q.attempts == "best" and att_user.size:
        pick = _pick_attempts(att_user, reach, times, earliest_entry=q.order == "unordered")
        att_user, reach, times, pos = att_user[pick], reach[pick], times[:, pick], _cols(pos, pick)
    return _Outcome(
        user=att_user.astype(np.int64),
        reach=reach,
        times=times,
        positions=pos,
        sorted=s,
        n_entrants=n_entrants,
    )


def _cols(pos: I64, which: I64) -> I64:
    """Columns ``which`` of the (step, attempt) positions; positions not kept stay a view."""
    if pos.strides[1] == 0 and pos.size:  # a broadcast -1: nobody reads the positions
        return np.broadcast_to(np.int64(-1), (pos.shape[0], which.size))
    out: I64 = pos[:, which]
    return out


def _select_and_sort(log: EventLog, q: _Query, props: Mapping[str, npt.NDArray[Any]]) -> _Sorted:
    """Keep the events the funnel reads, with their step/exclusion bit masks, sorted.

    The events are read in the order of the log's per-user index (built once per log), so
    selecting them keeps them in (user, time) order; only events sharing an instant are put in
    step-rank order here.
    """
    idx = user_index(log)
    ev = idx.events()
    ts = idx.times()
    n_codes = len(log.event_names)
    code_bits = np.zeros(n_codes, dtype=np.int64)
    filtered: list[tuple[int, int, _Matcher]] = []
    for i, (m, c) in enumerate(zip(q.matchers, q.codes, strict=True)):
        if m.name is not None and c < 0:
            continue  # an event the log does not know: the step matches nothing
        if m.where:
            filtered.append((i, c, m))
        elif m.name is None:
            code_bits |= _bit(i)  # any event (PostHog's "All events")
        else:
            code_bits[c] |= _bit(i)
    is_cand = code_bits != 0
    for _, c, _ in filtered:
        if c < 0:
            is_cand[:] = True
        else:
            is_cand[c] = True

    # time bounds: nothing before start matters, nor anything after the last window or as_of
    # (the log holds no event after its own as_of, so that bound only cuts when earlier)
    lo = q.lo_ns
    hi = q.asof_ns if q.asof_ns is not None and q.asof_ns < (log.as_of_ns or 0) else None
    if q.hi_ns is not None:
        last = q.hi_ns - 1 + q.window_ns
        hi = last if hi is None else min(hi, last)

    users = idx.users()
    if q.order == "strict":
        # every event of the people with an entry: find them from the step-0 candidates
        pos0 = _in_time(_select_codes(ev, is_cand), ts, lo, hi)
        rows0 = idx.rows(pos0) if filtered else pos0
        ok0 = (_masks(rows0, ev[pos0], code_bits, filtered, props) & _bit(0)) != 0
        if q.hi_ns is not None:
            ok0 &= ts[pos0] < q.hi_ns
        entrant = np.zeros(len(log.users), dtype=bool)
        entrant[users[pos0[ok0]]] = True
        pos = _in_time(np.flatnonzero(np.repeat(entrant, idx.counts)), ts, lo, hi)
    else:
        pos = _in_time(_select_codes(ev, is_cand), ts, lo, hi)
    rows = idx.rows(pos) if (filtered or q.need_index) else pos
    codes = ev.take(pos)
    if filtered:
        masks = _masks(rows, codes, code_bits, filtered, props)
        if q.order != "strict":
            hit = np.flatnonzero(masks)
            pos, rows, codes, masks = pos[hit], rows[hit], codes[hit], masks[hit]
        distinct = pd.unique(masks).astype(np.int64)
    else:
        distinct = np.unique(np.append(code_bits, np.int64(0)))

    # step rank: the first step an event matches, then its mask; no step last
    by_rank = _masks_by_rank(distinct, q.n_steps)
    srt = np.argsort(by_rank).astype(np.int8 if by_rank.size < 128 else np.int64)
    by_rank_m = by_rank.astype(_mask_dtype(len(q.matchers)))
    if filtered:
        rank = srt[np.searchsorted(by_rank[srt], masks)]
        del masks
        mask = by_rank_m.take(rank)
        ranks: tuple[npt.NDArray[np.integer[Any]], npt.NDArray[np.integer[Any]] | None] = (
            rank,
            None,
        )
    else:  # tables over the event codes, read with ``take`` (no fancy-index cast)
        code_rank = srt[np.searchsorted(by_rank[srt], code_bits)]
        mask = by_rank_m.take(code_rank).take(codes)
        ranks = (code_rank, codes)
    u_sel = users.take(pos)  # int32: user codes fit, and half the bytes of int64
    t_sel = ts.take(pos)
    del pos
    need_rows = q.need_index
    ties = _rank_ties(u_sel, t_sel, *ranks)
    del codes, ranks
    if ties is not None:
        at, source = ties
        mask[at] = mask[source]
        if need_rows:
            rows = np.array(rows, dtype=np.int64)  # a copy: ``rows`` may be shared
            rows[at] = rows[source]
    index = np.asarray(rows, dtype=np.int64) if need_rows else None
    return _Sorted(u_sel, t_sel, mask, index)


def _select_codes(ev: npt.NDArray[np.integer[Any]], is_cand: Bools) -> I64:
    """Positions whose event code is a candidate: one pass of a few comparisons.

    A handful of candidate codes are compared one by one (vectorised comparisons of the narrow
    code column); more go through a table lookup.  Every code a candidate: all positions.
    """
    wanted = np.flatnonzero(is_cand)
    if wanted.size == is_cand.size:
        return np.arange(ev.size, dtype=np.intp)
    if wanted.size == 0:
        return np.zeros(0, dtype=np.intp)
    if wanted.size <= 8:
        hit = ev == wanted[0]
        for c in wanted[1:].tolist():
            hit |= ev == c
    else:
        hit = is_cand[ev]
    out: I64 = np.flatnonzero(hit)
    return out


def _rank_ties(
    user: npt.NDArray[np.integer[Any]],
    time: I64,
    table: npt.NDArray[np.integer[Any]],
    keys: npt.NDArray[np.integer[Any]] | None = None,
) -> tuple[I64, I64] | None:
    """Find how to put events of one (user, instant) in step-rank order, or None.

    Events arrive in (user, time, row) order; only runs of events sharing a user and an instant
    need reordering, so only they are sorted (stably: equal ranks keep the row order).  Returns
    ``(at, source)``: position ``at[i]`` takes the event now at ``source[i]``.  The step rank
    of position ``i`` is ``table[keys[i]]`` (a table over event codes), or ``table[i]``.
    Users and times are equal within a run, so only per-event columns other than them move.
    """
    n = user.size
    if n < 2:
        return None
    tied = np.flatnonzero(time[1:] == time[:-1])
    tied = tied[user[tied + 1] == user[tied]]

    def rank_at(at: I64) -> npt.NDArray[np.integer[Any]]:
        out: npt.NDArray[np.integer[Any]] = table.take(at if keys is None else keys.take(at))
        return out

    if tied.size == 0 or not (rank_at(tied + 1) < rank_at(tied)).any():
        return None  # no tie, or every tie already in rank order
    # the positions in runs: each tied pair (i, i + 1); a run starts where i is not tied to i - 1
    p = np.union1d(tied, tied + 1)
    starts = np.ones(p.size, dtype=bool)
    starts[1:] = np.isin(p[1:] - 1, tied, assume_unique=True, invert=True)
    run_id = np.cumsum(starts)
    source: I64 = p[np.lexsort((rank_at(p).astype(np.int64), run_id))]
    return p, source


def _in_time(rows: I64, ts: npt.NDArray[np.int64], lo: int | None, hi: int | None) -> I64:
    if lo is None and hi is None:
        return rows
    t = ts[rows]
    keep = np.ones(rows.size, dtype=bool)
    if lo is not None:
        keep &= t >= lo
    if hi is not None:
        keep &= t <= hi
    out: I64 = rows[keep]
    return out


def _masks(
    rows: I64,
    codes: npt.NDArray[np.int32],
    code_bits: I64,
    filtered: list[tuple[int, int, _Matcher]],
    props: Mapping[str, npt.NDArray[Any]],
) -> I64:
    masks: I64 = code_bits[codes]
    for bit, code, m in filtered:
        sub = np.arange(codes.size) if code < 0 else np.flatnonzero(codes == code)
        ok = np.ones(sub.size, dtype=bool)
        for prop, values in m.where:
            _check_filter_kind(prop, values, props[prop], m.label)
            col = props[prop][rows[sub]]
            ok &= value_in(pd.Series(col, dtype=object), list(values))
        masks[sub[ok]] |= _bit(bit)
    return masks


def _value_kind(value: Any) -> str:
    if isinstance(value, (bool, np.bool_)):
        return "boolean"
    if isinstance(value, (int, float, np.integer, np.floating)):
        return "number"
    if isinstance(value, str):
        return "text"
    return "other"


_COLUMN_KINDS = {
    "string": "text",
    "integer": "number",
    "floating": "number",
    "mixed-integer-float": "number",
    "decimal": "number",
    "boolean": "boolean",
}


def _check_filter_kind(prop: str, values: tuple[Any, ...], column: Any, label: str) -> None:
    """Refuse a step filter whose values can never equal the property's kind of values."""
    kind = _COLUMN_KINDS.get(pd.api.types.infer_dtype(column, skipna=True))
    if kind is None:  # empty, mixed or other kinds: nothing to compare against
        return
    wanted = {_value_kind(v) for v in values if v is not None}
    if wanted and kind not in wanted:
        raise InvalidParameterError(
            f"The filter of step {label!r} compares property {prop!r}, which holds {kind} "
            f"values, with {list(values)!r} ({', '.join(sorted(wanted))}), so it can match "
            f"nothing. Expected {kind} values. Hint: write the value as the property holds it, "
            f"e.g. {{{prop!r}: {str(values[0])!r}}} for text"
        )


def _mask_dtype(n_bits: int) -> type[np.integer[Any]]:
    """Return the smallest integer type holding ``n_bits`` step and exclusion bits."""
    for dtype, bits in ((np.uint8, 8), (np.uint16, 16), (np.uint32, 32)):
        if n_bits <= bits:
            return dtype
    return np.int64


def _masks_by_rank(distinct: I64, n_steps: int) -> I64:
    """Order the distinct masks by (first step matched, mask); masks without steps last."""
    step_bits = (1 << n_steps) - 1
    lows = []
    for m in distinct.tolist():  # a handful of distinct masks, not events
        steps = int(m) & step_bits
        lows.append((steps & -steps).bit_length() - 1 if steps else n_steps)
    order = np.lexsort((distinct, np.asarray(lows, dtype=np.int64)))
    out: I64 = distinct[order]
    return out


def _sweep_ordered(
    s: _Sorted, entries: I64, user: npt.NDArray[np.int32], q: _Query
) -> tuple[I64, npt.NDArray[np.int32], I64, I64, I64]:
    """Ordered and strict funnels: per attempt, the earliest qualifying event of each step.

    ``user`` holds the user code of each entry.  Returns the attempts kept, their users, the
    steps each reached and the (step, attempt) times and positions.

    In an ordered funnel counted by the best attempt without exclusions, an entry followed by
    another entry of the same person before any step-1 event is dropped first: the later entry
    continues with the same events and a later deadline, so it reaches at least as far, at the
    same times, and is the one PostHog reports.  (When none of them reaches step 1, the person
    is therefore reported by the last of them; the lazy engine route does the same.)
    """
    k_steps = q.n_steps
    track = bool(q.exclusions) or q.need_index  # positions are read by exclusions, breakdowns
    step_events: dict[int, tuple[I64, npt.NDArray[np.integer[Any]]]] = {}

    def events_of(k: int) -> tuple[I64, npt.NDArray[np.integer[Any]]]:
        """Positions of the step-k events and their running count (one pass each, cached)."""
        if k not in step_events:
            hit = (s.mask & _bit(k)) != 0
            dtype = np.int32 if hit.size <= np.iinfo(np.int32).max else np.int64
            step_events[k] = (np.flatnonzero(hit), np.cumsum(hit, dtype=dtype))
        return step_events[k]

    j1: npt.NDArray[np.integer[Any]] | None = None  # step 1's index in its events, per attempt
    if (
        q.order == "ordered"
        and q.attempts == "best"
        and not q.exclusions
        and k_steps > 1
        and entries.size
    ):
        j1 = events_of(1)[1].take(entries)  # step-1 events up to each entry
        last = np.ones(entries.size, dtype=bool)  # the last entry of a group (see above)
        np.not_equal(j1[1:], j1[:-1], out=last[:-1])
        last[:-1] |= user[1:] != user[:-1]
        kept = np.flatnonzero(last)
        del last
        entries, j1, user = entries.take(kept), j1.take(kept), user.take(kept)
        del kept
    elif q.order == "ordered" and k_steps > 1:
        j1 = events_of(1)[1].take(entries)
    n = entries.size
    times = np.full((k_steps, n), _I64_MIN, dtype=np.int64)
    pos: I64 = (
        np.full((k_steps, n), -1, dtype=np.int64)
        if track
        else np.broadcast_to(np.int64(-1), (k_steps, n))
    )
    reach = np.ones(n, dtype=np.int64)
    if n == 0:
        return entries, user, reach, times, pos
    s.time.take(entries, out=times[0])
    if track:
        pos[0] = entries
    a_user = user
    a_deadline = times[0] + q.window_ns
    strict = q.order == "strict"
    cur = entries
    alive: I64 | None = None  # the attempts still going (None: all of them)
    for k in range(1, k_steps):
        if strict:
            p = _strict_next(s, cur, q.n_steps)
            ok = p < s.user.size
            p.clip(max=max(s.user.size - 1, 0), out=p)
            ok &= (s.mask.take(p) & _bit(k)) != 0
        else:
            cand, through = events_of(k)
            if cand.size == 0:
                break
            # index in cand of the first one after cur (step 1's came with the entries)
            jc = j1 if k == 1 and j1 is not None else through.take(cur)
            j1 = None
            ok = jc < cand.size
            p = cand.take(jc, mode="clip")
            del jc
        ok &= s.user.take(p) == a_user
        t_p = s.time.take(p)
        ok &= t_p <= a_deadline
        keep = np.flatnonzero(ok)
        del ok
        if keep.size == 0:
            break
        if keep.size < p.size:
            alive = keep if alive is None else alive[keep]
            p, t_p = p[keep], t_p[keep]
            if k + 1 < k_steps:  # the last step needs no more of these
                cur = p
                a_user, a_deadline = a_user[keep], a_deadline[keep]
        else:
            cur = p
        del keep
        if alive is None:
            times[k] = t_p
            if track:
                pos[k] = p
            reach[:] = k + 1
        else:
            times[k, alive] = t_p
            if track:
                pos[k, alive] = p
            reach[alive] = k + 1
        del t_p
        step_events.pop(k, None)
    return entries, user, reach, times, pos


def _count_through(mask: npt.NDArray[np.integer[Any]], bit: int) -> npt.NDArray[np.integer[Any]]:
    """Count the events matching ``bit`` at or before each position (a running count).

    ``count[p]`` is where ``p`` would go in the positions of those events with
    ``searchsorted(side="right")``, found in one linear pass instead of a binary search each.
    """
    hit = (mask & _bit(bit)) != 0
    dtype = np.int32 if mask.size <= np.iinfo(np.int32).max else np.int64
    out: npt.NDArray[np.integer[Any]] = np.cumsum(hit, dtype=dtype)
    return out


def _strict_next(s: _Sorted, cur: I64, n_steps: int) -> I64:
    """Return the event a strict sequence looks at after the step event at each of ``cur``.

    Events matching no step are skipped when they share an instant with a step event of the
    same person (same-timestamp events count as in order).  Within an instant step events sort
    first, so after a step event comes the next event of its (user, instant) run when that is
    a step event too, else the first event of the next run (which is never skipped: a run that
    starts with a non-step event holds no step event).  Returns ``s.user.size`` past the end.
    """
    bounds, run_of = s._runs
    n = s.user.size
    run = run_of.take(cur)
    nxt = cur + 1
    at = nxt.clip(max=max(n - 1, 0))
    same = nxt < n
    same &= run_of.take(at) == run
    same &= (s.mask.take(at) & ((1 << n_steps) - 1)) != 0
    run += 1
    out: I64 = np.where(same, nxt, bounds.take(run))
    return out


def _sweep_unordered(
    s: _Sorted, entries: I64, user: npt.NDArray[np.int32], q: _Query
) -> tuple[I64, I64, I64]:
    """Unordered funnels: distinct steps done in ``[entry, entry + window]``, per attempt.

    ``user`` holds the user code of each entry.  The positions of the step events are kept
    only when exclusions or a breakdown read them; otherwise a slot not filled keeps the
    largest int64 as its time (unless an event carries that very instant).
    """
    k_steps = q.n_steps
    n = entries.size
    # classes of identical matchers: a step repeated r times needs r distinct events
    classes: dict[Any, int] = {}
    for i, m in enumerate(q.matchers[:k_steps]):
        classes[m.key] = classes.get(m.key, 0) | (1 << i)
    class_masks = list(classes.values())
    _check_disjoint(s, class_masks, q)
    track = bool(q.exclusions) or q.need_index or (n > 0 and int(s.time.max()) == _I64_MAX)
    # one row per step slot, one column per attempt (rows are contiguous)
    slot_t = np.full((k_steps, n), _I64_MAX, dtype=np.int64)
    slot_p = np.full((k_steps, n), -1, dtype=np.int64) if track else None
    if n:
        deadline = s.time.take(entries)
        deadline += q.window_ns
        first = s.group_start(entries)
        col = 0
        for cm in class_masks:
            low = cm & -cm
            cand = np.flatnonzero(s.mask & low)
            if cand.size == 0:
                col += cm.bit_count()
                continue
            # events of this class before the entry's instant: where the first one at or
            # after it sits among them (a running count, not a binary search per attempt):
            # the count through ``first``, less ``first`` itself when it is one of them
            before = _count_through(s.mask, low.bit_length() - 1)
            j0 = before.take(first).astype(np.int64)
            del before
            j0 -= (s.mask.take(first) & low) != 0
            for _ in range(cm.bit_count()):  # r-th event of a step repeated r times
                ok = j0 < cand.size
                p = cand.take(j0, mode="clip")
                ok &= s.user.take(p) == user
                t_p = s.time.take(p)
                ok &= t_p <= deadline
                np.copyto(slot_t[col], t_p, where=ok)
                if slot_p is not None:
                    np.copyto(slot_p[col], p, where=ok)
                del ok, p, t_p
                j0 += 1
                col += 1
        del deadline, first
    times, pos = _sort_slots(slot_t, slot_p)
    del slot_t, slot_p
    if pos is None:
        unreached = times == _I64_MAX
        pos = np.broadcast_to(np.int64(-1), times.shape)
    else:
        unreached = pos < 0
    reach = k_steps - np.count_nonzero(unreached, axis=0).astype(np.int64)
    times[unreached] = _I64_MIN
    return reach, times, pos


def _sort_slots(slot_t: I64, slot_p: I64 | None) -> tuple[I64, I64 | None]:
    """Sort each column of the (slots, attempts) arrays by time, stably (ties keep slot order).

    With few slots, each slot's rank is counted with ``k * (k - 1)`` vectorised comparisons
    and the columns are scattered to their ranks, which is faster than a row-wise sort of many
    tiny rows; beyond 8 slots, one stable ``argsort`` along the slots.  ``slot_p`` (the
    positions) may be None when nobody reads them.
    """
    k, n = slot_t.shape
    if k > 8:
        order = np.argsort(slot_t, axis=0, kind="stable")
        return (
            np.take_along_axis(slot_t, order, axis=0),
            None if slot_p is None else np.take_along_axis(slot_p, order, axis=0),
        )
    cols = np.arange(n)
    times = np.empty_like(slot_t)
    pos = None if slot_p is None else np.empty_like(slot_p)
    rank = np.empty(n, dtype=np.int64)
    for i in range(k):
        rank[:] = 0
        for j in range(k):
            if j < i:
                rank += slot_t[j] <= slot_t[i]
            elif j > i:
                rank += slot_t[j] < slot_t[i]
        rank *= n  # the flat position in the (slots, attempts) arrays
        rank += cols
        np.put(times, rank, slot_t[i])
        if pos is not None and slot_p is not None:
            np.put(pos, rank, slot_p[i])
    return times, pos


def _check_disjoint(s: _Sorted, class_masks: list[int], q: _Query) -> None:
    steps = s.mask & ((1 << q.n_steps) - 1)
    bad = steps != 0  # matches a step mask that is no class of identical steps
    for cm in class_masks:  # a few vectorised comparisons, not a set lookup per event
        bad &= steps != cm
    if bad.any():
        example = int(steps[np.flatnonzero(bad)[0]])
        which = [i for i in range(q.n_steps) if example >> i & 1]
        names = ", ".join(f"step {i} ({q.matchers[i].label!r})" for i in which)
        raise InvalidParameterError(
            f"In an unordered funnel each event may count for one kind of step, but "
            f"{int(bad.sum())} event(s) match {names}, whose filters differ. Expected steps "
            "that are identical or match disjoint events. Hint: make the property filters "
            "disjoint, or use order='ordered'."
        )


def _disqualified(
    s: _Sorted, att_user: npt.NDArray[np.integer[Any]], reach: I64, times: I64, pos: I64, q: _Query
) -> Bools:
    """Flag the attempts with an exclusion event inside their guarded span."""
    out = np.zeros(att_user.size, dtype=bool)
    deadline = times[0] + q.window_ns
    for bit, a, b in q.exclusions:
        xs = np.flatnonzero(s.mask & _bit(bit))
        if xs.size == 0:
            continue
        idx = np.flatnonzero(reach > a)
        after = s.group_end(pos[a, idx])  # first position later in time than the step-a event
        j = np.searchsorted(xs, after, side="left")
        ok = j < xs.size
        x = xs[np.minimum(j, xs.size - 1)]
        ok &= s.user[x] == att_user[idx]
        tx = s.time[x]
        reached_b = reach[idx] > b
        ok &= np.where(reached_b, tx < times[b, idx], tx <= deadline[idx])
        out[idx[ok]] = True
    return out


def _pick_attempts(
    user: npt.NDArray[np.integer[Any]], reach: I64, times: I64, *, earliest_entry: bool
) -> I64:
    """Pick one attempt per person: furthest step, reached earliest, then latest/earliest entry.

    Attempts come grouped by person.  The furthest step and the time it was reached pack into
    one int64 key when they fit (one minimum per person); each person's minimum is spread back
    over their attempts with ``np.repeat`` (sequential writes), not a gather by segment id.
    """
    n = user.size
    k_steps = times.shape[0]
    new = np.ones(n, dtype=bool)
    np.not_equal(user[1:], user[:-1], out=new[1:])
    starts = np.flatnonzero(new)
    del new
    sizes = np.diff(starts, append=n)
    t_last = times[0].copy()  # the time of each attempt's last step reached
    for k in range(1, k_steps):
        np.copyto(t_last, times[k], where=reach > k)
    lo = int(t_last.min())
    t_bits = (int(t_last.max()) - lo).bit_length()
    if t_bits + k_steps.bit_length() <= 62:
        key = t_last  # (steps not reached, time since the earliest), smallest best
        key -= lo
        key |= np.left_shift(k_steps - reach, t_bits)
        cand = key == np.repeat(np.minimum.reduceat(key, starts), sizes)
    else:
        best = np.repeat(np.maximum.reduceat(reach, starts), sizes)
        cand = reach == best
        del best
        t_last[~cand] = _I64_MAX
        cand &= t_last == np.repeat(np.minimum.reduceat(t_last, starts), sizes)
    del t_last
    idx = np.arange(n, dtype=np.int64)
    if earliest_entry:
        idx[~cand] = n
        pick: I64 = np.minimum.reduceat(idx, starts)
    else:
        idx[~cand] = -1
        pick = np.maximum.reduceat(idx, starts)
    return pick


# ============================================================================ output


def _attributed_values(
    out: _Outcome, column: npt.NDArray[Any], touch: str | tuple[str, int], n_steps: int
) -> npt.NDArray[np.object_]:
    """Return the breakdown value of each person counted, by the attribution rule."""
    s = out.sorted
    index = s.index
    values = np.full(out.user.size, _NONE_GROUP, dtype=object)
    if index is None or out.user.size == 0:
        return values
    if isinstance(touch, tuple):
        i = touch[1]
        has = out.reach > i
        got = column[index[out.positions[i, has]]]
        values[has] = got
    else:
        is_step = (s.mask & ((1 << n_steps) - 1)) != 0
        cand = np.flatnonzero(is_step)
        vals = column[index[cand]]
        cand = cand[~pd.isna(vals)]
        if cand.size:
            u = s.user[cand]
            if touch == "first_touch":
                sel = np.ones(cand.size, dtype=bool)
                sel[1:] = u[1:] != u[:-1]
            else:
                sel = np.ones(cand.size, dtype=bool)
                sel[:-1] = u[1:] != u[:-1]
            users_with = u[sel]
            chosen = cand[sel]
            j = np.searchsorted(users_with, out.user)
            j = np.minimum(j, users_with.size - 1)
            hit = users_with[j] == out.user
            values[hit] = column[index[chosen[j[hit]]]]
    values[pd.isna(values)] = _NONE_GROUP
    return values
