"""Churn answers on a :class:`~useropslib.events.LazyEventLog`: per-user reductions in its engine.

Each function here answers exactly as its in-memory namesake does on the collected log, from one
grouped query that returns one row per user (:meth:`LazyEventLog.user_spans`), never the event
rows.  The public functions dispatch here when given a lazy log.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from useropslib.churn._definition import DefinitionLike, as_definition, threshold_ns
from useropslib.events import LazyEventLog
from useropslib.events._query import EventSelector, warn_empty
from useropslib.events._time import stamp, to_utc_ns
from useropslib.exceptions import InvalidParameterError
from useropslib.models import DateLike

__all__ = ["lazy_as_of", "lazy_churn_labels", "lazy_spans"]

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
