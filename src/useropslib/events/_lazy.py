"""An event table left in its engine: metrics collect only the reduction they need.

:meth:`LazyEventLog.scan` checks a DuckDB relation, Polars LazyFrame, pyarrow Table or PySpark
DataFrame in its engine with one aggregate query grouped by event name (the checks of
:meth:`EventLog.from_frame`, the event vocabulary, the counts and the time range together), and
collects no event rows.  The user vocabulary is read only when something needs per-user rows.
Each function then asks the engine for the smallest input that gives it the same answer:

- a **roll-up**: one row per (user[, event], local hour, day, week or month) with the first time
  and the value sum, computed with a ``GROUP BY`` in the engine.  Calendar metrics (active users,
  stickiness, lifecycle, growth accounting, calendar retention, revenue, LTV ...) give identical
  answers on it, because every event of a row falls in the same local period, and each user's
  first time is kept exactly;
- a **subset**: the event-level rows of the events the function names (a funnel's steps and
  exclusions, the messages of a recall funnel), filtered in the engine, optionally only from
  each user's first event of some kind on (a semi-join);
- everything, for the few options that need every event at full resolution.

The local period of an instant is computed in the engine with integer arithmetic: the zone's UTC
offsets over the data's span are found here (DST transitions included, to the second) and
written into the query as a flat sum of comparisons, so no engine needs to know time zones.
User ids travel as the engine's 64-bit hash and event names as text of the few rows collected;
both are encoded here against the vocabularies, so no query joins codes back.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any, Literal, TypeAlias

import numpy as np
import numpy.typing as npt
import pandas as pd

from useropslib._checks import check_bool
from useropslib.events._engine import (
    ENGINE_BACKENDS,
    collect_native,
    is_arrow_text,
    prepare_in_engine,
)
from useropslib.events._eventlog import EventLog
from useropslib.events._header import LogHeader
from useropslib.events._ingest import check_engine_columns
from useropslib.events._lazyarms import arm_totals, total_expr
from useropslib.events._lazycal import rollup_key
from useropslib.events._lazyuser import (
    user_event_counts,
    user_first_gap,
    user_returns,
    user_spans,
)
from useropslib.events._time import NS_PER_SECOND, check_tz, to_utc_ns
from useropslib.events._validate import TimeUnit
from useropslib.events._windows import (
    pair_counts_in_engine,
    session_bounds_in_engine,
    session_periods_in_engine,
)
from useropslib.exceptions import InvalidParameterError, UseropsError
from useropslib.models import DateLike, WeekStart, parse_week_start
from useropslib.models._types import window_ns

__all__ = ["EventsLike", "Grain", "LazyEventLog", "as_event_log"]

Grain = Literal["hour", "day", "week", "month"]


def _with_user_hash(
    frame: Any,
) -> tuple[Any, pd.Index, tuple[npt.NDArray[np.int64], npt.NDArray[np.int32]] | None]:
    """Read the user vocabulary, adding the engine's 64-bit hash of the id as column ``uh``.

    One ``DISTINCT`` query over (id, hash), sorted in the engine, gives the users in code order
    (the order :meth:`EventLog.from_frame` gives them) and each one's hash.  Reductions then
    group and collect users as integers instead of id text.  If two ids share a hash (a chance
    of about n^2 / 2^65), or the engine has no hash function here, the frame is left as it is
    and ids travel as text.

    Returns
    -------
    frame, users, (sorted hashes, user code of each) or None
    """
    import narwhals.stable.v2 as nw

    backend = str(nw.from_native(frame).implementation.name).lower()
    if backend == "polars":
        import polars as pl

        hashed = frame.with_columns(pl.col("uid").hash(seed=0).reinterpret(signed=True).alias("uh"))
    elif backend == "duckdb":
        hashed = frame.project('*, hash("uid") AS "uh"')  # UBIGINT, read as int64 bits
    elif backend == "pyspark":
        from pyspark.sql import functions as sf

        hashed = frame.withColumn("uh", sf.xxhash64("uid"))
    else:
        got = collect_native(nw.from_native(frame).group_by("uid").agg().sort("uid"))
        return frame, pd.Index(got["uid"].to_numpy()), None
    # a GROUP BY (the hash is a function of the id): narwhals' unique() is a row_number()
    # window on SQL engines, 2.5 times slower on DuckDB at 10M events
    pairs = collect_native(
        nw.from_native(hashed).group_by("uid").agg(nw.col("uh").min()).sort("uid")
    )
    users = pd.Index(pairs["uid"].to_numpy())
    h = _bits64(pairs["uh"])
    order = np.argsort(h, kind="stable")
    sorted_h = h[order]
    if sorted_h.size > 1 and bool((sorted_h[1:] == sorted_h[:-1]).any()):
        return frame, users, None
    return hashed, users, (sorted_h, order.astype(np.int32))


def _bits64(column: Any) -> npt.NDArray[np.int64]:
    """Return a collected 64-bit hash column as int64 (unsigned hashes reinterpreted)."""
    arr = np.ascontiguousarray(column.to_numpy())
    if arr.dtype == np.uint64:
        return arr.view(np.int64)
    out: npt.NDArray[np.int64] = arr.astype(np.int64, copy=False)
    return out


def _codes_in(column: Any, vocabulary: pd.Index) -> npt.NDArray[np.int32]:
    """Encode a collected column of ids or names as positions in ``vocabulary``.

    Only the distinct values are looked up (through an Arrow dictionary encoding when pyarrow is
    there, else pandas' factorize), so the cost is one hash pass over the collected rows.
    """
    try:
        import pyarrow.compute as pc

        arr = column.to_arrow()
        enc = pc.dictionary_encode(arr)
        if hasattr(enc, "combine_chunks"):
            enc = enc.combine_chunks()
        distinct = pd.Index(enc.dictionary.to_pylist())
        idx = np.asarray(enc.indices.to_numpy(zero_copy_only=False), dtype=np.int64)
    except ImportError:  # pragma: no cover - pyarrow comes with every engine extra
        idx, distinct = pd.factorize(column.to_numpy())
    lookup = vocabulary.get_indexer(distinct).astype(np.int32)
    if (lookup < 0).any():
        _changed([str(v) for v in distinct[lookup < 0][:5]])
    out: npt.NDArray[np.int32] = lookup[idx]
    return out


def _changed(examples: list[str]) -> None:
    raise UseropsError(
        f"The table changed after LazyEventLog.scan: the engine returned ids or event names it did "
        f"not have then (e.g. {examples}). Expected the rows that were scanned. Hint: scan the "
        "table again after it changes, or scan a snapshot of it."
    )


class LazyEventLog(LogHeader):
    """An event table checked and encoded in its engine, with no event rows collected.

    Build one with :meth:`LazyEventLog.scan` or ``read_events(..., lazy=True)``.  Pass it to any
    metric, segment or churn function in place of an :class:`EventLog`: each collects from the
    engine only what it needs (see :func:`as_event_log`).  :meth:`rollup` and :meth:`collect`
    are the two reductions, usable directly.  Each reduction is cached on the object, so a
    second metric over the same roll-up costs no query; the table must not change after the scan
    (rows of users or events the scan did not see raise an error): scan again when it does.

    Attributes
    ----------
    users : pandas.Index
        Every user id, in code order (read from the engine on first use, then kept).
    event_names : pandas.Index
        Every event name, in code order.
    n_events : int
        Rows in the table.
    tz : str
        The log's calendar zone.
    backend : str
        The engine: "duckdb", "polars", "pyarrow" or "pyspark".

    Examples
    --------
    >>> import duckdb
    >>> rel = duckdb.sql(
    ...     "SELECT 'u' || (i % 3) AS user_id, CASE WHEN i % 2 = 0 THEN 'open' ELSE 'buy' END "
    ...     "AS event, TIMESTAMPTZ '2024-01-01 00:00:00+00' + i * INTERVAL 2 HOUR AS timestamp "
    ...     "FROM range(12) t(i)")
    >>> lazy = LazyEventLog.scan(rel, tz="UTC")
    >>> lazy  # the scan has not read the users yet
    LazyEventLog(12 events, 2 event types, duckdb, tz='UTC')
    >>> lazy.rollup("day").n_events  # one row per (user, event, day)
    6
    >>> lazy
    LazyEventLog(12 events, 3 users, 2 event types, duckdb, tz='UTC')
    >>> lazy.collect(["buy"]).n_events
    6
    """

    def __init__(
        self,
        *,
        frame: Any,
        events: pd.Index,
        raw_events: pd.Index,
        properties: tuple[str, ...],
        has_values: bool,
        tz: str,
        week_start: int,
        n_events: int,
        t_min: int | None,
        t_max: int | None,
        as_of_ns: int | None,
        keepalive: Any = None,
    ) -> None:
        self._raw = frame  # the scanned rows, without the user hash column
        self._vocab: tuple[Any, pd.Index, Any] | None = None  # read on first need
        self._events = events
        self._raw_events = raw_events
        self._properties = properties
        self._has_values = has_values
        self._tz = tz
        self._week_start = week_start
        self._n = n_events
        self._t_min = t_min
        self._t_max = t_max
        self._as_of_given = as_of_ns is not None
        self._as_of = as_of_ns if as_of_ns is not None else t_max
        self._keepalive = keepalive
        self._cache: dict[Any, EventLog] = {}

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

        The same checks as ``EventLog.from_frame`` run in the engine (DuckDB, Polars, pyarrow or
        PySpark) in one aggregate query grouped by event name, which also gives the event
        vocabulary, the counts and the time range; the rows stay there, and so do the users
        until a function that needs per-user rows reads them (once, see :attr:`users_read`).
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
            As in ``EventLog.from_frame``.

        Returns
        -------
        LazyEventLog

        Raises
        ------
        EventSchemaError
            As in ``EventLog.from_frame``, from counts computed in the engine.
        InvalidParameterError
            For a pandas (or other in-memory) frame, naive times, or an invalid option.

        Examples
        --------
        >>> import polars as pl
        >>> from datetime import datetime, timezone
        >>> lf = pl.LazyFrame({"user_id": ["a", "a", "b"], "event": ["open", "buy", "open"],
        ...                    "timestamp": [datetime(2024, 1, d, tzinfo=timezone.utc)
        ...                                  for d in (1, 2, 2)]})
        >>> lazy = LazyEventLog.scan(lf)
        >>> lazy.n_events, list(lazy.users)
        (3, ['a', 'b'])
        """
        import narwhals.stable.v2 as nw

        try:
            nw_frame = nw.from_native(frame)
        except TypeError:
            nw_frame = None
        backend = "" if nw_frame is None else str(nw_frame.implementation.name).lower()
        if nw_frame is None or backend not in ENGINE_BACKENDS:
            raise InvalidParameterError(
                f"scan got a {type(frame).__module__}.{type(frame).__name__}, which is not an "
                "engine frame. Expected a DuckDB relation, a Polars DataFrame or LazyFrame, a "
                "pyarrow Table or a PySpark DataFrame. Hint: an in-memory pandas frame is read "
                "with EventLog.from_pandas."
            )
        ws = parse_week_start(week_start)
        value_col, props = check_engine_columns(
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
        prep = prepare_in_engine(
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
        return cls(
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

    # ------------------------------------------------------------------ user vocabulary
    def _user_vocabulary(self) -> tuple[Any, pd.Index, Any]:
        """Read the users (one hashed ``DISTINCT`` in the engine) the first time they are needed.

        Scanning does not read them: only reductions that build per-user logs, per-user answers
        and :attr:`users` / :attr:`n_users` do, once per log.
        """
        if self._vocab is None:
            self._vocab = _with_user_hash(self._raw)
        return self._vocab

    @property
    def _frame(self) -> Any:
        """The rows with the user key reductions group by (reads the user vocabulary)."""
        return self._user_vocabulary()[0]

    @property
    def _users(self) -> pd.Index:  # type: ignore[override]
        return self._user_vocabulary()[1]

    @property
    def _hashes(self) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int32]] | None:
        hashes: tuple[npt.NDArray[np.int64], npt.NDArray[np.int32]] | None
        hashes = self._user_vocabulary()[2]
        return hashes

    @property
    def users_read(self) -> bool:
        """Whether the user vocabulary has been read from the engine yet.

        :meth:`scan` reads the checks, event names, counts and time range in one aggregate
        query and leaves the users in the engine; the first reduction that needs per-user
        rows (or ``users``, ``n_users``) reads them, once.
        """
        return self._vocab is not None

    # ------------------------------------------------------------------ attributes
    @property
    def n_events(self) -> int:
        """Number of rows in the table."""
        return self._n

    @property
    def n_users(self) -> int:
        """Number of distinct users."""
        return len(self._users)

    @property
    def property_names(self) -> tuple[str, ...]:
        """The property columns named at scan time."""
        return self._properties

    @property
    def has_values(self) -> bool:
        """Whether the table has a value column."""
        return self._has_values

    @property
    def start(self) -> pd.Timestamp | None:
        """Time of the first event, in the log's zone."""
        return None if self._t_min is None else self._stamp(self._t_min)

    @property
    def end(self) -> pd.Timestamp | None:
        """Time of the last event, in the log's zone."""
        return None if self._t_max is None else self._stamp(self._t_max)

    @property
    def backend(self) -> str:
        """The engine holding the rows."""
        import narwhals.stable.v2 as nw

        return str(nw.from_native(self._raw).implementation.name).lower()

    def __repr__(self) -> str:
        # the repr never queries the engine: users are shown once they have been read
        users = f"{len(self._users):,} users, " if self.users_read else ""
        return (
            f"LazyEventLog({self._n:,} events, {users}"
            f"{len(self._events)} event types, {self.backend}, tz={self._tz!r})"
        )

    # ------------------------------------------------------------------ reductions
    def _codes(self, events: Sequence[str] | str | None) -> list[int] | None:
        if events is None:
            return None
        names = [events] if isinstance(events, str) else list(events)
        return sorted({int(c) for c in self._names_probe().event_code_of(names)})

    def _names_probe(self) -> EventLog:
        """Return an empty EventLog with the event names and no users (for name look-ups)."""
        key = ("names_probe",)
        if key not in self._cache:
            self._cache[key] = self._empty_named()
        return self._cache[key]

    def _empty_named(self) -> EventLog:
        return EventLog(
            user_codes=np.empty(0, np.int32),
            users=pd.Index([]),
            event_codes=np.empty(0, np.int32),
            events=self._events,
            ts_ns=np.empty(0, np.int64),
            values=np.empty(0, np.float64) if self._has_values else None,
            props=None,
            tz=self._tz,
            week_start=self._week_start,
            as_of_ns=self._as_of,
            as_of_given=self._as_of_given,
        )

    def _probe(self) -> EventLog:
        """Return an empty EventLog with this log's vocabularies (for shared checks)."""
        return self._build(
            np.empty(0, np.int32),
            np.empty(0, np.int32),
            np.empty(0, np.int64),
            np.empty(0, np.float64) if self._has_values else None,
            None,
        )

    def _until(self, until: Any) -> int | None:
        if until is None:
            return None
        return to_utc_ns(until, tz=self._tz, name="as_of")

    def _base(self, codes: list[int] | None, until_ns: int | None) -> Any:
        import narwhals.stable.v2 as nw

        nf = nw.from_native(self._frame)
        if codes is not None:
            nf = nf.filter(nw.col("ename").is_in(self._raw_events[codes].tolist()))
        if until_ns is not None:
            nf = nf.filter(nw.col("t") <= until_ns)
        return nf

    @property
    def _user_key(self) -> str:
        """Name the column reductions group users by.

        The engine's 64-bit hash of the id when the vocabulary's hashes are distinct (integers
        travel instead of text), else the id.
        """
        return "uid" if self._hashes is None else "uh"

    def _encode(self, got: Any) -> tuple[npt.NDArray[np.int32], npt.NDArray[np.int32]]:
        """User and event codes of collected rows (ids and names, encoded here, not joined)."""
        return self._encode_users(got), _codes_in(got["ename"], self._raw_events)

    def _encode_events(self, column: Any) -> npt.NDArray[np.int32]:
        """Event codes of a collected column of raw event names."""
        return _codes_in(column, self._raw_events)

    def _encode_users(self, got: Any) -> npt.NDArray[np.int32]:
        if self._hashes is None:
            return _codes_in(got["uid"], self._users)
        sorted_hashes, codes = self._hashes
        h = _bits64(got["uh"])
        if h.size and not sorted_hashes.size:
            _changed([f"user id hash {int(x)}" for x in h[:5]])
        pos = np.minimum(np.searchsorted(sorted_hashes, h), max(sorted_hashes.size - 1, 0))
        unknown = sorted_hashes[pos] != h if h.size else np.zeros(0, dtype=bool)
        if unknown.any():
            _changed([f"user id hash {int(x)}" for x in h[unknown][:5]])
        out: npt.NDArray[np.int32] = codes[pos]
        return out

    def _select(self, frame: Any) -> Any:
        """Drop the id text from a query's output when the hash stands for it."""
        return frame if self._hashes is None else frame.drop("uid")

    def _build(
        self,
        u: npt.NDArray[np.int32],
        e: npt.NDArray[np.int32],
        t: npt.NDArray[np.int64],
        v: npt.NDArray[np.float64] | None,
        props: pd.DataFrame | None,
        grain: str | None = None,
    ) -> EventLog:
        return EventLog(
            user_codes=np.ascontiguousarray(u, dtype=np.int32),
            users=self._users,
            event_codes=np.ascontiguousarray(e, dtype=np.int32),
            events=self._events,
            ts_ns=np.ascontiguousarray(t, dtype=np.int64),
            values=None if v is None else np.ascontiguousarray(v, dtype=np.float64),
            props=props,
            tz=self._tz,
            week_start=self._week_start,
            as_of_ns=self._as_of,
            as_of_given=self._as_of_given,
            grain=grain,
        )

    def collect(
        self,
        events: Sequence[str] | str | None = None,
        *,
        until: DateLike | None = None,
        after: Sequence[str] | str | None = None,
    ) -> EventLog:
        """Collect the event-level rows of some events (all by default) as an EventLog.

        The filter runs in the engine; property columns named at scan time come along.

        Parameters
        ----------
        events : str or sequence of str, optional
            Event names to keep; default every event.
        until : datetime-like, optional
            Keep only events at or before this time.
        after : str or sequence of str, optional
            Keep only the users who had one of these events, and only their rows from their
            first such event on (a semi-join in the engine): what a question about what users
            did after a message needs.

        Returns
        -------
        EventLog
            With the full user and event vocabularies, so codes match every other reduction.

        Raises
        ------
        InvalidParameterError
            For unknown event names (with close known names).
        """
        import narwhals.stable.v2 as nw

        codes = self._codes(events)
        after_codes = self._codes(after)
        until_ns = self._until(until)
        key = (
            "collect",
            None if codes is None else tuple(codes),
            until_ns,
            None if after_codes is None else tuple(after_codes),
        )
        if key in self._cache:
            return self._cache[key]
        base = self._base(codes, until_ns)
        if after_codes is not None:
            first = (
                self._base(after_codes, until_ns)
                .group_by(self._user_key)
                .agg(nw.col("t").min().alias("__t0__"))
            )
            base = base.join(first, on=self._user_key, how="inner")
            base = base.filter(nw.col("t") >= nw.col("__t0__")).drop("__t0__")
        got = collect_native(self._select(base))
        props = None
        if self._properties:
            props = got.select([f"p{i}" for i in range(len(self._properties))]).to_pandas()
            props.columns = pd.Index(list(self._properties))
        log = self._build(
            *self._encode(got),
            got["t"].to_numpy(),
            got["v"].to_numpy() if self._has_values else None,
            props,
        )
        self._cache[key] = log
        return log

    def rollup(
        self,
        grain: Grain = "day",
        *,
        events: Sequence[str] | str | None = None,
        exact: Sequence[str] | str | None = None,
        by_event: bool = True,
        tz: str | None = None,
        week_start: int | None = None,
        until: DateLike | None = None,
    ) -> EventLog:
        """Roll the events up in the engine to one row per (user, event, local period).

        Each row keeps the first time of its group and the sum of its values (NaN when none of
        them has a value), so every calendar metric at ``grain`` (or, for days, coarser), and
        everything that depends on a user's first event, gives the same answer as on the full
        log.  Property columns are not kept.

        Parameters
        ----------
        grain : {"day", "hour", "week", "month"}, default "day"
            Local calendar period of the groups, in ``tz`` (weeks starting on ``week_start``).
        events : str or sequence of str, optional
            Only these events (default every event).
        exact : str or sequence of str, optional
            Events collected row by row instead of rolled up (for metrics that need their exact
            times, such as an activation key event).
        by_event : bool, default True
            Keep events apart.  With False the groups are (user, period) only, for callers
            that count any activity; each row then carries the code of one rolled-up event
            (never one of ``exact``).
        tz : str, optional
            Calendar zone of the periods; default the log's.
        week_start : int, optional
            First weekday of weeks (0 = Monday); default the log's.
        until : datetime-like, optional
            Keep only events at or before this time (applied before rolling up, so value sums
            stop there).

        Returns
        -------
        EventLog

        Raises
        ------
        InvalidParameterError
            For an unknown ``grain`` or event name.
        """
        if not isinstance(grain, str) or grain not in ("hour", "day", "week", "month"):
            raise InvalidParameterError(
                f"Invalid grain={grain!r}. Expected 'hour', 'day', 'week' or 'month'. Hint: roll "
                "up to the period the metric reports."
            )
        zone = self._tz if tz is None else check_tz(tz)
        ws = self._week_start if week_start is None else int(week_start)
        codes = self._codes(events)
        exact_codes = self._codes(exact) or []
        until_ns = self._until(until)
        key = (
            "rollup",
            grain,
            zone,
            ws if grain == "week" else None,
            by_event,
            None if codes is None else tuple(codes),
            tuple(exact_codes),
            until_ns,
        )
        if key in self._cache:
            return self._cache[key]
        import narwhals.stable.v2 as nw

        parts: list[Any] = []
        rolled_codes = codes
        if exact_codes:
            keep = codes if codes is not None else list(range(len(self._events)))
            skip = set(exact_codes)
            rolled_codes = [c for c in keep if c not in skip]
            ex = collect_native(self._select(self._base(exact_codes, until_ns)))
            parts.append(
                (
                    *self._encode(ex),
                    ex["t"].to_numpy(),
                    ex["v"].to_numpy() if self._has_values else None,
                )
            )
        if (rolled_codes is None or rolled_codes) and self._t_min is not None:
            assert self._t_max is not None
            k = rollup_key(grain, zone, ws, self._t_min, self._t_max)
            aggs = [nw.col("t").min().alias("t")]
            if self._has_values:
                aggs += [nw.col("v").sum().alias("v"), nw.col("v").count().alias("nv")]
            base = self._base(rolled_codes, until_ns).with_columns(k.alias("k"))
            keys = [self._user_key, "ename", "k"] if by_event else [self._user_key, "k"]
            got = collect_native(self._select(base).group_by(*keys).agg(*aggs).drop("k"))
            v = None
            if self._has_values:
                v = np.asarray(got["v"].to_numpy(), dtype=np.float64).copy()
                v[np.asarray(got["nv"].to_numpy()) == 0] = np.nan
            if by_event:
                users, names = self._encode(got)
            else:
                # anonymous activity: every row carries one rolled-up event's code (never an
                # `exact` one, so the caller's masks of those events do not match these rows)
                users = self._encode_users(got)
                names = np.full(len(users), (rolled_codes or [0])[0], dtype=np.int32)
            parts.append((users, names, got["t"].to_numpy(), v))
        if not parts:
            log = self._probe()
        else:
            log = self._build(
                np.concatenate([p[0] for p in parts]).astype(np.int32),
                np.concatenate([p[1] for p in parts]).astype(np.int32),
                np.concatenate([p[2] for p in parts]).astype(np.int64),
                np.concatenate([p[3] for p in parts]).astype(np.float64)
                if self._has_values
                else None,
                None,
                grain=grain,
            )
        self._cache[key] = log
        return log

    def user_totals(
        self,
        columns: Mapping[str, tuple[Sequence[str] | str | None, Any, Any, Literal["count", "sum"]]],
    ) -> pd.DataFrame:
        """Per-user counts or value sums of some events in some windows, in one engine GROUP BY.

        Each output column is ``(events, start, end, how)``: over the rows of ``events`` (every
        event when None) with ``start <= time <= end`` (either bound None: open), the number of
        rows (``how="count"``) or the sum of the value column (``"sum"``; a missing value counts
        as 0).  Every column is computed in the engine in a single ``GROUP BY`` user; only one row
        per user who has at least one counted row comes back, so the collection is users-sized
        however many events there are.

        Parameters
        ----------
        columns : mapping of str to (events, start, end, how)
            The output columns (any names but ``"uid"`` and ``"uh"``).

        Returns
        -------
        pandas.DataFrame
            Indexed by user id (name ``user_id``, in the order of ``users``), one float
            column per entry of ``columns``; users with no counted row are absent (their totals
            are 0).

        Raises
        ------
        InvalidParameterError
            An unknown event name (with close known names), ``how`` other than "count" / "sum",
            ``"sum"`` on a log without a value column, or no column at all.

        Examples
        --------
        >>> import duckdb
        >>> rel = duckdb.sql(
        ...     "SELECT 'u' || (i % 3) AS user_id, CASE WHEN i % 2 = 0 THEN 'open' ELSE 'buy' END "
        ...     "AS event, TIMESTAMPTZ '2024-01-01 00:00:00+00' + i * INTERVAL 2 HOUR AS timestamp "
        ...     "FROM range(12) t(i)")
        >>> lazy = LazyEventLog.scan(rel, tz="UTC")
        >>> lazy.user_totals({"buys": ("buy", None, None, "count"),
        ...                   "early": (None, None, "2024-01-01 05:00+00", "count")})
                 buys  early
        user_id
        u0        2.0    1.0
        u1        2.0    1.0
        u2        2.0    1.0
        """
        import narwhals.stable.v2 as nw

        if not columns:
            raise InvalidParameterError(
                "user_totals: no column asked for. Expected a mapping of names to "
                "(events, start, end, how)."
            )
        exprs = []
        for name, (events, start, end, how) in columns.items():
            if name in ("uid", "uh"):
                raise InvalidParameterError(
                    f"user_totals: column name {name!r} is reserved for the user key. "
                    "Hint: pick another name."
                )
            exprs.append(total_expr(self, name, events, start, end, how).alias(name))
        names = list(columns)
        key = self._user_key
        frame = nw.from_native(self._frame).select(key, *exprs)
        got = collect_native(frame.group_by(key).agg(*[nw.col(n).sum() for n in names]))
        user_codes = self._encode_users(got)
        data = {n: np.asarray(got[n].to_numpy(), dtype=np.float64) for n in names}
        keep = np.any(np.stack([v != 0 for v in data.values()]), axis=0)
        order = np.flatnonzero(keep)
        order = order[np.argsort(user_codes[order], kind="stable")]  # users in code order
        index = pd.Index(self._users[user_codes[order]], name="user_id")
        res: pd.DataFrame = pd.DataFrame({n: v[order] for n, v in data.items()}, index=index)
        return res

    def user_ids(
        self,
        events: Sequence[str] | str | None = None,
        *,
        start: Any = None,
        end: Any = None,
    ) -> pd.Index:
        """Return the ids of the users with a row of ``events`` in ``[start, end]``.

        One ``DISTINCT`` of the id column in the engine; only those ids come back (one column,
        one row per such user).  The user vocabulary is not read.

        Parameters
        ----------
        events : str or sequence of str, optional
            Event names; default every event.
        start, end : datetime-like, optional
            Time bounds (inclusive; None: open).

        Returns
        -------
        pandas.Index
            The ids as the engine holds them (name ``user_id``), in no particular order; text
            ids are Arrow-backed (``pandas.ArrowDtype``), other ids numpy.

        Raises
        ------
        InvalidParameterError
            An unknown event name (with close known names).

        Examples
        --------
        >>> import duckdb
        >>> rel = duckdb.sql(
        ...     "SELECT 'u' || (i % 3) AS user_id, 'open' AS event, TIMESTAMPTZ "
        ...     "'2024-01-01 00:00:00+00' + i * INTERVAL 1 HOUR AS timestamp FROM range(6) t(i)")
        >>> sorted(LazyEventLog.scan(rel, tz="UTC").user_ids(end="2024-01-01 01:00+00"))
        ['u0', 'u1']
        """
        import narwhals.stable.v2 as nw

        nf = nw.from_native(self._raw)
        codes = self._codes(events)
        if codes is not None:
            nf = nf.filter(nw.col("ename").is_in(self._raw_events[codes].tolist()))
        lo, hi = self._until(start), self._until(end)
        if lo is not None:
            nf = nf.filter(nw.col("t") >= lo)
        if hi is not None:
            nf = nf.filter(nw.col("t") <= hi)
        # a GROUP BY: narwhals' unique() is a row_number() window on SQL engines, twice as slow
        got = collect_native(nf.select("uid").group_by("uid").agg())
        column = nw.from_native(got)["uid"] if not isinstance(got, nw.DataFrame) else got["uid"]
        arrow = column.to_arrow()
        if is_arrow_text(arrow.type):  # text stays in Arrow: no Python object per id
            ids: pd.Index = pd.Index(pd.arrays.ArrowExtensionArray(arrow), name="user_id")
        else:
            ids = pd.Index(column.to_numpy(), name="user_id")
        return ids

    def user_spans(
        self,
        events: Sequence[str] | str | None = None,
        *,
        until: DateLike | None = None,
        totals: bool = False,
    ) -> pd.DataFrame:
        """First and last time of each user's rows of ``events`` at or before ``until``.

        One ``GROUP BY`` user in the engine (``min`` and ``max`` of the time), sorted there by
        id; one row per user is collected, and the user vocabulary is not read.  What churn
        labels and survival frames need from a lazy log.

        Parameters
        ----------
        events : str or sequence of str, optional
            Event names; default every event.
        until : datetime-like, optional
            Last time counted (inclusive); naive values are read in the log's zone.
        totals : bool, default False
            Also count the rows (``rows``) and sum their values (``value``; a missing value,
            or a log without values, adds 0), in the same query.

        Returns
        -------
        pandas.DataFrame
            Indexed by user id (``user_id``, in the order of ``users``; users without such
            a row are absent), columns ``first`` and ``last`` (aware, in the log's zone), and
            ``rows`` and ``value`` with ``totals=True``.

        Raises
        ------
        InvalidParameterError
            An unknown event name (with close known names), an unreadable ``until`` or a
            ``totals`` that is not a bool.

        Examples
        --------
        >>> import duckdb
        >>> rel = duckdb.sql(
        ...     "SELECT 'u' || (i % 2) AS user_id, 'open' AS event, TIMESTAMPTZ "
        ...     "'2024-01-01 00:00:00+00' + i * INTERVAL 1 HOUR AS timestamp FROM range(5) t(i)")
        >>> LazyEventLog.scan(rel, tz="UTC").user_spans(until="2024-01-01 02:00")
                                    first                      last
        user_id
        u0      2024-01-01 00:00:00+00:00 2024-01-01 02:00:00+00:00
        u1      2024-01-01 01:00:00+00:00 2024-01-01 01:00:00+00:00
        """
        return user_spans(self, events, until=until, totals=check_bool(totals, "totals"))

    def user_first_gap(
        self,
        min_gap: str | dt.timedelta,
        events: Sequence[str] | str | None = None,
        *,
        until: DateLike | None = None,
    ) -> pd.DataFrame:
        """Each user's earliest row of ``events`` whose next one comes ``min_gap`` or more later.

        A window ``LAG`` per user in the engine gives the silences between consecutive rows;
        one ``GROUP BY`` user keeps the earliest start of a silence of at least ``min_gap``
        (rows after ``until`` are not read, so the silence must close by then).  One row per
        such user is collected.

        Parameters
        ----------
        min_gap : str or timedelta
            The least silence, e.g. ``"30D"``.
        events : str or sequence of str, optional
            Event names; default every event.
        until : datetime-like, optional
            Last time read (inclusive); naive values are read in the log's zone.

        Returns
        -------
        pandas.DataFrame
            Indexed by user id (``user_id``, in the order of ``users``; users without such
            a silence are absent), column ``at``: the row that opens the first long silence.

        Raises
        ------
        InvalidParameterError
            A non-positive window, an unknown event name or an unreadable ``until``.

        Examples
        --------
        >>> import duckdb
        >>> rel = duckdb.sql(
        ...     "SELECT 'u' || (i % 2) AS user_id, 'open' AS event, TIMESTAMPTZ "
        ...     "'2024-01-01 00:00:00+00' + i * i * INTERVAL 1 DAY AS timestamp FROM range(5) t(i)")
        >>> LazyEventLog.scan(rel, tz="UTC").user_first_gap("5D")
                                       at
        user_id
        u0      2024-01-05 00:00:00+00:00
        u1      2024-01-02 00:00:00+00:00
        """
        return user_first_gap(self, window_ns(min_gap, "min_gap"), events, until=until)

    def user_event_counts(
        self,
        window: str | dt.timedelta,
        *,
        anchor_events: Sequence[str] | str | None = None,
        until: DateLike | None = None,
    ) -> pd.DataFrame:
        """Rows per user and event in the ``window`` that opens with the user's first anchor row.

        The first anchor row per user (one ``GROUP BY``) is joined back to the rows in the
        engine; every row in ``[first, first + window)`` and at or before ``until`` is counted
        per (user, event name), pivoted there to one column per event name: one row per user
        with an anchor row is collected.

        Parameters
        ----------
        window : str or timedelta
            Length of the window after the first anchor row, e.g. ``"7D"``.
        anchor_events : str or sequence of str, optional
            The events that open the window; default every event.
        until : datetime-like, optional
            Last time read (inclusive); naive values are read in the log's zone.

        Returns
        -------
        pandas.DataFrame
            Indexed by user id (``user_id``, users with an anchor row, in the order of
            ``users``), one int64 column per event name with a row at or before ``until``
            (in the order of ``event_names``).

        Raises
        ------
        InvalidParameterError
            A non-positive window, an unknown event name or an unreadable ``until``.

        Examples
        --------
        >>> import duckdb
        >>> rel = duckdb.sql(
        ...     "SELECT 'u' || (i % 2) AS user_id, CASE WHEN i < 2 THEN 'signup' ELSE 'open' END "
        ...     "AS event, TIMESTAMPTZ '2024-01-01 00:00:00+00' + i * INTERVAL 1 DAY AS timestamp "
        ...     "FROM range(6) t(i)")
        >>> LazyEventLog.scan(rel, tz="UTC").user_event_counts("3D", anchor_events="signup")
                 open  signup
        user_id
        u0          1       1
        u1          1       1
        """
        w = window_ns(window, "window")
        return user_event_counts(self, w, anchor_events, until=until)

    def user_returns(
        self,
        window: str | dt.timedelta,
        *,
        anchor_events: Sequence[str] | str | None = None,
        events: Sequence[str] | str | None = None,
        until: DateLike | None = None,
    ) -> pd.DataFrame:
        """Each user's first anchor row, and whether a row of ``events`` follows within ``window``.

        The first anchor row per user (one ``GROUP BY``) is joined back to the rows of
        ``events`` in the engine; a user *returned* when one of them falls in
        ``(first, first + window]`` (and at or before ``until``).  One row per user with an
        anchor row is collected.

        Parameters
        ----------
        window : str or timedelta
            Length of the window after the first anchor row, e.g. ``"5W"``.
        anchor_events : str or sequence of str, optional
            The events whose first row anchors the window; default every event.
        events : str or sequence of str, optional
            The events that count as a return; default every event.
        until : datetime-like, optional
            Last time read (inclusive); naive values are read in the log's zone.

        Returns
        -------
        pandas.DataFrame
            Indexed by user id (``user_id``, users with an anchor row, in the order of
            ``users``), columns ``anchor`` (aware, in the log's zone) and ``returned``.

        Raises
        ------
        InvalidParameterError
            A non-positive window, an unknown event name or an unreadable ``until``.

        Examples
        --------
        >>> import duckdb
        >>> rel = duckdb.sql(
        ...     "SELECT 'u' || (i % 2) AS user_id, CASE WHEN i < 2 THEN 'signup' ELSE 'open' END "
        ...     "AS event, TIMESTAMPTZ '2024-01-01 00:00:00+00' + i * i * INTERVAL 1 DAY AS "
        ...     "timestamp FROM range(4) t(i)")
        >>> LazyEventLog.scan(rel, tz="UTC").user_returns("5D", anchor_events="signup")
                                   anchor  returned
        user_id
        u0      2024-01-01 00:00:00+00:00      True
        u1      2024-01-02 00:00:00+00:00     False
        """
        w = window_ns(window, "window")
        return user_returns(self, w, anchor_events, events, until=until)

    def arm_totals(
        self,
        columns: Mapping[
            str, tuple[Sequence[str] | str | None, Any, Any, Literal["count", "sum", "any"]]
        ],
        *,
        arms: pd.Series | None = None,
        exposure: tuple[str, str, Sequence[str]] | None = None,
        until: Any = None,
        products: Sequence[tuple[str, str]] = (),
        extremes: Sequence[str] | None = None,
        distinct_ids: bool = False,
    ) -> pd.DataFrame:
        """Per-arm sums of per-user totals, all in the engine: a few rows come back.

        Each user's totals are computed as in :meth:`user_totals` (``how="any"`` gives 1.0 for a
        user with at least one counted row, else 0), joined in the engine to the users' arms
        (a user with no counted row has totals 0) and summed per arm with their squares,
        extremes and the ``products`` asked for: the sufficient statistics of an experiment's
        arms.  Only one row per (arm, overlap) comes back.

        Parameters
        ----------
        columns : mapping of str to (events, start, end, how)
            The per-user totals, as in :meth:`user_totals`; ``how`` is "count", "sum" or "any".
        arms : pandas.Series, optional
            Each unit's arm, indexed by user id (ids as the log holds them).  The table is
            handed to the engine (a DuckDB scan of an Arrow table, a Polars or Spark frame)
            and joined there.
        exposure : (event, property, control_values), optional
            Instead of ``arms``: the units are the users with an ``event`` row (at or before
            ``until``), each in the arm of their first such row, "control" when its
            ``property`` (as text) is one of ``control_values``, else "treatment".  At one
            instant, a control row counts as the first.
        until : datetime-like, optional
            With ``exposure``: the last exposure time read.
        products : sequence of (str, str)
            Pairs of column names whose per-user products are summed too.
        extremes : sequence of str, optional
            The columns whose minimum and maximum are returned; default every column.
        distinct_ids : bool, default False
            True when the ids of ``arms`` are known to be distinct (e.g. from
            :meth:`user_ids`): skips the check for repeated ids, a hash pass over them.

        Returns
        -------
        pandas.DataFrame
            Indexed by (``arm``, ``overlap``), sorted: ``overlap`` is True for users with
            exposure rows in both arms (always False for ``arms``).  Columns ``n`` (units),
            and for each column ``c``: ``sum(c)``, ``sum(c^2)`` (and ``min(c)``, ``max(c)``
            for the columns in ``extremes``); for each product ``sum(a*b)``.

        Raises
        ------
        InvalidParameterError
            Neither or both of ``arms`` and ``exposure``; a property not scanned; an unknown
            column in ``products`` or ``extremes``; ids repeated, without an arm or of mixed
            types; a DuckDB connection that does not read Python tables (replacement scans
            off); as :meth:`user_totals` for ``columns``.

        Examples
        --------
        >>> import duckdb
        >>> rel = duckdb.sql(
        ...     "SELECT 'u' || (i % 4) AS user_id, CASE WHEN i % 3 = 0 THEN 'buy' ELSE 'open' "
        ...     "END AS event, TIMESTAMPTZ '2024-01-01 00:00:00+00' + i * INTERVAL 1 HOUR "
        ...     "AS timestamp FROM range(12) t(i)")
        >>> lazy = LazyEventLog.scan(rel, tz="UTC")
        >>> arms = pd.Series(["a", "a", "b", "b"], index=["u0", "u1", "u2", "u3"])
        >>> lazy.arm_totals({"buys": ("buy", None, None, "count")}, arms=arms)[
        ...     ["n", "sum(buys)", "sum(buys^2)"]]
                       n  sum(buys)  sum(buys^2)
        arm overlap
        a   False      2        2.0          2.0
        b   False      2        2.0          2.0
        """
        return arm_totals(
            self,
            columns,
            arms=arms,
            exposure=exposure,
            until=until,
            products=products,
            extremes=extremes,
            distinct_ids=distinct_ids,
        )

    def to_event_log(self) -> EventLog:
        """Collect every row: the same log :meth:`EventLog.from_frame` builds.

        Returns
        -------
        EventLog
        """
        return self.collect()

    def session_bounds(
        self,
        *,
        timeout_ns: int,
        split: str = ">=",
        start_events: Sequence[str] = (),
        until: DateLike | None = None,
    ) -> pd.DataFrame:
        """One row per session, computed in the engine with window functions.

        Sessions split at a gap of ``>=`` (or ``>``) ``timeout_ns`` or at a start event; ties at
        one instant are ordered by event name.  The engine pairs each session's first and last
        rows (a second window level over those rows only), so one row per session is collected.

        Parameters
        ----------
        timeout_ns : int
            Inactivity that ends a session, in nanoseconds.
        split : {">=", ">"}, default ">="
        start_events : sequence of str
            Event names that start a session.
        until : datetime-like, optional
            Keep only events at or before this time.

        Returns
        -------
        pandas.DataFrame
            ``user`` (code), ``start``, ``end`` (UTC ns), ``events``, ``first_event``,
            ``last_event`` (codes), sorted by user and start.

        Examples
        --------
        >>> import duckdb
        >>> rel = duckdb.sql(
        ...     "SELECT 'u' || (i % 2) AS user_id, 'open' AS event, TIMESTAMPTZ "
        ...     "'2024-01-01 00:00:00+00' + i * INTERVAL 10 MINUTE AS timestamp FROM range(6) t(i)")
        >>> lazy = LazyEventLog.scan(rel, tz="UTC")
        >>> lazy.session_bounds(timeout_ns=1_800 * 10**9)["events"].tolist()
        [3, 3]
        """
        codes = self._codes(list(start_events)) or []
        return session_bounds_in_engine(
            self,
            timeout_ns=int(timeout_ns),
            split=split,
            start_events=self._raw_events[codes].tolist(),
            until_ns=self._until(until),
        )

    def session_periods(
        self,
        *,
        period: str,
        timeout_ns: int,
        split: str = ">=",
        start_events: Sequence[str] = (),
        until: Any = None,
        tz: str | None = None,
        length_edges_ns: Sequence[int] = (),
    ) -> pd.DataFrame | None:
        """Session aggregates per calendar period of the session start, computed in the engine.

        Sessions are formed as in :meth:`session_bounds`; only one row per period is collected.

        Parameters
        ----------
        period : {"hour", "day", "week", "month"}
        timeout_ns : int
            Inactivity that ends a session, in nanoseconds.
        split : {">=", ">"}, default ">="
        start_events : sequence of str
            Event names that start a session.
        until : datetime-like, optional
            Keep only events at or before this time.
        tz : str, optional
            Calendar zone; default the log's.
        length_edges_ns : sequence of int
            Upper bounds (ns) of the session-length bins after the zero-length bin.

        Returns
        -------
        pandas.DataFrame or None
            ``code`` (period code as :func:`~useropslib.events.period_codes` gives),
            ``sessions``, ``users``, ``events``, ``duration`` (sum, ns), ``median_duration``
            (ns), ``bounces`` and ``bin_0`` ... (sessions per length bin); None when the zone's
            offsets change inside a quarter-hour (collect the sessions instead).

        Examples
        --------
        >>> import duckdb
        >>> rel = duckdb.sql(
        ...     "SELECT 'u' || (i % 2) AS user_id, 'open' AS event, TIMESTAMPTZ "
        ...     "'2024-01-01 00:00:00+00' + i * INTERVAL 10 MINUTE AS timestamp FROM range(6) t(i)")
        >>> got = LazyEventLog.scan(rel, tz="UTC").session_periods(
        ...     period="day", timeout_ns=1_800 * 10**9)
        >>> got[["sessions", "users", "events"]].to_dict("records")
        [{'sessions': 2, 'users': 2, 'events': 6}]
        """
        codes = self._codes(list(start_events)) or []
        return session_periods_in_engine(
            self,
            timeout_ns=int(timeout_ns),
            split=split,
            start_events=self._raw_events[codes].tolist(),
            until_ns=self._until(until),
            period=period,
            tz=self._tz if tz is None else tz,
            week_start=self._week_start,
            edges_ns=[int(x) for x in length_edges_ns],
        )

    def pair_counts(
        self,
        *,
        within: str = "user",
        timeout_ns: int = 1_800 * NS_PER_SECOND,
        split: str = ">=",
        count: str = "occurrences",
        collapse: str | None = None,
        events: Sequence[str] | None = None,
        markers: bool = False,
        until: DateLike | None = None,
    ) -> tuple[pd.DataFrame, int]:
        """Count consecutive-event pairs per user or session, in the engine.

        Parameters
        ----------
        within : {"user", "session"}, default "user"
        timeout_ns : int
            Session timeout in nanoseconds (``within="session"``).
        split : {">=", ">"}, default ">="
        count : {"occurrences", "paths", "users"}, default "occurrences"
        collapse : {"first", "last"}, optional
            Collapse immediate repeats of an event.
        events : sequence of str, optional
            Events kept after the session split; default all.
        markers : bool, default False
            Also count (path start, first event) and (last event, path end) pairs.
        until : datetime-like, optional

        Returns
        -------
        (pandas.DataFrame, int)
            ``src``, ``dst`` (event codes; -1 path start, -2 path end), ``count``, ``tsum``
            (seconds between the events, summed), ``tn`` (pairs timed); and the number of paths.

        Examples
        --------
        >>> import duckdb
        >>> rel = duckdb.sql(
        ...     "SELECT 'u' AS user_id, CASE WHEN i % 2 = 0 THEN 'open' ELSE 'buy' END AS event, "
        ...     "TIMESTAMPTZ '2024-01-01 00:00:00+00' + i * INTERVAL 1 MINUTE AS timestamp "
        ...     "FROM range(4) t(i)")
        >>> counts, n_paths = LazyEventLog.scan(rel, tz="UTC").pair_counts()
        >>> int(counts["count"].sum()), n_paths
        (3, 1)
        """
        codes = self._codes(events)
        return pair_counts_in_engine(
            self,
            within=within,
            timeout_ns=int(timeout_ns),
            split=split,
            count=count,
            collapse=collapse,
            include=None if codes is None else self._raw_events[codes].tolist(),
            markers=markers,
            until_ns=self._until(until),
        )


def as_event_log(
    events: Any,
    *,
    names: Sequence[str] | str | None = None,
    grain: Grain | None = None,
    exact: Sequence[str] | str | None = None,
    by_event: bool = True,
    tz: str | None = None,
    week_start: int | None = None,
    until: DateLike | None = None,
    after: Sequence[str] | str | None = None,
    **kwargs: Any,
) -> EventLog:
    """Return ``events`` as an EventLog; from a :class:`LazyEventLog` collect only what is needed.

    Every metric calls this on its first argument, so a plain DataFrame with ``user_id``,
    ``event`` and ``timestamp`` columns works wherever an EventLog does, and a lazy log works
    too.  The keyword arguments describe what the caller needs; they matter only for a lazy
    log (an EventLog is returned as it is):

    - ``grain`` None: the event-level rows of ``names`` (every event when None);
    - ``grain`` "hour"/"day"/"week"/"month": the roll-up of ``names`` to that local period in
      ``tz``, with the events in ``exact`` kept row by row (see :meth:`LazyEventLog.rollup`).

    Parameters
    ----------
    events : EventLog, LazyEventLog or DataFrame-like
        The events.
    names : str or sequence of str, optional
        The events the caller reads; default all.
    grain : {"hour", "day", "week", "month"}, optional
        The calendar period the caller looks at; None when it needs exact times.
    exact : str or sequence of str, optional
        With ``grain``: events whose exact times are needed.
    by_event : bool, default True
        With ``grain``: whether the caller tells events apart.
    tz : str, optional
        Calendar zone of the roll-up; default the log's.
    week_start : int, optional
        First weekday of weekly roll-ups; default the log's.
    until : datetime-like, optional
        Last time the caller reads.
    after : str or sequence of str, optional
        Without ``grain``: only the rows of users who had one of these events, from their first
        one on (see :meth:`LazyEventLog.collect`).
    **kwargs
        Passed to :meth:`EventLog.from_frame` when a frame is given.

    Returns
    -------
    EventLog

    Raises
    ------
    InvalidParameterError
        When ``events`` is neither an event log nor a frame.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"user_id": ["a"], "event": ["open"],
    ...                    "timestamp": [pd.Timestamp("2024-01-01", tz="UTC")]})
    >>> as_event_log(df).n_events
    1
    """
    if isinstance(events, EventLog):
        return events
    if isinstance(events, LazyEventLog):
        # names the log does not know are left out of the query: the caller looks every name
        # up in the collected log (same vocabulary) and reports them with its own message
        known = set(map(str, events.event_names))

        def only_known(value: Sequence[str] | str | None) -> list[str] | None:
            if value is None:
                return None
            return [n for n in ([value] if isinstance(value, str) else value) if n in known]

        names, exact, after = only_known(names), only_known(exact), only_known(after)
        if grain is None:
            return events.collect(names, until=until, after=after)
        return events.rollup(
            grain,
            events=names,
            exact=exact,
            by_event=by_event,
            tz=tz,
            week_start=week_start,
            until=until,
        )
    return EventLog.from_frame(events, **kwargs)


#: What every metric, segment and churn function takes as its events: an :class:`EventLog`, a
#: :class:`LazyEventLog` (rows left in their engine) or a frame with the default column names.
EventsLike: TypeAlias = "EventLog | LazyEventLog | pd.DataFrame"
