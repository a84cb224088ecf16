"""Evaluate a segment's condition tree for every user at once, as of any date.

Each node of the tree becomes one boolean array over the *universe* of users; groups combine the
arrays with ``&``, ``|`` and ``~``.  Behavioural conditions select the matching events once (by
event code, then by event-property filters), cut them at ``as_of`` and count them per user with
``np.bincount``: no Python loop over users or events.  On a lazy log the same counts come from
one ``GROUP BY`` user in the engine, and the tree is evaluated on that one-row-per-user table.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import warnings
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from useropslib import plotting
from useropslib._results import MetricResult
from useropslib.events import (
    EventLog,
    EventsLike,
    LazyEventLog,
    as_event_log,
    period_codes,
    period_starts,
)
from useropslib.events._query import (
    check_instant,
    event_codes,
    event_filter,
    resolve_as_of,
    warn_empty,
    where_expression,
)
from useropslib.events._time import stamp
from useropslib.exceptions import (
    InsufficientDataError,
    InsufficientDataWarning,
    InvalidParameterError,
    did_you_mean,
)
from useropslib.models import (
    AllOf,
    AnyOf,
    BehaviourCondition,
    Condition,
    DateLike,
    NoneOf,
    Period,
    PropertyCondition,
    Segment,
    SegmentRef,
    TagRule,
    parse_period,
)
from useropslib.segments._lazyseg import interval_counts, same_rows
from useropslib.segments._tags import TagTable

__all__ = [
    "MembershipResult",
    "SegmentCycleError",
    "evaluate_segment",
    "members",
    "membership",
]

_USER_COL = "user_id"
_NEGATED = {"ne": "eq", "not_in": "in", "is_not_set": "is_set"}
_MIN_NS = np.iinfo(np.int64).min
_MAX_NS = np.iinfo(np.int64).max


class SegmentCycleError(InvalidParameterError):
    """Segments refer to each other in a loop (``a`` uses ``b``, which uses ``a``).

    Parameters
    ----------
    cycle : list of str
        The segment names along the loop, the first repeated at the end.
    """

    def __init__(self, cycle: list[str]) -> None:
        self.cycle = cycle
        path = " -> ".join(cycle)
        super().__init__(
            f"Segment references form a cycle: {path}. Expected each segment to refer only to "
            "segments that do not refer back to it. Hint: remove one of these SegmentRef "
            "conditions, or inline the shared conditions"
        )


@dataclasses.dataclass(frozen=True, repr=False)
class MembershipResult(MetricResult):
    """Who was in a segment at the end of each period, who entered and who left.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per calendar period (index ``period_start``, the period's local start, from
        the period holding the first event to the one holding ``as_of``): ``size`` (members at
        the end of the period; the last period is read at ``as_of``), ``entered`` and ``left``
        (users who joined or dropped out since the end of the previous period; in the first
        period every member counts as entered).  ``size`` of a period equals ``size`` of the
        previous one plus ``entered`` minus ``left``.
    changes : pandas.DataFrame
        One row per user and change: ``period`` (the period's local start), ``user_id`` and
        ``change`` (``"entered"`` or ``"left"``), ordered by period, then entered before left,
        then universe order (see :func:`members`).  This is the frame :func:`membership`
        returned before it returned this object.
    params : dict
        ``segment`` (its name) and ``period``.
    as_of : pandas.Timestamp or None
        The end of the last period.
    """

    table: pd.DataFrame
    changes: pd.DataFrame

    def to_frame(self) -> pd.DataFrame:
        """Return ``table`` with ``period_start`` as a column: one row per period.

        Returns
        -------
        pandas.DataFrame
        """
        out: pd.DataFrame = self.table.reset_index()
        return out

    def entered(self, period_start: Any) -> pd.Index:
        """Return the ids of the users who entered the segment in one period.

        Parameters
        ----------
        period_start : str, datetime or Timestamp
            A value of ``table.index`` (naive values are read in the result's time zone).

        Returns
        -------
        pandas.Index
            Named ``user_id``; empty when nobody entered.

        Raises
        ------
        InvalidParameterError
            For a value that is not the start of one of the periods.
        """
        return self._users(period_start, "entered")

    def left(self, period_start: Any) -> pd.Index:
        """Return the ids of the users who left the segment in one period.

        Parameters
        ----------
        period_start : str, datetime or Timestamp
            A value of ``table.index`` (naive values are read in the result's time zone).

        Returns
        -------
        pandas.Index
            Named ``user_id``; empty when nobody left.

        Raises
        ------
        InvalidParameterError
            For a value that is not the start of one of the periods.
        """
        return self._users(period_start, "left")

    def _users(self, period_start: Any, change: str) -> pd.Index:
        index = self.table.index
        try:
            key = pd.Timestamp(period_start)
            if key.tzinfo is None and isinstance(index, pd.DatetimeIndex) and index.tz:
                key = key.tz_localize(index.tz)
        except (TypeError, ValueError):
            key = None
        if key is None or key not in index:
            shown = [str(t) for t in index[:3]] + (["..."] if len(index) > 3 else [])
            raise InvalidParameterError(
                f"period_start={period_start!r} is not the start of a period of this result. "
                f"Expected one of table.index ({len(index)} periods: {shown}). Hint: pick a "
                "value from result.table.index"
            )
        rows = self.changes[
            (self.changes["period"] == key).to_numpy()
            & (self.changes["change"] == change).to_numpy()
        ]
        out: pd.Index = pd.Index(rows[_USER_COL].to_numpy(), name=_USER_COL)
        return out

    def plot(self, ax: Any = None) -> Any:
        """Draw users entering (above zero) and leaving (below) per period, with the size.

        Parameters
        ----------
        ax : matplotlib.axes.Axes, optional
            Where to draw; a new figure when omitted.

        Returns
        -------
        matplotlib.axes.Axes
        """
        t = self.table
        return plotting.flow_bars(
            t.index,
            t["entered"],
            t["left"],
            level=t["size"],
            ax=ax,
            period=self.params.get("period"),
            title=f"Segment {self.params.get('segment', '')!s} membership",
        )


# --------------------------------------------------------------------------------------------------
# the evaluation context


@dataclasses.dataclass
class _Context:
    log: EventLog | None
    as_of_ns: int | None
    universe: pd.Index
    log_codes: npt.NDArray[np.int64]  # vocabulary codes of the universe's first len() users
    tags: TagTable | None
    users: pd.DataFrame | None
    users_pos: npt.NDArray[np.int64] | None  # universe position -> users row (-1: absent)
    registry: dict[str, Segment]
    stack: list[str]
    cache: dict[str, npt.NDArray[np.bool_]] = dataclasses.field(default_factory=dict)
    tag_pos: npt.NDArray[np.int64] | None = None
    # a lazy log: each behaviour's flags over the log's part of the universe, and its value for
    # a user without events (keyed by id(condition))
    flags: dict[int, tuple[npt.NDArray[np.bool_], bool]] | None = None

    @property
    def n(self) -> int:
        return len(self.universe)

    def per_user(self, by_code: npt.NDArray[Any]) -> npt.NDArray[Any]:
        """Spread a per-vocabulary-code array over the universe (0 for users not in the log)."""
        out = np.zeros(self.n, dtype=by_code.dtype)
        out[: len(self.log_codes)] = by_code[self.log_codes]
        return out


def _registry(segments: Mapping[str, Segment] | Iterable[Segment] | None) -> dict[str, Segment]:
    if segments is None:
        return {}
    given: object = segments
    if isinstance(given, (str, bytes, Segment)) or not hasattr(given, "__iter__"):
        raise InvalidParameterError(
            f"Invalid segments of type {type(segments).__name__}. Expected a list of Segment "
            "objects or a mapping from name to Segment."
        )
    items = (
        segments.items()
        if isinstance(segments, Mapping)
        else ((getattr(s, "name", None), s) for s in segments)
    )
    out: dict[str, Segment] = {}
    for name, seg in items:
        if not isinstance(seg, Segment):
            raise InvalidParameterError(
                f"segments must hold Segment objects, got {type(seg).__name__} for {name!r}. "
                "Hint: pass {name: Segment(...)} or a list of Segment"
            )
        out[str(name)] = seg
    return out


def _users_frame(users: pd.DataFrame | None) -> tuple[pd.DataFrame | None, pd.Index]:
    if users is None:
        return None, pd.Index([], dtype=object)
    if not isinstance(users, pd.DataFrame):
        raise InvalidParameterError(
            f"users must be a pandas DataFrame of user properties, got {type(users).__name__}. "
            "Hint: one row per user, with a 'user_id' column or index"
        )
    ids = pd.Index(users[_USER_COL]) if _USER_COL in users.columns else pd.Index(users.index)
    if bool(ids.hasnans):
        raise InvalidParameterError(
            f"users has {int(ids.isna().sum())} missing user id(s). Expected one id per row. "
            "Hint: drop those rows first"
        )
    if not ids.is_unique:
        dupes = ids[ids.duplicated()].unique()[:5].tolist()
        raise InvalidParameterError(
            f"users must have one row per user, got repeated ids {dupes}. Hint: "
            "users.drop_duplicates(subset='user_id', keep='last')"
        )
    return users, ids


def _resolve_as_of(log: EventLog | LazyEventLog | None, as_of: Any) -> int | None:
    """Return the query layer's as_of in ns: given or the log's (tag-only: naive read as UTC)."""
    if log is None:
        return check_instant(as_of, tz="UTC", name="as_of")
    if log.n_events == 0:
        raise InsufficientDataError(
            "The event log has no events, so no segment can be evaluated on it. Expected at "
            "least one event. Hint: check the filters that produced the log"
        )
    when = resolve_as_of(log, as_of)
    assert when is not None  # a log with events has an as_of
    return when.ns


def _context(
    log: EventLog | None,
    *,
    as_of_ns: int | None,
    tags: TagTable | None,
    users: pd.DataFrame | None,
    registry: dict[str, Segment],
    root: str,
    present: pd.Index | None = None,
    flags: dict[int, tuple[npt.NDArray[np.bool_], bool]] | None = None,
) -> _Context:
    if tags is not None and not isinstance(tags, TagTable):
        raise InvalidParameterError(
            f"tags must be a TagTable, got {type(tags).__name__}. Hint: build one with "
            "TagTable.from_pairs, from_properties or from_mapping"
        )
    frame, frame_ids = _users_frame(users)
    if present is not None:  # a lazy log's users with an event by as_of, in log order
        log_codes = np.arange(len(present), dtype=np.int64)
        ids = present
    elif log is None:
        log_codes = np.empty(0, dtype=np.int64)
        ids = pd.Index([], dtype=object)
    else:
        assert as_of_ns is not None
        ts = log.timestamps_ns
        if as_of_ns >= int(ts.max()):
            log_codes = np.asarray(log.present_user_codes, dtype=np.int64)
        else:
            seen = np.bincount(log.user_codes[ts <= as_of_ns], minlength=len(log.users))
            log_codes = np.flatnonzero(seen)
        ids = log.users.take(log_codes)
    parts = [ids]
    for extra in (tags.users if tags is not None else None, frame_ids):
        if extra is not None and len(extra):
            known = ids if len(parts) == 1 else ids.append(parts[1:])
            parts.append(extra[~extra.isin(known)])
    joined = parts[0].append(parts[1:]) if len(parts) > 1 else parts[0]
    universe: pd.Index = pd.Index(joined, name=_USER_COL)
    users_pos = None if frame is None else frame_ids.get_indexer(universe).astype(np.int64)
    return _Context(
        log=log,
        as_of_ns=as_of_ns,
        universe=universe,
        log_codes=log_codes,
        tags=tags,
        users=frame,
        users_pos=users_pos,
        registry=registry,
        stack=[root],
        flags=flags,
    )


# --------------------------------------------------------------------------------------------------
# property conditions (on user properties and on event properties)


def _column(frame: pd.DataFrame, name: str, *, what: str) -> pd.Series[Any]:
    if name not in frame.columns or name == _USER_COL:
        choices = [str(c) for c in frame.columns if c != _USER_COL]
        close = did_you_mean(name, choices)
        hint = f"did you mean {', '.join(map(repr, close))}?" if close else "check the name"
        raise InvalidParameterError(
            f"Unknown {what} {name!r}. Known {what}s: {choices}. Hint: {hint}"
        )
    col: pd.Series[Any] = frame[name]
    return col


def _positive_mask(values: pd.Series[Any], cond: PropertyCondition) -> npt.NDArray[np.bool_]:
    """Rows where the *positive* form of the operator holds (``ne`` -> ``eq`` ...)."""
    op = _NEGATED.get(cond.op, cond.op)
    present = np.asarray(values.notna(), dtype=bool)
    if op == "is_set":
        return present
    out = np.zeros(len(values), dtype=bool)
    sub = values[present]
    value = cond.value
    try:
        if op == "in":
            assert isinstance(value, tuple)
            res: Any = sub.isin(list(value))
        elif op == "contains":
            if not (
                pd.api.types.is_string_dtype(sub.dtype) or pd.api.types.is_object_dtype(sub.dtype)
            ):
                raise TypeError("contains needs text")
            is_text = np.asarray(sub.map(type) == str, dtype=bool)  # noqa: E721
            res = np.zeros(len(sub), dtype=bool)
            if is_text.any():
                texts = sub[is_text].astype(str)
                res[is_text] = np.asarray(texts.str.contains(str(value), regex=False), dtype=bool)
        elif op == "eq":
            res = sub == value
        elif op == "lt":
            res = sub < value
        elif op == "le":
            res = sub <= value
        elif op == "gt":
            res = sub > value
        else:  # ge
            res = sub >= value
    except TypeError:
        raise InvalidParameterError(
            f"Cannot apply {cond.describe()!r}: the property {cond.property!r} holds "
            f"{values.dtype} values, which cannot be compared with {value!r} "
            f"({type(value).__name__}). Hint: give a value of the column's type, or convert "
            "the column"
        ) from None
    if isinstance(res, pd.Series):
        res = res.to_numpy(dtype=bool, na_value=False)
    out[present] = np.asarray(res, dtype=bool)
    return out


def _user_property(cond: PropertyCondition, ctx: _Context) -> npt.NDArray[np.bool_]:
    if ctx.users is None or ctx.users_pos is None:
        raise InvalidParameterError(
            f"The segment has the user-property condition {cond.describe()!r} but no users= "
            "frame was given. Hint: pass users=<DataFrame of user properties with a "
            "'user_id' column or index>"
        )
    values = _column(ctx.users, cond.property, what="user property")
    row_mask = _positive_mask(values, cond)
    pos = ctx.users_pos
    found = pos >= 0
    out = np.zeros(ctx.n, dtype=bool)
    out[found] = row_mask[pos[found]]
    return ~out if cond.op in _NEGATED else out


# --------------------------------------------------------------------------------------------------
# behavioural conditions


def _ns(delta: dt.timedelta) -> int:
    return (delta // dt.timedelta(microseconds=1)) * 1000


def _compare(counts: npt.NDArray[np.int64], cond: BehaviourCondition) -> npt.NDArray[np.bool_]:
    out: npt.NDArray[np.bool_]
    if cond.comparison == "at_least":
        out = counts >= cond.times
    elif cond.comparison == "at_most":
        out = counts <= cond.times
    else:
        out = counts == cond.times
    return out


def _behaviour(cond: BehaviourCondition, ctx: _Context) -> npt.NDArray[np.bool_]:
    if ctx.flags is not None:  # counted in a lazy log's engine
        on_log, no_event = ctx.flags[id(cond)]
        spread = np.full(ctx.n, no_event, dtype=bool)
        spread[: len(on_log)] = on_log
        return spread
    log = ctx.log
    if log is None:
        raise InvalidParameterError(
            f"The segment has the behavioural condition {cond.describe()!r} but no events were "
            "given. Hint: pass the event log as the second argument"
        )
    as_of = ctx.as_of_ns
    assert as_of is not None
    by_code = _behaviour_by_code(cond, log, as_of)
    # users known only to tags or users= have no event: the value of the extra last slot
    out = np.full(ctx.n, by_code[-1], dtype=bool)
    out[: len(ctx.log_codes)] = by_code[ctx.log_codes]
    return out


def _behaviour_by_code(
    cond: BehaviourCondition, log: EventLog, as_of: int
) -> npt.NDArray[np.bool_]:
    """Evaluate the condition for every user code of the log's vocabulary, as of ``as_of``.

    Only the matching events are read: no calendar period, no pass over the other events'
    users.  A rolling window is the instants ``(as_of - window, as_of]``, compared on the
    int64 UTC nanoseconds directly; fixed dates are instants too.  The array has one slot
    more than the vocabulary: the last one holds the value for a user with no event at all.
    """
    # unknown names count as zero (UnknownEventWarning), or raise under strict_events()
    codes = event_codes(log, list(cond.event), param="event")
    ec = log.event_codes
    hit = ec == codes[0] if len(codes) == 1 else np.isin(ec, codes)
    idx = np.flatnonzero(hit)
    t = log.timestamps_ns[idx]
    keep = t <= as_of  # never look past as_of
    if not keep.all():
        idx, t = idx[keep], t[keep]
    if cond.where:
        ok = np.ones(len(idx), dtype=bool)
        for w in cond.where:  # a loop over the few filters, each vectorised over events
            prop = log.property_values(w.property).take(idx)
            m = _positive_mask(prop, w)
            ok &= ~m if w.op in _NEGATED else m
        idx, t = idx[ok], t[ok]
    u = log.user_codes[idx]
    n_vocab = len(log.users) + 1  # + a user without events
    counts = []
    for lo, hi in count_bounds(cond, log.tz, as_of):  # the few intervals, each vectorised
        if lo > hi:
            counts.append(np.zeros(n_vocab, dtype=np.int64))
            continue
        sel = u[(t >= lo) & (t <= hi)]
        counts.append(np.bincount(sel, minlength=n_vocab).astype(np.int64, copy=False))
    return behaviour_flags(cond, counts)


def count_bounds(cond: BehaviourCondition, tz: str, as_of: int) -> list[tuple[int, int]]:
    """Return the inclusive time bounds ``(lo, hi)`` of the counts a behaviour compares.

    Each is an interval of UTC ns within ``(-inf, as_of]`` (``lo > hi``: empty): the window
    W, then for ``first_time`` / ``stopped`` the time before W, then for ``started_again`` the
    time before the gap and the gap.  A rolling window is the instants ``(as_of - window,
    as_of]``; fixed dates are ``[start, end)``, cut at ``as_of``.
    """
    if cond.window is not None:
        w_start = as_of - _ns(cond.window) + 1  # first instant inside W
        w_end = as_of
    elif cond.start is not None or cond.end is not None:
        start_ns = check_instant(cond.start, tz=tz, name="start")
        end_ns = check_instant(cond.end, tz=tz, name="end")
        w_start = _MIN_NS if start_ns is None else start_ns
        w_end = as_of if end_ns is None else min(end_ns - 1, as_of)
    else:
        w_start, w_end = _MIN_NS, as_of
    out = [(w_start, w_end)]
    if cond.behaviour == "performed":
        return out
    # the count before W (started_again reads the time before the gap instead: left empty)
    out.append((_MIN_NS, w_start - 1) if cond.behaviour != "started_again" else (1, 0))
    if cond.behaviour == "started_again":
        gap = cond.gap_length
        assert gap is not None
        g_start = w_start - _ns(gap)
        out += [(_MIN_NS, g_start - 1), (g_start, w_start - 1)]
    return [(max(lo, _MIN_NS), hi) for lo, hi in out]  # a bound before 1677 is no bound


def behaviour_flags(
    cond: BehaviourCondition, counts: list[npt.NDArray[np.int64]]
) -> npt.NDArray[np.bool_]:
    """Apply a behaviour to its counts over :func:`count_bounds` (one array per interval)."""
    n_w = counts[0]
    out: npt.NDArray[np.bool_]
    if cond.behaviour == "performed":
        return _compare(n_w, cond)
    n_before = counts[1]
    if cond.behaviour == "first_time":
        out = (n_before == 0) & (n_w >= 1) & _compare(n_w, cond)
    elif cond.behaviour == "stopped":
        out = _compare(n_before, cond) & (n_w == 0)
    else:  # started_again
        n_prior, n_gap = counts[2], counts[3]
        out = (n_prior >= 1) & (n_gap == 0) & (n_w >= 1) & _compare(n_w, cond)
    return out


def _needs_an_event(cond: Condition) -> bool | None:
    """Whether the condition can be evaluated on event data alone, and implies an event.

    ``None``: the condition reads tags, user properties or other segments (it needs the whole
    universe).  ``True``: only behavioural conditions, and every user meeting it has a matching
    event at or before ``as_of`` (so is in the log's part of the universe).  ``False``: only
    behavioural conditions, but users without any event may meet it (``at most``, ``NOT``).
    """
    if isinstance(cond, BehaviourCondition):
        if cond.behaviour in ("first_time", "started_again"):
            return True  # both need an event inside the window
        # performed: the count in the window; stopped: the count before it
        return cond.comparison != "at_most" and cond.times >= 1
    if isinstance(cond, (AllOf, AnyOf, NoneOf)):
        parts = [_needs_an_event(c) for c in cond.conditions]
        if any(p is None for p in parts):
            return None
        if isinstance(cond, AllOf):
            return any(parts)
        if isinstance(cond, AnyOf):
            return all(parts)
        return False
    return None


def _by_code(cond: Condition, log: EventLog, as_of: int) -> npt.NDArray[np.bool_]:
    """Evaluate a tree of behavioural conditions for every user code of the vocabulary."""
    if isinstance(cond, (AllOf, AnyOf, NoneOf)):
        acc = _by_code(cond.conditions[0], log, as_of).copy()
        for c in cond.conditions[1:]:
            if isinstance(cond, AllOf):
                acc &= _by_code(c, log, as_of)
            else:
                acc |= _by_code(c, log, as_of)
        result: npt.NDArray[np.bool_] = ~acc if isinstance(cond, NoneOf) else acc
        return result
    assert isinstance(cond, BehaviourCondition)
    return _behaviour_by_code(cond, log, as_of)


# --------------------------------------------------------------------------------------------------
# tags, references and groups


def _tag_rule(cond: TagRule, ctx: _Context) -> npt.NDArray[np.bool_]:
    if ctx.tags is None:
        raise InvalidParameterError(
            f"The segment has the tag rule {cond.rule!r} but no tags= table was given. "
            "Hint: pass tags=TagTable.from_pairs(...)"
        )
    as_of = None if ctx.as_of_ns is None else pd.Timestamp(ctx.as_of_ns, unit="ns", tz="UTC")
    series = ctx.tags.evaluate(cond.node, as_of=as_of, users=ctx.universe)
    if ctx.tag_pos is None:
        ctx.tag_pos = series.index.get_indexer(ctx.universe).astype(np.int64)
    out: npt.NDArray[np.bool_] = series.to_numpy(dtype=bool)[ctx.tag_pos]
    return out


def _reference(cond: SegmentRef, ctx: _Context) -> npt.NDArray[np.bool_]:
    name = cond.segment
    if name in ctx.stack:
        raise SegmentCycleError([*ctx.stack[ctx.stack.index(name) :], name])
    if name not in ctx.cache:
        seg = ctx.registry.get(name)
        if seg is None:
            close = did_you_mean(name, ctx.registry)
            hint = (
                f"did you mean {', '.join(map(repr, close))}?"
                if close
                else "pass segments={name: Segment(...)} holding it"
            )
            raise InvalidParameterError(
                f"Segment {ctx.stack[-1]!r} refers to segment {name!r}, which is not in "
                f"segments= (known: {sorted(ctx.registry)}). Hint: {hint}"
            )
        ctx.stack.append(name)
        ctx.cache[name] = _visit(seg.condition, ctx)
        ctx.stack.pop()
    return ctx.cache[name]


def _visit(cond: Condition, ctx: _Context) -> npt.NDArray[np.bool_]:
    # a loop over the nodes of the tree; each node is vectorised over all users
    if isinstance(cond, (AllOf, AnyOf, NoneOf)):
        acc = _visit(cond.conditions[0], ctx).copy()
        for c in cond.conditions[1:]:
            if isinstance(cond, AllOf):
                acc &= _visit(c, ctx)
            else:
                acc |= _visit(c, ctx)
        result: npt.NDArray[np.bool_] = ~acc if isinstance(cond, NoneOf) else acc
        return result
    if isinstance(cond, TagRule):
        return _tag_rule(cond, ctx)
    if isinstance(cond, PropertyCondition):
        return _user_property(cond, ctx)
    if isinstance(cond, BehaviourCondition):
        return _behaviour(cond, ctx)
    return _reference(cond, ctx)


# --------------------------------------------------------------------------------------------------
# lazy logs: the behaviour counts in the engine, the tree on the one-row-per-user table

_Plan = list[tuple[BehaviourCondition, tuple[str, ...], Any]]
_Flags = dict[int, tuple[npt.NDArray[np.bool_], bool]]


def _behaviours(
    cond: Condition, registry: dict[str, Segment], seen: set[str], out: list[BehaviourCondition]
) -> None:
    """Append the behavioural conditions of a tree (and of the segments it refers to)."""
    if isinstance(cond, (AllOf, AnyOf, NoneOf)):
        for c in cond.conditions:
            _behaviours(c, registry, seen, out)
    elif isinstance(cond, BehaviourCondition):
        if all(c is not cond for c in out):
            out.append(cond)
    elif isinstance(cond, SegmentRef) and cond.segment in registry and cond.segment not in seen:
        seen.add(cond.segment)  # a loop is reported by the evaluation itself
        _behaviours(registry[cond.segment].condition, registry, seen, out)


def _lazy_plan(lazy: LazyEventLog, cond: Condition, registry: dict[str, Segment]) -> _Plan | None:
    """Each behaviour's raw event names and event-property filter, or None to collect instead.

    None when a filter has no engine form with the in-memory semantics (see
    :func:`~useropslib.events._lazyseg.where_expression`).  Unknown event names warn (or
    raise, when strict) here, as in memory.
    """
    conds: list[BehaviourCondition] = []
    _behaviours(cond, registry, set(), conds)
    wheres = []
    for c in conds:
        where = where_expression(lazy, c.where) if c.where else None
        if c.where and where is None:
            return None
        wheres.append(where)
    plan: _Plan = []
    for c, where in zip(conds, wheres, strict=True):
        codes = event_codes(lazy, list(c.event), param="event")  # type: ignore[arg-type]
        plan.append((c, event_filter(lazy, codes.tolist()), where))
    return plan


def _lazy_flags(
    lazy: LazyEventLog, plan: _Plan, ends: list[int], *, width: int = 16
) -> tuple[pd.Index, npt.NDArray[np.int64], list[_Flags]]:
    """Every behaviour's flags as of each of ``ends``, from per-user counts in the engine.

    The ends are taken in groups of about ``width`` counts, one grouped query each (every
    query reads the rows by the last end, so each returns the same users); a group's counts
    become flags at once, so only booleans are kept across groups.

    Returns the users with an event by the last end (log order), their first event's time, and
    per end the flags over the users present by then (``first <= end``).
    """
    layout: list[list[list[tuple[int, int]]]] = []
    for end in ends:  # a loop over periods and the tree's few behaviours
        layout.append([count_bounds(c, lazy.tz, end) for c, _, _ in plan])
    groups: list[list[int]] = [[]]
    n_terms = 0
    for i, per in enumerate(layout):
        size = sum(1 for bounds in per for lo, hi in bounds if lo <= hi)
        if groups[-1] and n_terms + size > width:
            groups.append([])
            n_terms = 0
        groups[-1].append(i)
        n_terms += size
    none = np.zeros(1, dtype=np.int64)
    no_event = {id(c): bool(behaviour_flags(c, [none] * 4)[0]) for c, _, _ in plan}
    users: pd.Index = pd.Index([], dtype=object)
    first = np.zeros(0, dtype=np.int64)
    out: list[_Flags] = []
    for group in groups:
        keys: dict[tuple[int, int, int], int] = {}
        terms: list[tuple[tuple[str, ...], Any, int, int]] = []
        for i in group:
            for k, (bounds, (_, names, where)) in enumerate(zip(layout[i], plan, strict=True)):
                for lo, hi in bounds:
                    if lo <= hi and (k, lo, hi) not in keys:
                        keys[(k, lo, hi)] = len(terms)
                        terms.append((names, where, lo, hi))
        got_users, got_first, counts = interval_counts(lazy, max(ends), terms, ids=not out)
        if not out:  # the first group's query collects the ids, the later ones only counts
            users, first = got_users, got_first
        else:
            same_rows(len(got_users), len(users))
        for i in group:
            present = first <= ends[i]
            zeros = np.zeros(int(present.sum()), dtype=np.int64)
            flags: _Flags = {}
            for k, (bounds, (c, _, _)) in enumerate(zip(layout[i], plan, strict=True)):
                arrays = [
                    counts[keys[(k, lo, hi)]][present] if lo <= hi else zeros for lo, hi in bounds
                ]
                flags[id(c)] = (behaviour_flags(c, arrays), no_event[id(c)])
            out.append(flags)
        del counts
    return users, first, out


def _lazy_evaluate(
    lazy: LazyEventLog,
    seg: Segment,
    *,
    tags: TagTable | None,
    users: pd.DataFrame | None,
    as_of: Any,
    segments: Mapping[str, Segment] | Iterable[Segment] | None,
) -> pd.Series[bool] | None:
    """Evaluate a segment on a lazy log from one grouped query (None: collect instead)."""
    if lazy.n_events == 0:
        return None  # nothing to collect: the in-memory route applies its empty-data policy
    as_of_ns = _resolve_as_of(lazy, as_of)
    assert as_of_ns is not None
    registry = _registry(segments)
    empty = pd.Index([], dtype=object)
    _context(
        None, as_of_ns=as_of_ns, tags=tags, users=users, registry=registry, root="", present=empty
    )  # the argument checks, before any query
    plan = _lazy_plan(lazy, seg.condition, registry)
    if plan is None:
        return None
    ids, _, flags = _lazy_flags(lazy, plan, [as_of_ns])
    ctx = _context(
        None,
        as_of_ns=as_of_ns,
        tags=tags,
        users=users,
        registry=registry,
        root=seg.name,
        present=pd.Index(ids, name=_USER_COL),
        flags=flags[0],
    )
    mask = _visit(seg.condition, ctx)
    out: pd.Series[bool] = pd.Series(mask, index=ctx.universe, name=seg.name)
    return out


# --------------------------------------------------------------------------------------------------
# public functions


def _check_segment(segment: object) -> Segment:
    if not isinstance(segment, Segment):
        raise InvalidParameterError(
            f"segment must be a useropslib.models.Segment, got {type(segment).__name__}. Hint: "
            "build one with Segment(name=..., condition=...) or Segment(name=..., rule='...')"
        )
    return segment


def _log_or_none(events: EventsLike | None) -> EventLog | None:
    return None if events is None else as_event_log(events)


def evaluate_segment(
    events: EventsLike | None,
    segment: Segment,
    *,
    tags: TagTable | None = None,
    users: pd.DataFrame | None = None,
    as_of: DateLike | None = None,
    segments: Mapping[str, Segment] | Iterable[Segment] | None = None,
) -> pd.Series[bool]:
    """Return, for every user of the universe, whether they are in the segment as of a date.

    Parameters
    ----------
    segment, events, tags, users, as_of, segments
        As in :func:`members`.

    Returns
    -------
    pandas.Series of bool
        Indexed by ``user_id`` over the universe (see :func:`members`), named by the segment.

    Raises
    ------
    InvalidParameterError, InsufficientDataError, SegmentCycleError
        As in :func:`members`.

    Examples
    --------
    >>> tags = TagTable.from_mapping({"u1": ["vip"], "u2": []})
    >>> evaluate_segment(None, Segment(name="vip", rule="vip"), tags=tags)
    user_id
    u1     True
    u2    False
    Name: vip, dtype: bool
    """
    seg = _check_segment(segment)
    if isinstance(events, LazyEventLog):  # one GROUP BY user in the engine when it can
        got = _lazy_evaluate(events, seg, tags=tags, users=users, as_of=as_of, segments=segments)
        if got is not None:
            return got
    log = _log_or_none(events)
    if log is not None and log.n_events == 0 and tags is None and users is None:
        # flags per user count: an empty log flags nobody (the empty-data policy)
        _registry(segments)  # same checks as the general path
        warn_empty(
            f"evaluate_segment: the event log has no events, so segment {seg.name!r} flags no user",
            hint="check the filters that produced the log",
        )
        nobody: pd.Series[bool] = pd.Series(
            np.zeros(0, dtype=bool), index=pd.Index([], name=_USER_COL, dtype=object), name=seg.name
        ).astype(bool)
        return nobody
    as_of_ns = _resolve_as_of(log, as_of)
    ctx = _context(
        log,
        as_of_ns=as_of_ns,
        tags=tags,
        users=users,
        registry=_registry(segments),
        root=seg.name,
    )
    mask = _visit(seg.condition, ctx)
    out: pd.Series[bool] = pd.Series(mask, index=ctx.universe, name=seg.name)
    return out


def members(
    events: EventsLike | None,
    segment: Segment,
    *,
    tags: TagTable | None = None,
    users: pd.DataFrame | None = None,
    as_of: DateLike | None = None,
    segments: Mapping[str, Segment] | Iterable[Segment] | None = None,
) -> pd.Index:
    """Return the ids of the users in a segment as of a date (分群成员).

    Parameters
    ----------
    segment : Segment
        The segment (a condition tree).
    events : EventLog, LazyEventLog, DataFrame or None
        The event log; behavioural conditions count its events (on a ``LazyEventLog``, per
        user in its engine: one row per user with an event by ``as_of`` is collected).
        ``None`` is allowed when the segment has no behavioural condition (then the universe is
        the users of ``tags`` and ``users``).
    tags : TagTable, optional
        Tags for :class:`~useropslib.models.TagRule` conditions, read at ``as_of`` when they have
        validity intervals.
    users : pandas.DataFrame, optional
        User properties for :class:`~useropslib.models.PropertyCondition`: one row per user,
        with a ``user_id`` column or the ids as index.
    as_of : str, datetime or Timestamp, optional
        The date at which membership is asked; naive values are read in the log's time zone.
        Default: the log's ``as_of`` (without events: tags are read at the end of their
        history).  Events after it are never read.
    segments : mapping of name to Segment, or iterable of Segment, optional
        The segments that :class:`~useropslib.models.SegmentRef` conditions refer to.

    Returns
    -------
    pandas.Index
        Member ids, named ``user_id``, in universe order: users of the log with an event at or
        before ``as_of`` (by first appearance in the log), then users known only to ``tags``,
        then users known only to ``users``.

    Raises
    ------
    InvalidParameterError
        For unknown events or properties (with close names), a tag rule without ``tags``, a
        property condition without ``users``, a reference to a segment not in ``segments``, a
        property compared with a value of another type, an ``as_of`` before the first event
        (as everywhere in the library).
    SegmentCycleError
        When segment references loop; the message names the cycle.
    InsufficientDataError
        When the log is empty.

    Warns
    -----
    UnknownTagWarning
        When a tag rule refers to tags no user carries.
    InsufficientDataWarning
        When the segment has no member.

    See Also
    --------
    membership : Who entered and left the segment in each period.
    useropslib.models.Segment : The condition tree.

    Notes
    -----
    The universe is every user the evaluation knows about as of ``as_of``; ``NOT`` and
    ``NoneOf`` are complements within it, so ``members(~c) + members(c)`` is the universe.
    ``members(log, seg, as_of=t)`` equals ``members(log.until(t), seg)``.  DESIGN.md's
    ``seg.members(tags, as_of=...)`` is this function: models cannot import the evaluation
    layer, so write ``members(log, seg, tags=tags, as_of=...)``.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({
    ...     "user_id": ["a", "a", "a", "b", "b", "c"],
    ...     "event": ["purchase"] * 5 + ["open"],
    ...     "timestamp": pd.to_datetime(["2024-05-01", "2024-05-20", "2024-05-28",
    ...                                  "2024-03-01", "2024-05-25", "2024-05-30"], utc=True),
    ... })
    >>> buyers = Segment(name="buyers",
    ...                  condition=BehaviourCondition(event="purchase", times=2, window="30D"))
    >>> members(df, buyers).tolist()
    ['a']
    >>> members(df, buyers, as_of="2024-05-21").tolist()
    ['a']
    >>> members(df, Segment(name="not_buyers", condition=~buyers.condition)).tolist()
    ['b', 'c']
    """
    seg = _check_segment(segment)
    out: pd.Index
    n_events = len(events) if isinstance(events, pd.DataFrame) else getattr(events, "n_events", 1)
    if (
        events is not None
        and n_events == 0
        and tags is None
        and users is None
        and _needs_an_event(seg.condition) is True
    ):
        # membership counts: an empty log has no members (the empty-data policy)
        warn_empty(
            f"members: the event log has no events, so segment {seg.name!r} has no members",
            hint="check the filters that produced the log",
        )
        return pd.Index([], name=_USER_COL, dtype=object)
    if (
        events is not None
        and not isinstance(events, LazyEventLog)  # a lazy log counts in its engine
        and tags is None
        and users is None
        and _needs_an_event(seg.condition) is True
    ):
        # Only behavioural conditions, and every member has an event: the members are the
        # flagged user codes, in code order (the universe's order), without building the
        # universe (a pass over every event's user).
        _registry(segments)  # same checks as the general path
        log = as_event_log(events)
        as_of_ns = _resolve_as_of(log, as_of)
        assert as_of_ns is not None
        flags = _by_code(seg.condition, log, as_of_ns)[:-1]
        out = pd.Index(log.users.take(np.flatnonzero(flags)), name=_USER_COL)
        n_universe = -1 if len(out) else _n_present(log, as_of_ns)
    else:
        flagged = evaluate_segment(
            events, seg, tags=tags, users=users, as_of=as_of, segments=segments
        )
        out = flagged.index[flagged.to_numpy()]
        n_universe = len(flagged)
    if len(out) == 0:
        warnings.warn(
            f"Segment {seg.name!r} has no members among {n_universe} users. Hint: check "
            "the conditions and as_of",
            InsufficientDataWarning,
            stacklevel=2,
        )
    return out


def _n_present(log: EventLog, as_of_ns: int) -> int:
    """Count the users with an event at or before ``as_of_ns``."""
    ts = log.timestamps_ns
    if as_of_ns >= int(ts.max()):
        return log.n_users
    return int(np.count_nonzero(np.bincount(log.user_codes[ts <= as_of_ns])))


def membership(
    events: EventsLike,
    segment: Segment,
    *,
    period: Period | str = "week",
    tags: TagTable | None = None,
    users: pd.DataFrame | None = None,
    as_of: DateLike | None = None,
    segments: Mapping[str, Segment] | Iterable[Segment] | None = None,
) -> MembershipResult:
    """Return the segment's size, who entered and who left it, in each calendar period.

    Membership is evaluated at the end of every period from the one holding the first event
    to the one holding ``as_of`` (the last one ends at ``as_of``), each time with that end as
    ``as_of``.  A user *entered* in a period when a member at its end but not at the end of
    the previous period, and *left* when the other way round.

    Parameters
    ----------
    segment : Segment
        The segment.
    events : EventLog, LazyEventLog or DataFrame
        The event log.
    period : {"hour", "day", "week", "month"}, default "week"
        Calendar period, in the log's time zone and week start.
    tags, users, as_of, segments
        As in :func:`members`.

    Returns
    -------
    MembershipResult
        ``table`` (per period: ``size``, ``entered``, ``left``), ``changes`` (one row per user
        and change: ``period``, ``user_id``, ``change``), ``entered(p)``, ``left(p)``,
        ``to_frame()``, ``to_dict()``, ``plot()``.

    Raises
    ------
    InvalidParameterError, InsufficientDataError, SegmentCycleError
        As in :func:`members`; also for an unknown period.

    Warns
    -----
    InsufficientDataWarning
        When the segment has no member in any period (``changes`` is then empty and every
        ``size`` is 0).

    See Also
    --------
    members : The members at one date.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({
    ...     "user_id": ["a", "b", "a"],
    ...     "event": ["open"] * 3,
    ...     "timestamp": pd.to_datetime(["2024-05-01", "2024-05-08", "2024-05-15"], utc=True),
    ... })
    >>> weekly = Segment(name="weekly", condition=BehaviourCondition(event="open", window="7D"))
    >>> res = membership(df, weekly)
    >>> res.table
                               size  entered  left
    period_start
    2024-04-29 00:00:00+00:00     1        1     0
    2024-05-06 00:00:00+00:00     1        1     1
    2024-05-13 00:00:00+00:00     1        1     1
    >>> res.changes
                         period user_id   change
    0 2024-04-29 00:00:00+00:00       a  entered
    1 2024-05-06 00:00:00+00:00       b  entered
    2 2024-05-06 00:00:00+00:00       a     left
    3 2024-05-13 00:00:00+00:00       a  entered
    4 2024-05-13 00:00:00+00:00       b     left
    >>> res.left("2024-05-13").tolist()
    ['b']

    In the last week membership is read at ``as_of`` (2024-05-15 00:00), whose 7-day window
    starts just after 2024-05-08 00:00, so b's event has left it.
    """
    seg = _check_segment(segment)
    p = parse_period(period)
    registry = _registry(segments)
    lazy = events if isinstance(events, LazyEventLog) and events.n_events > 0 else None
    log: EventLog | LazyEventLog = as_event_log(events) if lazy is None else lazy
    if log.n_events == 0:
        # sizes per period count: an empty log has no period and no member (empty-data policy)
        warn_empty(
            f"membership: the event log has no events, so segment {seg.name!r} has no members",
            hint="check the filters that produced the log",
        )
        given = check_instant(as_of, tz=log.tz, name="as_of")
        return MembershipResult(
            params={"segment": seg.name, "period": p},
            as_of=None if given is None else stamp(given, log.tz),
            table=pd.DataFrame(
                {c: pd.Series([], dtype=np.int64) for c in ("size", "entered", "left")},
                index=pd.DatetimeIndex([], tz=log.tz, name="period_start"),
            ),
            changes=pd.DataFrame(
                {
                    "period": pd.DatetimeIndex([], tz=log.tz),
                    _USER_COL: pd.Index([], dtype=object),
                    "change": pd.Index([], dtype=object),
                }
            ),
        )
    as_of_ns = _resolve_as_of(log, as_of)
    assert as_of_ns is not None
    plan = None
    if lazy is not None:
        _context(
            None,
            as_of_ns=as_of_ns,
            tags=tags,
            users=users,
            registry=registry,
            root="",
            present=pd.Index([], dtype=object),
        )  # the argument checks, before any query
        plan = _lazy_plan(lazy, seg.condition, registry)
        if plan is None:  # an event-property filter without an engine form: collect
            log = as_event_log(events)
    if isinstance(log, LazyEventLog):
        start = log.start
        assert start is not None
        t0 = int(start.value)
    else:
        t0 = int(log.timestamps_ns.min())
    first = np.array([t0, as_of_ns], dtype=np.int64)
    c0, c1 = period_codes(first, p, tz=log.tz, week_start=log.week_start).tolist()
    starts = period_starts(np.arange(c0, c1 + 2), p, tz=log.tz, week_start=log.week_start)
    ends = starts.as_unit("ns").asi8[1:] - 1
    ends[-1] = min(int(ends[-1]), as_of_ns)
    lazy_ids: pd.Index = pd.Index([], dtype=object)
    lazy_first = np.zeros(0, dtype=np.int64)
    lazy_flags: list[_Flags] = []
    if isinstance(log, LazyEventLog) and plan is not None:  # one grouped query, every period
        lazy_ids, lazy_first, lazy_flags = _lazy_flags(log, plan, ends.tolist())
    frames = []
    n_periods = len(ends)
    sizes = np.zeros(n_periods, dtype=np.int64)
    n_in = np.zeros(n_periods, dtype=np.int64)
    n_out = np.zeros(n_periods, dtype=np.int64)
    prev = pd.Index([], dtype=object, name=_USER_COL)
    for i, end in enumerate(ends.tolist()):  # a loop over periods, each vectorised over users
        if isinstance(log, LazyEventLog):
            ctx = _context(
                None,
                as_of_ns=end,
                tags=tags,
                users=users,
                registry=registry,
                root=seg.name,
                present=pd.Index(lazy_ids[lazy_first <= end], name=_USER_COL),
                flags=lazy_flags[i],
            )
        else:
            ctx = _context(
                log, as_of_ns=end, tags=tags, users=users, registry=registry, root=seg.name
            )
        mask = _visit(seg.condition, ctx)
        now = ctx.universe[mask]
        entered = now[~now.isin(prev)]
        left = prev[~prev.isin(now)]
        sizes[i], n_in[i], n_out[i] = len(now), len(entered), len(left)
        if len(entered) or len(left):
            frames.append(
                pd.DataFrame(
                    {
                        "period": starts[i],
                        _USER_COL: entered.append(left),
                        "change": ["entered"] * len(entered) + ["left"] * len(left),
                    }
                )
            )
        prev = now
    if not sizes.any():
        warnings.warn(
            f"Segment {seg.name!r} has no members in any {p} up to as_of; the result is empty. "
            "Hint: check the conditions",
            InsufficientDataWarning,
            stacklevel=2,
        )
    changes: pd.DataFrame
    if frames:
        changes = pd.concat(frames, ignore_index=True)
    else:
        changes = pd.DataFrame(
            {
                "period": pd.DatetimeIndex([], tz=log.tz),
                _USER_COL: pd.Index([], dtype=object),
                "change": pd.Index([], dtype=object),
            }
        )
    table = pd.DataFrame(
        {"size": sizes, "entered": n_in, "left": n_out},
        index=pd.DatetimeIndex(starts[:n_periods], name="period_start"),
    )
    return MembershipResult(
        params={"segment": seg.name, "period": p},
        as_of=stamp(as_of_ns, log.tz),
        table=table,
        changes=changes,
    )
