"""The EventLog: one validated, encoded, immutable table of events."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import numpy.typing as npt
import pandas as pd
from pydantic import TypeAdapter, ValidationError
from typing_extensions import Self

from useropslib.events._identity import links_frame, resolve_ids
from useropslib.events._time import (
    check_tz,
    period_codes,
    period_starts,
    stamp,
    to_utc_ns,
)
from useropslib.events._validate import Problems, TimeUnit, parse_timestamps, parse_values
from useropslib.exceptions import (
    EventSchemaError,
    InvalidParameterError,
    UseropsError,
    did_you_mean,
)
from useropslib.models import Event, Period, WeekStart, parse_period, parse_week_start

if TYPE_CHECKING:
    from useropslib.events._lazy import LazyEventLog

__all__ = ["EventLog", "LogSummary", "read_events", "scan_events"]

Duplicates = Literal["keep", "drop", "error"]
_DEFAULT_VALUE_COL = "value"
_EVENTS_ADAPTER: TypeAdapter[list[Event]] = TypeAdapter(list[Event])
_WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def _readonly(a: npt.NDArray[Any]) -> npt.NDArray[Any]:
    a.flags.writeable = False
    return a


def _check_duplicates_policy(duplicates: str) -> None:
    if duplicates not in ("keep", "drop", "error"):
        raise InvalidParameterError(
            f"Invalid duplicates={duplicates!r}. Expected 'keep' (default: keep repeated rows as "
            "separate events), 'drop' (keep the first of each set of identical rows) or 'error'."
        )


@dataclasses.dataclass(frozen=True)
class LogSummary:
    """A short description of an :class:`EventLog`.

    Attributes
    ----------
    n_events, n_users, n_event_types : int
        Counts of rows, distinct users and distinct event names.
    start, end : pandas.Timestamp or None
        First and last event, in the log's time zone.
    as_of : pandas.Timestamp or None
        The log's "now"; ``as_of_source`` says whether it was given or is the last event.
    tz : str
        Time zone used for calendar periods.
    week_start : str
        First day of a week.
    top_events : pandas.Series
        Events per event name, most frequent first (all of them).
    duplicates_dropped : int
        Rows removed by ``duplicates="drop"``.
    identities_merged : int
        Ids folded into another user by identity links.
    has_values : bool
        Whether the log carries numeric values.
    properties : tuple of str
        Names of the event-property columns.
    """

    n_events: int
    n_users: int
    n_event_types: int
    start: pd.Timestamp | None
    end: pd.Timestamp | None
    as_of: pd.Timestamp | None
    as_of_source: str
    tz: str
    week_start: str
    top_events: pd.Series
    duplicates_dropped: int
    identities_merged: int
    has_values: bool
    properties: tuple[str, ...]

    def __str__(self) -> str:
        span = "no events" if self.start is None else f"{self.start} -> {self.end}"
        lines = [
            f"EventLog: {self.n_events:,} events, {self.n_users:,} users, "
            f"{self.n_event_types:,} event types",
            f"  span:   {span} (tz={self.tz}, weeks start {self.week_start})",
            f"  as_of:  {self.as_of} ({self.as_of_source})",
        ]
        if self.has_values:
            lines.append("  values: yes")
        if self.properties:
            lines.append(f"  properties: {', '.join(self.properties)}")
        if self.duplicates_dropped:
            lines.append(f"  duplicates dropped: {self.duplicates_dropped:,}")
        if self.identities_merged:
            lines.append(f"  ids merged by identity links: {self.identities_merged:,}")
        if len(self.top_events):
            top = self.top_events.head(5)
            width = max(len(str(k)) for k in top.index)
            lines.append("  top events:")
            lines.extend(f"    {k!s:<{width}}  {int(v):>12,}" for k, v in top.items())
            if len(self.top_events) > 5:
                lines.append(f"    ... and {len(self.top_events) - 5} more")
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        """Return the summary as JSON-ready Python values.

        Returns
        -------
        dict
        """

        def iso(t: pd.Timestamp | None) -> str | None:
            return None if t is None else t.isoformat()

        return {
            "n_events": self.n_events,
            "n_users": self.n_users,
            "n_event_types": self.n_event_types,
            "start": iso(self.start),
            "end": iso(self.end),
            "as_of": iso(self.as_of),
            "as_of_source": self.as_of_source,
            "tz": self.tz,
            "week_start": self.week_start,
            "top_events": {str(k): int(v) for k, v in self.top_events.items()},
            "duplicates_dropped": self.duplicates_dropped,
            "identities_merged": self.identities_merged,
            "has_values": self.has_values,
            "properties": list(self.properties),
        }


class LogHeader:
    """What an event log and a lazy one both know without their rows: vocabularies and clock.

    Subclasses set ``_users``, ``_events``, ``_tz``, ``_week_start``, ``_as_of`` and
    ``_as_of_given``.
    """

    __slots__ = ()
    _users: pd.Index
    _events: pd.Index
    _tz: str
    _week_start: int
    _as_of: int | None
    _as_of_given: bool

    @property
    def users(self) -> pd.Index:
        """The user-id vocabulary: ``users[code]`` is the id of user code ``code``.

        It is shared by filtered views, so it may include users with no event in this view;
        :attr:`present_user_codes` lists those who have.
        """
        return self._users

    @property
    def event_names(self) -> pd.Index:
        """The event-name vocabulary: ``event_names[code]`` is the name of event code ``code``."""
        return self._events

    @property
    def tz(self) -> str:
        """IANA time zone used for calendar periods."""
        return self._tz

    @property
    def week_start(self) -> int:
        """First day of a calendar week, 0 = Monday ... 6 = Sunday."""
        return self._week_start

    def _stamp(self, ns: int | None) -> pd.Timestamp | None:
        return stamp(ns, self._tz)

    @property
    def as_of(self) -> pd.Timestamp | None:
        """The log's "now": given at construction, or else the last event's time."""
        return self._stamp(self._as_of)

    @property
    def as_of_ns(self) -> int | None:
        """:attr:`as_of` as int64 UTC nanoseconds."""
        return self._as_of

    @property
    def as_of_source(self) -> str:
        """``"given"`` when ``as_of`` was passed, else ``"last event"``."""
        return "given" if self._as_of_given else "last event"


class EventLog(LogHeader):
    """A validated, encoded, immutable event log: the first argument of every metric.

    Build one with :meth:`from_pandas`, :meth:`from_records`, :meth:`from_frame` or
    :func:`read_events`; never call the constructor directly.  Users and event names are encoded
    once as integer codes, times as int64 UTC nanoseconds; calendar periods are computed in the
    log's ``tz`` (DST-correct), with weeks starting on ``week_start``.  Filters return new logs
    and share the encoding, so codes stay comparable between a log and its filtered views.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({
    ...     "user_id": ["u1", "u1", "u2"],
    ...     "event": ["signup", "purchase", "signup"],
    ...     "timestamp": ["2024-05-01 09:00", "2024-05-03 20:15", "2024-05-02 11:30"],
    ...     "value": [None, 19.9, None],
    ... })
    >>> log = EventLog.from_pandas(df, tz="Asia/Shanghai")
    >>> log
    EventLog(3 events, 2 users, 2 event types, 2024-05-01 09:00:00+08:00 -> 2024-05-03 20:15:00+08:00, tz='Asia/Shanghai')
    >>> log.n_users, log.as_of
    (2, Timestamp('2024-05-03 20:15:00+0800', tz='Asia/Shanghai'))
    >>> log.filter_events(["purchase"]).to_pandas()
      user_id     event                 timestamp  value
    0      u1  purchase 2024-05-03 20:15:00+08:00   19.9
    """  # noqa: E501

    __slots__ = (
        "_as_of",
        "_as_of_given",
        "_cache",
        "_dups_dropped",
        "_event_codes",
        "_events",
        "_grain",
        "_merged",
        "_props",
        "_ts",
        "_tz",
        "_user_codes",
        "_users",
        "_values",
        "_week_start",
    )

    def __init__(
        self,
        *,
        user_codes: npt.NDArray[np.int32],
        users: pd.Index,
        event_codes: npt.NDArray[np.int32],
        events: pd.Index,
        ts_ns: npt.NDArray[np.int64],
        values: npt.NDArray[np.float64] | None,
        props: pd.DataFrame | None,
        tz: str,
        week_start: int,
        as_of_ns: int | None,
        as_of_given: bool,
        dups_dropped: int = 0,
        merged: int = 0,
        grain: str | None = None,
    ) -> None:
        self._user_codes = _readonly(user_codes)
        self._users = users
        self._event_codes = _readonly(event_codes)
        self._events = events
        self._ts = _readonly(ts_ns)
        self._values = None if values is None else _readonly(values)
        self._props = props
        self._tz = tz
        self._week_start = week_start
        if as_of_ns is None:
            as_of_ns = int(ts_ns.max()) if ts_ns.size else None
        self._as_of = as_of_ns
        self._as_of_given = as_of_given
        self._dups_dropped = dups_dropped
        self._merged = merged
        self._grain = grain
        self._cache: dict[str, Any] = {}

    # ------------------------------------------------------------------ constructors
    @classmethod
    def from_pandas(
        cls,
        df: pd.DataFrame,
        *,
        user_col: str = "user_id",
        event_col: str = "event",
        time_col: str = "timestamp",
        value_col: str | None = "value",
        anonymous_col: str | None = None,
        properties: Sequence[str] | None = None,
        tz: str | None = None,
        identities: Any = None,
        duplicates: Duplicates = "keep",
        as_of: Any = None,
        week_start: WeekStart | int = "monday",
        time_unit: TimeUnit | None = None,
        allow_empty: bool = False,
    ) -> EventLog:
        """Build an event log from a pandas DataFrame, checking every row.

        The frame is never modified.  All problems are collected and raised together as one
        :class:`~useropslib.exceptions.EventSchemaError` whose ``failure_cases`` frame lists each
        offending row; no row is ever dropped silently.

        Parameters
        ----------
        df : pandas.DataFrame
            One row per event.
        user_col, event_col, time_col : str
            Columns holding the user id, the event name and the time.
        value_col : str or None, default "value"
            Numeric amount per event (revenue).  The default is used only if the frame has a
            ``value`` column; a name you pass must exist.  ``None`` ignores values.
        anonymous_col : str, optional
            Anonymous or device id.  Rows without a user id are attributed through it; rows with
            both ids link them (as if given in ``identities``).
        properties : sequence of str, optional
            Columns kept as event properties.  Default: every column not used above.
        tz : str, optional
            IANA time zone.  Required when timestamps are naive (they are read as local times
            there); it is also the zone of calendar periods.  Default: the zone of aware input
            timestamps, else UTC.
        identities : DataFrame, mapping or iterable of IdentityLink, optional
            Links from anonymous/device ids to user ids, applied (transitively) before anything
            is counted.
        duplicates : {"keep", "drop", "error"}, default "keep"
            What to do with rows identical in every kept column: keep them as separate events,
            drop all but the first (the count is reported in :meth:`summary`), or raise.
        as_of : str, datetime or Timestamp, optional
            The log's "now".  Events after it are an error.  Default: the last event's time.
        week_start : str or int, default "monday"
            First day of a calendar week (``"sunday"`` for US-style weeks).
        time_unit : {"s", "ms", "us", "ns"}, optional
            Read a numeric time column as epoch values in this unit (UTC).
        allow_empty : bool, default False
            Accept a frame without rows.

        Returns
        -------
        EventLog

        Raises
        ------
        EventSchemaError
            Missing columns (with "did you mean"), null or blank ids or event names, null or
            unparseable timestamps, naive timestamps without ``tz``, mixed naive and aware
            timestamps, local times that do not exist or are ambiguous, events after ``as_of``,
            non-numeric or infinite values, duplicates under ``duplicates="error"``, an empty
            frame.
        IdentityConflictError
            When one anonymous id is linked to two users.
        InvalidParameterError
            For an unknown time zone or another invalid option.

        Examples
        --------
        >>> import pandas as pd
        >>> df = pd.DataFrame({"uid": ["a", "b"], "name": ["open", "open"],
        ...                    "ts": pd.to_datetime(["2024-01-01T10:00Z", "2024-01-02T10:00Z"])})
        >>> EventLog.from_pandas(df, user_col="uid", event_col="name", time_col="ts").n_events
        2
        """
        if not isinstance(df, pd.DataFrame):
            raise InvalidParameterError(
                f"from_pandas expects a pandas DataFrame, got {type(df).__name__}. Hint: use "
                "EventLog.from_frame for polars, pyarrow or DuckDB data, or from_records for "
                "Event objects."
            )
        _check_duplicates_policy(duplicates)
        if tz is not None:
            check_tz(tz)
        ws = parse_week_start(week_start)
        if time_unit is not None and time_unit not in ("s", "ms", "us", "ns"):
            raise InvalidParameterError(
                f"Invalid time_unit={time_unit!r}. Expected 's', 'ms', 'us' or 'ns'."
            )

        required = {user_col: "user_col", event_col: "event_col", time_col: "time_col"}
        if anonymous_col is not None:
            required[anonymous_col] = "anonymous_col"
        if value_col is not None and value_col != _DEFAULT_VALUE_COL:
            required[value_col] = "value_col"
        props_given = list(properties) if properties is not None else None
        if props_given is not None:
            required.update({p: "properties" for p in props_given if p not in required})
        missing = [c for c in required if c not in df.columns]
        if missing:
            raise EventSchemaError.missing_columns(
                missing=missing, available=df.columns, param=required
            )
        if value_col == _DEFAULT_VALUE_COL and value_col not in df.columns:
            value_col = None
        if df.columns.duplicated().any():
            dup = sorted({str(c) for c in df.columns[df.columns.duplicated()]})
            raise EventSchemaError(
                f"Event table has duplicated column name(s) {dup}. Expected unique names. "
                "Hint: rename or drop the repeated columns."
            )

        problems = Problems(df.index)
        n = len(df)
        if n == 0 and not allow_empty:
            problems.add_whole("*", "empty_log", "the table has no rows")
            problems.raise_if_any()

        # --- users (with anonymous ids and identity links) -----------------------------------
        user_s = df[user_col]
        anon_links = None
        if anonymous_col is not None:
            anon_s = df[anonymous_col]
            has_user = user_s.notna().to_numpy()
            key_s = user_s.astype(object).where(has_user, anon_s.astype(object))
            both = has_user & anon_s.notna().to_numpy()
            if both.any():
                pair = pd.DataFrame(
                    {
                        "anonymous_id": anon_s[both].to_numpy(dtype=object),
                        "user_id": user_s[both].to_numpy(dtype=object),
                    }
                )
                anon_links = pair.drop_duplicates()
        else:
            key_s = user_s
        user_codes, users = pd.factorize(key_s)
        user_codes = user_codes.astype(np.int32, copy=False)
        problems.add(user_codes < 0, user_col, "null_user_id")
        users = pd.Index(users)
        blank_codes = _blank_positions(users)
        if blank_codes.size:
            problems.add(np.isin(user_codes, blank_codes), user_col, "empty_user_id", key_s)

        # --- events ----------------------------------------------------------------------------
        event_s = df[event_col]
        event_codes, events = pd.factorize(event_s)
        event_codes = event_codes.astype(np.int32, copy=False)
        problems.add(event_codes < 0, event_col, "null_event")
        events = pd.Index(events)
        if not (pd.api.types.is_string_dtype(events.dtype) or pd.api.types.is_object_dtype(events)):
            events = events.astype(str)
        blank_events = _blank_positions(events)
        if blank_events.size:
            problems.add(np.isin(event_codes, blank_events), event_col, "empty_event", event_s)

        # --- time, values, as_of ----------------------------------------------------------------
        ts, input_tz = parse_timestamps(
            df[time_col], tz=tz, time_unit=time_unit, column=time_col, problems=problems
        )
        # calendar zone: the one given, else the input's own IANA zone, else UTC
        log_tz = tz or (input_tz if input_tz is not None and _is_iana(input_tz) else "UTC")
        values = None
        if value_col is not None:
            values = parse_values(df[value_col], column=value_col, problems=problems)
        as_of_ns = None
        if as_of is not None:
            as_of_ns = to_utc_ns(as_of, tz=log_tz, name="as_of")
            problems.add(ts > as_of_ns, time_col, "after_as_of", df[time_col])

        # --- properties -------------------------------------------------------------------------
        used = {user_col, event_col, time_col, value_col, anonymous_col}
        prop_cols = (
            props_given if props_given is not None else [c for c in df.columns if c not in used]
        )
        props = df[prop_cols].reset_index(drop=True) if prop_cols else None

        # --- duplicates -------------------------------------------------------------------------
        dup_mask = None
        if duplicates != "keep" and n:
            key = pd.DataFrame({"u": user_codes, "e": event_codes, "t": ts})
            if values is not None:
                key["v"] = values
            if props is not None:
                key = pd.concat([key, props.set_axis(key.index)], axis=1)
            dup_mask = key.duplicated(keep="first").to_numpy()
            if duplicates == "error":
                problems.add(dup_mask, "*", "duplicate_row")
        problems.raise_if_any()

        # --- identities -------------------------------------------------------------------------
        links = links_frame(identities)
        if anon_links is not None:
            links = pd.concat([links, anon_links], ignore_index=True)
        merged = 0
        if len(links):
            canonical = resolve_ids(users, links)
            new_codes, new_users = pd.factorize(pd.Index(canonical, dtype=object))
            merged = len(users) - len(new_users)
            user_codes = new_codes.astype(np.int32)[user_codes]
            users = pd.Index(new_users)

        dropped = 0
        if dup_mask is not None and duplicates == "drop" and dup_mask.any():
            keep = ~dup_mask
            dropped = int(dup_mask.sum())
            user_codes, event_codes, ts = user_codes[keep], event_codes[keep], ts[keep]
            values = None if values is None else values[keep]
            props = None if props is None else props[keep].reset_index(drop=True)

        return cls(
            user_codes=np.ascontiguousarray(user_codes),
            users=users,
            event_codes=np.ascontiguousarray(event_codes),
            events=events,
            ts_ns=ts,
            values=values,
            props=props,
            tz=log_tz,
            week_start=ws,
            as_of_ns=as_of_ns,
            as_of_given=as_of is not None,
            dups_dropped=dropped,
            merged=merged,
        )

    @classmethod
    def from_records(
        cls,
        records: Iterable[Event | dict[str, Any]],
        *,
        tz: str | None = None,
        identities: Any = None,
        duplicates: Duplicates = "keep",
        as_of: Any = None,
        week_start: WeekStart | int = "monday",
        allow_empty: bool = False,
    ) -> EventLog:
        """Build an event log from :class:`~useropslib.models.Event` objects or plain dicts.

        Dicts (for example parsed JSON) are validated in one pass through a single pydantic
        ``TypeAdapter``; every invalid record is reported at once.

        Parameters
        ----------
        records : iterable of Event or dict
            The events.  Each record's ``properties`` become property columns.
        tz : str, optional
            Time zone of calendar periods (the records' instants are already aware).
            Default UTC.
        identities, duplicates, as_of, week_start, allow_empty
            As in :meth:`from_pandas`.

        Returns
        -------
        EventLog

        Raises
        ------
        EventSchemaError
            When records do not validate; ``failure_cases`` names the record position, the
            field and pydantic's error.

        Examples
        --------
        >>> import datetime as dt
        >>> from useropslib.models import Event
        >>> t = dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc)
        >>> log = EventLog.from_records([
        ...     Event(user_id="u1", event="signup", timestamp=t),
        ...     {"user_id": "u2", "event": "signup", "timestamp": "2024-01-02T00:00:00Z"},
        ... ])
        >>> log.n_users
        2
        """
        raw = list(records)
        if all(isinstance(r, Event) for r in raw):
            items: list[Event] = raw  # type: ignore[assignment]
        else:
            as_dicts = [r.model_dump() if isinstance(r, Event) else r for r in raw]
            try:
                items = _EVENTS_ADAPTER.validate_python(as_dicts)
            except ValidationError as exc:
                raise _records_error(exc, as_dicts) from None
        frame = pd.DataFrame(
            {
                "user_id": pd.Series([e.user_id for e in items], dtype=object),
                "anonymous_id": pd.Series([e.anonymous_id for e in items], dtype=object),
                "event": pd.Series([e.event for e in items], dtype=object),
                "timestamp": pd.to_datetime([e.timestamp for e in items], utc=True),
                "value": pd.Series([e.value for e in items], dtype="float64"),
            }
        )
        props = pd.DataFrame([e.properties for e in items], index=frame.index)
        has_anon = bool(frame["anonymous_id"].notna().any())
        if not has_anon:
            frame = frame.drop(columns="anonymous_id")
        if frame["value"].isna().all():
            frame = frame.drop(columns="value")
        prop_names = [str(c) for c in props.columns]
        reserved = ("user_id", "anonymous_id", "event", "timestamp", "value")
        clash = [c for c in prop_names if c in reserved]
        if clash:
            raise EventSchemaError(
                f"Event properties {clash} clash with the event fields. Expected property names "
                "other than user_id, anonymous_id, event, timestamp and value. Hint: rename them "
                "(e.g. 'event_value')."
            )
        frame = pd.concat([frame, props], axis=1)
        log = cls.from_pandas(
            frame,
            anonymous_col="anonymous_id" if has_anon else None,
            properties=prop_names,
            identities=identities,
            duplicates=duplicates,
            as_of=as_of,
            week_start=week_start,
            allow_empty=allow_empty,
        )
        return log if tz is None else log.with_tz(tz)

    @classmethod
    def from_frame(
        cls,
        frame: Any,
        *,
        user_col: str = "user_id",
        event_col: str = "event",
        time_col: str = "timestamp",
        value_col: str | None = "value",
        anonymous_col: str | None = None,
        properties: Sequence[str] | None = None,
        tz: str | None = None,
        identities: Any = None,
        duplicates: Duplicates = "keep",
        as_of: Any = None,
        week_start: WeekStart | int = "monday",
        time_unit: TimeUnit | None = None,
        allow_empty: bool = False,
    ) -> EventLog:
        """Build an event log from any narwhals-supported frame.

        DuckDB relations, Polars DataFrames and LazyFrames, pyarrow Tables and PySpark
        DataFrames are checked and encoded **in their own engine**: the validation counts, the
        dense integer codes of users and event names and the epoch times are computed there, and
        only those compact columns (plus the two vocabularies and the ``properties`` you name)
        are collected.  This is the way to build a log from a Parquet file larger than memory.
        Columns the engine path does not read (text or date times, non-numeric values,
        ``anonymous_col``, ``duplicates`` other than "keep") make it collect just the needed
        columns and validate them as :meth:`from_pandas` does.  pandas, Modin, cuDF and Dask
        frames go through :meth:`from_pandas` with all their columns.

        Parameters
        ----------
        frame : DataFrame-like
            The events.
        user_col, event_col, time_col, value_col, anonymous_col, tz, identities, duplicates, \
