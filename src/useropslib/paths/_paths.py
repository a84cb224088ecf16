"""Paths (路径): step-indexed flows, top paths, the step matrix, conversion paths, the core path.

Every function sorts the log once by (user, time, tie rule), labels and cleans the rows (see
``paths._query``) and then works on positions inside each path: ``np.unique`` on a first
occurrence gives where a path starts, a comparison of positions keeps the first ``steps`` items,
``np.bincount`` counts edges and cells, and ``np.unique(axis=0)`` over a (paths x steps) code
matrix groups whole paths.  No Python loop runs over users or events; the only loops run over
steps.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Collection, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal, TypeAlias

import numpy as np
import numpy.typing as npt
import pandas as pd

from useropslib.events import EventLog, EventsLike, as_event_log
from useropslib.events._time import stamp, to_utc_ns
from useropslib.exceptions import (
    InsufficientDataError,
    InsufficientDataWarning,
    InvalidParameterError,
    did_you_mean,
)
from useropslib.metrics import MetricResult
from useropslib.models import Campaign, parse_window
from useropslib.paths._query import (
    Ordered,
    PathRows,
    Split,
    Ties,
    Within,
    check_choice,
    check_steps,
    collapse_mask,
    order_events,
    path_rows,
    positions,
    session_rule,
    unit_ids,
)
from useropslib.paths._transitions import END, START

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = [
    "ConversionPathsResult",
    "CorePathResult",
    "PathsResult",
    "StepMatrixResult",
    "TopPathsResult",
    "clean_log",
    "conversion_paths",
    "core_path",
    "paths",
    "step_matrix",
    "top_paths",
]

I64: TypeAlias = npt.NDArray[np.int64]
Bools: TypeAlias = npt.NDArray[np.bool_]
ARROW = " → "
_STOPPED = "(no further event)"


# ============================================================================ helpers


def _label_code(pr: PathRows | Ordered, name: str, what: str, log: EventLog) -> int:
    """Code of a label named by the caller (an event name or a group label)."""
    if not isinstance(name, str):
        raise InvalidParameterError(f"{what} must be an event name, got {name!r}.")
    labels = pr.labels
    pos = labels.get_indexer(pd.Index([name], dtype=object))[0]
    if pos >= 0:
        return int(pos)
    pool = list(map(str, labels)) + [str(n) for n in log.event_names]
    close = did_you_mean(name, dict.fromkeys(pool))
    hint = f" Did you mean {', '.join(map(repr, close))}?" if close else ""
    known = (
        "the log has no such event"
        if name not in set(map(str, log.event_names))
        else "it was left out by include/exclude or renamed by group"
    )
    raise InvalidParameterError(
        f"{what} {name!r} is not a path label: {known}.{hint} Labels: "
        f"{list(map(str, labels[:20]))}{' ...' if len(labels) > 20 else ''}."
    )


def _first_per_unit(unit: I64, mask: Bools, n_units: int, fill: int) -> I64:
    """Index (into ``unit``) of the first masked row of each unit; ``fill`` where none."""
    out = np.full(n_units, fill, dtype=np.int64)
    idx = np.flatnonzero(mask)
    if idx.size:
        u, first = np.unique(unit[idx], return_index=True)
        out[u] = idx[first]
    return out


@dataclasses.dataclass(frozen=True, eq=False)
class _Window:
    """The kept rows of every path after start/end framing: row index and 1-based step."""

    rows: I64
    step: I64


def _frame(pr: PathRows, *, start: int | None, end: int | None, steps: int) -> _Window:
    """Keep each path from its first ``start`` and/or up to its first ``end``, ``steps`` long.

    Paths without the start (or without an end after the start) are dropped.  With only an end,
    the last ``steps`` items up to and including the end are kept; otherwise the first ``steps``
    from the start (or from the path's beginning).
    """
    n = pr.unit.size
    pos = positions(pr.unit)
    big = np.iinfo(np.int64).max // 4
    base = np.zeros(pr.n_units, dtype=np.int64)
    alive = np.ones(pr.n_units, dtype=bool)
    if start is not None:
        first = _first_per_unit(pr.unit, pr.label == start, pr.n_units, -1)
        alive = first >= 0
        base = np.where(alive, pos[np.maximum(first, 0)] if n else 0, big)
    rel = pos - base[pr.unit] if n else pos
    keep = rel >= 0
    if end is not None:
        last = _first_per_unit(pr.unit, keep & (pr.label == end), pr.n_units, -1)
        alive &= last >= 0
        end_rel = np.where(last >= 0, rel[np.maximum(last, 0)] if n else 0, -1)
        keep &= rel <= end_rel[pr.unit]
        if start is None:
            lo = np.maximum(end_rel - steps + 1, 0)
            keep &= rel >= lo[pr.unit]
            rel = rel - lo[pr.unit]
    keep &= alive[pr.unit] & (rel < steps)
    rows = np.flatnonzero(keep).astype(np.int64)
    return _Window(rows=rows, step=rel[rows] + 1)


def _ns_stamp(log: EventLog, as_of: Any, tz: str | None) -> pd.Timestamp | None:
    if as_of is None:
        return log.as_of
    return stamp(to_utc_ns(as_of, tz=log.tz if tz is None else tz, name="as_of"), log.tz)


def _prepare(
    events: EventsLike,
    *,
    within: Any,
    collapse: Any,
    include: Any,
    exclude: Any,
    group: Any,
    ties: Any,
    timeout: Any,
    split: Any,
    tz: str | None,
    as_of: Any,
    names: Sequence[str] | None = None,
) -> tuple[EventLog, Ordered, PathRows]:
    log = as_event_log(events)
    check_choice("within", within, ("user", "session"))
    rule = session_rule(log, timeout=timeout, split=split, tz=tz) if within == "session" else None
    o = order_events(
        log, ties=ties, include=include, exclude=exclude, group=group, as_of=as_of, tz=tz
    )
    pr = path_rows(o, within=within, rule=rule, collapse=collapse)
    return log, o, pr


def _path_strings(codes: I64, labels: pd.Index) -> list[str]:
    """Join rows of a (paths x steps) code matrix (-1 padded) into "a → b → c"."""
    names = np.asarray([str(x) for x in labels] + [""], dtype=object)
    text = names[np.where(codes < 0, len(labels), codes)]
    return [ARROW.join(x for x in row if x) for row in text.tolist()]


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
    as_of: Any = None,
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
    log = as_event_log(events)
    check_choice("within", within, ("user", "session"))
    rule = session_rule(log, timeout=timeout, split=split, tz=tz) if within == "session" else None
    o = order_events(
        log, ties=ties, include=include, exclude=exclude, group=group, as_of=as_of, tz=tz
    )
    pr = path_rows(o, within=within, rule=rule, collapse=collapse, collapse_only=collapse_only)
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


# ============================================================================ paths


@dataclasses.dataclass(frozen=True, repr=False, eq=False)
class PathsResult(MetricResult):
    """Step-indexed path edges (PostHog's Paths insight).

    Attributes
    ----------
    table : pandas.DataFrame
        One row per edge, ordered by ``value`` descending then ``source`` and ``target``:
        ``source`` and ``target`` (nodes ``"<step>_<label>"``), ``value`` (paths, or users,
        through the edge), ``average_conversion_time`` (mean milliseconds between the two
        events), ``source_step``, ``source_label``, ``target_step``, ``target_label``.
    n_paths : int
        Paths kept after the start/end framing.
    """

    table: pd.DataFrame
    n_paths: int

    def to_frame(self) -> pd.DataFrame:
        """Return the edge table (a copy).

        Returns
        -------
        pandas.DataFrame
        """
        out_: pd.DataFrame = self.table.copy()
        return out_

    def plot(self, ax: Axes | None = None, *, top: int = 30) -> Axes:
        """Flow diagram of the ``top`` edges, one column per step.

        Parameters
        ----------
        ax : matplotlib.axes.Axes, optional
        top : int, default 30

        Returns
        -------
        matplotlib.axes.Axes
        """
        from useropslib.plotting import flow_diagram

        edges = self.table.assign(
            source=self.table["source_label"], target=self.table["target_label"]
        )
        return flow_diagram(edges, ax=ax, top=top, title="Paths")


def paths(
    events: EventsLike,
    *,
    start: str | None = None,
    end: str | None = None,
    steps: int = 5,
    within: Within = "session",
    count: Literal["paths", "users"] = "paths",
    collapse: Literal["first", "last"] | None = "last",
    include: Iterable[str] | str | None = None,
    exclude: Iterable[str] | str | None = None,
    group: Mapping[str, str] | None = None,
    edge_limit: int | None = 50,
    ties: Ties = "name",
    timeout: Any = "30min",
    split: Split = ">=",
    tz: str | None = None,
    as_of: Any = None,
) -> PathsResult:
    """Paths from a start event and/or to an end event, as step-indexed edges.

    Parameters
    ----------
    events : EventLog, LazyEventLog or DataFrame
        The events.
    start : str, optional
        Keep each path from its first ``start`` on; paths without it are dropped.
    end : str, optional
        Keep each path up to its first ``end`` (after ``start``); paths without it are dropped.
        With only ``end``, the last ``steps`` items up to the end are kept.
    steps : int, default 5
        Items per path (1..50; ``steps`` items give ``steps - 1`` edges).
    within : {"session", "user"}, default "session"
        A path is a session (PostHog) or a user's whole history.
    count : {"paths", "users"}, default "paths"
        An edge's value: paths through it (PostHog) or distinct users.
    collapse : {"last", "first"} or None, default "last"
        Collapse immediate repeats keeping the last of a run (PostHog) or the first.
    include, exclude, group
        Path cleaning, as in :func:`transitions`.
    edge_limit : int or None, default 50
        Keep the first ``edge_limit`` edges (PostHog's default 50), then drop edges whose
        source cannot be reached from a step-1 node.
    ties, timeout, split, tz, as_of
        As in :func:`transitions`.

    Returns
    -------
    PathsResult

    Raises
    ------
    InvalidParameterError
        For ``steps`` outside 1..50, an unknown start/end label (with close names) or option.

    Warns
    -----
    InsufficientDataWarning
        When no path contains the start (or end) event.

    See Also
    --------
    top_paths : Whole paths ranked, with conversion to a target.
    transitions : Unindexed transition counts.

    Notes
    -----
    Matches PostHog Paths: 30-minute sessions split at a gap of exactly the timeout, repeats
    collapsed to the last of the run, nodes ``"<step>_<item>"``, an edge's value the number of
    paths (person-sessions), ``average_conversion_time`` in milliseconds, order by value then
    source then target, cut to ``edge_limit``, then unreachable edges dropped.

    Examples
    --------
    >>> import pandas as pd
    >>> import useropslib as uo
    >>> df = pd.DataFrame({"user_id": ["a", "a", "a", "b", "b"],
    ...     "event": ["home", "search", "buy", "home", "search"],
    ...     "timestamp": pd.to_datetime(["2024-01-01 10:00", "2024-01-01 10:01",
    ...         "2024-01-01 10:03", "2024-01-01 11:00", "2024-01-01 11:02"], utc=True)})
    >>> uo.paths.paths(df, start="home").table[["source", "target", "value"]]
         source      target  value
    0    1_home    2_search      2
    1  2_search       3_buy      1
    """
    n_steps = check_steps(steps)
    check_choice("count", count, ("paths", "users"))
    if edge_limit is not None and (
        isinstance(edge_limit, bool) or not isinstance(edge_limit, int) or edge_limit < 1
    ):
        raise InvalidParameterError(
            f"edge_limit must be a positive integer or None, got {edge_limit!r}. Hint: "
            "edge_limit=50 (PostHog's default)."
        )
    log, _, pr = _prepare(
        events,
        within=within,
        collapse=collapse,
        include=include,
        exclude=exclude,
        group=group,
        ties=ties,
        timeout=timeout,
        split=split,
        tz=tz,
        as_of=as_of,
    )
    s_code = None if start is None else _label_code(pr, start, "start", log)
    e_code = None if end is None else _label_code(pr, end, "end", log)
    w = _frame(pr, start=s_code, end=e_code, steps=n_steps)
    params: dict[str, Any] = {
        "start": start,
        "end": end,
        "steps": n_steps,
        "within": within,
        "count": count,
        "collapse": collapse,
        "edge_limit": edge_limit,
        "ties": ties,
    }
    rows = w.rows
    n_paths = int(np.unique(pr.unit[rows]).size) if rows.size else 0
    if (start is not None or end is not None) and n_paths == 0:
        import warnings

        warnings.warn(
            f"No path contains the start/end event(s) ({start!r}, {end!r}); the result is "
            "empty. Hint: check within= (a session may split them) and include/exclude.",
            InsufficientDataWarning,
            stacklevel=2,
        )
    unit, lab, t, stp, user = pr.unit[rows], pr.label[rows], pr.t[rows], w.step, pr.user[rows]
    nxt = (unit[1:] == unit[:-1]) if rows.size > 1 else np.zeros(0, dtype=bool)
    s_lab, d_lab = lab[:-1][nxt], lab[1:][nxt]
    s_step = stp[:-1][nxt]
    dt_ms = (t[1:] - t[:-1])[nxt] / 1e6
    n_lab = max(len(pr.labels), 1)
    key = (s_step * n_lab + s_lab) * n_lab + d_lab
    if count == "paths":
        uniq, inv, value = np.unique(key, return_inverse=True, return_counts=True)
    else:
        uniq, inv = np.unique(key, return_inverse=True)
        owner = user[:-1][nxt]
        pairs = np.unique(np.c_[inv, owner], axis=0) if inv.size else np.empty((0, 2), np.int64)
        value = np.bincount(pairs[:, 0], minlength=uniq.size)
    tsum = np.bincount(inv, weights=dt_ms, minlength=uniq.size)
    tn = np.bincount(inv, minlength=uniq.size)
    step_a = uniq // (n_lab * n_lab)
    la = (uniq // n_lab) % n_lab
    lb = uniq % n_lab
    names = np.asarray([str(x) for x in pr.labels], dtype=object)
    table = pd.DataFrame(
        {
            "source": [
                f"{a}_{b}" for a, b in zip(step_a.tolist(), names[la].tolist(), strict=True)
            ],
            "target": [
                f"{a}_{b}" for a, b in zip((step_a + 1).tolist(), names[lb].tolist(), strict=True)
            ],
            "value": value.astype(np.int64),
            "average_conversion_time": tsum / np.maximum(tn, 1),
            "source_step": step_a.astype(np.int64),
            "source_label": names[la],
            "target_step": (step_a + 1).astype(np.int64),
            "target_label": names[lb],
        }
    )
    table = table.sort_values(["value", "source", "target"], ascending=[False, True, True])
    if edge_limit is not None:
        table = table.iloc[:edge_limit]
    table = _reachable(table, n_steps)
    return PathsResult(
        params=params,
        as_of=_ns_stamp(log, as_of, tz),
        table=table.reset_index(drop=True),
        n_paths=n_paths,
    )


def _reachable(table: pd.DataFrame, n_steps: int) -> pd.DataFrame:
    """Drop edges whose source cannot be reached from a step-1 node (a loop over steps)."""
    keep = np.zeros(len(table), dtype=bool)
    src = table["source"].to_numpy(dtype=object)
    dst = table["target"].to_numpy(dtype=object)
    step = table["source_step"].to_numpy()
    reach: set[str] = set(src[step == 1].tolist())
    for k in range(1, n_steps):
        at = step == k
        ok = at & np.isin(src, list(reach))
        keep |= ok
        reach = set(dst[ok].tolist())
    out_: pd.DataFrame = table[keep]
    return out_


# ============================================================================ top paths


@dataclasses.dataclass(frozen=True, repr=False, eq=False)
class TopPathsResult(MetricResult):
    """The most common whole paths, with their conversion to a target.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per path (the first ``n``), most common first: ``path`` (labels joined by
        " → "), ``length``, ``paths``, ``users``, ``share`` (of all framed paths) and, with a
        target, ``converted`` (paths whose unit did the target at or after the path's first
        item) and ``conversion_rate``.
    n_paths : int
        All framed paths (the denominator of ``share``).
    """

    table: pd.DataFrame
    n_paths: int

    def to_frame(self) -> pd.DataFrame:
        """Return the path table (a copy).

        Returns
        -------
        pandas.DataFrame
        """
        out_: pd.DataFrame = self.table.copy()
        return out_

    def plot(self, ax: Axes | None = None) -> Axes:
        """Horizontal bars of the paths' counts.

        Parameters
        ----------
        ax : matplotlib.axes.Axes, optional

        Returns
        -------
        matplotlib.axes.Axes
        """
        from useropslib.plotting import bar_chart

        s = self.table.set_index("path")["paths"]
        return bar_chart(s, ax=ax, title="Top paths", ylabel="paths", horizontal=True)


def _group_paths(pr: PathRows, w: _Window, n_steps: int) -> tuple[I64, I64, I64, I64, I64, I64]:
    """Group framed paths: (codes matrix rows, inverse per path, counts, unit, user, start t)."""
    rows = w.rows
    units, first_idx = np.unique(pr.unit[rows], return_index=True)
    dense = np.searchsorted(units, pr.unit[rows])
    mat = np.full((units.size, n_steps), -1, dtype=np.int64)
    mat[dense, w.step - 1] = pr.label[rows]
    if units.size:
        uniq, inv, cnt = np.unique(mat, axis=0, return_inverse=True, return_counts=True)
    else:
        uniq = mat
        inv = np.empty(0, np.int64)
        cnt = np.empty(0, np.int64)
    inv = np.asarray(inv).reshape(-1).astype(np.int64)
    start_t = pr.t[rows][first_idx]
    user = pr.user[rows][first_idx]
    return uniq, inv, cnt.astype(np.int64), units, user, start_t


def top_paths(
    events: EventsLike,
    *,
    start: str | None = None,
    end: str | None = None,
    steps: int = 5,
    n: int = 10,
    target: str | None = None,
    within: Within = "session",
    collapse: Literal["first", "last"] | None = "last",
    include: Iterable[str] | str | None = None,
    exclude: Iterable[str] | str | None = None,
    group: Mapping[str, str] | None = None,
    ties: Ties = "name",
    timeout: Any = "30min",
    split: Split = ">=",
    tz: str | None = None,
    as_of: Any = None,
) -> TopPathsResult:
    """Rank the ``n`` most common paths (first ``steps`` items), with conversion to a target.

    Parameters
    ----------
    events : EventLog, LazyEventLog or DataFrame
        The events.
    start, end, steps, within, collapse, include, exclude, group
        The framing and cleaning of :func:`paths`.
    n : int, default 10
        Paths to return.
    target : str, optional
        Event whose occurrence in the same path unit (session or user) at or after the path's
        first item counts as a conversion (looked up among all events, even excluded ones).
    ties, timeout, split, tz, as_of
        As in :func:`transitions`.

    Returns
    -------
    TopPathsResult

    Raises
    ------
    InvalidParameterError
        For an unknown start, end or target (with close names), ``n`` < 1 or bad ``steps``.

    See Also
    --------
    conversion_paths : Paths after an entry event, ranked by conversion.

    Notes
    -----
    Paths are counted per unit (PostHog's "paths"); ``users`` counts distinct users among
    them.  Ties in count are broken by the path text.

    Examples
    --------
    >>> import pandas as pd
    >>> import useropslib as uo
    >>> df = pd.DataFrame({"user_id": ["a", "a", "b", "b", "c"],
    ...     "event": ["home", "buy", "home", "buy", "home"],
    ...     "timestamp": pd.to_datetime(["2024-01-01 10:00", "2024-01-01 10:01",
    ...         "2024-01-01 11:00", "2024-01-01 11:02", "2024-01-01 12:00"], utc=True)})
    >>> uo.paths.top_paths(df, target="buy").table[["path", "paths", "converted"]]
             path  paths  converted
    0  home → buy      2          2
    1        home      1          0
    """
    n_steps = check_steps(steps)
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise InvalidParameterError(f"n must be a positive integer, got {n!r}. Hint: n=10.")
    log, o, pr = _prepare(
        events,
        within=within,
        collapse=collapse,
        include=include,
        exclude=exclude,
        group=group,
        ties=ties,
        timeout=timeout,
        split=split,
        tz=tz,
        as_of=as_of,
    )
    s_code = None if start is None else _label_code(pr, start, "start", log)
    e_code = None if end is None else _label_code(pr, end, "end", log)
    w = _frame(pr, start=s_code, end=e_code, steps=n_steps)
    uniq, inv, cnt, _, user, start_t = _group_paths(pr, w, n_steps)
    users = np.zeros(len(cnt), dtype=np.int64)
    if inv.size:
        pu = np.unique(np.c_[inv, user], axis=0)
        users = np.bincount(pu[:, 0], minlength=len(cnt))
    table = pd.DataFrame(
        {
            "path": _path_strings(uniq, pr.labels),
            "length": (uniq >= 0).sum(axis=1).astype(np.int64),
            "paths": cnt,
            "users": users,
            "share": cnt / max(int(cnt.sum()), 1),
        }
    )
    if target is not None:
        code = int(log.event_code_of([target])[0])
        rule = (
            session_rule(log, timeout=timeout, split=split, tz=tz) if within == "session" else None
        )
        unit_all = unit_ids(o, within, rule)
        assert pr.origin is not None
        _, first_idx = np.unique(pr.unit[w.rows], return_index=True)
        orig = pr.origin[w.rows][first_idx]
        last_t = np.full(int(unit_all[-1]) + 1 if unit_all.size else 0, np.iinfo(np.int64).min)
        hit = o.event == code
        np.maximum.at(last_t, unit_all[hit], o.t[hit])
        conv = last_t[orig] >= start_t
        converted = np.bincount(inv[conv], minlength=len(cnt)) if inv.size else np.zeros(0)
        table["converted"] = converted.astype(np.int64)
        table["conversion_rate"] = table["converted"] / table["paths"]
    table = table.sort_values(["paths", "path"], ascending=[False, True]).head(n)
    return TopPathsResult(
        params={
            "start": start,
            "end": end,
            "steps": n_steps,
            "n": n,
            "target": target,
            "within": within,
            "collapse": collapse,
            "ties": ties,
        },
        as_of=_ns_stamp(log, as_of, tz),
        table=table.reset_index(drop=True),
        n_paths=int(cnt.sum()),
    )


# ============================================================================ step matrix


@dataclasses.dataclass(frozen=True, repr=False, eq=False)
class StepMatrixResult(MetricResult):
    """Share of paths at each step doing each event (retentioneering's step matrix).

    Attributes
    ----------
    matrix : pandas.DataFrame
        Rows ``path_start``, the labels, ``path_end``; columns steps 0..``steps``.  Step 0 is
        ``path_start`` for every path; step k is the k-th event; after its last event a path is
        at ``path_end`` for every later step.  Each cell is a share of all paths, so columns sum
        to 1.  With two groups, ``matrix`` is group A minus group B (columns sum to 0).
    matrix_a, matrix_b : pandas.DataFrame or None
        The two groups' matrices, with ``groups``.
    n_paths : int
        Paths counted (both groups together with ``groups``).
    """

    matrix: pd.DataFrame
    matrix_a: pd.DataFrame | None
    matrix_b: pd.DataFrame | None
    n_paths: int

    def to_frame(self) -> pd.DataFrame:
        """Return the matrix in long form: ``label``, ``step``, ``share``.

        Returns
        -------
        pandas.DataFrame
        """
        m = self.matrix.copy()
        m.index.name = "label"
        m.columns.name = "step"
        out_: pd.DataFrame = m.stack().rename("share").reset_index()
        return out_

    def plot(self, ax: Axes | None = None) -> Axes:
        """Heatmap of the matrix (diverging colours for a difference).

        Parameters
        ----------
        ax : matplotlib.axes.Axes, optional

        Returns
        -------
        matplotlib.axes.Axes
        """
        from useropslib.plotting import step_heatmap

        return step_heatmap(self.matrix, ax=ax, diverging=self.matrix_a is not None)


def _matrix(pr: PathRows, units: Bools, n_steps: int) -> tuple[pd.DataFrame, int]:
    n_lab = len(pr.labels)
    pos = positions(pr.unit)
    take = units[pr.unit] & (pos < n_steps) if pr.unit.size else np.zeros(0, dtype=bool)
    counts = np.bincount(pr.label[take] * n_steps + pos[take], minlength=n_lab * n_steps).reshape(
        n_lab, n_steps
    )
    lengths = np.bincount(pr.unit, minlength=pr.n_units)[units]
    n = int(units.sum())
    ended = np.array([(lengths < k).sum() for k in range(1, n_steps + 1)], dtype=np.float64)
    body = np.zeros((n_lab + 2, n_steps + 1), dtype=np.float64)
    body[0, 0] = 1.0 if n else 0.0
    if n:
        body[1 : n_lab + 1, 1:] = counts / n
        body[n_lab + 1, 1:] = ended / n
    index = pd.Index([START, *map(str, pr.labels), END], name="label")
    return pd.DataFrame(body, index=index, columns=pd.RangeIndex(n_steps + 1, name="step")), n


def step_matrix(
    events: EventsLike,
    *,
    steps: int = 5,
    groups: tuple[Collection[Any], Collection[Any]] | None = None,
    within: Within = "user",
    collapse: Literal["first", "last"] | None = None,
    include: Iterable[str] | str | None = None,
    exclude: Iterable[str] | str | None = None,
    group: Mapping[str, str] | None = None,
    ties: Ties = "name",
    timeout: Any = "30min",
    split: Split = ">=",
    tz: str | None = None,
    as_of: Any = None,
) -> StepMatrixResult:
    """Share of paths at each step doing each event; optionally the difference of two groups.

    Parameters
    ----------
    events : EventLog, LazyEventLog or DataFrame
        The events.
    steps : int, default 5
        Steps after ``path_start`` (1..50).
    groups : (users A, users B), optional
        Two collections of user ids: ``matrix`` becomes A's matrix minus B's (retentioneering's
        differential step matrix).  Ids the log does not know are ignored.
    within : {"user", "session"}, default "user"
        A path is a user's history (retentioneering's default) or a session.
    collapse, include, exclude, group, ties, timeout, split, tz, as_of
        As in :func:`transitions`.

    Returns
    -------
    StepMatrixResult

    Raises
    ------
    InvalidParameterError
        For bad ``steps`` or options, or ``groups`` that is not a pair.

    Warns
    -----
    InsufficientDataWarning
        When a group has no path (its matrix is all zero).

    See Also
    --------
    transitions : Transition counts between consecutive events.

    Notes
    -----
    retentioneering's definition: the denominator is every path (not only those still going),
    and ``path_end`` is sticky, so every column sums to 1.

    Examples
    --------
    >>> import pandas as pd
    >>> import useropslib as uo
    >>> df = pd.DataFrame({"user_id": ["a", "a", "b"], "event": ["home", "buy", "home"],
    ...     "timestamp": pd.to_datetime(["2024-01-01 10:00", "2024-01-01 10:01",
    ...                                  "2024-01-01 11:00"], utc=True)})
    >>> uo.paths.step_matrix(df, steps=2).matrix
    step          0    1    2
    label
    path_start  1.0  0.0  0.0
    buy         0.0  0.0  0.5
    home        0.0  1.0  0.0
    path_end    0.0  0.0  0.5
    """
    n_steps = check_steps(steps)
    log, _, pr = _prepare(
        events,
        within=within,
        collapse=collapse,
        include=include,
        exclude=exclude,
        group=group,
        ties=ties,
        timeout=timeout,
        split=split,
        tz=tz,
        as_of=as_of,
    )
    params: dict[str, Any] = {
        "steps": n_steps,
        "within": within,
        "collapse": collapse,
        "ties": ties,
        "groups": groups is not None,
    }
    unit_user = np.zeros(pr.n_units, dtype=np.int64)
    if pr.unit.size:
        unit_user[pr.unit] = pr.user
    if groups is None:
        m, n = _matrix(pr, np.ones(pr.n_units, dtype=bool), n_steps)
        return StepMatrixResult(
            params=params,
            as_of=_ns_stamp(log, as_of, tz),
            matrix=m,
            matrix_a=None,
            matrix_b=None,
            n_paths=n,
        )
    if not isinstance(groups, tuple | list) or len(groups) != 2:
        raise InvalidParameterError(
            f"groups must be a pair (users A, users B), got {type(groups).__name__}. Hint: "
            "groups=(retained_ids, churned_ids)."
        )
    mats = []
    total = 0
    for name, ids in zip("AB", groups, strict=True):
        codes = log.users.get_indexer(pd.Index(list(ids)))
        member = np.zeros(len(log.users), dtype=bool)
        member[codes[codes >= 0]] = True
        m, n = _matrix(pr, member[unit_user], n_steps)
        if n == 0:
            import warnings

            warnings.warn(
                f"Group {name} has no path (none of its ids has events in the log); its matrix "
                "is all zero. Hint: check the ids' type (int vs str).",
                InsufficientDataWarning,
                stacklevel=2,
            )
        mats.append(m)
        total += n
    return StepMatrixResult(
        params=params,
        as_of=_ns_stamp(log, as_of, tz),
        matrix=mats[0] - mats[1],
        matrix_a=mats[0],
        matrix_b=mats[1],
        n_paths=total,
    )


# ============================================================================ conversion paths


@dataclasses.dataclass(frozen=True, repr=False, eq=False)
class ConversionPathsResult(MetricResult):
    """What users did between an entry event and a target, and how each path converted.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per path (the first ``n`` by users): ``path`` (the entry and the next events,
        up to ``steps`` items, before the target), ``users``, ``converted`` (reached the target
        within the window), ``conversion_rate``, ``share_of_users``, ``share_of_converters``.
    users : int
        Users with the entry event.
    converted : int
        Of them, users who reached the target within the window.
    """

    table: pd.DataFrame
    users: int
    converted: int

    @property
    def conversion_rate(self) -> float:
        """Share of entrants who reached the target within the window."""
        return self.converted / self.users if self.users else float("nan")

    def best(self, min_users: int = 1) -> pd.Series:
        """Return the path converting best among those with at least ``min_users`` users.

        Parameters
        ----------
        min_users : int, default 1
            Support needed (a path taken by one user converts at 0 or 1).

        Returns
        -------
        pandas.Series
            The row of ``table``.

        Raises
        ------
        InsufficientDataError
            When no path has ``min_users`` users.
        """
        ok = self.table[self.table["users"] >= min_users]
        if ok.empty:
            raise InsufficientDataError(
                f"No path has at least {min_users} users (the largest has "
                f"{int(self.table['users'].max()) if len(self.table) else 0}). Hint: lower "
                "min_users or raise n."
            )
        ranked = ok.sort_values(["conversion_rate", "users"], ascending=[False, False])
        out_: pd.Series = ranked.iloc[0]
        return out_

    def to_frame(self) -> pd.DataFrame:
        """Return the path table (a copy).

        Returns
        -------
        pandas.DataFrame
        """
        out_: pd.DataFrame = self.table.copy()
        return out_

    def plot(self, ax: Axes | None = None) -> Axes:
        """Horizontal bars of each path's conversion rate.

        Parameters
        ----------
        ax : matplotlib.axes.Axes, optional

        Returns
        -------
        matplotlib.axes.Axes
        """
        from useropslib.plotting import bar_chart

        s = self.table.set_index("path")["conversion_rate"]
        return bar_chart(
            s, ax=ax, title="Conversion by path", ylabel="conversion rate", horizontal=True
        )


def _entry_rows(o: Ordered, entry_code: int, window_ns: int | None) -> tuple[Bools, I64, I64]:
    """Rows at or after each user's first entry (within the window), the entry row per user."""
    n_users = len(o.log.users)
    first = np.full(n_users, -1, dtype=np.int64)
    is_e = np.flatnonzero(o.event == entry_code)
    if is_e.size:
        u, fi = np.unique(o.user[is_e], return_index=True)
        first[u] = is_e[fi]
    idx = np.arange(o.user.size, dtype=np.int64)
    fu = first[o.user]
    inside = (fu >= 0) & (idx >= fu)
    if window_ns is not None and inside.any():
        t0 = o.t[np.maximum(fu, 0)]
        inside &= o.t - t0 <= window_ns
    return inside, first, fu


def conversion_paths(
    events: EventsLike,
    *,
    entry: str,
    target: str,
    window: Any = "7D",
    steps: int = 5,
    n: int = 10,
    collapse: Literal["first", "last"] | None = "first",
    include: Iterable[str] | str | None = None,
    exclude: Iterable[str] | str | None = None,
    group: Mapping[str, str] | None = None,
    ties: Ties = "name",
    tz: str | None = None,
    as_of: Any = None,
) -> ConversionPathsResult:
    """Find the best conversion path: paths after an entry event and how each converted.

    Each user with ``entry`` is followed from their first ``entry`` for ``window``: the path is
    the entry and the events after it (cleaned), up to ``steps`` items, stopping before the
    first ``target``; the user converted when ``target`` came within the window.

    Parameters
    ----------
    events : EventLog, LazyEventLog or DataFrame
        The events.
    entry : str
        The entry event (a campaign's landing, a signup).
    target : str
        The conversion event.
    window : str or timedelta, default "7D"
        Conversion window from the entry (inclusive bound, as :func:`useropslib.metrics.funnel`).
    steps : int, default 5
        Items per path, the entry included (1..50).
    n : int, default 10
        Paths to return, most common first.
    collapse : {"first", "last"} or None, default "first"
        Collapse immediate repeats of a label.
    include, exclude, group
        Path cleaning, as in :func:`transitions` (the entry and target are found among all
        events, even excluded ones).
    ties, tz, as_of
        As in :func:`transitions`.

    Returns
    -------
    ConversionPathsResult
        ``best(min_users)`` gives the path converting best with enough support.

    Raises
    ------
    InvalidParameterError
        For unknown entry/target (with close names), entry equal to target, bad ``steps``,
        ``n`` or ``window``.
    InsufficientDataError
        When no user has the entry event.

    See Also
    --------
    core_path : Whether participants ran a campaign's core path through.
    useropslib.metrics.funnel : Conversion through fixed steps.

    Notes
    -----
    The path counts users (first entry only, Mixpanel's "uniques"); users whose window is still
    open at ``as_of`` are counted with what they did so far.

    Examples
    --------
    >>> import pandas as pd
    >>> import useropslib as uo
    >>> df = pd.DataFrame({"user_id": ["a", "a", "a", "b", "b", "c"],
    ...     "event": ["land", "coupon", "buy", "land", "browse", "land"],
    ...     "timestamp": pd.to_datetime(["2024-01-01 10:00", "2024-01-01 10:01",
    ...         "2024-01-01 10:02", "2024-01-01 11:00", "2024-01-01 11:02",
    ...         "2024-01-01 12:00"], utc=True)})
    >>> r = uo.paths.conversion_paths(df, entry="land", target="buy")
    >>> r.table[["path", "users", "converted"]]
                path  users  converted
    0           land      1          0
    1  land → browse      1          0
    2  land → coupon      1          1
    >>> r.best()["path"]
    'land → coupon'
    """
    n_steps = check_steps(steps)
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise InvalidParameterError(f"n must be a positive integer, got {n!r}. Hint: n=10.")
    w_ns = int(pd.Timedelta(parse_window(window)).value)
    log = as_event_log(events)
    e_code, t_code = (int(c) for c in log.event_code_of([entry, target]))
    if e_code == t_code:
        raise InvalidParameterError(
            f"entry and target are the same event {entry!r}. Hint: the target is what entrants "
            "should reach afterwards."
        )
    o = order_events(
        log, ties=ties, include=include, exclude=exclude, group=group, as_of=as_of, tz=tz
    )
    inside, first, fu = _entry_rows(o, e_code, w_ns)
    n_users = int((first >= 0).sum())
    if n_users == 0:
        raise InsufficientDataError(
            f"No user has the entry event {entry!r} (at or before as_of). Hint: check the "
            "event name and as_of."
        )
    # first target after the entry, inside the window
    hit = inside & (o.event == t_code)
    tpos = np.full(len(log.users), np.iinfo(np.int64).max, dtype=np.int64)
    hi = np.flatnonzero(hit)
    if hi.size:
        u, fi = np.unique(o.user[hi], return_index=True)
        tpos[u] = hi[fi]
    idx = np.arange(o.user.size, dtype=np.int64)
    before = inside & (idx < tpos[o.user])
    # the entry row itself is always the first item (even when excluded by include/exclude)
    label = o.label.copy()
    is_entry_row = inside & (idx == fu)
    keep = before & ((label >= 0) | is_entry_row)
    labels = o.labels
    if (label[is_entry_row] < 0).any():
        labels = pd.Index([*map(str, o.labels), entry], dtype=object).drop_duplicates()
        label[is_entry_row & (label < 0)] = labels.get_loc(entry)
    rows = np.flatnonzero(keep)
    unit, lab, user = o.user[rows], label[rows], o.user[rows]
    if collapse is not None:
        check_choice("collapse", collapse, ("first", "last"))
        m = collapse_mask(unit, lab, collapse)
        unit, lab, user = unit[m], lab[m], user[m]
    pos = positions(unit)
    take = pos < n_steps
    pr = PathRows(
        unit=unit[take],
        user=user[take],
        label=lab[take],
        t=np.zeros(int(take.sum()), dtype=np.int64),
        labels=labels,
        n_units=0,
    )
    w = _Window(rows=np.arange(pr.unit.size, dtype=np.int64), step=pos[take] + 1)
    uniq, inv, cnt, _, puser, _ = _group_paths(pr, w, n_steps)
    conv_user = tpos != np.iinfo(np.int64).max
    converted = np.bincount(inv[conv_user[puser]], minlength=len(cnt)) if inv.size else cnt * 0
    total_conv = int(conv_user.sum())
    table = pd.DataFrame(
        {
            "path": _path_strings(uniq, labels),
            "users": cnt,
            "converted": converted.astype(np.int64),
        }
    )
    table["conversion_rate"] = table["converted"] / table["users"]
    table["share_of_users"] = table["users"] / n_users
    table["share_of_converters"] = table["converted"] / total_conv if total_conv else np.nan
    table = table.sort_values(["users", "path"], ascending=[False, True]).head(n)
    return ConversionPathsResult(
        params={
            "entry": entry,
            "target": target,
            "window": pd.Timedelta(w_ns, unit="ns"),
            "steps": n_steps,
            "n": n,
            "collapse": collapse,
            "ties": ties,
        },
        as_of=_ns_stamp(log, as_of, tz),
        table=table.reset_index(drop=True),
        users=n_users,
        converted=total_conv,
    )


# ============================================================================ core path


@dataclasses.dataclass(frozen=True, repr=False, eq=False)
class CorePathResult(MetricResult):
    """Whether participants ran a core path through without detours, and where others left it.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per core step: ``step`` (0-based), ``name``, ``on_path`` (participants who did
        steps 0..step in order with no other event between), ``on_path_rate`` (over
        participants), ``left_after`` (of them, those whose next event was not the next core
        step, or who had no further event).
    detours : pandas.DataFrame
        Where participants left: ``after_step``, ``after_name``, ``next_event`` (the detour, or
        "(no further event)"), ``users``, ``share`` (of participants), most common first.
    participants : int
        Users with the first step.
    through : int
        Participants who ran every step in order without a detour.
    completed : int
        Participants who did every step in order within the window, detours allowed (the
        ordered funnel's conversion).
    """

    table: pd.DataFrame
    detours: pd.DataFrame
    participants: int
    through: int
    completed: int

    @property
    def through_rate(self) -> float:
        """Share of participants who ran the core path through without detours."""
        return self.through / self.participants if self.participants else float("nan")

    @property
    def completion_rate(self) -> float:
        """Share of participants who completed the steps in order, detours allowed."""
        return self.completed / self.participants if self.participants else float("nan")

    def to_frame(self) -> pd.DataFrame:
        """Return the per-step table (a copy).

        Returns
        -------
        pandas.DataFrame
        """
        out_: pd.DataFrame = self.table.copy()
        return out_

    def plot(self, ax: Axes | None = None) -> Axes:
        """Bars of the share of participants still on the core path at each step.

        Parameters
        ----------
        ax : matplotlib.axes.Axes, optional

        Returns
        -------
        matplotlib.axes.Axes
        """
        from useropslib.plotting import bar_chart

        s = self.table.set_index("name")["on_path_rate"]
        return bar_chart(s, ax=ax, title="Core path", ylabel="share on the core path")


def core_path(
    events: EventsLike,
    *,
    steps: Sequence[str] | Campaign,
    window: Any = "14D",
    ignore: Iterable[str] | str | None = None,
    collapse: bool = True,
    ties: Ties = "name",
    tz: str | None = None,
    as_of: Any = None,
) -> CorePathResult:
    """Share of a campaign's participants who ran its core path through without detours.

    Participants are the users with ``steps[0]``; each is followed from their first
    ``steps[0]`` for ``window``.  A participant stays on the core path while each next event is
    the next core step; the first other event is a detour (where they left).

    Parameters
    ----------
    events : EventLog, LazyEventLog or DataFrame
        The events.
    steps : sequence of str or Campaign
        The core path as event names (at least 2), or a
        :class:`~useropslib.models.Campaign` whose participation funnel (attention → interest
        → weigh → action) is the core path; a stage naming several events is done by any of
        them.
    window : str or timedelta, default "14D"
        How long after the entry to follow participants (inclusive bound).
    ignore : str or sequence of str, optional
        Events that are not detours (background events such as ``"heartbeat"``).
    collapse : bool, default True
        Repeats of one event in a row count once (a reload of the same page is no detour).
    ties, tz, as_of
        As in :func:`transitions`.

    Returns
    -------
    CorePathResult

    Raises
    ------
    InvalidParameterError
        For fewer than 2 steps or more than 50, unknown names (with close names), a step also
        in ``ignore``.
    InsufficientDataError
        When no user has the first step.

    See Also
    --------
    conversion_paths : The most common paths after an entry and how each converted.
    useropslib.metrics.funnel : ``completed`` is its ordered conversion.

    Notes
    -----
    ``completed`` counts participants whose first entry was followed by every step in order
    within the window (Mixpanel's first-entry funnel), so ``through <= completed``.

    Examples
    --------
    >>> import pandas as pd
    >>> import useropslib as uo
    >>> df = pd.DataFrame({"user_id": ["a", "a", "a", "b", "b", "b"],
    ...     "event": ["land", "claim", "buy", "land", "browse", "claim"],
    ...     "timestamp": pd.to_datetime(["2024-01-01 10:00", "2024-01-01 10:01",
    ...         "2024-01-01 10:02", "2024-01-01 11:00", "2024-01-01 11:02",
    ...         "2024-01-01 11:03"], utc=True)})
    >>> r = uo.paths.core_path(df, steps=["land", "claim", "buy"])
    >>> r.through, r.participants, r.table["on_path"].tolist()
    (1, 2, [2, 1, 1])
    """
    if isinstance(steps, Campaign):
        return _campaign_core_path(
            events,
            campaign=steps,
            window=window,
            ignore=ignore,
            collapse=collapse,
            ties=ties,
            tz=tz,
            as_of=as_of,
        )
    if isinstance(steps, str) or not isinstance(steps, Sequence) or len(steps) < 2:
        raise InvalidParameterError(
            f"steps must be a list of at least 2 event names, got {steps!r}. Hint: "
            "steps=['view_campaign', 'claim_coupon', 'purchase']."
        )
    check_steps(len(steps), name="len(steps)")
    check_choice("collapse", collapse, (True, False))
    w_ns = int(pd.Timedelta(parse_window(window)).value)
    log = as_event_log(events)
    codes = log.event_code_of(list(steps))
    if ignore is not None and not isinstance(ignore, (str, list, tuple, set, frozenset)):
        raise InvalidParameterError(
            f"Invalid ignore={type(ignore).__name__}. Expected an event name or a list of them. "
            "Hint: ignore=['open']."
        )
    ign = [] if ignore is None else ([ignore] if isinstance(ignore, str) else list(ignore))
    ign_codes = log.event_code_of(ign) if ign else np.empty(0, dtype=np.int64)
    both = set(codes.tolist()) & set(ign_codes.tolist())
    if both:
        raise InvalidParameterError(
            f"Event(s) {[str(log.event_names[c]) for c in sorted(both)]} are both core steps "
            "and ignored. Hint: remove them from ignore."
        )
    o = order_events(log, ties=ties, as_of=as_of, tz=tz)
    inside, first, _ = _entry_rows(o, int(codes[0]), w_ns)
    participants = int((first >= 0).sum())
    if participants == 0:
        raise InsufficientDataError(
            f"No user has the first core step {steps[0]!r} (at or before as_of). Hint: check "
            "the event name and as_of."
        )
    keep = inside & ~np.isin(o.event, ign_codes)
    rows = np.flatnonzero(keep)
    user, ev = o.user[rows], o.event[rows]
    if collapse:
        m = collapse_mask(user, ev, "first")
        user, ev = user[m], ev[m]
    pos = positions(user)
    k = len(steps)
    expected = np.r_[codes, -1]
    ok = (pos < k) & (ev == expected[np.minimum(pos, k)])
    bad_rows = np.flatnonzero(~ok & (pos <= k))
    # first deviation per participant: its position is how many core steps they did in a row
    done = np.full(len(log.users), -1, dtype=np.int64)
    stream_len = np.bincount(user, minlength=len(log.users))
    part = first >= 0
    done[part] = np.minimum(stream_len[part], k)
    next_ev = np.full(len(log.users), -1, dtype=np.int64)
    if bad_rows.size:
        u, fi = np.unique(user[bad_rows], return_index=True)
        at = bad_rows[fi]
        done[u] = np.minimum(pos[at], k)
        next_ev[u] = np.where(pos[at] < k, ev[at], -1)
    d = done[part]
    nx = next_ev[part]
    on_path = np.array([(d > j).sum() for j in range(k)], dtype=np.int64)
    left = on_path - np.r_[on_path[1:], (d >= k).sum()]
    table = pd.DataFrame(
        {
            "step": np.arange(k, dtype=np.int64),
            "name": [str(s) for s in steps],
            "on_path": on_path,
            "on_path_rate": on_path / participants,
            "left_after": left.astype(np.int64),
        }
    )
    # detours: (last core step done, next event) for those who left
    gone = d < k
    names = np.asarray([*map(str, log.event_names), _STOPPED], dtype=object)
    nx_name = names[np.where(nx[gone] >= 0, nx[gone], len(log.event_names))]
    det = pd.DataFrame({"after_step": d[gone] - 1, "next_event": nx_name})
    detours = det.groupby(["after_step", "next_event"], sort=False).size().rename("users")
    detours = detours.reset_index()
    detours.insert(
        1,
        "after_name",
        np.asarray([str(s) for s in steps], dtype=object)[detours["after_step"].to_numpy()],
    )
    detours["share"] = detours["users"] / participants
    detours = detours.sort_values(
        ["users", "after_step", "next_event"], ascending=[False, True, True]
    ).reset_index(drop=True)
    from useropslib.metrics import funnel

    fun = funnel(
        log,
        list(steps),
        window=pd.Timedelta(w_ns, unit="ns").to_pytimedelta(),
        attempts="first",
        as_of=as_of,
        tz=tz,
    )
    completed = int(fun.table["users"].iloc[-1])
    return CorePathResult(
        params={
            "steps": list(steps),
            "window": pd.Timedelta(w_ns, unit="ns"),
            "ignore": ign or None,
            "collapse": collapse,
            "ties": ties,
        },
        as_of=_ns_stamp(log, as_of, tz),
        table=table,
        detours=detours,
        participants=participants,
        through=int((d >= k).sum()),
        completed=completed,
    )


def _campaign_core_path(
    events: EventsLike,
    *,
    campaign: Campaign,
    window: Any,
    ignore: Iterable[str] | str | None,
    collapse: bool,
    ties: Any,
    tz: str | None,
    as_of: Any,
) -> CorePathResult:
    """Run :func:`core_path` through a campaign's participation funnel (stages of event names)."""
    funnel_ = campaign.funnel
    if funnel_ is None:
        raise InvalidParameterError(
            f"Campaign {campaign.id!r} has no participation funnel, so it has no core path. "
            "Hint: give it funnel=ParticipationFunnel(attention=..., action=...) or pass "
            "steps=[event names]."
        )
    log = as_event_log(events)
    group: dict[str, str] = {}
    labels: list[str] = []
    for _, names in funnel_.stages:
        log.event_code_of(list(names))
        label = " | ".join(names)
        for n in names:
            if n in group:
                raise InvalidParameterError(
                    f"Event {n!r} is in two stages of campaign {campaign.id!r}'s participation "
                    "funnel. Hint: each event may mark one stage only."
                )
            group[n] = label
        labels.append(label)
    relabelled = clean_log(log, group=group, ties="input" if ties == "input" else ties)
    res = core_path(
        relabelled,
        steps=labels,
        window=window,
        ignore=ignore,
        collapse=collapse,
        ties=ties,
        tz=tz,
        as_of=as_of,
    )
    stage_names = [stage for stage, _ in funnel_.stages]
    table = res.table.copy()
    table.insert(1, "stage", stage_names)
    return dataclasses.replace(
        res,
        params={**res.params, "campaign": campaign.id, "stages": stage_names},
        table=table,
    )
