"""Shared internals of the paths package: one sort, session splits, labels and path cleaning.

Every paths function runs the same few steps on the encoded arrays of an
:class:`~useropslib.events.EventLog`:

1. **Labels.** A lookup table over event codes gives each event its path label: its own name,
   the group a mapping puts it in (exact names or shell-style patterns, matched with
   :mod:`fnmatch`, never evaluated), or -1 when ``include``/``exclude`` drop it.
2. **No sort**: the rows in (user, time, tie rule) order are read off the log's per-user index
   (:mod:`useropslib.events._userindex`, built once per log and shared by every call).  The tie
   rule orders events at the same instant: ``"input"`` keeps the log's row order (the index's
   own order), ``"name"`` orders them by event name, a list orders them by its own rank; only
   the runs of tied events are re-sorted, by a stable sort of those positions alone.
3. **Units.** A path is a user's whole history (``within="user"``) or one session
   (``within="session"``); sessions start at a user's first event, after a gap of at least (or
   more than) the timeout, optionally at local midnight or at a session-start event.  Unit ids are
   a ``cumsum`` of the "starts a new unit" flags, so they are sorted with the rows.
4. **Cleaning.** Immediate repeats of a label inside a unit collapse to the first or the last of
   the run (``np.diff`` of labels and units).

No Python loop runs over users or events.
"""

from __future__ import annotations

import contextlib
import contextvars
import dataclasses
import fnmatch
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any, Literal, TypeAlias

import numpy as np
import numpy.typing as npt
import pandas as pd

from useropslib._checks import check_choice
from useropslib.events import EventLog, EventsLike, LazyEventLog, check_tz
from useropslib.events._query import (
    AsOf,
    EventSelector,
    check_grain,
    check_instant,
    event_codes,
    load,
    resolve_as_of,
    user_index,
    warn_empty,
)
from useropslib.events._time import NS_PER_DAY, local_ns
from useropslib.exceptions import InvalidParameterError, clip, did_you_mean
from useropslib.metrics import MetricResult
from useropslib.models import parse_window

__all__ = [
    "MAX_STEPS",
    "Collapse",
    "Framed",
    "Ordered",
    "Split",
    "TableResult",
    "Ties",
    "Within",
    "check_collapse",
    "check_steps",
    "collapse_mask",
    "event_code",
    "first_time_per_user",
    "frame_paths",
    "label_table",
    "lazy_as_of",
    "name_categorical",
    "open_log",
    "order_events",
    "selected_codes",
    "session_flags",
    "session_table",
    "sharing_order",
    "tie_keys",
    "timeout_ns",
    "until_ns",
    "zoned_times",
]

I64: TypeAlias = npt.NDArray[np.int64]
Bools: TypeAlias = npt.NDArray[np.bool_]
Ties: TypeAlias = Literal["input", "name"] | Sequence[str]
Split: TypeAlias = Literal[">=", ">"]
Within: TypeAlias = Literal["user", "session"]
Collapse: TypeAlias = Literal["first", "last"] | None

#: Upper bound of ``steps``: a path table of k steps over E labels can hold E**k distinct
#: paths and a step matrix E x k cells; beyond 50 steps the answer is unreadable and the
#: per-path arrays (paths x steps) outgrow memory on large logs.  Use transitions for whole
#: histories.
MAX_STEPS = 50


@dataclasses.dataclass(frozen=True, repr=False, eq=False)
class TableResult(MetricResult):
    """A result whose answer is one ``table``: :meth:`to_frame` returns a copy of it."""

    def to_frame(self) -> pd.DataFrame:
        """Return the result's table (a copy).

        Returns
        -------
        pandas.DataFrame
        """
        table: pd.DataFrame = getattr(self, "table")  # noqa: B009 - every subclass has one
        out: pd.DataFrame = table.copy()
        return out


def name_categorical(codes: I64, names: pd.Index) -> pd.Categorical:
    """Event codes as a categorical over the names in sorted order (independent of code order)."""
    text = np.asarray([str(x) for x in names], dtype=object)
    order = np.argsort(text, kind="stable")
    rank = np.empty(len(text), dtype=np.int64)
    rank[order] = np.arange(len(text))
    return pd.Categorical.from_codes(rank[codes], categories=pd.Index(text[order]))


