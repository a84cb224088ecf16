"""Churn labels per user, churn rate per period and the natural churn rate of signup cohorts."""

from __future__ import annotations

import datetime as dt
import warnings

import numpy as np
import numpy.typing as npt
import pandas as pd

from useropslib.churn._definition import (
    DefinitionLike,
    activity,
    as_definition,
    names_mask,
    observed_days,
    resolve_as_of,
    stamps,
    threshold_ns,
)
from useropslib.events import (
    EventLog,
    EventsLike,
    LazyEventLog,
    as_event_log,
    period_codes,
    period_starts,
)
from useropslib.events._query import check_instant, churn_engine_ready, warn_empty
from useropslib.events._time import stamp
from useropslib.exceptions import (
    InsufficientDataError,
    InsufficientDataWarning,
    InvalidParameterError,
)
from useropslib.models import ChurnDefinition, DateLike, Period, parse_period
from useropslib.models._types import window_ns

__all__ = ["churn_labels", "churn_rate", "natural_churn_rate"]

_I64_MIN = np.iinfo(np.int64).min
_I64_MAX = np.iinfo(np.int64).max


def _user_index(log: EventLog, codes: npt.NDArray[np.int64]) -> pd.Index:
    out: pd.Index = pd.Index(log.users.take(codes), name="user_id")
    return out


def churn_labels(
    events: EventsLike, definition: DefinitionLike, *, as_of: DateLike | None = None
) -> pd.DataFrame:
    """Label every user churned, retained or too new to tell, as of a date.

    A user is *churned* when their last activity is at least ``definition.threshold`` before
    ``as_of``; *censored* (too new to tell) when they were first seen less than one threshold
    before ``as_of``, so they could not have been silent that long; otherwise retained.

    Parameters
    ----------
    events : EventLog, LazyEventLog or DataFrame
        The events (a frame needs ``user_id``, ``event``, ``timestamp`` columns).
    definition : ChurnDefinition, str or timedelta
        The churn definition, or just its threshold (``"30D"``; every event is then activity).
    as_of : str, datetime or Timestamp, optional
        The analysis date; later events are ignored.  Default: the log's ``as_of``.

    Returns
    -------
    pandas.DataFrame
        One row per user with an activity event at or before ``as_of`` (index ``user_id``, in
        the log's user order): ``first_seen`` and ``last_seen`` (first and last activity, aware,
        in the log's zone), ``days_inactive`` (days from ``last_seen`` to ``as_of``, float),
        ``churned`` (``days_inactive >= threshold``), ``censored`` (``as_of - first_seen <
        threshold``; never churned), ``churned_at`` (``last_seen + threshold``, the instant the
        user became churned; NaT unless churned).

    Raises
    ------
    InvalidParameterError
        For a non-positive threshold, unknown activity events or ``as_of`` before the log's
        first event.
    InsufficientDataError
        When the log has events but no activity event is at or before ``as_of``.

    Warns
    -----
    InsufficientDataWarning
        For a log without events (the result then has no rows).

    See Also
    --------
    churn_rate : Share of the active base that churns in each period.
    survival_frame : Durations to churn for survival analysis.

    Notes
    -----
    The comparison is inclusive: a user silent for exactly the threshold is churned, which is
    when :func:`survival_frame` (kind ``"terminal"``) records the churn event, so its
    ``observed`` flag equals ``churned`` here.  Users whose only events are not activity events
    are left out.  ``definition.kind`` does not matter here: the labels describe the state at
    ``as_of``.

    Examples
    --------
    >>> import pandas as pd
    >>> from useropslib.churn import churn_labels
    >>> df = pd.DataFrame({
    ...     "user_id": ["a", "a", "b", "c"],
    ...     "event": "open",
    ...     "timestamp": pd.to_datetime(["2024-01-01", "2024-01-05", "2024-01-20", "2024-02-25"],
    ...                                 utc=True),
    ... })
    >>> labels = churn_labels(df, "30D", as_of="2024-03-01")
    >>> labels[["days_inactive", "churned", "censored"]]
             days_inactive  churned  censored
    user_id
    a                 56.0     True     False
    b                 41.0     True     False
    c                  5.0    False      True
    >>> labels.loc["a", "churned_at"]
    Timestamp('2024-02-04 00:00:00+0000', tz='UTC')
    """
    if isinstance(events, LazyEventLog):  # one GROUP BY user in the engine
        from useropslib.churn._lazyuser import lazy_churn_labels

        return lazy_churn_labels(events, definition, as_of=as_of)
    log = as_event_log(events)
    d = as_definition(definition)
    thr = threshold_ns(d)
    if log.n_events == 0 and as_of is None:
        # labels are a table that counts: an empty log labels nobody (the empty-data policy)
        warn_empty(
            "churn_labels: the event log has no events, so no user is labelled",
            hint="check the filters that produced the log",
        )
        codes = first = last = np.empty(0, dtype=np.int64)
        as_of_ns = 0
    else:
        as_of_ns = resolve_as_of(log, as_of)
        try:
            act = activity(log, d.activity_events, as_of_ns)
        except InsufficientDataError:
            # labels are a table that counts: no activity event labels nobody (an activity event
            # that has not fired counts as zero events)
            named = "" if d.activity_events is None else f" named {list(d.activity_events)}"
            warn_empty(
                f"churn_labels: no activity event{named} at or before "
                f"as_of={stamp(as_of_ns, log.tz)}, so no user is labelled",
                hint="name activity events the log has (log.event_names)",
            )
            codes = first = last = np.empty(0, dtype=np.int64)
        else:
            codes, first, last = act.first_last()
    return label_frame(_user_index(log, codes), first, last, as_of_ns=as_of_ns, thr=thr, tz=log.tz)


