"""Churn answers on a :class:`~useropslib.events.LazyEventLog`: per-user reductions in its engine.

Each function here answers exactly as its in-memory namesake does on the collected log, from one
grouped query that returns one row per user (:meth:`LazyEventLog.user_spans`), never the event
rows.  The public functions dispatch here when given a lazy log.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from useropslib.churn._definition import DefinitionLike, as_definition, threshold_ns
from useropslib.events import LazyEventLog
from useropslib.events._query import EventSelector, warn_empty
from useropslib.events._time import stamp, to_utc_ns
from useropslib.exceptions import InsufficientDataError, InvalidParameterError
from useropslib.models import ChurnDefinition, DateLike, Period, parse_period
from useropslib.models._types import window_ns

__all__ = [
    "known_names",
    "lazy_as_of",
    "lazy_churn_labels",
    "lazy_natural_churn_rate",
    "lazy_spans",
    "lazy_survival_parts",
]

IntArray = npt.NDArray[np.int64]


def lazy_as_of(lazy: LazyEventLog, as_of: Any) -> int | None:
    """Return the analysis instant of a lazy log (None: no events and none given).

    The same rule as :func:`useropslib.churn._definition.resolve_as_of` on the collected log:
    the given instant (naive read in the log's zone), never before the first event, else the
    log's own ``as_of``.

    Raises
    ------
    InvalidParameterError
        When ``as_of`` cannot be read or is before the log's first event.
    """
    zone = lazy.tz
    if as_of is None:
        return lazy.as_of_ns
    ns = to_utc_ns(as_of, tz=zone, name="as_of")
    first = lazy.start
    if first is not None and ns < first.value:
        raise InvalidParameterError(
            f"as_of={stamp(ns, zone)} is before the first event of the log "
            f"({stamp(first.value, zone)}). Expected an as_of at or after the first event. "
            "Hint: leave as_of unset to use the log's own as_of (its last event)."
        )
    return ns


def known_names(lazy: LazyEventLog, names: Sequence[str] | None, param: str) -> list[str] | None:
    """Return the names the log knows (None: all); unknown ones warn or raise as in memory."""
    if names is None:
        return None
    selector = EventSelector.parse(list(names), param=param)
    codes = selector.term_codes(lazy)  # type: ignore[arg-type]  # reads only event_names
    return [str(n) for n, c in zip(names, codes, strict=True) if c >= 0]


def lazy_spans(
    lazy: LazyEventLog, names: Sequence[str] | None, as_of_ns: int, *, param: str
) -> tuple[pd.Index, IntArray, IntArray]:
    """Each user's first and last activity (UTC ns) at or before ``as_of``, in user order."""
    known = known_names(lazy, names, param)
    if known is not None and not known:
        return pd.Index([], dtype=object, name="user_id"), _empty(), _empty()
    spans = lazy.user_spans(known, until=pd.Timestamp(as_of_ns, tz="UTC"))
    first = pd.DatetimeIndex(spans["first"]).asi8
    last = pd.DatetimeIndex(spans["last"]).asi8
    return spans.index, first, last


def _empty() -> IntArray:
    return np.empty(0, dtype=np.int64)


def lazy_churn_labels(
    lazy: LazyEventLog, definition: DefinitionLike, *, as_of: DateLike | None
) -> pd.DataFrame:
    """:func:`~useropslib.churn.churn_labels` on a lazy log: one ``GROUP BY`` user."""
    from useropslib.churn._labels import label_frame

    d = as_definition(definition)
    thr = threshold_ns(d)
    index: pd.Index
    given = lazy_as_of(lazy, as_of)
    if given is None:  # no events and no as_of: labels nobody (the empty-data policy)
        warn_empty(
            "churn_labels: the event log has no events, so no user is labelled",
            hint="check the filters that produced the log",
            stacklevel=4,
        )
        index, first, last = pd.Index([], dtype=object, name="user_id"), _empty(), _empty()
        as_of_ns = 0
    else:
        as_of_ns = given
        index, first, last = lazy_spans(lazy, d.activity_events, as_of_ns, param="activity_events")
        if first.size == 0:
            named = "" if d.activity_events is None else f" named {list(d.activity_events)}"
            warn_empty(
                f"churn_labels: no activity event{named} at or before "
                f"as_of={stamp(as_of_ns, lazy.tz)}, so no user is labelled",
                hint="name activity events the log has (log.event_names)",
                stacklevel=4,
            )
    return label_frame(index, first, last, as_of_ns=as_of_ns, thr=thr, tz=lazy.tz)


def _no_activity(lazy: LazyEventLog, names: Sequence[str] | None, as_of_ns: int) -> Exception:
    """Build the error of the in-memory ``activity`` check, counting in the engine."""
    totals = lazy.user_totals({"n": (None, None, pd.Timestamp(as_of_ns, tz="UTC"), "count")})
    n_before = int(totals["n"].sum())
    return InsufficientDataError(
        f"No activity events at or before as_of={stamp(as_of_ns, lazy.tz)}: the log has "
        f"{lazy.n_events:,} events from {lazy.n_users:,} users, {n_before:,} of them at or "
        f"before as_of, none of them named {list(names or [])}. Expected at least one "
        "activity event. Hint: check activity_events against log.event_names."
    )


def lazy_survival_parts(
    lazy: LazyEventLog,
    d: ChurnDefinition,
    kind: str,
    *,
    as_of: DateLike | None,
    w_ns: int | None,
    thr: int,
) -> tuple[pd.Index, IntArray, IntArray, npt.NDArray[np.bool_], int, pd.DataFrame | None]:
    """Compute what :func:`~useropslib.churn.survival_frame` needs, in per-user engine queries.

    Returns the users, first activity, churn instant, observed flag, ``as_of`` and the early
    counts (None without a window), as the in-memory route computes them.
    """
    index: pd.Index
    given = lazy_as_of(lazy, as_of)
    if given is None:  # no events and no as_of: a frame of no user (the empty-data policy)
        warn_empty(
            "survival_frame: the event log has no events, so the frame has no user",
            hint="check the filters that produced the log",
            stacklevel=4,
        )
        index = pd.Index([], dtype=object, name="user_id")
        early = None if w_ns is None else pd.DataFrame(index=index)
        return index, _empty(), _empty(), np.empty(0, dtype=bool), 0, early
    as_of_ns = given
    names = d.activity_events
    index, first, last = lazy_spans(lazy, names, as_of_ns, param="activity_events")
    if first.size == 0:
        raise _no_activity(lazy, names, as_of_ns)
    until = pd.Timestamp(as_of_ns, tz="UTC")
    known = known_names(lazy, names, "activity_events") if names is not None else None
    churn = last + thr
    observed = churn <= as_of_ns
    if kind == "first_lapse":  # the first closed silence of at least the threshold, if any
        gaps = lazy.user_first_gap(pd.Timedelta(thr, unit="ns"), known, until=until)
        at = index.get_indexer(gaps.index)
        churn[at] = pd.DatetimeIndex(gaps["at"]).asi8 + thr
        observed[at] = True
    early = None
    if w_ns is not None:
        early = lazy.user_event_counts(
            pd.Timedelta(w_ns, unit="ns"), anchor_events=known, until=until
        )
        early.columns = pd.Index([f"early_{name}" for name in early.columns])
    return index, first, churn, observed, as_of_ns, early


def lazy_natural_churn_rate(
    lazy: LazyEventLog,
    *,
    cohort_period: Period | str,
    silence: str | dt.timedelta | ChurnDefinition,
    signup_event: str | None,
    as_of: DateLike | None,
) -> pd.DataFrame:
    """:func:`~useropslib.churn.natural_churn_rate` on a lazy log: one ``GROUP BY`` user."""
    from useropslib.churn._labels import natural_table

    p = parse_period(cohort_period)
    if isinstance(silence, ChurnDefinition):
        w_ns, names = threshold_ns(silence), silence.activity_events
    else:
        w_ns, names = window_ns(silence, "silence"), None
    as_of_ns = lazy_as_of(lazy, as_of)
    if as_of_ns is None:
        raise InsufficientDataError(
            "The event log has no events (0 events, 0 users); churn needs users with activity. "
            "Hint: check the filters that built the log."
        )
    anchor: list[str] | None = None
    if signup_event is not None:
        if not isinstance(signup_event, str):
            raise InvalidParameterError(
                f"Invalid signup_event={signup_event!r}. Expected one event name such as "
                "'signup', or None to use each user's first event."
            )
        anchor = known_names(lazy, [signup_event], "signup_event")
    returns = None
    if anchor is None or anchor:
        events = known_names(lazy, names, "silence.activity_events")
        until = pd.Timestamp(as_of_ns, tz="UTC")
        returns = lazy.user_returns(
            pd.Timedelta(w_ns, unit="ns"), anchor_events=anchor, events=events, until=until
        )
    if returns is None or returns.empty:
        raise InsufficientDataError(
            f"Nobody signed up at or before as_of={stamp(as_of_ns, lazy.tz)}: the log has "
            f"{lazy.n_events:,} events from {lazy.n_users:,} users and none named "
            f"{signup_event!r} by then. Hint: check signup_event against log.event_names."
        )
    return natural_table(
        pd.DatetimeIndex(returns["anchor"]).asi8,
        returns["returned"].to_numpy(dtype=bool),
        p,
        tz=lazy.tz,
        week_start=lazy.week_start,
        w_ns=w_ns,
        as_of_ns=as_of_ns,
        stacklevel=4,
    )