def zoned_times(ns: I64, zone: str) -> pd.DatetimeIndex:
    """Return UTC nanoseconds as aware times in ``zone`` (a view of the int64s, zone set once)."""
    utc = pd.DatetimeIndex(np.ascontiguousarray(ns, dtype=np.int64).view("M8[ns]"))
    out_: pd.DatetimeIndex = utc.tz_localize("UTC").tz_convert(zone)
    return out_


def session_table(
    users: pd.Index,
    *,
    user: I64,
    number: I64,
    start: I64,
    end: I64,
    events: I64,
    first: I64,
    last: I64,
    names: pd.Index,
    zone: str,
) -> pd.DataFrame:
    """Build the session table from per-session arrays (codes, UTC ns), one block a column.

    The columns are given to pandas without the consolidation copy (``copy=False``): every
    array here is freshly made by the caller, and the object ids are one numpy ``take``.
    """
    # an object vocabulary is gathered as a numpy array (twice as fast as Index.take)
    ids: Any = users.to_numpy().take(user) if users.dtype == object else users.take(user)
    out_: pd.DataFrame = pd.DataFrame(
        {
            "user_id": ids,
            "session": np.ascontiguousarray(number, dtype=np.int64),
            "start": zoned_times(start, zone),
            "end": zoned_times(end, zone),
            "duration": pd.TimedeltaIndex((end - start).astype(np.int64).view("m8[ns]")),
            "events": np.ascontiguousarray(events, dtype=np.int64),
            # categoricals: no object arrays to build
            "first_event": name_categorical(first, names),
            "last_event": name_categorical(last, names),
        },
        copy=False,
    )
    return out_


def check_collapse(collapse: Any) -> Collapse:
    """Check a collapse rule: None, ``"first"`` or ``"last"``."""
    if collapse is None:
        return None
    how = check_choice(collapse, ("first", "last"), "collapse", hint="None keeps repeats.")
    return "first" if how == "first" else "last"


def selected_codes(log: EventLog, spec: Any, *, param: str) -> I64:
    """Codes of the events a spec names, read by the shared :class:`EventSelector`.

    Names the log does not know count as no event, with an ``UnknownEventWarning`` (an error
    under ``strict_events()``).  Paths label events by name, so property filters are refused.
    """
    sel = EventSelector.parse(spec, param=param, allow_any=False)
    if sel.needs_rows:
        raise InvalidParameterError(
            f"Invalid {param}={clip(repr(spec))}: property filters are not accepted here, paths "
            f"label events by name. Expected an event name or a list of names. Hint: filter the "
            f"log first (log.filter(...)) and pass {param}={list(sel.names or [])!r}."
        )
    return sel.codes(log)


def event_code(log: EventLog, name: Any, *, param: str) -> int:
    """Code of one named event; -1 (with an ``UnknownEventWarning``) when the log lacks it."""
    if not isinstance(name, str):
        raise InvalidParameterError(
            f"Invalid {param}={clip(repr(name))}. Expected one event name. Hint: "
            f"{param}='purchase'."
        )
    return int(event_codes(log, [name], param=param)[0])


def check_steps(steps: Any, *, name: str = "steps") -> int:
    """Validate a number of path steps (1..MAX_STEPS)."""
    if isinstance(steps, bool) or not isinstance(steps, int | np.integer):
        raise InvalidParameterError(
            f"{name} must be an integer, got {steps!r} ({type(steps).__name__}). Hint: e.g. "
            f"{name}=5."
        )
    if not 1 <= int(steps) <= MAX_STEPS:
        raise InvalidParameterError(
            f"{name} must be between 1 and {MAX_STEPS}, got {steps}. The number of distinct "
            f"paths grows as (events)**{name} and the per-path arrays as paths x {name}, so "
            f"longer paths are unreadable and can exhaust memory. Hint: use transitions() for "
            "whole histories, or start/end points to focus the paths."
        )
    return int(steps)


