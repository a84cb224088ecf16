"""The EventLog: one validated, encoded, immutable table of events."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
from typing_extensions import Self

from useropslib._checks import check_bool, check_name
from useropslib.events._header import LogHeader, LogSummary
from useropslib.events._ingest import (
    Duplicates,
    check_duplicates_policy,
    check_engine_columns,
    ingest_pandas,
    merge_identities,
    records_frame,
)
from useropslib.events._time import (
    check_tz,
    period_codes,
    period_starts,
    to_utc_ns,
)
from useropslib.events._userindex import share_index
from useropslib.events._validate import TimeUnit
from useropslib.exceptions import (
    InvalidParameterError,
    clip,
    did_you_mean,
)
from useropslib.models import DateLike, Event, Period, WeekStart, parse_period, parse_week_start

__all__ = ["EventLog"]

# constructor arguments that change the rows; the per-user index is shared only without them
_ROW_KEYS = frozenset({"user_codes", "users", "event_codes", "events", "ts_ns"})
_WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def _readonly(a: npt.NDArray[Any]) -> npt.NDArray[Any]:
    a.flags.writeable = False
    return a


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
        time_format: str | None = None,
        dayfirst: bool | None = None,
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
            Read numbers in the time column (a numeric column, or numbers among text) as epoch
            values in this unit (UTC).  Without it numbers are an error, never guessed.
        allow_empty : bool, default False
            Accept a frame without rows.
        time_format : str, optional
            One strftime format for every text time (``"%d/%m/%Y %H:%M"``; add ``%z`` when the
            text carries an offset).  Default: ISO 8601, then other unambiguous forms.
        dayfirst : bool, optional
            The day/month order of numeric dates such as ``01/02/2024`` when the column does not
            show it (no field above 12).  Default: the order must be shown by the data.

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
        return cls(
            **ingest_pandas(
                df,
                user_col=user_col,
                event_col=event_col,
                time_col=time_col,
                value_col=value_col,
                anonymous_col=anonymous_col,
                properties=properties,
                tz=tz,
                identities=identities,
                duplicates=duplicates,
                as_of=as_of,
                week_start=week_start,
                time_unit=time_unit,
                allow_empty=allow_empty,
                time_format=time_format,
                dayfirst=dayfirst,
            )
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
        frame, prop_names, has_anon = records_frame(records)
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
        time_format: str | None = None,
        dayfirst: bool | None = None,
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
as_of, week_start, time_unit, allow_empty, time_format, dayfirst
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
            "time_format": time_format,
            "dayfirst": dayfirst,
        }
        if isinstance(frame, pd.DataFrame):
            return cls.from_pandas(frame, **opts)
        import narwhals.stable.v2 as nw

        from useropslib.events._engine import (
            ENGINE_BACKENDS,
            collect_pandas,
            encode_in_engine,
        )

        try:
            nw_frame = nw.from_native(frame)
        except TypeError:
            raise InvalidParameterError(
                f"from_frame got a {type(frame).__module__}.{type(frame).__name__}, which is not "
                "a data frame useropslib can read. Expected a pandas, polars, pyarrow, DuckDB, "
                "PySpark or Dask frame. Hint: for a list of Event objects use from_records."
            ) from None
        backend = str(nw_frame.implementation.name).lower()
        if backend not in ENGINE_BACKENDS:
            if isinstance(nw_frame, nw.LazyFrame):
                nw_frame = nw_frame.collect()
            return cls.from_pandas(nw_frame.to_pandas(), **opts)

        # --- engine frames: check options and columns without touching the rows --------------
        check_duplicates_policy(duplicates)
        ws = parse_week_start(week_start)
        value_col, props = check_engine_columns(
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
            encoded = encode_in_engine(
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
            df = collect_pandas(nw_frame, [c for c in used if c is not None])
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
        user_codes, users, merged = merge_identities(user_codes, users, identities)
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
        check_name(name, "name", what="property")
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
        taken: dict[str, Any] = {
            "user_codes": self._user_codes[mask],
            "event_codes": self._event_codes[mask],
            "ts_ns": self._ts[mask],
            "values": None if self._values is None else self._values[mask],
            "props": None if self._props is None else self._props[mask].reset_index(drop=True),
        }
        child = self._replace(**{**taken, **changes})
        if not _ROW_KEYS & changes.keys():
            share_index(self, child, mask)  # derived from this log's index on first use
        return child

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
        child = type(self)(**params)
        if not _ROW_KEYS & changes.keys():
            share_index(self, child, None)  # the same rows: the same per-user index
        return child

    def between(self, start: DateLike | None = None, end: DateLike | None = None) -> EventLog:
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

    def until(self, as_of: DateLike) -> EventLog:
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
        check_bool(exclude, "exclude")
        codes = self.event_code_of(names)  # type: ignore[arg-type]
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
        if isinstance(names, str):
            names = [names]
        if not isinstance(names, (list, tuple, set, frozenset, pd.Index, pd.Series, np.ndarray)):
            raise InvalidParameterError(
                f"Invalid names of type {type(names).__name__}. Expected a list of event names."
            )
        try:
            codes = self._events.get_indexer(pd.Index(list(names), dtype=object))
        except TypeError:
            raise InvalidParameterError(
                f"Invalid names {clip(repr(names))}: event names are text. Expected a list of "
                "event names."
            ) from None
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

    def filter_users(self, user_ids: Any, *, exclude: bool = False) -> EventLog:
        """Keep (or with ``exclude=True`` drop) the events of the given users.

        Ids the log does not know are ignored (an audience list often names users with no
        events).

        Parameters
        ----------
        user_ids : id or iterable of ids
            One user id (a string is one id, not its characters) or several.
        exclude : bool, default False
            Drop these users instead of keeping them.

        Returns
        -------
        EventLog
        """
        check_bool(exclude, "exclude")
        if isinstance(user_ids, pd.DataFrame):
            raise InvalidParameterError(
                "Invalid user_ids: a DataFrame. Expected one id or a list of ids. Hint: pass a "
                "column, e.g. df['user_id']."
            )
        if isinstance(user_ids, (str, bytes)) or not isinstance(user_ids, Iterable):
            user_ids = [user_ids]  # one id, not the characters of one
        try:
            codes = self._users.get_indexer(pd.Index(list(user_ids), dtype=object))
        except TypeError:
            raise InvalidParameterError(
                "Invalid user_ids: they must be hashable ids (text or integers), got "
                f"{str(user_ids)[:80]}. Expected one id or a list of ids."
            ) from None
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
        text = [c for c in cols if c not in ("timestamp", "value")]
        # compare property values, not dtypes: a categorical column equals its plain values
        df = df.astype(dict.fromkeys(text, object)).astype(dict.fromkeys(text, str))
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
