"""Transitions between consecutive events, counted per occurrence, per path or per user.

The events are sorted once by (user, time, tie rule) and split into paths (a user's history or a
session); consecutive labels inside a path form a transition.  Counting conventions differ
between peers, so ``count`` names them: every occurrence (retentioneering's ``count`` weight),
the number of paths containing the pair (PostHog, where a path is a person-session) or the
number of users (Amplitude's and retentioneering's "uniques").
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, Literal, TypeAlias

import numpy as np
import numpy.typing as npt
import pandas as pd

from useropslib._checks import check_bool, check_choice
from useropslib.events import EventsLike, LazyEventLog
from useropslib.events._query import UserGroups, resolve_groups, warn_empty
from useropslib.exceptions import InvalidParameterError
from useropslib.models import DateLike
from useropslib.paths._query import (
    PathRows,
    Split,
    TableResult,
    Ties,
    Within,
    frame_paths,
    until_ns,
)

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["END", "START", "TransitionsResult", "transitions"]

Count: TypeAlias = Literal["occurrences", "paths", "users"]
Weight: TypeAlias = Literal["count", "share_of_total", "avg_per_path", "proba_out", "proba_in"]
I64: TypeAlias = npt.NDArray[np.int64]

#: Marker labels wrapped around each path when ``markers=True`` (retentioneering's names).
START = "path_start"
END = "path_end"
_WEIGHTS = ("count", "share_of_total", "avg_per_path", "proba_out", "proba_in")


@dataclasses.dataclass(frozen=True, repr=False, eq=False)
class TransitionsResult(TableResult):
    """Transitions between consecutive events.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per (source, target) pair kept, by ``count`` descending then names:
        ``source``, ``target``, ``count`` (in the unit of ``params["count"]``),
        ``share_of_total`` (count over all counted transitions), ``avg_per_path`` (count over
        the number of paths), ``proba_out`` (over the source's row sum), ``proba_in`` (over the
        target's column sum), ``mean_time`` (mean time between the two events over their
        occurrences, to the microsecond; NaT for markers).  Shares are computed before
        ``min_weight`` drops rows.
    labels : list of str
        Every label in matrix order (``path_start`` first and ``path_end`` last with markers).
    n_paths : int
        Number of paths (users or sessions).
    """

    table: pd.DataFrame
    labels: list[str]
    n_paths: int

    def matrix(self, weight: Weight = "count") -> pd.DataFrame:
        """Square matrix of one weight: rows are sources, columns targets, in label order.

        Parameters
        ----------
        weight : {"count", "share_of_total", "avg_per_path", "proba_out", "proba_in"}

        Returns
        -------
        pandas.DataFrame
            Zero where no transition was counted (or it was dropped by ``min_weight``).

        Raises
        ------
        InvalidParameterError
            For an unknown weight.
        """
        check_choice(weight, _WEIGHTS, "weight")
        idx = pd.Index(self.labels, name="source")
        m = self.table.pivot_table(
            index="source", columns="target", values=weight, aggfunc="sum", fill_value=0
        )
        out = m.reindex(index=idx, columns=pd.Index(self.labels, name="target"), fill_value=0)
        out_: pd.DataFrame = out.astype(np.int64 if weight == "count" else np.float64)
        return out_

    def plot(self, ax: Axes | None = None, *, top: int = 20) -> Axes:
        """Flow diagram of the ``top`` transitions (line width by count).

        Parameters
        ----------
        ax : matplotlib.axes.Axes, optional
        top : int, default 20

        Returns
        -------
        matplotlib.axes.Axes
        """
        from useropslib.plotting import flow_diagram

        edges = self.table.rename(columns={"count": "value"})
        return flow_diagram(edges, ax=ax, top=top, title="Transitions")


def pair_counts(pr: PathRows, *, count: str, markers: bool) -> tuple[pd.DataFrame, list[str]]:
    """Count the transitions of ``pr``; the frame has source/target codes and the statistics."""
    n_lab = len(pr.labels)
    names = [str(x) for x in pr.labels]
    if markers:
        clash = {START, END} & set(names)
        if clash:
            raise InvalidParameterError(
                f"Event label(s) {sorted(clash)} collide with the path markers. Hint: rename "
                "them with group={...} or pass markers=False."
            )
    start_code, end_code = n_lab, n_lab + 1
    width = n_lab + 2
    n = pr.unit.size
    if n > 1:
        same = pr.unit[1:] == pr.unit[:-1]
        src = pr.label[:-1][same]
        dst = pr.label[1:][same]
        dt = np.diff(pr.t)[same].astype(np.float64)
    else:
        same = np.zeros(0, dtype=bool)
        src = dst = np.zeros(0, dtype=np.int64)
        dt = np.zeros(0, dtype=np.float64)
    unit = user = None
    if count != "occurrences":
        unit = pr.unit[:-1][same] if n > 1 else np.zeros(0, dtype=np.int64)
        user = pr.user[:-1][same] if n > 1 else np.zeros(0, dtype=np.int64)
    n_timed = src.size
    if markers and n:
        first = np.ones(n, dtype=bool)
        first[1:] = ~same
        last = np.ones(n, dtype=bool)
        last[:-1] = first[1:]
        k1, k2 = int(first.sum()), int(last.sum())
        src = np.r_[src, np.full(k1, start_code), pr.label[last]]
        dst = np.r_[dst, pr.label[first], np.full(k2, end_code)]
        if unit is not None and user is not None:
            unit = np.r_[unit, pr.unit[first], pr.unit[last]]
            user = np.r_[user, pr.user[first], pr.user[last]]
    pair = src.astype(np.int64) * width + dst
    n_pairs = width * width
    occ = np.bincount(pair, minlength=n_pairs)
    tsum = np.bincount(pair[:n_timed], weights=dt, minlength=n_pairs)
    tn = np.bincount(pair[:n_timed], minlength=n_pairs).astype(np.float64)
    if count == "occurrences":
        cnt = occ
    else:
        owner = unit if count == "paths" else user
        assert owner is not None
        key = owner * n_pairs + pair
        uniq = np.unique(key)
        cnt = np.bincount(uniq % n_pairs, minlength=n_pairs)
    present = np.flatnonzero(occ)
    labels = ([START] if markers else []) + names + ([END] if markers else [])
    order_of = np.empty(width, dtype=np.int64)
    if markers:
        order_of[start_code] = 0
        order_of[:n_lab] = np.arange(1, n_lab + 1)
        order_of[end_code] = n_lab + 1
    else:
        order_of[:n_lab] = np.arange(n_lab)
        order_of[n_lab:] = n_lab
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_ns = tsum[present] / tn[present]
    frame = pd.DataFrame(
        {
            "s": order_of[present // width],
            "d": order_of[present % width],
            "count": cnt[present].astype(np.int64),
            "mean_ns": mean_ns,
        }
    )
    return frame, labels


def transitions(
    events: EventsLike,
    *,
    within: Within = "user",
    count: Count = "occurrences",
    markers: bool = False,
    collapse: Literal["first", "last"] | None = None,
    collapse_only: Iterable[str] | None = None,
    include: Iterable[str] | str | None = None,
    exclude: Iterable[str] | str | None = None,
    group: Mapping[str, str] | None = None,
    min_weight: int = 1,
    ties: Ties = "name",
    timeout: Any = "30min",
    split: Split = ">=",
    tz: str | None = None,
    as_of: DateLike | None = None,
    breakdown: Any = None,
) -> TransitionsResult:
    """Count transitions between consecutive events of each path.

    Parameters
    ----------
    events : EventLog, LazyEventLog or DataFrame
        The events.  On a lazy log the pairs are formed in the engine with a window function
        (``LEAD`` of the event over each user's rows ordered by time and name) and only the
        pair counts are collected, for the options listed in Notes.
    within : {"user", "session"}, default "user"
        A path is a user's whole history, or one session (split by ``timeout`` / ``split`` as
        in :func:`sessions`, on all events before ``include``/``exclude``).
    count : {"occurrences", "paths", "users"}, default "occurrences"
        What one transition counts: every occurrence (retentioneering ``count``), each path
        containing it once (PostHog, a path being a person-session), each user once.
    markers : bool, default False
        Wrap every path in ``path_start`` / ``path_end`` (retentioneering), so first and last
        events appear as transitions.
    collapse : {"first", "last"}, optional
        Collapse immediate repeats of a label inside a path to the first (retentioneering
        ``CollapseLoops``) or the last (PostHog) of the run.
    collapse_only : sequence of str, optional
        Collapse only runs of these labels.
    include, exclude : str or sequence of str, optional
        Events kept or dropped before the paths are formed (unknown names raise with hints).
    group : mapping, optional
        Event name or shell pattern (``"view_*"``) -> label; events sharing a label are one node.
        Patterns are matched with ``fnmatch.fnmatchcase``, never evaluated.
    min_weight : int, default 1
        Drop transitions whose count is below this (after the shares are computed).
    ties : {"name", "input"} or list of str, default "name"
        Order of events at the same instant (see :func:`sessions`).
    timeout, split
        Session rule when ``within="session"``.
    tz : str, optional
        Zone of ``as_of`` given as a naive time; default the log's.
    as_of : datetime-like, optional
        Ignore events after this instant (the shared ``as_of``: events at or before it count).
    breakdown : str, mapping, pandas.Series or collection of user ids, optional
        Split users into groups (a property's latest value at ``as_of``, a mapping or Series
        ``user_id -> group``, or a segment's member ids), read by the shared breakdown resolver:
        the table gains a ``breakdown`` column and every share is computed within its group.

    Returns
    -------
    TransitionsResult

    Raises
    ------
    InvalidParameterError
        For unknown options, event names or patterns, a negative ``min_weight``, or labels that
        collide with the markers.

    See Also
    --------
    paths : Step-indexed paths from a start or to an end event (PostHog Paths).
    step_matrix : Share of paths at each step doing each event.

    Notes
    -----
    ``count="occurrences"`` with ``markers=True`` and ``within="user"`` reproduces
    retentioneering's transition matrix (``edges_norm_type=None``); ``count="paths"`` with
    ``within="session"`` and ``collapse="last"`` counts as PostHog does (its Paths insight also
    indexes nodes by step: use :func:`paths` for that).  Lazy logs run in the engine for
    ``ties="name"`` without ``group``/``collapse_only``; other options collect the event rows.

    Examples
    --------
    >>> import pandas as pd
    >>> import useropslib as uo
    >>> df = pd.DataFrame({"user_id": ["a", "a", "a", "b", "b"],
    ...     "event": ["open", "view", "buy", "open", "view"],
    ...     "timestamp": pd.to_datetime(["2024-01-01 10:00", "2024-01-01 10:01",
    ...         "2024-01-01 10:02", "2024-01-01 11:00", "2024-01-01 11:05"], utc=True)})
    >>> uo.paths.transitions(df).table[["source", "target", "count", "proba_out"]]
      source target  count  proba_out
    0   open   view      2        1.0
    1   view    buy      1        1.0
    """
    check_choice(within, ("user", "session"), "within")
    check_choice(count, ("occurrences", "paths", "users"), "count")
    check_bool(markers, "markers")
    if isinstance(min_weight, bool) or not isinstance(min_weight, int | np.integer):
        raise InvalidParameterError(
            f"min_weight must be an integer count, got {min_weight!r}. Hint: min_weight=5 "
            "drops transitions seen fewer than 5 times."
        )
    if min_weight < 0:
        raise InvalidParameterError(
            f"min_weight must be 0 or more, got {min_weight}. Hint: min_weight=1 keeps every "
            "transition."
        )
    params: dict[str, Any] = {
        "within": within,
        "count": count,
        "markers": markers,
        "collapse": collapse,
        "min_weight": int(min_weight),
        "ties": ties,
    }
    if within == "session":
        params.update(timeout=timeout, split=split)
    lazy_ok = (
        isinstance(events, LazyEventLog)
        and breakdown is None
        and ties == "name"
        and group is None
        and collapse_only is None
    )
    if lazy_ok:
        from useropslib.paths._lazy import lazy_pairs

        assert isinstance(events, LazyEventLog)
        frame, labels, n_paths, asof_stamp = lazy_pairs(
            events,
            within=within,
            count=count,
            markers=markers,
            collapse=collapse,
            include=include,
            exclude=exclude,
            timeout=timeout,
            split=split,
            tz=tz,
            as_of=as_of,
        )
        if n_paths == 0:
            warn_empty("No events to form paths", hint="check as_of, include/exclude and the range")
        return _finish(frame, labels, n_paths, params, asof_stamp, int(min_weight))
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
    pr = f.rows
    groups = resolve_groups(f.log, breakdown, as_of_ns=until_ns(f.as_of))
    if groups is not None:
        return _by_group(pr, groups, count, markers, params, f.stamp, int(min_weight))
    frame, labels = pair_counts(pr, count=count, markers=markers)
    asof_stamp = f.stamp
    return _finish(frame, labels, pr.n_units, params, asof_stamp, int(min_weight))


def _by_group(
    pr: PathRows,
    groups: UserGroups,
    count: str,
    markers: bool,
    params: dict[str, Any],
    as_of: pd.Timestamp | None,
    min_weight: int,
) -> TransitionsResult:
    """Transitions per breakdown group (one pass per group; groups are few)."""
    of_row = groups.codes[pr.user] if pr.user.size else np.zeros(0, dtype=np.int64)
    parts = []
    labels: list[str] = []
    n_paths = 0
    for code, name in enumerate(groups.labels):
        keep = of_row == code
        if not keep.any():
            continue
        unit = pr.unit[keep]
        new = np.ones(unit.size, dtype=bool)
        new[1:] = unit[1:] != unit[:-1]
        sub = dataclasses.replace(
            pr,
            unit=np.cumsum(new, dtype=np.int64) - 1,
            user=pr.user[keep],
            label=pr.label[keep],
            t=pr.t[keep],
            n_units=int(new.sum()),
        )
        frame, labels = pair_counts(sub, count=count, markers=markers)
        part = _finish(frame, labels, sub.n_units, params, as_of, min_weight).table
        part.insert(0, "breakdown", name)
        parts.append(part)
        n_paths += sub.n_units
    if not parts:
        return _finish(
            pair_counts(pr, count=count, markers=markers)[0].iloc[:0],
            labels or [str(x) for x in pr.labels],
            0,
            {**params, "breakdown": groups.name},
            as_of,
            min_weight,
        )
    return TransitionsResult(
        params={**params, "breakdown": groups.name},
        as_of=as_of,
        table=pd.concat(parts, ignore_index=True),
        labels=labels,
        n_paths=n_paths,
    )


def _finish(
    frame: pd.DataFrame,
    labels: list[str],
    n_paths: int,
    params: dict[str, Any],
    as_of: pd.Timestamp | None,
    min_weight: int,
) -> TransitionsResult:
    """Turn coded pair counts (``s``, ``d``, ``count``, ``mean_ns``) into the result."""
    total = int(frame["count"].sum())
    out = pd.DataFrame(
        {
            "source": np.asarray(labels, dtype=object)[frame["s"].to_numpy(dtype=np.int64)],
            "target": np.asarray(labels, dtype=object)[frame["d"].to_numpy(dtype=np.int64)],
            "count": frame["count"].to_numpy(dtype=np.int64),
        }
    )
    c = out["count"].to_numpy(dtype=np.float64)
    row = frame.groupby("s")["count"].transform("sum").to_numpy(dtype=np.float64)
    col = frame.groupby("d")["count"].transform("sum").to_numpy(dtype=np.float64)
    out["share_of_total"] = c / total if total else np.nan
    out["avg_per_path"] = c / n_paths if n_paths else np.nan
    out["proba_out"] = c / row
    out["proba_in"] = c / col
    # to the microsecond: engines sum the gaps as float seconds
    mean_ns = np.round(frame["mean_ns"].to_numpy(dtype=np.float64), -3)
    out["mean_time"] = pd.to_timedelta(np.where(np.isfinite(mean_ns), mean_ns, np.nan), unit="ns")
    out = out[out["count"] >= max(min_weight, 1)]
    out = out.sort_values(["count", "source", "target"], ascending=[False, True, True])
    return TransitionsResult(
        params=params,
        as_of=as_of,
        table=out.reset_index(drop=True),
        labels=labels,
        n_paths=int(n_paths),
    )