def timeout_ns(timeout: Any) -> int:
    """Parse a session timeout (``"30min"``, a timedelta) into positive nanoseconds."""
    if isinstance(timeout, (bool, int | float | np.number)):
        raise InvalidParameterError(
            f"timeout must be a duration such as '30min' or a timedelta, got the number "
            f"{timeout!r} (seconds or minutes?). Hint: timeout='30min'."
        )
    if isinstance(timeout, pd.Timedelta) and timeout <= pd.Timedelta(0):
        raise InvalidParameterError(
            f"timeout must be positive, got {timeout!r}. Hint: timeout='30min' (the default "
            "of PostHog, Amplitude and Mixpanel)."
        )
    try:
        window = parse_window(timeout)
    except InvalidParameterError as exc:
        raise InvalidParameterError(
            f"Invalid session timeout {timeout!r}: {exc} Hint: timeout='30min' (the default "
            "of PostHog, Amplitude and Mixpanel)."
        ) from None
    return int(pd.Timedelta(window).value)


def label_table(
    log: EventLog,
    *,
    include: Iterable[str] | str | None = None,
    exclude: Iterable[str] | str | None = None,
    group: Mapping[str, str] | None = None,
) -> tuple[I64, pd.Index]:
    """Return the label code of every event code (-1 = dropped) and the label names.

    ``group`` maps event names or shell-style patterns (``*``, ``?``, ``[seq]``) to a label;
    an exact name wins over a pattern, and among patterns the first listed wins.  ``include``
    and ``exclude`` name events (not labels) and are applied first.
    """
    names = [str(n) for n in log.event_names]
    n = len(names)
    keep = np.ones(n, dtype=bool)
    if include is not None:
        keep[:] = False
        keep[selected_codes(log, include, param="include")] = True
    if exclude is not None:
        keep[selected_codes(log, exclude, param="exclude")] = False
    label_of = list(names)
    if group is not None and not isinstance(group, Mapping):
        raise InvalidParameterError(
            f"group must be a mapping from event names or patterns to labels, got "
            f"{type(group).__name__}. Hint: group={{'view_*': 'view', 'buy': 'purchase'}}."
        )
    if group:
        if not isinstance(group, Mapping):
            raise InvalidParameterError(
                f"group must be a mapping from event names or patterns to labels, got "
                f"{type(group).__name__}. Hint: group={{'view_*': 'view', 'buy': 'purchase'}}."
            )
        assigned = [False] * n
        index = {name: i for i, name in enumerate(names)}
        for key, value in group.items():
            if not isinstance(key, str) or not isinstance(value, str):
                raise InvalidParameterError(
                    f"group keys and labels must be strings, got {key!r}: {value!r}. Hint: "
                    "group={'view_*': 'view'}."
                )
            if key in index:
                label_of[index[key]] = value
                assigned[index[key]] = True
        for key, value in group.items():
            if key in index:
                continue
            hits = [i for i in range(n) if fnmatch.fnmatchcase(names[i], key)]
            if not hits:
                close = did_you_mean(key, names)
                hint = f" Did you mean {close[0]!r}?" if close else ""
                raise InvalidParameterError(
                    f"group key {key!r} matches no event name (exactly or as a pattern with "
                    f"*, ? and [...]).{hint} Known events: {names[:20]}."
                )
            for i in hits:
                if not assigned[i]:
                    label_of[i] = value
                    assigned[i] = True
    kept_labels = [label_of[i] for i in range(n) if keep[i]]
    labels = pd.Index(sorted(set(kept_labels)), dtype=object)
    codes = np.full(n, -1, dtype=np.int64)
    if len(labels):
        pos = labels.get_indexer(pd.Index(label_of, dtype=object))
        codes[keep] = pos[keep]
    return codes, labels


def tie_keys(log: EventLog, ties: Any) -> tuple[I64 | None, int]:
    """Rank of each event code under the tie rule (None: keep input order) and the rank count."""
    if isinstance(ties, str):
        check_choice(ties, ("input", "name"), "ties", hint="ties='name' orders by event name.")
        if ties == "input":
            return None, 1
        names = pd.Index([str(n) for n in log.event_names])
        rank = np.empty(len(names), dtype=np.int64)
        rank[np.argsort(names.to_numpy(dtype=object), kind="stable")] = np.arange(len(names))
        return rank, max(len(names), 1)
    if not isinstance(ties, Sequence):
        raise InvalidParameterError(
            f"ties must be 'input', 'name' or a list of event names, got {ties!r}. Hint: "
            "ties='name' orders events at the same instant by name."
        )
    order = list(ties)
    codes = selected_codes(log, order, param="ties") if order else np.empty(0, dtype=np.int64)
    # listed events first, in the list's order; the others after them, by name
    names = [str(n) for n in log.event_names]
    rank = np.full(len(names), -1, dtype=np.int64)
    rank[codes[::-1]] = np.arange(len(codes))[::-1]
    rest = np.flatnonzero(rank < 0)
    rest = rest[np.argsort(np.asarray(names, dtype=object)[rest], kind="stable")]
    rank[rest] = len(codes) + np.arange(rest.size)
    return rank, max(len(names), 1)