as_of, week_start, time_unit, allow_empty
            As in :meth:`from_pandas`.
        properties : sequence of str, optional
            Columns kept as event properties.  For engine frames (DuckDB, Polars, pyarrow,
            PySpark) the default keeps none, so no wide column is collected by accident; for
            pandas-like frames the default keeps every other column, as in :meth:`from_pandas`.

        Returns
        -------
        EventLog

        Raises
        ------
        EventSchemaError
            As in :meth:`from_pandas`.  For engine frames the counts are exact and
            ``failure_cases`` holds the first 1000 offending rows of each check (``row`` is the
            position for Polars and pyarrow, None for DuckDB and PySpark, which have no row
            order).
        InvalidParameterError
            When ``frame`` is not a frame narwhals knows, or an option is invalid.

        Examples
        --------
        >>> import polars as pl
        >>> from datetime import datetime, timezone
        >>> pf = pl.DataFrame({"user_id": ["a"], "event": ["open"],
        ...                    "timestamp": [datetime(2024, 1, 1, tzinfo=timezone.utc)]})
        >>> EventLog.from_frame(pf).n_events
        1
        >>> import duckdb
        >>> rel = duckdb.sql("SELECT 'u1' AS user_id, 'open' AS event, "
        ...                  "TIMESTAMP '2024-01-01 09:00' AS timestamp")
        >>> EventLog.from_frame(rel, tz="Asia/Shanghai").start
        Timestamp('2024-01-01 09:00:00+0800', tz='Asia/Shanghai')
        """
        opts: dict[str, Any] = {
            "user_col": user_col,
            "event_col": event_col,
            "time_col": time_col,
            "value_col": value_col,
            "anonymous_col": anonymous_col,
            "properties": properties,
            "tz": tz,
            "identities": identities,
            "duplicates": duplicates,
            "as_of": as_of,
            "week_start": week_start,
            "time_unit": time_unit,
            "allow_empty": allow_empty,
        }
        if isinstance(frame, pd.DataFrame):
            return cls.from_pandas(frame, **opts)
        import narwhals.stable.v2 as nw

        from useropslib.events import _engine

        try:
            nw_frame = nw.from_native(frame)
        except TypeError:
            raise InvalidParameterError(
                f"from_frame got a {type(frame).__module__}.{type(frame).__name__}, which is not "
                "a data frame useropslib can read. Expected a pandas, polars, pyarrow, DuckDB, "
                "PySpark or Dask frame. Hint: for a list of Event objects use from_records."
            ) from None
        backend = str(nw_frame.implementation.name).lower()
        if backend not in _engine.ENGINE_BACKENDS:
            if isinstance(nw_frame, nw.LazyFrame):
                nw_frame = nw_frame.collect()
            return cls.from_pandas(nw_frame.to_pandas(), **opts)

        # --- engine frames: check options and columns without touching the rows --------------
        _check_duplicates_policy(duplicates)
        ws = parse_week_start(week_start)
        value_col, props = _check_engine_columns(
            nw_frame,
            user_col=user_col,
            event_col=event_col,
            time_col=time_col,
            value_col=value_col,
            anonymous_col=anonymous_col,
            properties=properties,
            tz=tz,
            time_unit=time_unit,
        )

        encoded = None
        if anonymous_col is None and duplicates == "keep":
            encoded = _engine.encode_in_engine(
                nw_frame,
                user_col=user_col,
                event_col=event_col,
                time_col=time_col,
                value_col=value_col,
                properties=props,
                tz=tz,
                time_unit=time_unit,
                as_of=as_of,
                allow_empty=allow_empty,
            )
        if encoded is None:
            used = [user_col, anonymous_col, event_col, time_col, value_col, *props]
            df = _engine.collect_pandas(nw_frame, [c for c in used if c is not None])
            return cls.from_pandas(df, **{**opts, "value_col": value_col, "properties": props})
        return cls._from_arrays(
            user_codes=encoded.user_codes,
            users=encoded.users,
            event_codes=encoded.event_codes,
            events=encoded.events,
            ts_ns=encoded.ts_ns,
            values=encoded.values,
            props=encoded.props,
            tz=encoded.tz,
            week_start=ws,
            as_of_ns=None if as_of is None else to_utc_ns(as_of, tz=encoded.tz, name="as_of"),
            identities=identities,
        )

    @classmethod
    def scan(
        cls,
        frame: Any,
        *,
        user_col: str = "user_id",
        event_col: str = "event",
        time_col: str = "timestamp",
        value_col: str | None = "value",
        properties: Sequence[str] | None = None,
        tz: str | None = None,
        as_of: Any = None,
        week_start: WeekStart | int = "monday",
        time_unit: TimeUnit | None = None,
        allow_empty: bool = False,
    ) -> LazyEventLog:
        """Check and encode an engine frame where it lives, collecting no event rows.

        The same checks as :meth:`from_frame` run in the engine (DuckDB, Polars, pyarrow or
        PySpark), and the user and event vocabularies are collected, but the rows stay there.
        Every metric, segment and churn function accepts the returned
        :class:`~useropslib.events.LazyEventLog` and asks the engine only for what it needs: a
        roll-up to (user, event, local day) for calendar metrics, the rows of the named events
        for a funnel, everything only where exact times of every event matter.  Use it for
        tables larger than memory or on a cluster.

        Parameters
        ----------
        frame : DuckDB relation, Polars DataFrame or LazyFrame, pyarrow Table, PySpark DataFrame
            The events.  Times must be time-zone aware (or integer epochs with ``time_unit``).
        user_col, event_col, time_col, value_col, properties, tz, as_of, week_start, \
