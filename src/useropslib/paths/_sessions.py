"""Sessions (会话): each user's events split by inactivity, the session table and its metrics.

A session starts at a user's first event and whenever the gap to the user's previous event
reaches the timeout (default 30 minutes, the default of PostHog, Amplitude and Mixpanel);
optionally also at each local midnight and at a session-start event.  The split runs on the
log's per-user index (each user's events already in time order, no sort) with an ``np.diff`` of
the times; a tie rule other than row order only re-ranks the runs of events at one instant that
open or close a session.  With a session-start event (whose split depends on the tie rule) or
an ``as_of`` inside the log, the log is sorted by (user, time, tie rule) instead.  The session
table is read off the first and last row of each session, so no Python loop runs over users or
events.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from useropslib.events import (
    EventLog,
    EventsLike,
    LazyEventLog,
    as_event_log,
    check_tz,
    period_codes,
    period_starts,
)
from useropslib.events._query import UserGroups, resolve_groups, user_index, warn_empty
from useropslib.exceptions import InvalidParameterError
from useropslib.models import DateLike, Period, parse_period
from useropslib.paths._query import (
    Ordered,
    SessionRule,
    Split,
    TableResult,
    Ties,
    lazy_as_of,
    open_log,
    order_events,
    session_flags,
    session_rule,
    session_starts,
    session_table,
    tie_keys,
    until_ns,
)

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = [
    "SESSION_COLUMNS",
    "SessionMetricsResult",
    "SessionsResult",
    "session_log",
    "session_metrics",
    "sessions",
]

#: Columns of :attr:`SessionsResult.table`, in order.
SESSION_COLUMNS = (
    "user_id",
    "session",
    "start",
    "end",
    "duration",
    "events",
    "first_event",
    "last_event",
)
#: Upper bounds of the session-length bins of :attr:`SessionMetricsResult.lengths`.
_LENGTH_BINS = (
    ("0s (one instant)", 0),
    ("< 1 min", 60),
    ("1-5 min", 300),
    ("5-15 min", 900),
    ("15-30 min", 1800),
    ("30-60 min", 3600),
    ("1 h or more", None),
)


@dataclasses.dataclass(frozen=True, repr=False, eq=False)
class SessionsResult(TableResult):
    """The sessions of every user.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per session, in (user, start) order: ``user_id``, ``session`` (1, 2, ... per
        user), ``start`` and ``end`` (first and last event, in the log's zone), ``duration``
        (``end - start``; 0 for a one-event session), ``events`` (count), ``first_event`` and
        ``last_event`` (names, categorical over the event names in sorted order).
    params : dict
        The session rule and tie rule.
    as_of : pandas.Timestamp or None
        Events after it were ignored.
    """

    table: pd.DataFrame

    @property
    def n_sessions(self) -> int:
        """Number of sessions."""
        return len(self.table)

    def per_user(self) -> pd.Series:
        """Sessions per user (index ``user_id``).

        Returns
        -------
        pandas.Series
        """
        out_: pd.Series = self.table.groupby("user_id", sort=False).size().rename("sessions")
        return out_

    def summary(self) -> pd.Series:
        """Return the session metrics over every session of the table (all periods together).

        The same figures as one row of the ``table`` of :class:`SessionMetricsResult`, for the
        whole table: a user counts once however many periods their sessions fall in, and the median
        is taken over every session (it is not a mean of per-period medians).

        Returns
        -------
        pandas.Series
            ``sessions``, ``users`` (with at least one session), ``sessions_per_user``,
            ``events_per_session``, ``mean_duration`` and ``median_duration`` (Timedelta, NaT
            without sessions), ``bounce_rate`` (share of one-event sessions; NaN without
            sessions).

        See Also
        --------
        session_metrics : The same figures per calendar period.

        Notes
        -----
        Definitions as in :func:`session_metrics` (Google Analytics' classic bounce, a session's
        duration from its first to its last event as in PostHog and retentioneering).

        Examples
        --------
        >>> import pandas as pd
        >>> import useropslib as uo
        >>> df = pd.DataFrame({
        ...     "user_id": ["a", "a", "a", "b"],
        ...     "event": ["open", "view", "open", "open"],
        ...     "timestamp": pd.to_datetime(["2024-01-01 10:00", "2024-01-01 10:10",
        ...                                  "2024-01-01 11:00", "2024-01-01 09:00"], utc=True)})
        >>> uo.paths.sessions(df).summary()
        sessions                            3
        users                               2
        sessions_per_user                 1.5
        events_per_session           1.333333
        mean_duration         0 days 00:03:20
        median_duration       0 days 00:00:00
        bounce_rate                  0.666667
        Name: all sessions, dtype: object
        """
        tab = self.table
        n = len(tab)
        # each user's sessions are numbered from 1: one first session per user (no hashing of
        # the ids, which costs more than the rest on millions of sessions)
        users = int((tab["session"].to_numpy() == 1).sum())
        events = tab["events"].to_numpy(dtype=np.int64)
        dur = tab["duration"]
        nan = float("nan")
        out_: pd.Series = pd.Series(
            {
                "sessions": n,
                "users": users,
                "sessions_per_user": n / users if users else nan,
                "events_per_session": float(events.sum()) / n if n else nan,
                "mean_duration": dur.mean() if n else pd.NaT,
                "median_duration": dur.median() if n else pd.NaT,
                "bounce_rate": float((events == 1).sum()) / n if n else nan,
            },
            dtype=object,
            name="all sessions",
        )
        return out_

    def plot(self, ax: Axes | None = None) -> Axes:
        """Bar chart of session lengths (share of sessions per length bin).

        Parameters
        ----------
        ax : matplotlib.axes.Axes, optional

        Returns
        -------
        matplotlib.axes.Axes
        """
        from useropslib.plotting import bar_chart

        seconds = self.table["duration"].dt.total_seconds().to_numpy()
        counts = _length_counts(seconds)
        share = counts / max(counts.sum(), 1)
        return bar_chart(share, ax=ax, title="Session length", ylabel="share of sessions")


@dataclasses.dataclass(frozen=True, repr=False, eq=False)
class SessionMetricsResult(TableResult):
    """Session metrics per calendar period (a session belongs to the period it starts in).

    Attributes
    ----------
    table : pandas.DataFrame
        One row per period (index ``period``, local start): ``sessions``, ``users`` (with a
        session starting in the period), ``sessions_per_user``, ``events_per_session`` (mean),
        ``mean_duration`` and ``median_duration`` (timedelta), ``bounce_rate`` (share of
        one-event sessions).
    lengths : pandas.DataFrame
        Session-length distribution over every session: ``length`` (bin label), ``sessions``,
        ``share``.
    """

    table: pd.DataFrame
    lengths: pd.DataFrame

    def plot(self, ax: Axes | None = None) -> Axes:
        """Bar chart of the session-length distribution.

        Parameters
        ----------
        ax : matplotlib.axes.Axes, optional

        Returns
        -------
        matplotlib.axes.Axes
        """
        from useropslib.plotting import bar_chart

        share = self.lengths.set_index("length")["share"]
        return bar_chart(share, ax=ax, title="Session length", ylabel="share of sessions")


def _length_counts(seconds: np.ndarray[Any, Any]) -> pd.Series:
    edges = np.array([b for _, b in _LENGTH_BINS[1:-1]], dtype=np.float64)
    which = np.where(seconds <= 0, 0, 1 + np.searchsorted(edges, seconds, side="right"))
    counts = np.bincount(which.astype(np.int64), minlength=len(_LENGTH_BINS))
    out_: pd.Series = pd.Series(counts, index=pd.Index([n for n, _ in _LENGTH_BINS], name="length"))
    return out_


def split_sessions(
    log: EventLog,
    *,
    timeout: Any,
    split: Any,
    midnight: Any,
    start_event: Iterable[str] | str | None,
    ties: Any,
    tz: str | None,
    until: int | None,
) -> tuple[Ordered, SessionRule, np.ndarray[Any, np.dtype[np.bool_]]]:
    """Order the log, validate the rule and flag session starts."""
    rule = session_rule(
        log, timeout=timeout, split=split, midnight=midnight, start_event=start_event, tz=tz
    )
    o = order_events(log, ties=ties, until=until)
    return o, rule, session_starts(o, rule)


def _table(o: Ordered, new: np.ndarray[Any, np.dtype[np.bool_]], zone: str) -> pd.DataFrame:
    starts = np.flatnonzero(new)
    ends = np.r_[starts[1:] - 1, o.user.size - 1].astype(np.int64) if starts.size else starts
    return _from_bounds(o.log, o.user, o.t, starts, ends, o.event[starts], o.event[ends], zone)


def _from_bounds(
    log: EventLog,
    user: np.ndarray[Any, Any],
    t: np.ndarray[Any, Any],
    starts: np.ndarray[Any, Any],
    ends: np.ndarray[Any, Any],
    first: np.ndarray[Any, Any],
    last: np.ndarray[Any, Any],
    zone: str,
) -> pd.DataFrame:
    """Build the session table from each session's first and last position (sorted rows)."""
    su = user[starts].astype(np.int64)
    ufirst = np.ones(starts.size, dtype=bool)
    ufirst[1:] = su[1:] != su[:-1]
    # session number within the user: position among the sessions minus the user's first's
    k = np.arange(starts.size, dtype=np.int64)
    number = k - np.maximum.accumulate(np.where(ufirst, k, 0)) + 1
    return session_table(
        log.users,
        user=su,
        number=number,
        start=t[starts],
        end=t[ends],
        events=(ends - starts + 1).astype(np.int64),
        first=first.astype(np.int64),
        last=last.astype(np.int64),
        names=log.event_names,
        zone=zone,
    )


def _indexed_table(
    log: EventLog, rule: SessionRule, ties: Any, zone: str
) -> tuple[pd.DataFrame, bool]:
    """Sessions on the log's per-user index: no sort, one gap split, ties only where they are.

    The index holds each user's events in (time, row) order, which is the ``ties="input"``
    order.  Another tie rule only decides which event of a session's first and last instant is
    its first and last event (the split never depends on it without start events), so those are
    read off the runs of equal instants: the lowest (highest) ``rank * n + position`` of a run.
    """
    idx = user_index(log)
    u, t, e = idx.users(), idx.times(), idx.events()
    new = session_flags(
        u, t, e, timeout=rule.timeout_ns, split=rule.split, midnight_tz=rule.midnight_tz
    )
    starts = np.flatnonzero(new)
    ends = np.r_[starts[1:] - 1, u.size - 1].astype(np.int64) if starts.size else starts
    first, last = e[starts].astype(np.int64), e[ends].astype(np.int64)
    rank, _ = tie_keys(log, ties)
    if rank is not None and u.size > 1:
        tied = (t[1:] == t[:-1]) & (u[1:] == u[:-1])
        if tied.any():
            run0 = np.flatnonzero(np.r_[True, ~tied])  # first position of each equal instant
            run_of = np.cumsum(np.r_[True, ~tied]) - 1
            n = np.int64(u.size)
            key = rank[e] * n + np.arange(u.size, dtype=np.int64)
            lo = np.minimum.reduceat(key, run0) % n
            hi = np.maximum.reduceat(key, run0) % n
            first = e[lo[run_of[starts]]].astype(np.int64)
            last = e[hi[run_of[ends]]].astype(np.int64)
    return _from_bounds(log, u, t, starts, ends, first, last, zone), bool(new.any())


def sessions(
    events: EventsLike,
    *,
    timeout: Any = "30min",
    split: Split = ">=",
    midnight: bool = False,
    start_event: Iterable[str] | str | None = None,
    ties: Ties = "name",
    tz: str | None = None,
    as_of: DateLike | None = None,
) -> SessionsResult:
    """Split each user's events into sessions by inactivity; one row per session.

    Parameters
    ----------
    events : EventLog, LazyEventLog or DataFrame
        The events (a frame needs ``user_id``, ``event`` and ``timestamp`` columns).  On a lazy
        log the split runs in the engine as window functions and only one row per session is
        collected (see Notes).
    timeout : str or timedelta, default "30min"
        Inactivity that ends a session.
    split : {">=", ">"}, default ">="
        Whether a gap of exactly ``timeout`` starts a new session (``">="``, PostHog paths) or
        only a longer gap does (``">"``, retentioneering ``SplitSessions`` and Amplitude's
        "within 30 minutes").
    midnight : bool, default False
        Also start a session at each local midnight (in ``tz``), as Google Analytics does.
    start_event : str or sequence of str, optional
        Events that always start a session (an app's ``session_start``).
    ties : {"name", "input"} or list of str, default "name"
        Order of events at the same instant: by event name (deterministic whatever the row
        order), the log's row order, or the rank in a given list of names.  It decides
        ``first_event`` / ``last_event`` of a session, never the split.
    tz : str, optional
        Zone of ``midnight`` and of the table's times; default the log's.
    as_of : datetime-like, optional
        Ignore events after this instant.

    Returns
    -------
    SessionsResult
        ``table`` with one row per session (columns in ``SESSION_COLUMNS``).

    Raises
    ------
    InvalidParameterError
        For a timeout that is not a positive duration (or is a bare number), an unknown
        ``split``, ``ties`` or ``start_event`` (with close names).

    See Also
    --------
    session_metrics : Sessions per user, lengths, events per session, bounce rate per period.
    session_log : The log with one "user" per session, for funnels within a session.

    Notes
    -----
    Conventions: the duration of a one-event session is 0; a session's duration is its last
    event's time minus its first's (retentioneering, PostHog); the default split at exactly the
    timeout follows PostHog paths, ``split=">"`` follows retentioneering.  On a lazy log
    (DuckDB, Polars, PySpark) ``LAG``/``LEAD`` of the time, partitioned by user and ordered by
    (time, event name), flag each session's first and last rows, a second window over those rows
    pairs them and a running sum numbers the sessions; one row per session is collected (on
    Polars the rows are sorted once and the flags are shifts of whole columns).  Lazy logs order
    ties by name only, and ``midnight`` collects the event rows first.

    Examples
    --------
    >>> import pandas as pd
    >>> import useropslib as uo
    >>> df = pd.DataFrame({
    ...     "user_id": ["a", "a", "a", "b"],
    ...     "event": ["open", "view", "open", "open"],
    ...     "timestamp": pd.to_datetime(["2024-01-01 10:00", "2024-01-01 10:10",
    ...                                  "2024-01-01 11:00", "2024-01-01 09:00"], utc=True)})
    >>> s = uo.paths.sessions(df)
    >>> s.table[["user_id", "session", "events", "duration"]]
      user_id  session  events        duration
    0       a        1       2 0 days 00:10:00
    1       a        2       1 0 days 00:00:00
    2       b        1       1 0 days 00:00:00
    """
    params: dict[str, Any] = {"timeout": timeout, "split": split, "ties": ties}
    if isinstance(events, LazyEventLog) and not midnight and ties == "name":
        from useropslib.paths._lazy import lazy_sessions

        rule = session_rule(
            events.collect([]),
            timeout=timeout,
            split=split,
            midnight=False,
            start_event=start_event,
            tz=tz,
        )
        lat = lazy_as_of(events, as_of, tz)
        table = lazy_sessions(events, rule=rule, tz=lat.tz, until=until_ns(lat))
        if table.empty:
            warn_empty("No events: no session", hint="check as_of and the log's range")
        return SessionsResult(params={**params, **rule.describe()}, as_of=lat.stamp, table=table)
    log, at = open_log(events, tz=tz, as_of=as_of)
    zone = log.tz if tz is None else check_tz(tz)
    until = until_ns(at)
    cut = until is not None and log.n_events and int(log.timestamps_ns.max()) > until
    if start_event is None and not cut:
        rule = session_rule(
            log, timeout=timeout, split=split, midnight=midnight, start_event=None, tz=tz
        )
        table, any_ = _indexed_table(log, rule, ties, zone)
        if not any_:
            warn_empty("No events: no session", hint="check as_of and the log's range")
        return SessionsResult(
            params={**params, **rule.describe()},
            as_of=None if at is None else at.stamp,
            table=table,
        )
    o, rule, new = split_sessions(
        log,
        timeout=timeout,
        split=split,
        midnight=midnight,
        start_event=start_event,
        ties=ties,
        tz=tz,
        until=until_ns(at),
    )
    if not new.any():
        warn_empty("No events: no session", hint="check as_of and the log's range")
    return SessionsResult(
        params={**params, **rule.describe()},
        as_of=None if at is None else at.stamp,
        table=_table(o, new, zone),
    )


#: :func:`sessions`, under a name that :func:`session_metrics`'s ``sessions`` does not hide.
_split = sessions


def session_metrics(
    events: EventsLike,
    *,
    period: Period = "day",
    timeout: Any = "30min",
    split: Split = ">=",
    midnight: bool = False,
    start_event: Iterable[str] | str | None = None,
    tz: str | None = None,
    as_of: DateLike | None = None,
    breakdown: Any = None,
    sessions: SessionsResult | None = None,
) -> SessionMetricsResult:
    """Sessions per user, events per session, session length and bounce rate per period.

    Parameters
    ----------
    events : EventLog, LazyEventLog or DataFrame
        The events.
    period : {"day", "week", "month", "hour"}, default "day"
        Calendar period, in ``tz``.  A session belongs to the period in which it starts, even
        when it runs past the period's end.
    timeout, split, midnight, start_event
        The session rule, as in :func:`sessions`.
    tz : str, optional
        Calendar zone; default the log's.
    as_of : datetime-like, optional
        Ignore events after this instant.
    breakdown : str, mapping, pandas.Series or collection of user ids, optional
        Split users into groups through the shared breakdown resolver (a property's latest value
        at ``as_of``, a mapping or Series ``user_id -> group``, or a segment's member ids): the
        table is indexed by (``period``, ``breakdown``).
    sessions : SessionsResult, optional
        The sessions of ``events`` already split by :func:`sessions` with the same rule
        (``timeout``, ``split``, ``midnight``, ``start_event``, ``tz``, ``as_of``): they are
        aggregated as they are instead of being split again.  Pass it when you need both the
        session table and these metrics (the table is then split once).

    Returns
    -------
    SessionMetricsResult

    Raises
    ------
    InvalidParameterError
        For an unknown period or an invalid session rule; when ``sessions`` is not a
        :class:`SessionsResult`, was split with another rule, ``tz`` or ``as_of``, or does not
        hold the events of ``events`` (its session sizes do not add up to the log's events).

    Warns
    -----
    InsufficientDataWarning
        When there are no events (the tables are empty).

    See Also
    --------
    sessions : The session table these metrics summarise.

    Notes
    -----
    ``bounce_rate`` is the share of sessions with a single event (Google Analytics' classic
    bounce); its duration is 0.  A session crossing a period boundary counts once, in the period
    of its first event (Amplitude and PostHog attribute a session to its start).  On a lazy log
    the sessions are grouped by period in the engine (the zone's UTC offsets written as engine
    arithmetic) and one row per period is collected; ``midnight`` or a ``breakdown`` collect
    the sessions instead.

    With ``sessions`` given, the sessions are only aggregated: the answer is the one
    ``session_metrics`` computes by itself with the same rule (on a lazy log, from the
    collected session table rather than in the engine).

    Examples
    --------
    >>> import pandas as pd
    >>> import useropslib as uo
    >>> df = pd.DataFrame({
    ...     "user_id": ["a", "a", "a", "b"],
    ...     "event": ["open", "view", "open", "open"],
    ...     "timestamp": pd.to_datetime(["2024-01-01 10:00", "2024-01-01 10:10",
    ...                                  "2024-01-01 11:00", "2024-01-01 09:00"], utc=True)})
    >>> m = uo.paths.session_metrics(df)
    >>> m.table[["sessions", "users", "sessions_per_user", "bounce_rate"]]
                               sessions  users  sessions_per_user  bounce_rate
    period
    2024-01-01 00:00:00+00:00         3      2                1.5     0.666667

    The session table and the metrics from one split:

    >>> log = uo.EventLog.from_pandas(df)
    >>> s = uo.paths.sessions(log)
    >>> uo.paths.session_metrics(log, sessions=s).table.equals(m.table)
    True
    """
    p = parse_period(period)
    rule_params = {"timeout": timeout, "split": split, "ties": "name"}
    if sessions is not None:
        _check_given_sessions(
            events,
            sessions,
            timeout=timeout,
            split=split,
            midnight=midnight,
            start_event=start_event,
            tz=tz,
            as_of=as_of,
        )
    elif isinstance(events, LazyEventLog) and not midnight and breakdown is None:
        from useropslib.paths._lazy import lazy_session_periods

        rule = session_rule(
            events.collect([]),
            timeout=timeout,
            split=split,
            midnight=False,
            start_event=start_event,
            tz=tz,
        )
        lat = lazy_as_of(events, as_of, tz)
        agg = lazy_session_periods(
            events, rule=rule, period=p, tz=lat.tz, until=until_ns(lat), edges_ns=_EDGES_NS
        )
        if agg is not None:
            return _metrics_result(
                agg, p, lat.tz, events.week_start, {**rule_params, **rule.describe()}, lat.stamp
            )
    res = sessions
    if res is None:
        res = _split(
            events,
            timeout=timeout,
            split=split,
            midnight=midnight,
            start_event=start_event,
            tz=tz,
            as_of=as_of,
        )
    tab = res.table
    zone = str(tab["start"].dt.tz) if len(tab) else (tz or _zone_of(events))
    ws = int(getattr(events, "week_start", 0))
    groups = None
    if breakdown is not None:
        log = as_event_log(events)
        groups = resolve_groups(
            log, breakdown, as_of_ns=None if res.as_of is None else res.as_of.value
        )
    agg = _period_aggregates(
        tab, p, zone, ws, groups, None if groups is None else as_event_log(events)
    )
    params = dict(res.params)
    if groups is not None:
        params["breakdown"] = groups.name
    return _metrics_result(agg, p, zone, ws, params, res.as_of)


_EDGES_NS = tuple(int(b) * 1_000_000_000 for _, b in _LENGTH_BINS[1:-1])


def _check_given_sessions(
    events: EventsLike,
    given: Any,
    *,
    timeout: Any,
    split: Any,
    midnight: Any,
    start_event: Iterable[str] | str | None,
    tz: str | None,
    as_of: DateLike | None,
) -> None:
    """Check that ``given`` are sessions of ``events`` split with this call's rule."""
    hint = (
        "Hint: pass the SessionsResult of uo.paths.sessions(events, ...) called with the same "
        "timeout, split, midnight, start_event, tz and as_of, or leave sessions= out."
    )
    if not isinstance(given, SessionsResult):
        raise InvalidParameterError(
            f"Invalid sessions={type(given).__name__}. Expected the SessionsResult of "
            f"uo.paths.sessions on the same events. {hint}"
        )
    log: EventLog | None
    stamp: pd.Timestamp | None
    if isinstance(events, LazyEventLog):
        probe = events.collect([])
        zone = events.tz if tz is None else check_tz(tz)
        stamp = lazy_as_of(events, as_of, tz).stamp
        log, until = None, None
    else:
        log, at = open_log(events, tz=tz, as_of=as_of)
        probe = log
        zone = log.tz if tz is None else check_tz(tz)
        stamp = None if at is None else at.stamp
        until = until_ns(at)
    rule = session_rule(
        probe, timeout=timeout, split=split, midnight=midnight, start_event=start_event, tz=tz
    )
    for key, want in rule.describe().items():
        got = given.params.get(key)
        if got != want:
            raise InvalidParameterError(
                f"The sessions given were split with {key}={got!r}, but session_metrics got "
                f"{key}={want!r}. {hint}"
            )
    tab = given.table
    their_zone = str(tab["start"].dt.tz) if len(tab) else zone
    if their_zone != zone:
        raise InvalidParameterError(
            f"The sessions given are in the zone {their_zone!r}, but session_metrics works in "
            f"{zone!r}. {hint}"
        )
    if given.as_of != stamp:
        raise InvalidParameterError(
            f"The sessions given were split as of {given.as_of}, but session_metrics got as of "
            f"{stamp}. {hint}"
        )
    if log is not None:
        n = log.n_events if until is None else int((log.timestamps_ns <= until).sum())
        held = int(tab["events"].sum())
        if held != n:
            raise InvalidParameterError(
                f"The sessions given hold {held} events, but the log has {n} events up to "
                f"as_of: they were not split from these events. {hint}"
            )


def _period_aggregates(
    tab: pd.DataFrame,
    period: str,
    zone: str,
    week_start: int,
    groups: UserGroups | None,
    log: EventLog | None,
) -> pd.DataFrame:
    """Per-period (and per-group) session aggregates of a session table, as the engine gives."""
    start_ns = tab["start"].dt.tz_convert("UTC").dt.tz_localize(None).to_numpy().view(np.int64)
    dur = tab["duration"].to_numpy().view(np.int64)
    n = tab["events"].to_numpy(dtype=np.int64)
    edges = np.asarray(_EDGES_NS, dtype=np.int64)
    frame = pd.DataFrame(
        {
            "code": period_codes(start_ns, period, tz=zone, week_start=week_start),
            "u": pd.factorize(tab["user_id"])[0],
            "events": n,
            "duration": dur,
            "bounce": (n == 1).astype(np.int64),
            "bin": np.where(dur <= 0, 0, 1 + np.searchsorted(edges, dur, side="right")),
        }
    )
    keys = ["code"]
    if groups is not None and log is not None:
        pos = log.users.get_indexer(pd.Index(tab["user_id"].to_numpy(dtype=object)))
        frame["breakdown"] = np.asarray(groups.labels, dtype=object)[groups.codes[pos]]
        keys = ["code", "breakdown"]
    g = frame.groupby(keys, sort=True)
    out = pd.DataFrame(
        {
            "sessions": g.size(),
            "users": g["u"].nunique(),
            "events": g["events"].sum(),
            "duration": g["duration"].sum(),
            "median_duration": g["duration"].median(),
            "bounces": g["bounce"].sum(),
        }
    )
    bins = pd.crosstab([frame[k] for k in keys], frame["bin"]).reindex(
        columns=range(len(_LENGTH_BINS)), fill_value=0
    )
    for k in range(len(_LENGTH_BINS)):
        out[f"bin_{k}"] = bins[k].reindex(out.index, fill_value=0).to_numpy(dtype=np.int64)
    flat: pd.DataFrame = out.reset_index()
    return flat


def _metrics_result(
    agg: pd.DataFrame,
    period: str,
    zone: str,
    week_start: int,
    params: dict[str, Any],
    as_of: pd.Timestamp | None,
) -> SessionMetricsResult:
    """Build the result from per-period aggregates (engine's or in-memory, the same columns)."""
    cols = ["sessions", "users", "sessions_per_user", "events_per_session"]
    cols += ["mean_duration", "median_duration", "bounce_rate"]
    n_bins = len(_LENGTH_BINS)
    if agg.empty:
        warn_empty(
            "No events: the session metrics are empty", hint="check as_of and the log's range"
        )
        agg = pd.DataFrame(
            {
                c: np.zeros(0, dtype=np.int64)
                for c in [
                    "code",
                    "sessions",
                    "users",
                    "events",
                    "duration",
                    "median_duration",
                    "bounces",
                    *[f"bin_{k}" for k in range(n_bins)],
                ]
            }
        )
    sessions_ = agg["sessions"].to_numpy(dtype=np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        table = pd.DataFrame(
            {
                "sessions": agg["sessions"].to_numpy(dtype=np.int64),
                "users": agg["users"].to_numpy(dtype=np.int64),
                "sessions_per_user": sessions_ / agg["users"].to_numpy(dtype=np.float64),
                "events_per_session": agg["events"].to_numpy(dtype=np.float64) / sessions_,
                "mean_duration": pd.to_timedelta(
                    agg["duration"].to_numpy(dtype=np.float64) / sessions_, unit="ns"
                ),
                "median_duration": pd.to_timedelta(
                    agg["median_duration"].to_numpy(dtype=np.float64), unit="ns"
                ),
                "bounce_rate": agg["bounces"].to_numpy(dtype=np.float64) / sessions_,
            }
        )[cols]
    starts = period_starts(
        agg["code"].to_numpy(dtype=np.int64), period, tz=zone, week_start=week_start
    )
    if "breakdown" in agg:
        table.index = pd.MultiIndex.from_arrays(
            [starts, agg["breakdown"].to_numpy(dtype=object)], names=["period", "breakdown"]
        )
    else:
        table.index = pd.Index(starts, name="period")
    counts = np.asarray([int(agg[f"bin_{k}"].sum()) for k in range(n_bins)], dtype=np.int64)
    lengths = pd.DataFrame(
        {
            "length": [name for name, _ in _LENGTH_BINS],
            "sessions": counts,
            "share": counts / max(int(counts.sum()), 1),
        }
    )
    return SessionMetricsResult(
        params={**params, "period": period}, as_of=as_of, table=table, lengths=lengths
    )


def _zone_of(events: Any) -> str:
    return str(getattr(events, "tz", "UTC"))


def session_log(
    events: EventsLike,
    *,
    timeout: Any = "30min",
    split: Split = ">=",
    midnight: bool = False,
    start_event: Iterable[str] | str | None = None,
    ties: Ties = "name",
    tz: str | None = None,
    as_of: DateLike | None = None,
    separator: str = "#",
) -> EventLog:
    """Return the log with one "user" per session, so any metric runs within sessions.

    ``uo.metrics.funnel(session_log(log), steps=[...])`` is a funnel whose steps must all
    happen inside one session, counting sessions (PostHog's and Amplitude's "within a session"
    funnels count sessions the same way).

    Parameters
    ----------
    events : EventLog, LazyEventLog or DataFrame
        The events.
    timeout, split, midnight, start_event, ties, tz, as_of
        The session rule, as in :func:`sessions`.
    separator : str, default "#"
        Between the user id and the session number in the new ids (``"u1#2"``).

    Returns
    -------
    EventLog
        Same events, times and values; user ids ``f"{user}{separator}{k}"``.

    Raises
    ------
    InvalidParameterError
        For an invalid session rule.

    Examples
    --------
    >>> import pandas as pd
    >>> import useropslib as uo
    >>> df = pd.DataFrame({"user_id": ["a", "a"], "event": ["open", "buy"],
    ...     "timestamp": pd.to_datetime(["2024-01-01 10:00", "2024-01-01 12:00"], utc=True)})
    >>> list(uo.paths.session_log(df).users)
    ['a#1', 'a#2']
    """
    if not isinstance(separator, str):
        raise InvalidParameterError(
            f"Invalid separator={type(separator).__name__}. Expected a str put between the "
            "user id and the session number. Hint: separator='#'."
        )
    log, at = open_log(events, tz=tz, as_of=as_of)
    if log.n_events == 0:
        warn_empty(
            "session_log: the log has no events, so there are no sessions",
            hint="pass a log with events",
        )
    o, _, new = split_sessions(
        log,
        timeout=timeout,
        split=split,
        midnight=midnight,
        start_event=start_event,
        ties=ties,
        tz=tz,
        until=until_ns(at),
    )
    sid = np.cumsum(new, dtype=np.int64) - 1
    tab = _table(o, new, log.tz)
    ids = pd.Index(
        tab["user_id"].astype(str).to_numpy(dtype=object)
        + separator
        + tab["session"].astype(str).to_numpy(dtype=object),
        dtype=object,
    )
    values = None if log.values is None else log.values[o.rows]
    props = None
    if log.property_names:
        props = log.properties.iloc[o.rows].reset_index(drop=True)
    return EventLog(
        user_codes=sid.astype(np.int32),
        users=ids,
        event_codes=o.event.astype(np.int32),
        events=log.event_names,
        ts_ns=o.t.copy(),
        values=values,
        props=props,
        tz=log.tz,
        week_start=log.week_start,
        as_of_ns=log.as_of_ns,
        as_of_given=False,
    )