@dataclasses.dataclass(frozen=True, eq=False)
class Ordered:
    """The kept events of a log in (user, time, tie) order, with their labels."""

    log: EventLog
    rows: I64  # positions in the log
    user: I64
    t: I64
    event: I64  # event code
    label: I64  # label code, -1 for events left out by include/exclude
    labels: pd.Index


#: The ordered rows and session units of the calls inside :func:`sharing_order` (None outside).
_SHARED: contextvars.ContextVar[dict[Any, Any] | None] = contextvars.ContextVar(
    "useropslib_paths_shared_order", default=None
)


@contextlib.contextmanager
def sharing_order() -> Iterator[None]:
    """Let the paths calls inside the block share their ordered rows and session numbers.

    Calls on the same log with the same ordering options (ties, include, exclude, group,
    ``as_of``) read one :class:`Ordered`, and those with the same session rule one array of
    session numbers, instead of each computing its own (the report runs transitions and top
    paths on one log).  The shared arrays are read-only; everything is released on leaving the
    block.  Outside such a block every call computes its own, as before.
    """
    token = _SHARED.set({})
    try:
        yield
    finally:
        _SHARED.reset(token)


def _option_key(value: Any) -> Any:
    """Return a hashable form of an include/exclude/group/ties option (None: none exists)."""
    if value is None or isinstance(value, str | int | float | bool):
        return value
    if isinstance(value, Mapping):
        items = [(_option_key(k), _option_key(v)) for k, v in value.items()]
        return ("map", tuple(items))
    if isinstance(value, Iterable):
        return ("seq", tuple(_option_key(v) for v in value))
    return None


def _readonly(o: Ordered) -> Ordered:
    for a in (o.rows, o.user, o.t, o.event, o.label):
        a.setflags(write=False)
    return o


def order_events(
    log: EventLog,
    *,
    ties: Any = "name",
    include: Iterable[str] | str | None = None,
    exclude: Iterable[str] | str | None = None,
    group: Mapping[str, str] | None = None,
    until: int | None = None,
) -> Ordered:
    """Order the events of ``log`` by (user, time, tie rule) and label them (-1: dropped).

    The order is read off the log's per-user index (built once and cached on the log, shared
    with sessions, funnels and every other paths call), which holds the rows in (user, time,
    row) order: the ``ties="input"`` order.  Another tie rule only re-ranks the runs of one
    user's events at one instant, by a stable sort of those positions alone (row order among
    events of equal rank).  Every event is kept (sessions are split on all of a user's events);
    callers drop the rows labelled -1 after computing units.
    """
    shared = _SHARED.get()
    key: Any = None
    if shared is not None:
        given = (ties, include, exclude, group)
        parts = tuple(_option_key(v) for v in given)
        if all(p is not None or v is None for p, v in zip(parts, given, strict=True)):
            key = ("order", id(log), *parts, until)
            hit = shared.get(key)
            if hit is not None and hit.log is log:
                return hit  # type: ignore[no-any-return]
    o = _order_events(log, ties=ties, include=include, exclude=exclude, group=group, until=until)
    if key is not None and shared is not None:
        shared[key] = _readonly(o)
    return o