time_unit, allow_empty
            As in :meth:`from_frame`.

        Returns
        -------
        LazyEventLog

        Raises
        ------
        EventSchemaError
            As in :meth:`from_frame`, from counts computed in the engine.
        InvalidParameterError
            For a pandas (or other in-memory) frame, naive times, or an invalid option.

        Examples
        --------
        >>> import polars as pl
        >>> from datetime import datetime, timezone
        >>> lf = pl.LazyFrame({"user_id": ["a", "a", "b"], "event": ["open", "buy", "open"],
        ...                    "timestamp": [datetime(2024, 1, d, tzinfo=timezone.utc)
        ...                                  for d in (1, 2, 2)]})
        >>> lazy = EventLog.scan(lf)
        >>> lazy.n_events, list(lazy.users)
        (3, ['a', 'b'])
        """
        import narwhals.stable.v2 as nw

        from useropslib.events import _engine
        from useropslib.events._lazy import LazyEventLog

        try:
            nw_frame = nw.from_native(frame)
        except TypeError:
            nw_frame = None
        backend = "" if nw_frame is None else str(nw_frame.implementation.name).lower()
        if nw_frame is None or backend not in _engine.ENGINE_BACKENDS:
            raise InvalidParameterError(
                f"scan got a {type(frame).__module__}.{type(frame).__name__}, which is not an "
                "engine frame. Expected a DuckDB relation, a Polars DataFrame or LazyFrame, a "
                "pyarrow Table or a PySpark DataFrame. Hint: an in-memory pandas frame is read "
                "with EventLog.from_pandas."
            )
        ws = parse_week_start(week_start)
        value_col, props = _check_engine_columns(
            nw_frame,
            user_col=user_col,
            event_col=event_col,
            time_col=time_col,
            value_col=value_col,
            anonymous_col=None,
            properties=properties,
            tz=tz,
            time_unit=time_unit,
        )
        prep = _engine.prepare_in_engine(
            nw_frame,
            user_col=user_col,
            event_col=event_col,
            time_col=time_col,
            value_col=value_col,
            properties=props,
            tz=tz,
            time_unit=time_unit,
            as_of=as_of,
            allow_empty=allow_empty,
            with_users=False,
        )
        if prep is None or prep.naive:
            what = "naive (time-zone-less) times" if prep is not None else "columns of a type"
            raise InvalidParameterError(
                f"scan cannot keep this table in its engine: it has {what} that are only read "
                "after collecting. Expected string or integer ids, numeric values and "
                "time-zone-aware times (or integer epochs with time_unit=). Hint: convert the "
                "time column in the engine, or use EventLog.from_frame, which collects and "
                "reads them."
            )
        return LazyEventLog(
            frame=nw.to_native(prep.raw),
            events=prep.events,
            raw_events=prep.raw_events,
            properties=prep.properties,
            has_values=prep.has_values,
            tz=prep.tz,
            week_start=ws,
            n_events=prep.n_rows,
            t_min=prep.t_min,
            t_max=prep.t_max,
            as_of_ns=None if as_of is None else to_utc_ns(as_of, tz=prep.tz, name="as_of"),
        )

    @classmethod
    def _from_arrays(
        cls,
        *,
        user_codes: npt.NDArray[np.int32],
        users: pd.Index,
        event_codes: npt.NDArray[np.int32],
        events: pd.Index,
        ts_ns: npt.NDArray[np.int64],
        values: npt.NDArray[np.float64] | None,
        props: pd.DataFrame | None,
        tz: str,
        week_start: int,
        as_of_ns: int | None,
        identities: Any = None,
    ) -> EventLog:
        """Build a log from already validated, encoded arrays, applying identity links."""
        links = links_frame(identities)
        merged = 0
        if len(links):
            canonical = resolve_ids(users, links)
            new_codes, new_users = pd.factorize(pd.Index(canonical, dtype=object))
            merged = len(users) - len(new_users)
            user_codes = new_codes.astype(np.int32)[user_codes]
            users = pd.Index(new_users)
        return cls(
            user_codes=np.ascontiguousarray(user_codes, dtype=np.int32),
            users=users,
            event_codes=np.ascontiguousarray(event_codes, dtype=np.int32),
            events=events,
            ts_ns=np.ascontiguousarray(ts_ns, dtype=np.int64),
            values=values,
            props=props,
            tz=tz,
            week_start=week_start,
            as_of_ns=as_of_ns,
            as_of_given=as_of_ns is not None,
            merged=merged,
        )

    # ------------------------------------------------------------------ basic facts
    def __len__(self) -> int:
        return int(self._ts.size)

    @property
    def grain(self) -> str | None:
        """What a row is: None for one event, or the period of a roll-up.

        A log from :meth:`LazyEventLog.rollup` holds one row per (user, event, local period)
        with the group's first time and value sum; ``grain`` then names that period
        (``"hour"``, ``"day"``, ``"week"`` or ``"month"``).  Functions that count events refuse
        such a log instead of counting groups.
        """
        return self._grain

    @property
    def n_events(self) -> int:
        """Number of events (rows)."""
        return int(self._ts.size)

    @property
    def n_users(self) -> int:
        """Number of distinct users with at least one event in this log."""
        return int(self.present_user_codes.size)

    @property
    def present_user_codes(self) -> npt.NDArray[np.int64]:
        """Sorted codes of the users with at least one event in this log."""
        if "present" not in self._cache:
            seen = np.bincount(self._user_codes, minlength=len(self._users)) > 0
            self._cache["present"] = _readonly(np.flatnonzero(seen))
        out: npt.NDArray[np.int64] = self._cache["present"]
        return out

    @property
    def user_codes(self) -> npt.NDArray[np.int32]:
        """Per-event user codes (read-only int32 array)."""
        return self._user_codes

    @property
    def event_codes(self) -> npt.NDArray[np.int32]:
        """Per-event event-name codes (read-only int32 array)."""
        return self._event_codes

    @property
    def timestamps_ns(self) -> npt.NDArray[np.int64]:
        """Per-event UTC instants as int64 nanoseconds since the epoch (read-only)."""
        return self._ts

    @property
    def values(self) -> npt.NDArray[np.float64] | None:
        """Per-event numeric values (NaN where absent), or None when the log has no values."""
        return self._values

    @property
    def properties(self) -> pd.DataFrame:
        """Per-event properties as a frame aligned with the events (a copy; may have no columns)."""
        out: pd.DataFrame = (
            pd.DataFrame(index=pd.RangeIndex(self.n_events))
            if self._props is None
            else self._props.copy()
        )
        return out

    @property
    def property_names(self) -> tuple[str, ...]:
        """Names of the event-property columns."""
        return () if self._props is None else tuple(str(c) for c in self._props.columns)

    def property_values(self, name: str) -> pd.Series:
        """Return one property column, aligned with the events, without copying the others.

        Parameters
        ----------
        name : str
            A property column name.

        Returns
        -------
        pandas.Series
            Indexed 0..n_events-1; treat it as read-only.

        Raises
        ------
        InvalidParameterError
            When the log has no such property; the message lists close names.

        Examples
        --------
        >>> import pandas as pd
        >>> df = pd.DataFrame({"user_id": ["a"], "event": ["open"], "channel": ["push"],
        ...                    "timestamp": ["2024-01-01T00:00Z"]})
        >>> EventLog.from_pandas(df).property_values("channel").tolist()
        ['push']
        """
        names = self.property_names
        if self._props is None or name not in names:
            close = did_you_mean(str(name), names)
            hint = f" Did you mean {', '.join(map(repr, close))}?" if close else ""
            raise InvalidParameterError(
                f"The event log has no property {name!r}. Known properties: {list(names)}.{hint} "
                "Hint: properties are the extra columns kept by from_pandas(properties=...)."
            )
        col: pd.Series = self._props[name]
        return col

    @property
    def start(self) -> pd.Timestamp | None:
        """Time of the first event in the log's time zone (None if empty)."""
        return self._stamp(int(self._ts.min())) if self._ts.size else None

    @property
    def end(self) -> pd.Timestamp | None:
        """Time of the last event in the log's time zone (None if empty)."""
        return self._stamp(int(self._ts.max())) if self._ts.size else None

    def event_counts(self) -> pd.Series:
        """Return the number of events per event name, most frequent first.

        Returns
        -------
        pandas.Series
            Indexed by event name; names with no event in this view are left out.

        Examples
        --------
        >>> import pandas as pd
        >>> df = pd.DataFrame({"user_id": [1, 1, 2], "event": ["a", "b", "a"],
        ...                    "timestamp": pd.to_datetime(["2024-01-01"] * 3, utc=True)})
        >>> EventLog.from_pandas(df).event_counts().to_dict()
        {'a': 2, 'b': 1}
        """
        counts = np.bincount(self._event_codes, minlength=len(self._events))
        s = pd.Series(counts, index=self._events, name="events")
        s = s[s > 0]
        order = np.lexsort((np.arange(len(s)), -s.to_numpy()))
        ranked: pd.Series = s.iloc[order]
        return ranked

    # ------------------------------------------------------------------ calendar
    def period_codes(
        self,
        period: Period | str,
        *,
        tz: str | None = None,
        week_start: WeekStart | int | None = None,
    ) -> npt.NDArray[np.int64]:
        """Return each event's calendar-period number (see :func:`useropslib.events.period_codes`).

        Parameters
        ----------
        period : {"hour", "day", "week", "month"}
            Calendar period.
        tz : str, optional
            Zone of the calendar; default the log's.
        week_start : str or int, optional
            First weekday; default the log's.

        Returns
        -------
        ndarray of int64
            Cached per (period, tz, week_start).

        Examples
        --------
        >>> import pandas as pd
        >>> df = pd.DataFrame({"user_id": ["a", "a"], "event": ["x", "x"],
        ...                    "timestamp": ["2024-01-01T23:30Z", "2024-01-02T00:30Z"]})
        >>> log = EventLog.from_pandas(df)
        >>> log.period_starts(log.period_codes("day"), "day")
        DatetimeIndex(['2024-01-01 00:00:00+00:00', '2024-01-02 00:00:00+00:00'], dtype='datetime64[ns, UTC]', freq=None)
        >>> log.period_codes("day", tz="Asia/Shanghai").tolist()
        [19724, 19724]
        """  # noqa: E501
        p = parse_period(period)
        z = self._tz if tz is None else check_tz(tz)
        ws = self._week_start if week_start is None else parse_week_start(week_start)
        key = f"period:{p}:{z}:{ws if p == 'week' else 0}"
        if key not in self._cache:
            self._cache[key] = _readonly(period_codes(self._ts, p, tz=z, week_start=ws))
        out: npt.NDArray[np.int64] = self._cache[key]
        return out

    def period_starts(
        self,
        codes: npt.ArrayLike,
        period: Period | str,
        *,
        tz: str | None = None,
        week_start: WeekStart | int | None = None,
    ) -> pd.DatetimeIndex:
        """Turn period codes back into local period-start timestamps.

        Parameters
        ----------
        codes : array-like of int
            Codes from :meth:`period_codes`.
        period : {"hour", "day", "week", "month"}
            The period of the codes.
        tz, week_start : optional
            As in :meth:`period_codes`; default the log's.

        Returns
        -------
        pandas.DatetimeIndex
        """
        z = self._tz if tz is None else check_tz(tz)
        ws = self._week_start if week_start is None else parse_week_start(week_start)
        return period_starts(codes, period, tz=z, week_start=ws)

    # ------------------------------------------------------------------ views
    def _take(self, mask: npt.NDArray[np.bool_], **changes: Any) -> EventLog:
        params: dict[str, Any] = {
            "user_codes": self._user_codes[mask],
            "users": self._users,
            "event_codes": self._event_codes[mask],
            "events": self._events,
            "ts_ns": self._ts[mask],
            "values": None if self._values is None else self._values[mask],
            "props": None if self._props is None else self._props[mask].reset_index(drop=True),
            "tz": self._tz,
            "week_start": self._week_start,
            "as_of_ns": self._as_of,
            "as_of_given": self._as_of_given,
            "dups_dropped": self._dups_dropped,
            "merged": self._merged,
            "grain": self._grain,
        }
        params.update(changes)
        return type(self)(**params)

    def _replace(self, **changes: Any) -> EventLog:
        # the same events: share the read-only arrays and the property frame (never modified
        # in place) instead of copying them; only the cache starts empty
        params: dict[str, Any] = {
            "user_codes": self._user_codes,
            "users": self._users,
            "event_codes": self._event_codes,
            "events": self._events,
            "ts_ns": self._ts,
            "values": self._values,
            "props": self._props,
            "tz": self._tz,
            "week_start": self._week_start,
            "as_of_ns": self._as_of,
            "as_of_given": self._as_of_given,
            "dups_dropped": self._dups_dropped,
            "merged": self._merged,
            "grain": self._grain,
        }
        params.update(changes)
        return type(self)(**params)

    def between(self, start: Any = None, end: Any = None) -> EventLog:
        """Keep the events with ``start <= time < end``.

        Parameters
        ----------
        start, end : str, datetime or Timestamp, optional
            Bounds; naive values are read in the log's time zone.  ``None`` leaves a side open.

        Returns
        -------
        EventLog
            A new log with the same encoding and ``as_of``.

        Raises
        ------
        InvalidParameterError
            When ``end`` is before ``start`` or a bound cannot be read.

        Examples
        --------
        >>> import pandas as pd
        >>> df = pd.DataFrame({"user_id": ["a", "b"], "event": ["x", "x"],
        ...                    "timestamp": ["2024-01-01T10:00Z", "2024-01-03T10:00Z"]})
        >>> EventLog.from_pandas(df).between("2024-01-02", "2024-01-04").n_users
        1
        """
        lo = None if start is None else to_utc_ns(start, tz=self._tz, name="start")
        hi = None if end is None else to_utc_ns(end, tz=self._tz, name="end")
        if lo is not None and hi is not None and hi < lo:
            raise InvalidParameterError(
                f"end={end!r} is before start={start!r}. Expected start <= end. Hint: swap them."
            )
        mask = np.ones(self.n_events, dtype=bool)
        if lo is not None:
            mask &= self._ts >= lo
        if hi is not None:
            mask &= self._ts < hi
        return self._take(mask)

    def until(self, as_of: Any) -> EventLog:
        """Return the log as it was known at ``as_of``: events at or before it, with that ``as_of``.

        Parameters
        ----------
        as_of : str, datetime or Timestamp
            The new "now"; naive values are read in the log's time zone.

        Returns
        -------
        EventLog

        Examples
        --------
        >>> import pandas as pd
        >>> df = pd.DataFrame({"user_id": ["a", "b"], "event": ["x", "x"],
        ...                    "timestamp": ["2024-01-01T10:00Z", "2024-01-03T10:00Z"]})
        >>> old = EventLog.from_pandas(df).until("2024-01-02")
        >>> old.n_events, str(old.as_of), old.as_of_source
        (1, '2024-01-02 00:00:00+00:00', 'given')
        """
        ns = to_utc_ns(as_of, tz=self._tz, name="as_of")
        return self._take(self._ts <= ns, as_of_ns=ns, as_of_given=True)

    def filter_events(self, names: Iterable[str] | str, *, exclude: bool = False) -> EventLog:
        """Keep (or with ``exclude=True`` drop) the events with the given names.

        Parameters
        ----------
        names : str or iterable of str
            Event names; each must exist in the log.
        exclude : bool, default False
            Drop these events instead of keeping them.

        Returns
        -------
        EventLog

        Raises
        ------
        InvalidParameterError
            For names the log does not know, with close known names.
        """
        wanted = [names] if isinstance(names, str) else list(names)
        codes = self.event_code_of(wanted)
        mask = np.isin(self._event_codes, codes)
        return self._take(~mask if exclude else mask)

    def event_code_of(self, names: Sequence[str]) -> npt.NDArray[np.int64]:
        """Return the codes of event names, raising a helpful error for unknown ones.

        Parameters
        ----------
        names : sequence of str
            Event names.

        Returns
        -------
        ndarray of int64

        Raises
        ------
        InvalidParameterError
            For unknown names, listing close known names.
        """
        codes = self._events.get_indexer(pd.Index(list(names), dtype=object))
        if (codes < 0).any():
            unknown = [n for n, c in zip(names, codes, strict=True) if c < 0]
            hints = []
            for u in unknown:
                close = did_you_mean(str(u), self._events)
                if close:
                    hints.append(f"{u!r} -> did you mean {', '.join(map(repr, close))}?")
            known = list(map(str, self._events[:20]))
            more = " ..." if len(self._events) > 20 else ""
            hint = (" Hint: " + "; ".join(hints)) if hints else ""
            raise InvalidParameterError(
                f"Unknown event name(s) {unknown}. Known events: {known}{more}.{hint}"
            )
        return np.asarray(codes, dtype=np.int64)

    def filter_users(self, user_ids: Iterable[Any], *, exclude: bool = False) -> EventLog:
        """Keep (or with ``exclude=True`` drop) the events of the given users.

        Ids the log does not know are ignored (an audience list often names users with no
        events).

        Parameters
        ----------
        user_ids : iterable
            User ids.
        exclude : bool, default False
            Drop these users instead of keeping them.

        Returns
        -------
        EventLog
        """
        codes = self._users.get_indexer(pd.Index(list(user_ids), dtype=object))
        member = np.zeros(len(self._users), dtype=bool)
        member[codes[codes >= 0]] = True
        mask = member[self._user_codes]
        return self._take(~mask if exclude else mask)

    def with_tz(self, tz: str) -> EventLog:
        """Return the same events with calendar periods computed in another time zone.

        Parameters
        ----------
        tz : str
            IANA time zone.

        Returns
        -------
        EventLog
        """
        return self._replace(tz=check_tz(tz))

    def with_week_start(self, week_start: WeekStart | int) -> EventLog:
        """Return the same events with weeks starting on another day.

        Parameters
        ----------
        week_start : str or int
            ``"monday"`` ... ``"sunday"`` or 0-6.

        Returns
        -------
        EventLog
        """
        return self._replace(week_start=parse_week_start(week_start))

    # ------------------------------------------------------------------ output
    def to_pandas(self) -> pd.DataFrame:
        """Return the events as a new pandas DataFrame.

        Columns: ``user_id``, ``event``, ``timestamp`` (aware, in the log's zone), ``value`` (if the
        log has values) and the property columns.  Rows keep the log's order.

        Returns
        -------
        pandas.DataFrame
        """
        out = pd.DataFrame(
            {
                "user_id": self._users.take(self._user_codes),
                "event": self._events.take(self._event_codes),
                "timestamp": pd.DatetimeIndex(self._ts.view("datetime64[ns]"), tz="UTC").tz_convert(
                    self._tz
                ),
            }
        )
        if self._values is not None:
            out["value"] = self._values
        if self._props is not None:
            for c in self._props.columns:
                out[c] = self._props[c].to_numpy()
        result: pd.DataFrame = out
        return result

    def summary(self) -> LogSummary:
        """Describe the log: counts, span, ``as_of`` and the most frequent events.

        Returns
        -------
        LogSummary
        """
        return LogSummary(
            n_events=self.n_events,
            n_users=self.n_users,
            n_event_types=int(np.count_nonzero(np.bincount(self._event_codes)))
            if self.n_events
            else 0,
            start=self.start,
            end=self.end,
            as_of=self.as_of,
            as_of_source=self.as_of_source,
            tz=self._tz,
            week_start=_WEEKDAY_NAMES[self._week_start],
            top_events=self.event_counts(),
            duplicates_dropped=self._dups_dropped,
            identities_merged=self._merged,
            has_values=self._values is not None,
            properties=tuple(str(c) for c in self._props.columns)
            if self._props is not None
            else (),
        )

    def __repr__(self) -> str:
        s = self.summary()
        span = "empty" if s.start is None else f"{s.start} -> {s.end}"
        return (
            f"EventLog({s.n_events:,} events, {s.n_users:,} users, {s.n_event_types} event types, "
            f"{span}, tz={s.tz!r})"
        )

    def __str__(self) -> str:
        return str(self.summary())

    def equals(self, other: object) -> bool:
        """Whether two logs hold the same events, whatever their row order or encoding.

        Compares the multiset of (user id, event, time, value, properties) rows, the time zone,
        the week start and ``as_of``.

        Parameters
        ----------
        other : object
            Another log.

        Returns
        -------
        bool
        """
        if not isinstance(other, EventLog):
            return False
        if (self._tz, self._week_start, self._as_of) != (
            other._tz,
            other._week_start,
            other._as_of,
        ):
            return False
        if self.n_events != other.n_events:
            return False
        a, b = self._canonical(), other._canonical()
        return bool(list(a.columns) == list(b.columns) and a.equals(b))

    def _canonical(self) -> pd.DataFrame:
        df = self.to_pandas()
        df["user_id"] = df["user_id"].astype(str)
        cols = list(df.columns)
        df = df.astype({c: str for c in cols if c not in ("timestamp", "value")})
        ordered: pd.DataFrame = df.sort_values(cols, kind="stable").reset_index(drop=True)
        return ordered

    def __eq__(self, other: object) -> bool:
        return self.equals(other)

    __hash__ = None  # type: ignore[assignment]

    def copy(self) -> Self:
        """Return self: an EventLog is immutable, so copies are never needed.

        Returns
        -------
        EventLog
        """
        return self


