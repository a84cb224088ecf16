"""The query vocabulary every analysis shares: which events, as of when, grouped how.

Every public function of metrics/, segments/, churn/ (and later campaigns/) reads the log through
these few pieces, so a name, an ``as_of`` or a grouping means the same thing everywhere:

- :class:`EventSelector`: which events count, parsed once from ``None`` (any event), a name,
  ``(name, {property: value})`` or a list of those.  It knows the names it reads, whether it
  needs event-level rows (property filters), and gives the mask over a log.  Names the log does
  not know count as zero events with an :class:`~useropslib.exceptions.UnknownEventWarning`
  (``strict=True`` or :func:`set_strict_events` makes them an error).
- :class:`AsOf` and :func:`resolve_as_of`: the one meaning of ``as_of``.
- :func:`warn_empty` and :func:`require_data`: the one empty-data policy (functions that count
  warn and return zero-size results; functions that estimate raise).
- :class:`UserGroups` and :func:`resolve_groups`: the one ``breakdown`` of users.
- :func:`load` and :func:`check_grain`: turn the first argument into an :class:`EventLog` with
  only what the selectors need, and refuse a rolled-up log where events are counted.
"""

from __future__ import annotations

import contextlib
import contextvars
import dataclasses
import warnings
from collections.abc import Iterator, Mapping, Sequence
from typing import Any, Literal, TypeAlias

import numpy as np
import numpy.typing as npt
import pandas as pd

from useropslib._checks import check_bool
from useropslib.events._eventlog import EventLog
from useropslib.events._lazy import EventsLike, Grain, LazyEventLog, as_event_log
from useropslib.events._lazycal import (
    CALENDAR_BACKENDS,
    active_counts,
    calendar_probe,
    first_time_of,
    range_intervals,
    raw_names,
    retention_cells,
    rolling_points,
    window_intervals,
)
from useropslib.events._lazychurn import (
    activity_totals,
    churn_engine_ready,
    day_gap_counts,
    engine_rows_until,
    engine_spells,
    feature_aggregates,
    silence_bound_counts,
    warning_aggregates,
)
from useropslib.events._lazyfunnel import (
    SUM_SPLIT,
    EngineFunnel,
    FunnelAsk,
    FunnelCounts,
    engine_funnel,
)
from useropslib.events._lazymoney import (
    MoneyCells,
    day_month_pairs,
    ltv_cells,
    message_counts,
    numeric_property,
    revenue_cells,
)
from useropslib.events._lazyseg import UserAgg, event_filter, user_table, where_expression
from useropslib.events._lazystate import (
    RATE_PAIRS,
    StatusCounts,
    first_day,
    state_changes,
    status_counts,
)
from useropslib.events._time import check_tz, period_codes, period_starts, stamp, to_utc_ns
from useropslib.events._userindex import (
    UserIndex,
    has_user_index,
    index_period_codes,
    user_index,
)
from useropslib.exceptions import (
    InsufficientDataError,
    InsufficientDataWarning,
    InvalidParameterError,
    UnknownEventWarning,
    did_you_mean,
)
from useropslib.models import parse_week_start

__all__ = [
    "CALENDAR_BACKENDS",
    "NONE_GROUP",
    "RATE_PAIRS",
    "SUM_SPLIT",
    "AsOf",
    "EngineFunnel",
    "EventSelector",
    "EventSpec",
    "EventTerm",
    "FunnelAsk",
    "FunnelCounts",
    "Grain",
    "MoneyCells",
    "StatusCounts",
    "UserAgg",
    "UserGroups",
    "UserIndex",
    "active_counts",
    "activity_totals",
    "calendar_probe",
    "check_grain",
    "check_instant",
    "churn_engine_ready",
    "day_gap_counts",
    "day_month_pairs",
    "engine_funnel",
    "engine_rows_until",
    "engine_spells",
    "event_codes",
    "event_filter",
    "feature_aggregates",
    "first_day",
    "first_time_of",
    "has_user_index",
    "index_period_codes",
    "load",
    "ltv_cells",
    "message_counts",
    "named_events",
    "named_mask",
    "numeric_property",
    "range_intervals",
    "raw_names",
    "require_data",
    "resolve_as_of",
    "resolve_groups",
    "retention_cells",
    "revenue_cells",
    "rolling_points",
    "set_strict_events",
    "silence_bound_counts",
    "state_changes",
    "status_counts",
    "strict_events",
    "user_index",
    "user_table",
    "value_in",
    "warn_empty",
    "warning_aggregates",
    "where_expression",
    "window_intervals",
]

