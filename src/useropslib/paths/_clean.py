"""Path cleaning as a log: the rows every paths function keeps, as an EventLog."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Literal, TypeAlias

import numpy as np
import numpy.typing as npt
import pandas as pd

from useropslib.events import EventLog, EventsLike
from useropslib.models import DateLike
from useropslib.paths._query import (
    Split,
    Ties,
    Within,
    frame_paths,
)

__all__ = ["clean_log"]

I64: TypeAlias = npt.NDArray[np.int64]
Bools: TypeAlias = npt.NDArray[np.bool_]


# ============================================================================ cleaning


def clean_log(
    events: EventsLike,
    *,
    collapse: Literal["first", "last"] | None = None,
    collapse_only: Iterable[str] | None = None,
    include: Iterable[str] | str | None = None,
    exclude: Iterable[str] | str | None = None,
    group: Mapping[str, str] | None = None,
    within: Within = "user",
    ties: Ties = "name",
    timeout: Any = "30min",
    split: Split = ">=",
    tz: str | None = None,
    as_of: DateLike | None = None,
) -> EventLog:
    """Return the log after path cleaning: the rows every paths function reads.

    Parameters
    ----------
    events : EventLog, LazyEventLog or DataFrame
        The events.
    collapse, collapse_only, include, exclude, group, within, ties, timeout, split, tz, as_of
        As in :func:`transitions`; ``within`` decides where runs of repeats are cut (a repeat
        across two sessions is kept with ``within="session"``).

    Returns
    -------
    EventLog
        The kept rows in (user, time, tie) order; event names are the path labels (``group``
        applied); values and properties of the kept rows come along.

    Raises
    ------
    InvalidParameterError
        For unknown names, patterns or options.

    Notes
    -----
    ``collapse="first"`` keeps the first row of each run with its time (retentioneering's
    ``CollapseLoops``); ``"last"`` keeps the last (PostHog).  Two different events at the same
    instant are never merged.

    Examples
    --------
    >>> import pandas as pd
    >>> import useropslib as uo
    >>> df = pd.DataFrame({"user_id": ["a"] * 4, "event": ["view", "view", "buy", "buy"],
    ...     "timestamp": pd.date_range("2024-01-01", periods=4, freq="min", tz="UTC")})
    >>> uo.paths.clean_log(df, collapse="first").to_pandas()[["event", "timestamp"]]
      event                 timestamp
    0  view 2024-01-01 00:00:00+00:00
    1   buy 2024-01-01 00:02:00+00:00
    """
    f = frame_paths(
        events,
        within=within,
        collapse=collapse,
        collapse_only=collapse_only,
        include=include,
        exclude=exclude,
        group=group,
        ties=ties,
        timeout=timeout,
        split=split,
        tz=tz,
        as_of=as_of,
    )
    log, pr = f.log, f.rows
    assert pr.rows is not None
    rows = pr.rows
    props = None
    if log.property_names:
        props = log.properties.iloc[rows].reset_index(drop=True)
    return EventLog(
        user_codes=log.user_codes[rows].astype(np.int32),
        users=log.users,
        event_codes=pr.label.astype(np.int32),
        events=pd.Index([str(x) for x in pr.labels], dtype=object),
        ts_ns=pr.t.copy(),
        values=None if log.values is None else log.values[rows],
        props=props,
        tz=log.tz,
        week_start=log.week_start,
        as_of_ns=log.as_of_ns,
        as_of_given=False,
    )