def _check_engine_columns(
    nw_frame: Any,
    *,
    user_col: str,
    event_col: str,
    time_col: str,
    value_col: str | None,
    anonymous_col: str | None,
    properties: Sequence[str] | None,
    tz: str | None,
    time_unit: str | None,
) -> tuple[str | None, list[str]]:
    """Check the options and columns of an engine frame without touching its rows.

    Returns the value column (None when the default one is absent) and the property names.
    """
    if tz is not None:
        check_tz(tz)
    if time_unit is not None and time_unit not in ("s", "ms", "us", "ns"):
        raise InvalidParameterError(
            f"Invalid time_unit={time_unit!r}. Expected 's', 'ms', 'us' or 'ns'."
        )
    columns = list(nw_frame.collect_schema().names())
    required = {user_col: "user_col", event_col: "event_col", time_col: "time_col"}
    if anonymous_col is not None:
        required[anonymous_col] = "anonymous_col"
    if value_col is not None and value_col != _DEFAULT_VALUE_COL:
        required[value_col] = "value_col"
    props = list(properties) if properties is not None else []
    required.update({p: "properties" for p in props if p not in required})
    missing = [c for c in required if c not in columns]
    if missing:
        raise EventSchemaError.missing_columns(missing=missing, available=columns, param=required)
    if value_col == _DEFAULT_VALUE_COL and value_col not in columns:
        value_col = None
    return value_col, props