I64 = npt.NDArray[np.int64]
Bools = npt.NDArray[np.bool_]

#: What a caller may give wherever events are named: ``None`` (any event), a name,
#: ``(name, {property: value})`` (a list value matches any of its elements) or a list of those.
EventSpec: TypeAlias = "str | tuple[str | None, Mapping[str, Any]] | Sequence[Any] | None"

NONE_GROUP = "(none)"
"""The group of users without a value in a breakdown, so the groups add up to the whole."""

_STRICT: contextvars.ContextVar[bool] = contextvars.ContextVar("useropslib_strict", default=False)


# ============================================================================ strictness
def set_strict_events(enabled: bool = True) -> bool:
    """Make unknown event names an error (True) or zero events with a warning (False, default).

    The setting is library-wide for the current thread and context (a ``contextvars``
    variable); a function's own ``strict=`` argument wins over it.

    Parameters
    ----------
    enabled : bool, default True
        Whether an event name the log does not know raises.

    Returns
    -------
    bool
        The previous setting, so it can be restored.

    Examples
    --------
    >>> previous = set_strict_events(True)
    >>> set_strict_events(previous)
    True
    """
    previous = _STRICT.get()
    _STRICT.set(check_bool(enabled, "enabled"))
    return previous


@contextlib.contextmanager
def strict_events(enabled: bool = True) -> Iterator[None]:
    """Within a ``with`` block, make unknown event names an error (or, with False, a warning).

    Parameters
    ----------
    enabled : bool, default True
        The setting inside the block.

    Yields
    ------
    None

    Examples
    --------
    >>> import pandas as pd, useropslib as uo
    >>> df = pd.DataFrame({"user_id": ["a"], "event": ["open"],
    ...                    "timestamp": [pd.Timestamp("2024-01-01", tz="UTC")]})
    >>> with strict_events():
    ...     uo.metrics.funnel(df, ["open", "opne"])
    Traceback (most recent call last):
    useropslib.exceptions.InvalidParameterError: Unknown event name(s) ['opne'] in steps. ...
    """
    token = _STRICT.set(bool(enabled))
    try:
        yield
    finally:
        _STRICT.reset(token)


def _is_strict(strict: bool | None) -> bool:
    return _STRICT.get() if strict is None else bool(strict)


def _unknown_message(unknown: Sequence[str], vocabulary: pd.Index, param: str) -> str:
    hints = []
    for u in unknown:
        close = did_you_mean(str(u), vocabulary)
        if close:
            hints.append(f"{u!r} -> did you mean {', '.join(map(repr, close))}?")
    known = list(map(str, vocabulary[:20]))
    more = " ..." if len(vocabulary) > 20 else ""
    hint = (" Hint: " + "; ".join(hints)) if hints else ""
    where = f" in {param}" if param else ""
    return f"Unknown event name(s) {list(unknown)}{where}. Known events: {known}{more}.{hint}"


def event_codes(
    log: EventLog, names: Sequence[str], *, param: str = "", strict: bool | None = None
) -> I64:
    """Return the codes of event names; an unknown name gets -1 and one warning lists them all.

    Parameters
    ----------
    log : EventLog
        The log whose vocabulary is read.
    names : sequence of str
        Event names.
    param : str, optional
        The parameter the names came from, for the message.
    strict : bool, optional
        Raise instead of warning; default the library-wide setting (:func:`set_strict_events`).

    Returns
    -------
    ndarray of int64
        One code per name, -1 for names the log does not know.

    Raises
    ------
    InvalidParameterError
        With ``strict``, for unknown names (close known names are listed).

    Warns
    -----
    UnknownEventWarning
        Without ``strict``, for unknown names: they count as zero events.
    """
    vocabulary = log.event_names
    codes = np.asarray(vocabulary.get_indexer(pd.Index(list(names), dtype=object)), np.int64)
    if (codes < 0).any():
        unknown = list(dict.fromkeys(n for n, c in zip(names, codes, strict=True) if c < 0))
        message = _unknown_message(unknown, vocabulary, param)
        if _is_strict(strict):
            raise InvalidParameterError(message)
        warnings.warn(
            f"{message} They count as zero events. Pass strict=True (or call "
            "useropslib.events.set_strict_events()) to make this an error.",
            UnknownEventWarning,
            stacklevel=3,
        )
    return codes


