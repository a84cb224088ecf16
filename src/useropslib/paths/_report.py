"""The frames a report's paths section shows."""

from __future__ import annotations

from typing import Any

import pandas as pd

from useropslib.events import EventsLike, as_event_log
from useropslib.models import DateLike, Period
from useropslib.paths._paths import top_paths
from useropslib.paths._sessions import session_metrics
from useropslib.paths._step_matrix import step_matrix
from useropslib.paths._transitions import transitions

__all__ = ["paths_report"]


def paths_report(
    events: EventsLike,
    *,
    period: Period = "week",
    target: str | None = None,
    steps: int = 5,
    n: int = 10,
    timeout: Any = "30min",
    as_of: DateLike | None = None,
) -> dict[str, pd.DataFrame]:
    """Return the tables of a report's paths section, each a plain DataFrame.

    Parameters
    ----------
    events : EventLog, LazyEventLog or DataFrame
        The events.
    period : {"day", "week", "month"}, default "week"
        Period of the session metrics.
    target : str, optional
        Conversion event of the top paths (omitted when None).
    steps : int, default 5
        Path length of the top paths and the step matrix.
    n : int, default 10
        Rows of the top-transition and top-path tables.
    timeout : str or timedelta, default "30min"
        Session timeout.
    as_of : datetime-like, optional
        Ignore events after this instant.

    Returns
    -------
    dict of str to pandas.DataFrame
        ``"session_metrics"`` (per period), ``"session_lengths"``, ``"transitions"`` (the ``n``
        most frequent, per occurrence, within sessions), ``"top_paths"`` (sessions' first
        ``steps`` events, repeats collapsed, PostHog's counting) and ``"step_matrix"`` (per user).

    Raises
    ------
    InvalidParameterError
        For an unknown target or invalid options.

    Examples
    --------
    >>> import useropslib as uo
    >>> log, _ = uo.datasets.synthetic(n_users=50, days=14, seed=1)
    >>> sorted(uo.paths.paths_report(log, period="week"))
    ['session_lengths', 'session_metrics', 'step_matrix', 'top_paths', 'transitions']
    """
    log = as_event_log(events)
    sm = session_metrics(log, period=period, timeout=timeout, as_of=as_of)
    tr = transitions(log, within="session", timeout=timeout, as_of=as_of)
    tp = top_paths(log, steps=steps, n=n, target=target, timeout=timeout, as_of=as_of)
    mx = step_matrix(log, steps=steps, as_of=as_of)
    return {
        "session_metrics": sm.table,
        "session_lengths": sm.lengths,
        "transitions": tr.table.head(n),
        "top_paths": tp.table,
        "step_matrix": mx.matrix,
    }