def _is_iana(name: str) -> bool:
    try:
        check_tz(name)
    except UseropsError:
        return False
    return True


def _blank_positions(index: pd.Index) -> npt.NDArray[np.int64]:
    """Positions of empty or whitespace-only strings in a vocabulary (vectorised over uniques)."""
    if not (pd.api.types.is_object_dtype(index) or pd.api.types.is_string_dtype(index.dtype)):
        return np.empty(0, dtype=np.int64)
    is_str = np.fromiter((isinstance(x, str) for x in index), dtype=bool, count=len(index))
    if not is_str.any():
        return np.empty(0, dtype=np.int64)
    stripped = pd.Index(index[is_str].astype(str)).str.strip()
    blank = np.zeros(len(index), dtype=bool)
    blank[np.flatnonzero(is_str)] = np.asarray(stripped == "", dtype=bool)
    return np.flatnonzero(blank)


def _records_error(exc: ValidationError, records: list[Any]) -> EventSchemaError:
    rows = []
    for err in exc.errors():
        loc = err["loc"]
        pos = loc[0] if loc else None
        fieldname = ".".join(str(p) for p in loc[1:]) or "*"
        rows.append(
            {
                "row": pos,
                "column": fieldname,
                "check": err["type"],
                "value": None if "input" not in err else str(err["input"]),
                "message": err["msg"],
            }
        )
    fc = pd.DataFrame(rows, columns=["row", "column", "check", "value", "message"])
    first = fc.head(5)
    lines = [f"{len(fc)} problem(s) in {fc['row'].nunique()} of {len(records)} event record(s):"]
    lines.extend(
        f"  - record {r.row}, field {r.column!r}: {r.message} (got {r.value})"
        for r in first.itertuples()
    )
    if len(fc) > 5:
        lines.append(f"  ... and {len(fc) - 5} more")
    lines.append(
        "Hint: each record needs user_id or anonymous_id, a non-empty event, and a "
        "timezone-aware timestamp such as '2024-05-01T08:00:00+08:00'. Every problem is listed "
        "in .failure_cases."
    )
    return EventSchemaError("\n".join(lines), failure_cases=fc)