# ============================================================================ selectors
@dataclasses.dataclass(frozen=True)
class EventTerm:
    """One event name (None: any event) with equality/membership conditions on properties."""

    name: str | None
    where: tuple[tuple[str, tuple[Any, ...]], ...] = ()

    @classmethod
    def parse(cls, item: Any, *, param: str = "event") -> EventTerm:
        """Read one term: None (any event), a name, or ``(name, {property: value})``.

        Raises
        ------
        InvalidParameterError
            For anything else, or a filter that cannot be read.
        """
        return _term(item, param)

    @property
    def key(self) -> tuple[str | None, tuple[tuple[str, frozenset[Any]], ...]]:
        """What the term matches, independent of the order of listed values."""
        return (self.name, tuple((k, frozenset(v)) for k, v in self.where))

    @property
    def label(self) -> str:
        """A short text for tables and plots: ``"purchase (plan='pro')"``, ``"(any event)"``."""
        base = "(any event)" if self.name is None else self.name
        if not self.where:
            return base
        shown = ", ".join(f"{k}={list(v) if len(v) > 1 else v[0]!r}" for k, v in self.where)
        return f"{base} ({shown})"

    @property
    def spec(self) -> Any:
        """The term as a caller writes it (JSON-ready apart from property values)."""
        if not self.where:
            return self.name
        return (self.name, {k: list(v) if len(v) > 1 else v[0] for k, v in self.where})


def _term(item: Any, param: str) -> EventTerm:
    if item is None or isinstance(item, str):
        return EventTerm(item)
    if (
        isinstance(item, tuple | list)
        and len(item) == 2
        and (item[0] is None or isinstance(item[0], str))
        and isinstance(item[1], Mapping)
    ):
        where = []
        for prop, want in item[1].items():
            if not isinstance(prop, str):
                raise InvalidParameterError(
                    f"Cannot read the filter of {param} entry {item!r}: property names must be "
                    f"strings, got {prop!r}. Expected (name, {{'plan': 'pro'}})."
                )
            values = tuple(want) if isinstance(want, list | tuple | set | frozenset) else (want,)
            try:
                frozenset(values)
            except TypeError:
                raise InvalidParameterError(
                    f"Cannot read the filter of {param} entry {item!r}: the value of {prop!r} "
                    "must be a scalar or a list of scalars. Expected e.g. "
                    "{'plan': ['pro', 'team']}."
                ) from None
            if not values:
                raise InvalidParameterError(
                    f"The filter of {param} entry {item!r} lists no value for {prop!r}. "
                    "Expected at least one value, e.g. {'plan': ['pro']}."
                )
            where.append((prop, values))
        where.sort(key=lambda kv: kv[0])
        return EventTerm(item[0], tuple(where))
    raise InvalidParameterError(
        f"Cannot read {param} {item!r}. Expected an event name or a pair (name, {{property: "
        "value}), or None for any event, e.g. 'signup' or ('purchase', {'plan': 'pro'})."
    )


def _is_single(spec: Any) -> bool:
    return (
        spec is None
        or isinstance(spec, str)
        or (isinstance(spec, tuple) and len(spec) == 2 and isinstance(spec[1], Mapping))
    )


