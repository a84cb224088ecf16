"""Paths (路径): step-indexed flows (PostHog Paths) and the top whole paths.

Every function sorts the log once by (user, time, tie rule), labels and cleans the rows (see
``paths._query``) and then works on positions inside each path: ``np.unique`` on a first
occurrence gives where a path starts, a comparison of positions keeps the first ``steps`` items,
``np.bincount`` counts edges and cells, and a (paths x steps) code matrix, each row read as one
integer, groups whole paths.  No Python loop runs over users or events; the only loops run over
steps.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, Literal, TypeAlias

import numpy as np
import numpy.typing as npt
import pandas as pd

from useropslib._checks import check_choice
from useropslib.events import EventsLike
from useropslib.exceptions import (
    InsufficientDataWarning,
    InvalidParameterError,
)
from useropslib.metrics._query import _distinct_pairs
from useropslib.paths._query import (
    PathRows,
    Split,
    TableResult,
    Ties,
    Within,
    check_steps,
    frame_paths,
    session_rule,
    unit_ids,
)

if TYPE_CHECKING:
    from matplotlib.axes import Axes
from useropslib.models import DateLike
from useropslib.paths._framing import (
    Window,
    frame_window,
    label_code,
    path_strings,
)

__all__ = ["PathsResult", "TopPathsResult", "group_paths", "paths", "top_paths"]

I64: TypeAlias = npt.NDArray[np.int64]
Bools: TypeAlias = npt.NDArray[np.bool_]


# ============================================================================ paths


@dataclasses.dataclass(frozen=True, repr=False, eq=False)
class PathsResult(TableResult):
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
    as_of: DateLike | None = None,
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
    check_choice(count, ("paths", "users"), "count")
    if edge_limit is not None and (
        isinstance(edge_limit, bool) or not isinstance(edge_limit, int) or edge_limit < 1
    ):
        raise InvalidParameterError(
            f"edge_limit must be a positive integer or None, got {edge_limit!r}. Hint: "
            "edge_limit=50 (PostHog's default)."
        )
    f = frame_paths(
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
    log, pr = f.log, f.rows
    s_code = None if start is None else label_code(pr, start, "start", log)
    e_code = None if end is None else label_code(pr, end, "end", log)
    w = frame_window(pr, start=s_code, end=e_code, steps=n_steps)
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
        value = _users_per_code(owner, inv.astype(np.int64), uniq.size)
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
        as_of=f.stamp,
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
class TopPathsResult(TableResult):
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


def _users_per_code(user: I64, code: I64, n_codes: int) -> I64:
    """Distinct users of each code ``0 .. n_codes - 1`` (the shared distinct-pairs kernel)."""
    if user.size == 0:
        return np.zeros(n_codes, dtype=np.int64)
    _, codes = _distinct_pairs(user, code, 0, n_codes - 1, int(user.max()) + 1)
    out: I64 = np.bincount(codes, minlength=n_codes)
    return out


def _unique_rows(
    mat: npt.NDArray[np.int64], low: int, base: int
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """``np.unique(mat, axis=0, return_inverse=True, return_counts=True)``, through one int key.

    Every cell lies in ``[low, low + base)``, so a row read as a number in base ``base`` keeps
    the rows' lexicographic order: a sort of int64 keys instead of ``axis=0``'s sort of opaque
    row bytes, with the same unique rows, inverse and counts.  Rows whose key would not fit an
    int64 fall back to ``np.unique(axis=0)``.
    """
    n_rows, k = mat.shape
    if n_rows == 0 or k == 0 or base**k >= 2**62:
        uniq, inv, cnt = np.unique(mat, axis=0, return_inverse=True, return_counts=True)
        return uniq, np.asarray(inv).reshape(-1).astype(np.int64), cnt.astype(np.int64)
    key = np.zeros(n_rows, dtype=np.int64)
    for j in range(k):  # over steps, not rows
        key *= base
        key += mat[:, j] - low
    keys, inv, cnt = np.unique(key, return_inverse=True, return_counts=True)
    uniq = np.empty((keys.size, k), dtype=np.int64)
    for j in range(k - 1, -1, -1):
        uniq[:, j] = keys % base + low
        keys //= base
    return uniq, np.asarray(inv).reshape(-1).astype(np.int64), cnt.astype(np.int64)


def group_paths(pr: PathRows, w: Window, n_steps: int) -> tuple[I64, I64, I64, I64, I64, I64]:
    """Group framed paths: (codes matrix rows, inverse per path, counts, unit, user, start t)."""
    rows = w.rows
    framed = pr.unit[rows]  # non-decreasing: units are numbered in row order
    new = np.ones(framed.size, dtype=bool)
    new[1:] = framed[1:] != framed[:-1]
    first_idx = np.flatnonzero(new)
    units = framed[first_idx]
    dense = np.cumsum(new, dtype=np.int64) - 1
    mat = np.full((units.size, n_steps), -1, dtype=np.int64)
    mat[dense, w.step - 1] = pr.label[rows]
    if units.size:  # cells are -1 (no item) or a label code
        uniq, inv, cnt = _unique_rows(mat, -1, len(pr.labels) + 1)
    else:
        uniq = mat
        inv = np.empty(0, np.int64)
        cnt = np.empty(0, np.int64)
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
    as_of: DateLike | None = None,
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
    f = frame_paths(
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
    log, o, pr = f.log, f.ordered, f.rows
    s_code = None if start is None else label_code(pr, start, "start", log)
    e_code = None if end is None else label_code(pr, end, "end", log)
    w = frame_window(pr, start=s_code, end=e_code, steps=n_steps)
    uniq, inv, cnt, _, user, start_t = group_paths(pr, w, n_steps)
    users = np.zeros(len(cnt), dtype=np.int64)
    if inv.size:
        users = _users_per_code(user, inv, len(cnt))
    table = pd.DataFrame(
        {
            "path": path_strings(uniq, pr.labels),
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
        as_of=f.stamp,
        table=table.reset_index(drop=True),
        n_paths=int(cnt.sum()),
    )