def read_events(
    path: str | os.PathLike[str],
    *,
    engine: Literal["pandas", "duckdb", "polars"] = "pandas",
    **kwargs: Any,
) -> EventLog:
    """Read an event log from a Parquet or CSV file.

    Parameters
    ----------
    path : str or path-like
        A ``.parquet``/``.pq`` file (needs pyarrow: ``pip install "useropslib[fast]"``), or a
        ``.csv``/``.tsv`` file (optionally ``.gz``) whose time column is ISO 8601 text.
    engine : {"pandas", "duckdb", "polars"}, default "pandas"
        Who reads a Parquet file.  "pandas" reads it whole, then validates it as
        :meth:`EventLog.from_pandas` does (every other column becomes a property).  "duckdb" and
        "polars" scan it lazily and encode it in that engine (:meth:`EventLog.from_frame`), so
        only the compact columns are ever in memory: use them for files larger than memory.
        Properties are then read only when named in ``properties=``.
    **kwargs
        Passed to :meth:`EventLog.from_pandas` or :meth:`EventLog.from_frame` (``user_col``,
        ``tz`` ...).

    Returns
    -------
    EventLog

    Raises
    ------
    InvalidParameterError
        For a missing file, an unknown extension or engine, or ``engine`` other than "pandas"
        for a CSV file.
    UseropsError
        When the chosen engine's package is not installed.
    """
    p = os.fspath(path)
    if engine not in ("pandas", "duckdb", "polars"):
        raise InvalidParameterError(
            f"Invalid engine={engine!r}. Expected 'pandas', 'duckdb' or 'polars'."
        )
    if not os.path.exists(p):
        raise InvalidParameterError(
            f"No such file: {p!r}. Expected the path of a Parquet or CSV file of events."
        )
    low = p.lower()
    is_parquet = low.endswith((".parquet", ".pq"))
    if engine != "pandas":
        if not is_parquet:
            raise InvalidParameterError(
                f"engine={engine!r} reads Parquet files only, got {p!r}. Hint: use "
                "engine='pandas' for CSV, or convert the file to Parquet."
            )
        return _read_parquet_in_engine(p, engine, kwargs)
    if is_parquet:
        try:
            import pyarrow  # noqa: F401
        except ImportError:
            raise UseropsError(
                "Reading Parquet needs pyarrow, which is not installed. Hint: pip install "
                "'useropslib[fast]'."
            ) from None
        df = pd.read_parquet(p)
    elif low.endswith((".csv", ".csv.gz", ".tsv", ".tsv.gz")):
        sep = "\t" if ".tsv" in low else ","
        df = pd.read_csv(p, sep=sep)
    else:
        raise InvalidParameterError(
            f"Cannot tell the format of {p!r}. Expected a name ending in .parquet, .pq, .csv or "
            ".tsv (optionally .gz)."
        )
    return EventLog.from_pandas(df, **kwargs)