@dataclasses.dataclass(frozen=True)
class EventSelector:
    """Which events count, parsed once; every analysis asks the log through one of these.

    Build one with :meth:`parse`.  A selector is a union of :class:`EventTerm`; it matches an
    event when any term does.  ``None`` (or a ``None`` term) means any event.

    Attributes
    ----------
    terms : tuple of EventTerm
        The alternatives.
    param : str
        The parameter the selector came from, for messages.
    strict : bool or None
        Whether unknown names raise (None: the library-wide setting).
    """

    terms: tuple[EventTerm, ...]
    param: str = "event"
    strict: bool | None = None

    @classmethod
    def parse(
        cls,
        spec: Any,
        *,
        param: str = "event",
        strict: bool | None = None,
        allow_any: bool = True,
    ) -> EventSelector:
        """Read an event spec: None, a name, ``(name, {property: value})`` or a list of them.

        Parameters
        ----------
        spec : object
            What the caller gave.
        param : str, default "event"
            The parameter, for messages.
        strict : bool, optional
            Unknown names raise instead of counting as zero; default the library-wide setting.
        allow_any : bool, default True
            Whether ``None`` (any event) is accepted.

        Returns
        -------
        EventSelector

        Raises
        ------
        InvalidParameterError
            For a spec that cannot be read, an empty list, or None where a name is required.

        Examples
        --------
        >>> sel = EventSelector.parse(["open", ("buy", {"plan": "pro"})], param="event")
        >>> sel.names, sel.needs_rows, sel.is_any
        (('open', 'buy'), True, False)
        >>> EventSelector.parse(None).is_any
        True
        """
        if isinstance(spec, EventSelector):
            return spec
        if isinstance(spec, np.ndarray | pd.Series | pd.Index):
            spec = spec.tolist()
        terms: tuple[EventTerm, ...]
        if _is_single(spec):
            terms = (_term(spec, param),)
        elif isinstance(spec, Sequence | set | frozenset) and not isinstance(spec, bytes):
            items = list(spec)
            if not items:
                raise InvalidParameterError(
                    f"{param}=[] names no event. Expected an event name, a list of event names, "
                    f"or None for any event. Hint: {param}=None counts every event."
                )
            terms = tuple(dict.fromkeys(_term(i, param) for i in items))
        else:
            raise InvalidParameterError(
                f"Invalid {param}={spec!r} of type {type(spec).__name__}. Expected an event "
                "name, (name, {property: value}), a list of them, or None for any event. "
                f"Hint: {param}='app_open'."
            )
        out = cls(terms=terms, param=param, strict=strict)
        if out.is_any and not allow_any:
            raise InvalidParameterError(
                f"{param} must name an event; None (any event) is not accepted here. Hint: "
                f"{param}='purchase'."
            )
        return out

    @property
    def is_any(self) -> bool:
        """Whether every event matches (a term without name and without filter)."""
        return any(t.name is None and not t.where for t in self.terms)

    @property
    def names(self) -> tuple[str, ...] | None:
        """The event names read, or None when the selector can match any event name."""
        if any(t.name is None for t in self.terms):
            return None
        return tuple(dict.fromkeys(t.name for t in self.terms if t.name is not None))

    @property
    def needs_rows(self) -> bool:
        """Whether event-level rows are needed (a property filter), not a roll-up."""
        return any(t.where for t in self.terms)

    @property
    def properties(self) -> tuple[str, ...]:
        """The property columns the filters read."""
        return tuple(dict.fromkeys(k for t in self.terms for k, _ in t.where))

    @property
    def spec(self) -> Any:
        """The selector as a caller writes it (for a result's ``params``)."""
        if len(self.terms) == 1:
            return self.terms[0].spec
        return [t.spec for t in self.terms]

    @property
    def label(self) -> str:
        """A short text naming the events."""
        return " | ".join(t.label for t in self.terms)

    def codes(self, log: EventLog) -> I64:
        """Codes of the named events the log knows (unknown names warn, or raise if strict)."""
        names = [t.name for t in self.terms if t.name is not None]
        if not names:
            return np.empty(0, dtype=np.int64)
        got = event_codes(log, names, param=self.param, strict=self.strict)
        return np.unique(got[got >= 0])

    def term_codes(self, log: EventLog) -> list[int]:
        """Code of each term's name (-1: unknown or any event), looked up once (one warning)."""
        named = [t.name for t in self.terms if t.name is not None]
        got = iter(
            event_codes(log, named, param=self.param, strict=self.strict).tolist() if named else []
        )
        return [-1 if t.name is None else int(next(got)) for t in self.terms]

    def mask(self, log: EventLog) -> Bools | None:
        """Per-event mask of the matching events (None: every event matches).

        Raises
        ------
        InvalidParameterError
            For a property the log does not have, or (strict) an unknown event name.

        Examples
        --------
        >>> import pandas as pd
        >>> df = pd.DataFrame({"user_id": ["a", "a"], "event": ["open", "buy"],
        ...                    "timestamp": pd.to_datetime(["2024-01-01", "2024-01-02"], utc=True)})
        >>> EventSelector.parse("buy").mask(EventLog.from_pandas(df)).tolist()
        [False, True]
        """
        if self.is_any:
            return None
        ev = log.event_codes
        codes = self.term_codes(log)
        plain = [c for t, c in zip(self.terms, codes, strict=True) if not t.where and c >= 0]
        out: Bools
        if len(plain) == 1:
            out = ev == plain[0]
        else:
            table = np.zeros(len(log.event_names), dtype=bool)
            table[plain] = True
            out = table[ev]
        for t, c in zip(self.terms, codes, strict=True):
            if not t.where:
                continue
            props = _property_columns(log, [k for k, _ in t.where], self.param)
            if t.name is not None and c < 0:
                continue
            m = np.ones(log.n_events, dtype=bool) if t.name is None else ev == c
            for prop, values in t.where:
                m &= value_in(props[prop], list(values))
            out |= m
        return out


def named_events(value: Any, *, param: str) -> list[str]:
    """Return an event name or a non-empty list of names (no filter, not any event) as a list.

    Raises
    ------
    InvalidParameterError
        For anything else.
    """
    sel = EventSelector.parse(value, param=param, allow_any=False)
    if sel.names is None or sel.needs_rows:
        raise InvalidParameterError(
            f"Invalid {param}={value!r}. Expected an event name or a non-empty list of event "
            f"names. Hint: pass e.g. {param}='purchase'."
        )
    return list(sel.names)