def label_frame(
    index: pd.Index,
    first: npt.NDArray[np.int64],
    last: npt.NDArray[np.int64],
    *,
    as_of_ns: int,
    thr: int,
    tz: str,
) -> pd.DataFrame:
    """Build the :func:`churn_labels` table from each user's first and last activity (UTC ns)."""
    inactive = as_of_ns - last
    churned = inactive >= thr
    censored = (as_of_ns - first) < thr
    churned_at = np.where(churned, last + thr, _I64_MIN)
    labels: pd.DataFrame = pd.DataFrame(
        {
            "first_seen": stamps(first, tz),
            "last_seen": stamps(last, tz),
            "days_inactive": observed_days(inactive),
            "churned": churned,
            "censored": censored,
            "churned_at": stamps(churned_at, tz),
        },
        index=index,
    )
    return labels


def _spells(
    users: npt.NDArray[np.int64], ts: npt.NDArray[np.int64], thr: int
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Active spells of (user, time)-sorted activity: start and end (last activity + threshold)."""
    same = users[1:] == users[:-1]
    breaks = ~same | (np.diff(ts) >= thr)
    starts = np.flatnonzero(np.concatenate(([True], breaks)))
    ends = np.flatnonzero(np.concatenate((breaks, [True])))
    return ts[starts], ts[ends] + thr


def churn_rate(
    events: EventsLike,
    definition: DefinitionLike,
    *,
    period: Period | str = "month",
    as_of: DateLike | None = None,
) -> pd.DataFrame:
    """Share of the active base at the start of each period that churns during it.

    Parameters
    ----------
    events : EventLog, LazyEventLog or DataFrame
        The events (a frame needs ``user_id``, ``event``, ``timestamp`` columns).
    definition : ChurnDefinition, str or timedelta
        The churn definition, or just its threshold (``"30D"``).
    period : {"day", "week", "month", "hour"}, default "month"
        Calendar period, in the log's time zone and week start.
    as_of : str, datetime or Timestamp, optional
        The analysis date; later events are ignored.  Default: the log's ``as_of``.

    Returns
    -------
    pandas.DataFrame
        One row per period from the one holding the first activity to the one holding ``as_of``
        (index ``period``, the local period start): ``active_at_start`` (the active base: users
        seen at or before the period start whose last activity by then is at most one
        threshold before it), ``churned`` (those of them whose silence reached the threshold
        during the period, at or before ``as_of``), ``churn_rate`` (``churned /
        active_at_start``; NaN without a base) and ``complete`` (the period ended at or before
        ``as_of``).

    Raises
    ------
    InvalidParameterError
        For a bad definition, period, unknown activity events or ``as_of`` before the data.
    InsufficientDataError
        When the log has events but no activity event is at or before ``as_of``.

    Warns
    -----
    InsufficientDataWarning
        For a log without events: the table has no period (the empty-data policy).

    See Also
    --------
    churn_labels : The per-user state as of one date.

    Notes
    -----
    A user is churned from the instant their silence reaches the threshold (last activity +
    threshold) until their next activity, so a user can churn, come back and churn again; each
    stretch of activity whose gaps stay under the threshold is an *active spell* ending at its
    last activity + threshold.  Users who join or come back during a period are not in its
    base, as in the usual "customers lost / customers at the start" rate.  The last period is
    usually incomplete: its rate counts only churn seen by ``as_of``.

    Examples
    --------
    >>> import pandas as pd
    >>> from useropslib.churn import churn_rate
    >>> df = pd.DataFrame({
    ...     "user_id": ["a", "b", "c", "a", "c"],
    ...     "event": "open",
    ...     "timestamp": pd.to_datetime(["2024-01-01", "2024-01-02", "2024-01-03", "2024-01-09",
    ...                                  "2024-01-20"], utc=True),
    ... })
    >>> churn_rate(df, "7D", period="week", as_of="2024-01-29")
                               active_at_start  churned  churn_rate  complete
    period
    2024-01-01 00:00:00+00:00                1        0         0.0      True
    2024-01-08 00:00:00+00:00                3        3         1.0      True
    2024-01-15 00:00:00+00:00                1        1         1.0      True
    2024-01-22 00:00:00+00:00                1        1         1.0      True
    2024-01-29 00:00:00+00:00                0        0         NaN     False
    """
    d = as_definition(definition)
    p = parse_period(period)
    if churn_engine_ready(events):  # one row per active spell from the engine (window LAG/LEAD)
        from useropslib.churn._lazychurn import lazy_spells, no_activity_error
        from useropslib.churn._lazyuser import lazy_as_of

        lazy_as_of_ns = lazy_as_of(events, as_of)
        assert lazy_as_of_ns is not None  # the engine route is taken for logs with rows only
        start, end = lazy_spells(events, d.activity_events, lazy_as_of_ns, threshold_ns(d))
        if start.size == 0:
            raise no_activity_error(events, d.activity_events, lazy_as_of_ns)
        return _rate_table(start, end, lazy_as_of_ns, p, tz=events.tz, week_start=events.week_start)
    log = as_event_log(events)
    if log.n_events == 0:
        # a rate per period counts: an empty log has no period (the empty-data policy)
        warn_empty(
            "churn_rate: the event log has no events, so no period has users to churn",
            hint="check the filters that produced the log",
        )
        check_instant(as_of, tz=log.tz, name="as_of")
        empty: pd.DataFrame = pd.DataFrame(
            {
                "active_at_start": pd.Series([], dtype=np.int64),
                "churned": pd.Series([], dtype=np.int64),
                "churn_rate": pd.Series([], dtype=np.float64),
                "complete": pd.Series([], dtype=bool),
            },
            index=pd.DatetimeIndex([], tz=log.tz, name="period"),
        )
        return empty
    as_of_ns = resolve_as_of(log, as_of)
    act = activity(log, d.activity_events, as_of_ns)
    thr = threshold_ns(d)
    users, ts = act.by_user()
    start, end = _spells(users, ts, thr)
    return _rate_table(start, end, as_of_ns, p, tz=log.tz, week_start=log.week_start)


def _rate_table(
    start: npt.NDArray[np.int64],
    end: npt.NDArray[np.int64],
    as_of_ns: int,
    p: Period,
    *,
    tz: str,
    week_start: int,
) -> pd.DataFrame:
    """Count the base and the churned of each period from the active spells (any order)."""
    bounds = period_codes(
        np.array([int(start.min()), as_of_ns], dtype=np.int64), p, tz=tz, week_start=week_start
    )
    codes = np.arange(int(bounds[0]), int(bounds[1]) + 2, dtype=np.int64)
    edges_idx = period_starts(codes, p, tz=tz, week_start=week_start)
    edges = edges_idx.tz_convert("UTC").as_unit("ns").asi8
    s, e = edges[:-1], edges[1:]

    start_sorted = np.sort(start)
    end_sorted = np.sort(end)
    # in the base at s: a spell with start <= s <= end (churning at s itself counts in [s, e))
    base = np.searchsorted(start_sorted, s, side="right") - np.searchsorted(
        end_sorted, s, side="left"
    )
    # spells that end (churn) inside a period and had started by its start
    seen = end <= as_of_ns
    pe = np.searchsorted(s, end[seen], side="right") - 1
    in_base = start[seen] <= s[pe]
    churned = np.bincount(pe[in_base], minlength=s.size).astype(np.int64)
    with np.errstate(invalid="ignore", divide="ignore"):
        rate = np.where(base > 0, churned / np.maximum(base, 1), np.nan)
    out: pd.DataFrame = pd.DataFrame(
        {
            "active_at_start": base.astype(np.int64),
            "churned": churned,
            "churn_rate": rate,
            "complete": e <= as_of_ns,
        },
        index=pd.Index(edges_idx[:-1], name="period"),
    )

    return out


def natural_churn_rate(
    events: EventsLike,
    *,
    cohort_period: Period | str = "week",
    silence: str | dt.timedelta | ChurnDefinition = "5W",
    signup_event: str | None = None,
    as_of: DateLike | None = None,
) -> pd.DataFrame:
    """Natural churn rate (自然流失率) of each signup cohort: the share never active after signup.

    The domain example: of 100 users registered on one day, 20 did nothing in the following
    five weeks, so that day's natural churn rate is 20 / 100 = 20%.

    Parameters
    ----------
    events : EventLog, LazyEventLog or DataFrame
        The events (a frame needs ``user_id``, ``event``, ``timestamp`` columns).
    cohort_period : {"day", "week", "month", "hour"}, default "week"
        Calendar period that groups users into signup cohorts (log's zone and week start).
    silence : str, timedelta or ChurnDefinition, default "5W"
        The window after signup in which some activity is needed.  A :class:`ChurnDefinition`
        gives both the window (its threshold) and the activity events; otherwise every event
        counts as activity.
    signup_event : str, optional
        The event that marks registration (the user's first one is used); users without one are
        left out.  Default: the user's first event of any kind.
    as_of : str, datetime or Timestamp, optional
        The analysis date; later events are ignored.  Default: the log's ``as_of``.

    Returns
    -------
    pandas.DataFrame
        One row per cohort with signups (index ``cohort``, the local period start):
        ``signups``, ``pending`` (signups whose window is still open at ``as_of``; left out of
        the rate), ``churned`` (window over, no activity in it), ``natural_churn_rate``
        (``churned / (signups - pending)``; NaN when every signup is pending) and ``complete``
        (the cohort period ended at least ``silence`` before ``as_of``, so no signup is or will
        be pending).

    Raises
    ------
    InvalidParameterError
        For a bad period or window, unknown event names or ``as_of`` before the data.
    InsufficientDataError
        When nobody signed up at or before ``as_of``.

    Warns
    -----
    InsufficientDataWarning
        When every signup is still pending (every rate is NaN).

    See Also
    --------
    churn_labels : The per-user state as of one date.

    Notes
    -----
    The window is ``(signup, signup + silence]``: events at the very instant of signup belong
    to the signup itself and do not count as activity after it.  Without a
    :class:`ChurnDefinition`, every later event counts, including onboarding steps taken
    minutes after signing up; to ask "did they come back?", pass
    ``silence=ChurnDefinition(threshold="5W", activity_events=["app_open", ...])``.

    Examples
    --------
    >>> import pandas as pd
    >>> from useropslib.churn import natural_churn_rate
    >>> day = pd.Timestamp("2024-01-01 09:00", tz="UTC")
    >>> rows = [(f"u{i}", "signup", day) for i in range(10)]
    >>> rows += [(f"u{i}", "open", day + pd.Timedelta(days=3)) for i in range(8)]
    >>> rows += [("late", "signup", day + pd.Timedelta(days=60))]
    >>> df = pd.DataFrame(rows, columns=["user_id", "event", "timestamp"])
    >>> res = natural_churn_rate(df, cohort_period="day", silence="5W", signup_event="signup")
    >>> res[["signups", "pending", "churned"]]
                               signups  pending  churned
    cohort
    2024-01-01 00:00:00+00:00       10        0        2
    2024-03-01 00:00:00+00:00        1        1        0
    >>> res[["natural_churn_rate", "complete"]]
                               natural_churn_rate  complete
    cohort
    2024-01-01 00:00:00+00:00                 0.2      True
    2024-03-01 00:00:00+00:00                 NaN     False
    """
    if isinstance(events, LazyEventLog):  # one GROUP BY user in the engine
        from useropslib.churn._lazyuser import lazy_natural_churn_rate

        return lazy_natural_churn_rate(
            events,
            cohort_period=cohort_period,
            silence=silence,
            signup_event=signup_event,
            as_of=as_of,
        )
    log = as_event_log(events)
    p = parse_period(cohort_period)
    if isinstance(silence, ChurnDefinition):
        w_ns, names = threshold_ns(silence), silence.activity_events
    else:
        w_ns, names = window_ns(silence, "silence"), None
    as_of_ns = resolve_as_of(log, as_of)
    ts = log.timestamps_ns
    upto = ts <= as_of_ns
    if signup_event is not None:
        if not isinstance(signup_event, str):
            raise InvalidParameterError(
                f"Invalid signup_event={signup_event!r}. Expected one event name such as "
                "'signup', or None to use each user's first event."
            )
        upto = upto & names_mask(log, [signup_event], "signup_event")
    anchor = np.full(len(log.users), _I64_MAX, dtype=np.int64)
    np.minimum.at(anchor, log.user_codes[upto], ts[upto])
    codes = np.flatnonzero(anchor != _I64_MAX)
    if codes.size == 0:
        raise InsufficientDataError(
            f"Nobody signed up at or before as_of={stamp(as_of_ns, log.tz)}: the log has "
            f"{log.n_events:,} events from {log.n_users:,} users and none named "
            f"{signup_event!r} by then. Hint: check signup_event against log.event_names."
        )
    act_mask = ts <= as_of_ns
    if names is not None:
        act_mask &= names_mask(log, names, "silence.activity_events")
    u = log.user_codes[act_mask]
    t = ts[act_mask]
    a = anchor[u]
    back = (t > a) & (t - a <= w_ns)
    active = np.zeros(len(log.users), dtype=bool)
    active[u[back]] = True

    return natural_table(
        anchor[codes],
        active[codes],
        p,
        tz=log.tz,
        week_start=log.week_start,
        w_ns=w_ns,
        as_of_ns=as_of_ns,
    )


def natural_table(
    a_c: npt.NDArray[np.int64],
    active_c: npt.NDArray[np.bool_],
    p: str,
    *,
    tz: str,
    week_start: int,
    w_ns: int,
    as_of_ns: int,
    stacklevel: int = 3,
) -> pd.DataFrame:
    """Build the :func:`natural_churn_rate` table from each signup and whether they came back."""
    ws = week_start
    cohort = period_codes(a_c, p, tz=tz, week_start=ws)
    c0 = int(cohort.min())
    idx = cohort - c0
    n_c = int(idx.max()) + 1
    pending = a_c + w_ns > as_of_ns
    churned = ~active_c & ~pending
    signups = np.bincount(idx, minlength=n_c)
    n_pending = np.bincount(idx[pending], minlength=n_c)
    n_churned = np.bincount(idx[churned], minlength=n_c)
    all_codes = np.arange(c0, c0 + n_c + 1, dtype=np.int64)
    starts = period_starts(all_codes, p, tz=tz, week_start=ws)
    ends_ns = starts[1:].tz_convert("UTC").as_unit("ns").asi8
    decided = signups - n_pending
    with np.errstate(invalid="ignore", divide="ignore"):
        rate = np.where(decided > 0, n_churned / np.maximum(decided, 1), np.nan)
    frame = pd.DataFrame(
        {
            "signups": signups.astype(np.int64),
            "pending": n_pending.astype(np.int64),
            "churned": n_churned.astype(np.int64),
            "natural_churn_rate": rate,
            "complete": ends_ns + w_ns <= as_of_ns,
        },
        index=pd.Index(starts[:-1], name="cohort"),
    )
    out: pd.DataFrame = frame[frame["signups"] > 0]
    if not (decided > 0).any():
        warnings.warn(
            f"natural_churn_rate: every one of the {a_c.size:,} signups is still pending at "
            f"as_of={stamp(as_of_ns, tz)} (signed up less than silence="
            f"{pd.Timedelta(w_ns, unit='ns')} before it), so every rate is NaN. Expected signups "
            "whose window has closed. Hint: use a later as_of, a longer log or a shorter silence.",
            InsufficientDataWarning,
            stacklevel=stacklevel,
        )
    return out