def scan_events(
    path: str | os.PathLike[str],
    *,
    engine: Literal["duckdb", "polars"] = "duckdb",
    **kwargs: Any,
) -> LazyEventLog:
    """Scan a Parquet file (or a glob of them) lazily: rows stay in DuckDB or Polars.

    The file is checked and encoded in the engine (see :meth:`EventLog.scan`); metrics then
    collect only their reduction, so files far larger than memory work.

    Parameters
    ----------
    path : str or path-like
        A Parquet file, or a glob pattern such as ``"events/*.parquet"``.
    engine : {"duckdb", "polars"}, default "duckdb"
        The engine that reads the file and runs the reductions.
    **kwargs
        Passed to :meth:`EventLog.scan` (``user_col``, ``tz``, ``properties`` ...).

    Returns
    -------
    LazyEventLog

    Raises
    ------
    InvalidParameterError
        For an unknown engine, or a path that matches no file.
    UseropsError
        When the engine's package is not installed.
    """
    import glob

    p = os.fspath(path)
    if engine not in ("duckdb", "polars"):
        raise InvalidParameterError(f"Invalid engine={engine!r}. Expected 'duckdb' or 'polars'.")
    if not glob.glob(p):
        raise InvalidParameterError(
            f"No such file: {p!r}. Expected the path (or glob) of Parquet files of events."
        )
    source, kwargs, _ = _parquet_source(p, engine, kwargs)
    # the DuckDB connection stays open: the lazy log's relation reads through it
    return EventLog.scan(source, **kwargs)