def named_mask(log: EventLog, value: Any, *, param: str) -> Bools:
    """Per-event mask of the named events (absent names match nothing, with a warning)."""
    out = EventSelector.parse(named_events(value, param=param), param=param).mask(log)
    assert out is not None  # a named selector always gives a mask
    return out


def _is_missing(value: Any) -> bool:
    """Tell whether ``value`` is one missing scalar (None, NaN, NaT, pd.NA)."""
    if value is None:
        return True
    try:
        return bool(pd.api.types.is_scalar(value) and pd.isna(value))
    except (TypeError, ValueError):
        return False


def value_in(values: pd.Series | npt.NDArray[Any], wanted: Sequence[Any]) -> Bools:
    """Return per row whether the value is one of ``wanted``; None (or NaN) matches missing.

    ``Series.isin([None])`` depends on the dtype: an object column holds None and matches it,
    pandas 3's ``str`` column holds NaN and does not.  Missing values are therefore matched by
    ``isna()``, the same under pandas 2 and 3, and every other value by ``isin``.

    Examples
    --------
    >>> value_in(pd.Series(["web", None, "app"]), [None, "app"]).tolist()
    [False, True, True]
    """
    col = values if isinstance(values, pd.Series) else pd.Series(values, dtype=object)
    present = [v for v in wanted if not _is_missing(v)]
    # np.array copies: pandas 3 (copy-on-write) hands out read-only arrays
    out = np.array(col.isin(present), dtype=bool) if present else np.zeros(len(col), dtype=bool)
    if len(present) < len(wanted):
        out |= np.asarray(col.isna(), dtype=bool)
    return out


def _property_columns(log: EventLog, names: Sequence[str], param: str) -> pd.DataFrame:
    frame = log.properties
    for name in names:
        if name not in frame.columns:
            avail = list(map(str, frame.columns))
            close = did_you_mean(str(name), avail)
            hint = f" Did you mean {close[0]!r}?" if close else ""
            raise InvalidParameterError(
                f"Unknown property {name!r} in the {param} filter. Expected one of the log's "
                f"properties {avail}.{hint}"
            )
    return frame


# ============================================================================ loading and grain
def load(
    events: EventsLike,
    *selectors: EventSelector,
    grain: Grain | None = None,
    exact: Sequence[EventSelector] = (),
    all_events: bool = False,
    tz: str | None = None,
    week_start: Any = None,
    until: Any = None,
    **kwargs: Any,
) -> EventLog:
    """Return the first argument as an :class:`EventLog` holding what the selectors need.

    An EventLog is returned as it is; a frame is validated; from a lazy log only the selected
    events are collected, rolled up to ``grain`` unless a selector filters on properties (then
    rows are collected).

    Parameters
    ----------
    events : EventLog, LazyEventLog or DataFrame
        The caller's data.
    *selectors : EventSelector
        The events the function reads (none: every event).
    grain : {"hour", "day", "week", "month"}, optional
        The finest calendar period the function looks at; None when it needs exact times.
    exact : sequence of EventSelector
        With ``grain``: events whose exact times are needed.
    all_events : bool, default False
        Collect every event (e.g. first-ever activity), whatever the selectors.
    tz, week_start, until
        As :func:`useropslib.events.as_event_log`.
    **kwargs
        Passed to :meth:`EventLog.from_frame` for a frame.

    Returns
    -------
    EventLog
    """
    names: list[str] | None = []
    if all_events or not selectors:
        names = None
    else:
        for sel in selectors:
            got = sel.names
            if got is None:
                names = None
                break
            assert names is not None
            names += got
    rows = any(s.needs_rows for s in (*selectors, *exact))
    exact_names = [n for s in exact for n in (s.names or ())]
    return as_event_log(
        events,
        names=None if names is None else list(dict.fromkeys(names)),
        grain=None if rows else grain,
        exact=exact_names or None,
        by_event=bool(selectors) and not all(s.is_any for s in selectors),
        tz=tz,
        week_start=None if week_start is None else parse_week_start(week_start),
        until=until,
        **kwargs,
    )


_GRAIN_ORDER = {"hour": 0, "day": 1, "week": 2, "month": 3}