def _order_events(
    log: EventLog,
    *,
    ties: Any,
    include: Iterable[str] | str | None,
    exclude: Iterable[str] | str | None,
    group: Mapping[str, str] | None,
    until: int | None,
) -> Ordered:
    lab_of, labels = label_table(log, include=include, exclude=exclude, group=group)
    tie_rank, _ = tie_keys(log, ties)
    idx = user_index(log)
    u: npt.NDArray[Any] = idx.users()
    t: npt.NDArray[Any] = idx.times()
    e: npt.NDArray[Any] = idx.events()
    order: npt.NDArray[Any] = idx.order
    if until is not None and log.n_events and int(log.timestamps_ns.max()) > until:
        keep = t <= until
        u, t, e, order = u[keep], t[keep], e[keep], order[keep]
    e = e.astype(np.int64)
    rows: I64 = order.astype(np.int64)
    if tie_rank is not None and u.size > 1:
        tied = (t[1:] == t[:-1]) & (u[1:] == u[:-1])
        if tied.any():
            in_run = np.zeros(u.size, dtype=bool)
            in_run[1:] = tied
            in_run[:-1] |= tied
            at = np.flatnonzero(in_run)
            run = np.cumsum(np.r_[True, ~tied], dtype=np.int64)[at]
            moved = at[np.lexsort((tie_rank[e[at]], run))]  # stable: row order within a rank
            e[at], rows[at] = e[moved], rows[moved]
    return Ordered(
        log=log,
        rows=rows,
        user=u.astype(np.int64),
        t=t,
        event=e,
        label=lab_of[e],
        labels=labels,
    )


def session_flags(
    user: npt.NDArray[np.integer[Any]],
    t: I64,
    event: npt.NDArray[np.integer[Any]],
    *,
    timeout: int,
    split: str = ">=",
    midnight_tz: str | None = None,
    start_codes: I64 | None = None,
) -> Bools:
    """Flag the sorted rows that start a new session.

    A row starts a session when it is its user's first, when the gap to the user's previous
    event is ``>=`` (or ``>``) the timeout, when it falls on another local day than the previous
    event (``midnight_tz``), or when it is a session-start event (``start_codes``).
    """
    new = np.ones(user.size, dtype=bool)
    if user.size > 1:
        gap = np.diff(t)
        cut = gap >= timeout if split == ">=" else gap > timeout
        cut |= user[1:] != user[:-1]
        if midnight_tz is not None:
            day = local_ns(t, midnight_tz) // NS_PER_DAY
            cut |= day[1:] != day[:-1]
        new[1:] = cut
    if start_codes is not None and start_codes.size:
        new |= np.isin(event, start_codes)
    return new


def collapse_mask(unit: I64, label: I64, how: str, only: I64 | None = None) -> Bools:
    """Keep-mask collapsing runs of one label inside a unit to their first or last row."""
    keep = np.ones(label.size, dtype=bool)
    if label.size < 2:
        return keep
    same = (unit[1:] == unit[:-1]) & (label[1:] == label[:-1])
    if only is not None:
        same &= np.isin(label[1:], only)
    if how == "first":
        keep[1:] = ~same
    else:
        keep[:-1] = ~same
    return keep


@dataclasses.dataclass(frozen=True)
class SessionRule:
    """How a user's events are split into sessions (the parameters, validated)."""

    timeout_ns: int
    split: str
    midnight_tz: str | None
    start_events: tuple[str, ...]

    def describe(self) -> dict[str, Any]:
        """Return the rule as result parameters."""
        return {
            "timeout": pd.Timedelta(self.timeout_ns, unit="ns"),
            "split": self.split,
            "midnight": self.midnight_tz is not None,
            "start_event": list(self.start_events) or None,
        }


def session_rule(
    log: EventLog,
    *,
    timeout: Any = "30min",
    split: Any = ">=",
    midnight: Any = False,
    start_event: Iterable[str] | str | None = None,
    tz: str | None = None,
) -> SessionRule:
    """Validate the session options against ``log``."""
    check_choice(split, (">=", ">"), "split", hint="split='>=' splits at a gap of the timeout.")
    if not isinstance(midnight, bool | np.bool_):
        raise InvalidParameterError(
            f"midnight must be True or False, got {midnight!r}. Hint: midnight=True also "
            "starts a session at each local midnight (in tz)."
        )
    starts: tuple[str, ...] = ()
    if start_event is not None:
        codes = selected_codes(log, start_event, param="start_event")
        starts = tuple(str(log.event_names[c]) for c in codes)
    zone = log.tz if tz is None else check_tz(tz)
    return SessionRule(
        timeout_ns=timeout_ns(timeout),
        split=str(split),
        midnight_tz=zone if midnight else None,
        start_events=starts,
    )