def _read_parquet_in_engine(path: str, engine: str, kwargs: dict[str, Any]) -> EventLog:
    """Scan a Parquet file with DuckDB or Polars and encode it there."""
    source, kwargs, con = _parquet_source(path, engine, kwargs)
    try:
        return EventLog.from_frame(source, **kwargs)
    finally:
        if con is not None:
            con.close()


def _parquet_source(
    path: str, engine: str, kwargs: dict[str, Any]
) -> tuple[Any, dict[str, Any], Any]:
    """Open Parquet file(s) lazily in DuckDB or Polars: (frame, kwargs with tz, connection)."""
    try:
        if engine == "duckdb":
            import duckdb
        else:
            import polars as pl
    except ImportError:
        raise UseropsError(
            f"engine={engine!r} needs the {engine} package, which is not installed. Hint: pip "
            "install 'useropslib[fast]'."
        ) from None
    if engine == "polars":
        return pl.scan_parquet(path), kwargs, None
    if kwargs.get("tz") is None and not any(ch in path for ch in "*?["):
        # DuckDB's TIMESTAMPTZ forgets the column's zone; take it from the file's Arrow schema
        kwargs = {**kwargs, "tz": _parquet_time_zone(path, kwargs.get("time_col", "timestamp"))}
    con = duckdb.connect()
    con.execute("SET TimeZone='UTC'")
    return con.read_parquet(path), kwargs, con


def _parquet_time_zone(path: str, time_col: str) -> str | None:
    """Return the IANA zone a Parquet file's Arrow schema gives the time column, if any."""
    try:
        import pyarrow.parquet as pq
    except ImportError:
        return None
    schema = pq.read_schema(path)
    if time_col not in schema.names:
        return None
    zone = getattr(schema.field(time_col).type, "tz", None)
    return str(zone) if zone and _is_iana(str(zone)) else None