def check_grain(log: EventLog, needs: Grain | Literal["events"], what: str) -> None:
    """Refuse a rolled-up log where ``what`` needs events (or a finer period than the roll-up).

    A log from :meth:`LazyEventLog.rollup` holds one row per (user, event, period), not one per
    event: counting its rows counts groups.  Calendar metrics at the roll-up's period or a
    coarser one are still exact (weeks only from days or hours).

    Parameters
    ----------
    log : EventLog
        The log about to be read.
    needs : {"events", "hour", "day", "week", "month"}
        What the kernel reads.
    what : str
        The function, for the message.

    Raises
    ------
    InvalidParameterError
        When the log's grain is too coarse.
    """
    have = log.grain
    if have is None:
        return
    if needs != "events":
        h, n = _GRAIN_ORDER[have], _GRAIN_ORDER[needs]
        if h <= n and not (have == "week" and needs == "month"):
            return
    raise InvalidParameterError(
        f"{what} needs {'event-level rows' if needs == 'events' else f'{needs}ly periods'}, but "
        f"this log is a roll-up to {have!r} (one row per user, event and {have}, not one per "
        "event), so its answer would be wrong. Expected an event-level log. Hint: pass the "
        "LazyEventLog itself (the function then collects what it needs) or lazy.collect()."
    )


# ============================================================================ as_of
@dataclasses.dataclass(frozen=True)
class AsOf:
    """The one meaning of ``as_of``: an instant; events at or before it count.

    A calendar period is *complete* when it ends at or before ``as_of``.  A period that starts at
    or after ``as_of`` is not shown.  When no ``as_of`` was given (to the function or to the
    log), it is the log's last event, and the period holding that event is shown (incomplete):
    the default "now" is just after the last thing seen.

    Attributes
    ----------
    ns : int
        The instant, UTC nanoseconds.
    given : bool
        Whether the caller (or the log) gave it, rather than the last event.
    tz : str
        The calendar zone of the call.
    """

    ns: int
    given: bool
    tz: str

    @property
    def stamp(self) -> pd.Timestamp:
        """The instant as an aware Timestamp in ``tz``."""
        return stamp(self.ns, self.tz)

    @property
    def horizon_ns(self) -> int:
        """Periods that start before this instant are shown."""
        return self.ns if self.given else self.ns + 1

    def mask(self, log: EventLog) -> Bools | None:
        """Events at or before ``as_of`` (None: every event of the log is)."""
        ts = log.timestamps_ns
        if ts.size == 0 or int(ts.max()) <= self.ns:
            return None
        out: Bools = ts <= self.ns
        return out

    def last_shown(self, period: str, *, week_start: int = 0) -> int:
        """Code of the last period shown: the one holding the instant just before the horizon."""
        arr = np.array([self.horizon_ns - 1], dtype=np.int64)
        return int(period_codes(arr, period, tz=self.tz, week_start=week_start)[0])

    def last_complete(self, period: str, *, week_start: int = 0) -> int:
        """Code of the last complete period (the one before the period holding ``as_of``)."""
        arr = np.array([self.ns], dtype=np.int64)
        return int(period_codes(arr, period, tz=self.tz, week_start=week_start)[0]) - 1

    def period_start_ns(self, code: int, period: str, *, week_start: int = 0) -> int:
        """UTC start of a period code in ``tz``."""
        idx = period_starts(
            np.array([code], dtype=np.int64), period, tz=self.tz, week_start=week_start
        )
        return int(idx.as_unit("ns").asi8[0])


def check_instant(value: Any, *, tz: str, name: str) -> int | None:
    """Read a user-given instant (naive values in ``tz``) as UTC nanoseconds; None stays None.

    Parameters
    ----------
    value : str, datetime, Timestamp or None
        The instant.
    tz : str
        Zone of naive values.
    name : str
        The parameter, for the message.

    Returns
    -------
    int or None

    Raises
    ------
    InvalidParameterError
        When the value is not an instant.
    """
    if value is None:
        return None
    return to_utc_ns(value, tz=tz, name=name)