def session_starts(o: Ordered, rule: SessionRule) -> Bools:
    """Flag the rows of ``o`` that start a session under ``rule``."""
    codes = o.log.event_code_of(list(rule.start_events)) if rule.start_events else None
    # (rule.start_events holds only names the log knows: selected_codes dropped the others)
    return session_flags(
        o.user,
        o.t,
        o.event,
        timeout=rule.timeout_ns,
        split=rule.split,
        midnight_tz=rule.midnight_tz,
        start_codes=codes,
    )


def unit_ids(o: Ordered, within: str, rule: SessionRule | None) -> I64:
    """Path unit of each sorted row: the user's rank (``within="user"``) or the session number."""
    check_choice(within, ("user", "session"), "within")
    if o.user.size == 0:
        return np.empty(0, dtype=np.int64)
    shared = _SHARED.get()
    if shared is not None and not o.user.flags.writeable:  # o is a shared Ordered
        key = ("units", id(o), within, rule)
        hit = shared.get(key)
        if hit is None:
            hit = shared[key] = _unit_ids(o, within, rule)
            hit.setflags(write=False)
        return hit
    return _unit_ids(o, within, rule)


def _unit_ids(o: Ordered, within: str, rule: SessionRule | None) -> I64:
    if within == "session":
        assert rule is not None
        new = session_starts(o, rule)
    else:
        new = np.ones(o.user.size, dtype=bool)
        new[1:] = o.user[1:] != o.user[:-1]
    return np.cumsum(new, dtype=np.int64) - 1


@dataclasses.dataclass(frozen=True, eq=False)
class PathRows:
    """The labelled, cleaned rows of every path: unit, user, label and time, in path order."""

    unit: I64  # dense 0..n_units-1, non-decreasing
    user: I64
    label: I64
    t: I64
    labels: pd.Index
    n_units: int
    origin: I64 | None = None  # unit id before dropping rows and renumbering
    rows: I64 | None = None  # positions in the log


def path_rows(
    o: Ordered,
    *,
    within: str,
    rule: SessionRule | None,
    collapse: Any = None,
    collapse_only: Iterable[str] | None = None,
) -> PathRows:
    """Split ``o`` into paths, drop unlabelled rows, collapse repeats, renumber units densely."""
    collapse = check_collapse(collapse)
    unit = unit_ids(o, within, rule)
    keep = o.label >= 0
    dropped = not bool(keep.all())
    if dropped:
        unit, user, label, t = unit[keep], o.user[keep], o.label[keep], o.t[keep]
        rows = o.rows[keep]
    else:
        user, label, t, rows = o.user, o.label, o.t, o.rows
    if collapse is not None:
        only = None
        if collapse_only is not None:
            names = [collapse_only] if isinstance(collapse_only, str) else list(collapse_only)
            only = o.labels.get_indexer(pd.Index(names, dtype=object)).astype(np.int64)
            if (only < 0).any():
                bad = [n for n, c in zip(names, only, strict=True) if c < 0]
                close = did_you_mean(str(bad[0]), o.labels)
                hint = f" Did you mean {close[0]!r}?" if close else ""
                raise InvalidParameterError(
                    f"collapse_only names unknown path label(s) {bad}.{hint} Labels: "
                    f"{list(map(str, o.labels[:20]))}."
                )
        m = collapse_mask(unit, label, str(collapse), only)
        unit, user, label, t, rows = unit[m], user[m], label[m], t[m], rows[m]
    n_units = 0
    origin = unit
    if unit.size and not dropped:
        n_units = int(unit[-1]) + 1  # collapsing never removes a unit's first row
    elif unit.size:
        new = np.ones(unit.size, dtype=bool)
        new[1:] = unit[1:] != unit[:-1]
        unit = np.cumsum(new, dtype=np.int64) - 1
        n_units = int(unit[-1]) + 1
    return PathRows(
        unit=unit,
        user=user,
        label=label,
        t=t,
        labels=o.labels,
        n_units=n_units,
        origin=origin,
        rows=rows,
    )