def resolve_as_of(
    log: EventLog | LazyEventLog,
    as_of: Any = None,
    *,
    tz: str | None = None,
    param: str = "as_of",
    allow_before: bool = False,
) -> AsOf | None:
    """Return the call's ``as_of``: the one given, else the log's (its last event unless given).

    Parameters
    ----------
    log : EventLog or LazyEventLog
        The log.
    as_of : str, datetime, Timestamp or None
        What the caller gave; naive values are read in ``tz``.
    tz : str, optional
        The calendar zone of the call; default the log's.
    param : str, default "as_of"
        The parameter, for messages.
    allow_before : bool, default False
        Accept an ``as_of`` before the first event (a counting function then finds nothing and
        warns, per the empty-data policy) instead of raising.

    Returns
    -------
    AsOf or None
        None only for an empty log without a given ``as_of``: nothing is known.

    Raises
    ------
    InvalidParameterError
        When ``as_of`` cannot be read, or is before the log's first event (nothing is known
        then, so no answer would mean anything).

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"user_id": ["a"], "event": ["open"],
    ...                    "timestamp": [pd.Timestamp("2024-01-31", tz="UTC")]})
    >>> log = EventLog.from_pandas(df)
    >>> resolve_as_of(log).given, resolve_as_of(log, "2024-02-01").given
    (False, True)
    >>> resolve_as_of(log, "2023-12-31")
    Traceback (most recent call last):
    useropslib.exceptions.InvalidParameterError: as_of=2023-12-31 00:00:00+00:00 is before the first event of the log (2024-01-31 00:00:00+00:00). ...
    """  # noqa: E501
    zone = log.tz if tz is None else check_tz(tz)
    if as_of is None:
        if log.as_of_ns is None:
            return None
        return AsOf(ns=int(log.as_of_ns), given=log.as_of_source == "given", tz=zone)
    ns = to_utc_ns(as_of, tz=zone, name=param)
    start = log.start  # a LazyEventLog knows it from its scan
    if start is not None and not allow_before:
        first = int(start.value)
        if ns < first:
            raise InvalidParameterError(
                f"{param}={stamp(ns, zone)} is before the first event of the log "
                f"({stamp(first, zone)}). Expected an {param} at or after the first event. "
                f"Hint: leave {param} unset to use the log's own as_of (its last event)."
            )
    return AsOf(ns=ns, given=True, tz=zone)


# ============================================================================ empty data
def warn_empty(
    what: str, *, hint: str = "check start, end, as_of and the event names", stacklevel: int = 3
) -> None:
    """Warn that a counting function found nothing to count (its result is zero-size or zeros).

    Parameters
    ----------
    what : str
        What was found missing, e.g. ``"No entry event (step 0) in the range"``.
    hint : str
        How to get data.
    stacklevel : int, default 3
        Points the warning at the caller of the public function.

    Warns
    -----
    InsufficientDataWarning
    """
    warnings.warn(
        f"{what} (every count is 0, or the result has no rows). Hint: {hint}.",
        InsufficientDataWarning,
        stacklevel=stacklevel,
    )


def require_data(
    n: int, what: str, *, needed: int = 1, hint: str = "check the filters that built the log"
) -> None:
    """Raise when an estimating function has fewer than ``needed`` items to estimate from.

    Parameters
    ----------
    n : int
        What there is (events, users, observations).
    what : str
        The function and the unit counted, e.g. ``"BetaGeoModel.fit: customers"``.
    needed : int, default 1
        The minimum.
    hint : str
        How to get data.

    Raises
    ------
    InsufficientDataError
    """
    if n < needed:
        raise InsufficientDataError(
            f"{what}: {n:,} found, at least {needed:,} needed to estimate anything. Hint: {hint}."
        )


# ============================================================================ user groups
@dataclasses.dataclass(frozen=True)
class UserGroups:
    """One group per user code: the ``breakdown`` of every function that splits users.

    Attributes
    ----------
    codes : ndarray of int64
        Group code of each user code (an index into ``labels``); users without a value are in
        the group :data:`NONE_GROUP` when any present user lacks one.
    labels : pandas.Index
        The group labels, sorted when they can be.
    name : str
        What the groups are (the property, the Series' name, ``"mapping"`` or ``"segment"``).
    """

    codes: I64
    labels: pd.Index
    name: str

    def of(self, user_codes: npt.ArrayLike) -> npt.NDArray[np.object_]:
        """Return the group label of each given user code."""
        out: npt.NDArray[np.object_] = np.asarray(self.labels, dtype=object)[
            self.codes[np.asarray(user_codes, dtype=np.int64)]
        ]
        return out


def _factorize(values: pd.Series) -> tuple[I64, pd.Index]:
    try:
        codes, labels = pd.factorize(values, sort=True)
    except TypeError:  # mixed types that cannot be ordered
        codes, labels = pd.factorize(values, sort=False)
    return np.asarray(codes, dtype=np.int64), pd.Index(labels, dtype=object)


def _with_none(log: EventLog, codes: I64, labels: pd.Index) -> tuple[I64, pd.Index]:
    present = log.present_user_codes
    if present.size and bool((codes[present] < 0).any()):
        codes = np.where(codes < 0, len(labels), codes)
        labels = labels.append(pd.Index([NONE_GROUP], dtype=object))
    return codes, labels