def positions(unit: I64) -> I64:
    """0-based position of each row inside its (sorted, dense) unit."""
    if unit.size == 0:
        return np.empty(0, dtype=np.int64)
    new = np.ones(unit.size, dtype=bool)
    new[1:] = unit[1:] != unit[:-1]
    idx = np.arange(unit.size, dtype=np.int64)
    first = np.maximum.accumulate(np.where(new, idx, 0))
    return idx - first


# ============================================================================ one call's framing
def open_log(
    events: EventsLike, *, tz: str | None, as_of: Any, allow_before: bool = True
) -> tuple[EventLog, AsOf | None]:
    """Return the log of a call (every event, exact times) and its ``as_of`` (shared resolver).

    Counting functions accept an ``as_of`` before the first event: they find nothing and warn;
    estimating functions pass ``allow_before=False`` and get the resolver's error.
    """
    log = load(events)
    check_grain(log, "events", "paths and sessions")
    if tz is not None:
        check_tz(tz)
    return log, resolve_as_of(log, as_of, tz=tz, allow_before=allow_before)


def lazy_as_of(events: LazyEventLog, as_of: Any, tz: str | None) -> AsOf:
    """Return the ``as_of`` of a call on a lazy log: the one given, else the log's own.

    A given instant is read by the shared instant reader (naive values in ``tz``).
    """
    zone = events.tz if tz is None else check_tz(tz)
    if as_of is not None:
        ns = check_instant(as_of, tz=zone, name="as_of")
        assert ns is not None
        return AsOf(ns=ns, given=True, tz=zone)
    last = events.as_of
    return AsOf(ns=0 if last is None else int(last.value), given=False, tz=zone)


def until_ns(as_of: AsOf | None) -> int | None:
    """Return the last instant whose events count (None: every event)."""
    return None if as_of is None else as_of.ns


@dataclasses.dataclass(frozen=True, eq=False)
class Framed:
    """One call's log, ``as_of``, ordered events, session rule and cleaned path rows."""

    log: EventLog
    as_of: AsOf | None
    ordered: Ordered
    rule: SessionRule | None
    rows: PathRows

    @property
    def stamp(self) -> pd.Timestamp | None:
        """The result's ``as_of`` (None for an empty log without one)."""
        return None if self.as_of is None else self.as_of.stamp


def frame_paths(
    events: EventsLike,
    *,
    within: Any,
    collapse: Any = None,
    collapse_only: Iterable[str] | None = None,
    include: Any = None,
    exclude: Any = None,
    group: Mapping[str, str] | None = None,
    ties: Any = "name",
    timeout: Any = "30min",
    split: Any = ">=",
    tz: str | None = None,
    as_of: Any = None,
) -> Framed:
    """Frame one call the way every paths function does: log, as_of, order, units, cleaning."""
    check_choice(within, ("user", "session"), "within")
    log, at = open_log(events, tz=tz, as_of=as_of)
    rule = session_rule(log, timeout=timeout, split=split, tz=tz) if within == "session" else None
    o = order_events(
        log, ties=ties, include=include, exclude=exclude, group=group, until=until_ns(at)
    )
    pr = path_rows(o, within=within, rule=rule, collapse=collapse, collapse_only=collapse_only)
    if pr.n_units == 0:
        warn_empty(
            "No events to form paths",
            hint="check as_of, include/exclude and the log's range",
            stacklevel=4,
        )
    return Framed(log=log, as_of=at, ordered=o, rule=rule, rows=pr)


def first_time_per_user(
    user: I64, t: I64, mask: Bools | None, n_users: int, *, slots: I64 | None = None, k: int = 1
) -> I64:
    """Earliest time of the masked rows per user (and per slot), ``int64`` max where none.

    With ``slots`` (one slot 0..k-1 per row, -1 for none) the answer is a (users x k) table, one
    column per slot: the first time each user did each of ``k`` key events.
    """
    big = np.iinfo(np.int64).max
    keep = np.ones(user.size, dtype=bool) if mask is None else mask
    if slots is not None:
        keep = keep & (slots >= 0)
    out = np.full(n_users * k, big, dtype=np.int64)
    key = user[keep] * k + (0 if slots is None else slots[keep])
    np.minimum.at(out, key, t[keep])
    return out.reshape(n_users, k) if slots is not None else out