def resolve_groups(
    log: EventLog,
    breakdown: Any,
    *,
    as_of_ns: int | None = None,
    param: str = "breakdown",
    properties: bool = True,
) -> UserGroups | None:
    """Read a ``breakdown`` of users: a property, a mapping or Series user -> group, or a segment.

    Parameters
    ----------
    log : EventLog
        The log.
    breakdown : str, mapping, pandas.Series, collection of user ids or None
        A property column (each user's latest non-null value at ``as_of``), a mapping or Series
        ``user_id -> group``, or a segment's member ids (groups ``True``/``False``).
    as_of_ns : int, optional
        Property values after this instant are ignored.
    param : str, default "breakdown"
        The parameter, for messages.
    properties : bool, default True
        Whether a property name is accepted (a function that attributes property values per
        event reads the name itself).

    Returns
    -------
    UserGroups or None
        None without a breakdown.

    Raises
    ------
    InvalidParameterError
        For an unknown property (with close names), a mapping with duplicated users, or
        another type.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"user_id": ["a", "b"], "event": ["open", "open"],
    ...                    "timestamp": pd.to_datetime(["2024-01-01", "2024-01-02"], utc=True)})
    >>> g = resolve_groups(EventLog.from_pandas(df), {"a": "paid"})
    >>> list(g.labels), g.codes.tolist()
    (['paid', '(none)'], [0, 1])
    """
    n_users = len(log.users)
    if breakdown is None:
        return None
    if isinstance(breakdown, str):
        if not properties:
            raise InvalidParameterError(
                f"Invalid {param}={breakdown!r}: a property name is not accepted here. Expected "
                "a mapping or pandas Series user_id -> group, or a collection of member ids."
            )
        props = log.properties
        if breakdown not in props.columns:
            avail = list(map(str, props.columns))
            close = did_you_mean(breakdown, avail)
            hint = (
                f"did you mean {close[0]!r}?"
                if close
                else "pass a mapping or Series user_id -> group instead"
            )
            raise InvalidParameterError(
                f"Missing {param} column {breakdown!r}: the event log has no such property. "
                f"Available properties: {avail}. Hint: {hint}"
            )
        col = props[breakdown]
        valid = col.notna().to_numpy(dtype=bool, copy=True)
        if as_of_ns is not None:
            valid &= log.timestamps_ns <= as_of_ns
        idx = np.flatnonzero(valid)
        u = log.user_codes[idx].astype(np.int64)
        order = np.lexsort((log.timestamps_ns[idx], u))
        us = u[order]
        last = np.flatnonzero(np.r_[us[1:] != us[:-1], True]) if us.size else us
        per_user = pd.Series(col.to_numpy()[idx[order[last]]], index=us[last])
        values = pd.Series(pd.NA, index=pd.RangeIndex(n_users), dtype=object)
        values.iloc[per_user.index.to_numpy()] = per_user.to_numpy()
        codes, labels = _factorize(values)
        return UserGroups(*_with_none(log, codes, labels), breakdown)
    if isinstance(breakdown, pd.Series | Mapping):
        s = breakdown if isinstance(breakdown, pd.Series) else pd.Series(dict(breakdown))
        if s.index.has_duplicates:
            dup = list(s.index[s.index.duplicated()][:5])
            raise InvalidParameterError(
                f"The {param} maps some users more than once: {dup}. Expected one group per "
                "user id. Hint: drop duplicates, e.g. series[~series.index.duplicated()]."
            )
        pos = s.index.get_indexer(log.users)
        vals = pd.Series(s.to_numpy(dtype=object), dtype=object)
        mapped = pd.Series(pd.NA, index=pd.RangeIndex(n_users), dtype=object)
        hit = pos >= 0
        mapped.iloc[np.flatnonzero(hit)] = vals.iloc[pos[hit]].to_numpy()
        if pd.api.types.is_bool_dtype(s.dtype):
            mapped = mapped.where(hit, False)
        codes, labels = _factorize(mapped)
        name = s.name if isinstance(breakdown, pd.Series) and s.name is not None else "mapping"
        return UserGroups(*_with_none(log, codes, labels), str(name))
    if isinstance(breakdown, pd.Index | np.ndarray | set | frozenset | list | tuple):
        members = pd.Index(list(breakdown))
        is_member = members.get_indexer(log.users) >= 0 if len(members) else np.zeros(n_users, bool)
        return UserGroups(
            is_member.astype(np.int64), pd.Index([False, True], dtype=object), "segment"
        )
    raise InvalidParameterError(
        f"Cannot read {param} of type {type(breakdown).__name__}. Expected the name of a "
        "property column, a mapping or pandas Series user_id -> group, or a collection of the "
        "user ids in a segment."
    )
