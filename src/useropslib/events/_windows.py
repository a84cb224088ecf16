"""Window-function queries of a lazy log: session boundaries and transition counts in the engine.

Both run where the rows live (DuckDB, Polars, PySpark) through narwhals window expressions,
partitioned by user and ordered by (time, event name) -- engines have no row order, so ties at
one instant are ordered by name:

- **sessions**: ``LAG``/``LEAD`` of the time (and name) flag the first and last row of each
  session, a running count numbers the rows; a second window over those boundary rows only pairs
  them, so one row per session is collected (or, for per-period metrics, one row per period after
  a ``GROUP BY`` on the period of the session start);
- **transitions** without filters: one window level (``LEAD`` of the name, ``LAG`` of the time)
  and one ``GROUP BY`` (event, successor, starts a path) give the pair counts, the number of
  paths and the markers at once;
- **transitions** with filters or distinct counts: a running sum of the session-start flags
  numbers the sessions, ``LEAD`` of the name over (user, session) gives each row's successor,
  and the pairs are counted with a ``GROUP BY`` (after a ``DISTINCT`` for per-path or per-user
  counts); only the counts are collected.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from useropslib.events._engine import collect_native as _collect
from useropslib.events._time import NS_PER_DAY, NS_PER_HOUR, local_ns
from useropslib.exceptions import UseropsError

if TYPE_CHECKING:
    from useropslib.events._lazy import LazyEventLog

__all__ = [
    "pair_counts_in_engine",
    "period_code_expr",
    "session_bounds_in_engine",
    "session_periods_in_engine",
    "session_rows_query",
]

_ORDER = ["t", "ename"]


def _start_flag(uk: str, timeout_ns: int, split: str, starts: Sequence[Any]) -> Any:
    import narwhals.stable.v2 as nw

    prev = nw.col("t").shift(1).over(uk, order_by=_ORDER)
    gap = nw.col("t") - prev
    cut = (gap >= timeout_ns) if split == ">=" else (gap > timeout_ns)
    flag = prev.is_null() | cut
    if starts:
        flag = flag | nw.col("ename").is_in(list(starts))
    return flag


def _session_edges(uk: str, timeout_ns: int, split: str, starts: Sequence[Any]) -> tuple[Any, Any]:
    """``(first, last)``: whether a row starts / ends its session (one window level)."""
    import narwhals.stable.v2 as nw

    nxt_t = nw.col("t").shift(-1).over(uk, order_by=_ORDER)
    gap = nxt_t - nw.col("t")
    cut = (gap >= timeout_ns) if split == ">=" else (gap > timeout_ns)
    last = nxt_t.is_null() | cut
    if starts:
        nxt_e = nw.col("ename").shift(-1).over(uk, order_by=_ORDER)
        last = last | nxt_e.is_in(list(starts))
    return _start_flag(uk, timeout_ns, split, starts), last


def session_rows_query(
    lazy: LazyEventLog,
    *,
    timeout_ns: int,
    split: str,
    start_events: Sequence[str],
    until_ns: int | None,
) -> Any:
    """Return the lazy query with one row per session (nothing is collected).

    Two window levels: over every row, ``LAG``/``LEAD`` of the time flag the first and last row
    of each session and a running count numbers the rows; over those boundary rows only (at most
    two per session), ``LEAD`` brings the last row's time, name and number to the first row and a
    running sum of the first-row flags numbers the sessions.  Columns: the user key, ``session``
    (1..n per user), ``start``, ``end`` (UTC ns), ``events``, ``ename`` (first event name) and
    ``_le`` (last event name).
    """
    query, _ = _session_rows(
        lazy,
        timeout_ns=timeout_ns,
        split=split,
        start_events=start_events,
        until_ns=until_ns,
        coded=False,
    )
    return query


def _session_rows(
    lazy: LazyEventLog,
    *,
    timeout_ns: int,
    split: str,
    start_events: Sequence[str],
    until_ns: int | None,
    coded: bool,
) -> tuple[Any, bool]:
    """Return the session rows query and whether its event columns are codes (``coded``)."""
    import narwhals.stable.v2 as nw

    uk = lazy._user_key
    base = lazy._base(None, until_ns)
    starts: list[Any] = list(start_events)
    if coded:
        base, starts, coded = _events_as_codes(lazy, base, starts)
    if base.implementation.name == "POLARS":
        polars_q = _polars_session_rows(base.to_native(), uk, timeout_ns, split, starts)
        return nw.from_native(polars_q), coded
    first, last = _session_edges(uk, timeout_ns, split, starts)
    q = base.select(uk, "t", "ename").with_columns(
        _f=first, _l=last, _rn=nw.col("t").cum_count().over(uk, order_by=_ORDER)
    )
    q = q.filter(nw.col("_f") | nw.col("_l"))
    ends = nw.col("_l")
    # the row number orders the boundary rows as (time, name) did: an integer sort, no text
    by_rn = ["_rn"]
    q = q.with_columns(
        _nt=nw.col("t").shift(-1).over(uk, order_by=by_rn),
        _ne=nw.col("ename").shift(-1).over(uk, order_by=by_rn),
        _nrn=nw.col("_rn").shift(-1).over(uk, order_by=by_rn),
        session=nw.col("_f").cast(nw.Int64).cum_sum().over(uk, order_by=by_rn),
    ).filter(nw.col("_f"))
    out = q.select(
        uk,
        # the running sum is HUGEINT in DuckDB (decimal128 in Arrow): BIGINT in the engine
        nw.col("session").cast(nw.Int64),
        nw.col("t").alias("start"),
        nw.when(ends).then(nw.col("t")).otherwise(nw.col("_nt")).alias("end"),
        nw.when(ends)
        .then(nw.lit(1, dtype=nw.Int64))
        .otherwise(nw.col("_nrn") - nw.col("_rn") + 1)
        .alias("events"),
        "ename",
        nw.when(ends).then(nw.col("ename")).otherwise(nw.col("_ne")).alias("_le"),
    )
    return out, coded


def _events_as_codes(
    lazy: LazyEventLog, base: Any, starts: list[Any]
) -> tuple[Any, list[Any], bool]:
    """Replace the event names by their codes in the engine (DuckDB, Polars), when it can.

    The code is the name's position in the log's raw event names, which the scan sorted in code
    point order, the engines' binary string order: ordering rows by code orders ties at one
    instant by name, as ordering by the text did.  Windows then sort integers instead of text,
    and the collected first and last events need no look-up.  A name the scan did not see (the
    table changed since) becomes null, which :func:`session_bounds_in_engine` reports.  Returns
    the rows, the start events as codes and whether the names were coded.
    """
    import narwhals.stable.v2 as nw

    names = lazy._raw_events
    engine = base.implementation.name
    plain = (
        engine in ("POLARS", "DUCKDB")
        and len(names) > 0
        and all(isinstance(n, str) and "\x00" not in n for n in names)
        and names.is_unique
        and names.is_monotonic_increasing
    )
    if not plain:
        return base, starts, False
    codes = [int(c) for c in names.get_indexer(pd.Index(starts, dtype=object))]
    native = base.to_native()
    if engine == "POLARS":
        import polars as pl

        enum = pl.Enum([str(n) for n in names])
        native = native.with_columns(pl.col("ename").cast(enum, strict=False).to_physical())
    else:
        import duckdb

        # an anonymous ENUM type in SQL text: the names are quoted, quotes doubled
        listed = ", ".join("'" + str(n).replace("'", "''") + "'" for n in names)
        cast = duckdb.ColumnExpression("ename").try_cast(duckdb.sqltype(f"ENUM({listed})"))
        native = native.project(
            *[duckdb.ColumnExpression(c) for c in native.columns if c != "ename"],
            duckdb.FunctionExpression("enum_code", cast).alias("ename"),
        )
    return nw.from_native(native), codes, True


def _polars_session_rows(
    lf: Any, uk: str, timeout_ns: int, split: str, starts: Sequence[Any]
) -> Any:
    """Return the session rows query in Polars: one sort, then shifts of whole columns.

    Polars evaluates each ordered window expression with its own sort inside every group; the
    rows sorted once by (user, time, name) give the same flags with plain shifts (a row's
    neighbour belongs to its user when the user key matches), so no window runs at all.
    """
    import polars as pl

    u, t, e = pl.col(uk), pl.col("t"), pl.col("ename")

    def cut(gap: Any) -> Any:
        return (gap >= timeout_ns) if split == ">=" else (gap > timeout_ns)

    same_prev = (u == u.shift(1)).fill_null(False)
    same_next = (u == u.shift(-1)).fill_null(False)
    first = ~same_prev | cut(t - t.shift(1))
    last = ~same_next | cut(t.shift(-1) - t)
    if starts:
        first = first | e.is_in(list(starts))
        last = last | (same_next & e.shift(-1).is_in(list(starts)))
    count = pl.col("_f").cast(pl.Int64).cum_sum()
    q = (
        lf.select(uk, "t", "ename")
        .sort([uk, "t", "ename"])
        .with_columns(_f=first, _l=last, _rn=pl.int_range(pl.len(), dtype=pl.Int64))
        .filter(pl.col("_f") | pl.col("_l"))
        # boundary rows, still in (user, time, name) order: a first row that is not also a
        # last row is followed by its session's last row
        .with_columns(
            _nt=t.shift(-1),
            _ne=e.shift(-1),
            _nrn=pl.col("_rn").shift(-1),
            # numbered without a window: the running count of first rows, less its value at
            # the user's first row (the rows are sorted by user)
            session=count - pl.when(~same_prev).then(count).otherwise(None).forward_fill() + 1,
        )
        .filter(pl.col("_f"))
    )
    ends = pl.col("_l")
    return q.select(
        uk,
        "session",
        t.alias("start"),
        pl.when(ends).then(t).otherwise(pl.col("_nt")).alias("end"),
        pl.when(ends)
        .then(pl.lit(1, dtype=pl.Int64))
        .otherwise(pl.col("_nrn") - pl.col("_rn") + 1)
        .alias("events"),
        "ename",
        pl.when(ends).then(e).otherwise(pl.col("_ne")).alias("_le"),
    )


def session_bounds_in_engine(
    lazy: LazyEventLog,
    *,
    timeout_ns: int,
    split: str,
    start_events: Sequence[str],
    until_ns: int | None,
) -> pd.DataFrame:
    """One row per session: user code, session number, start/end ns, events, first/last event.

    Parameters
    ----------
    lazy : LazyEventLog
    timeout_ns : int
    split : {">=", ">"}
    start_events : sequence of str
        Raw event names that start a session.
    until_ns : int, optional

    Returns
    -------
    pandas.DataFrame
        Columns ``user``, ``session``, ``start``, ``end``, ``events``, ``first_event``,
        ``last_event`` (codes), sorted by (user, session).  Only this table is collected.
    """
    query, coded = _session_rows(
        lazy,
        timeout_ns=timeout_ns,
        split=split,
        start_events=start_events,
        until_ns=until_ns,
        coded=True,
    )
    if query.implementation.name == "POLARS":
        import narwhals.stable.v2 as nw

        # Polars' default engine: the sort holds every row in memory either way, and the
        # streaming engine spent a third more CPU time on this query (10M rows)
        got = _collect(nw.from_native(query.to_native().collect()))
    else:
        got = _collect(query)
    users = _user_codes(lazy, got)
    if coded:
        first, last = _event_codes(lazy, got["ename"]), _event_codes(lazy, got["_le"])
    else:
        first = lazy._encode_events(got["ename"]).astype(np.int64, copy=False)
        last = lazy._encode_events(got["_le"]).astype(np.int64, copy=False)
    number = _int64(got["session"])
    # (user, session) order without a sort: session k of user u goes to the slot
    # (sessions of the users before u) + k - 1, so one scatter places every row
    n_users = int(users.max()) + 1 if users.size else 0
    per_user = np.bincount(users, minlength=n_users)
    before = np.zeros(n_users + 1, dtype=np.int64)
    np.cumsum(per_user, out=before[1:])
    slot = before[users] + number - 1 if users.size else users
    # in that order the users and the numbers need no scatter: runs of each user, 1..k
    sorted_users = np.repeat(np.arange(n_users, dtype=np.int64), per_user)
    placed: dict[str, npt.NDArray[np.int64]] = {
        "user": sorted_users,
        "session": np.arange(users.size, dtype=np.int64) - before[sorted_users] + 1,
    }
    for name, values in {
        "start": _int64(got["start"]),
        "end": _int64(got["end"]),
        "events": _int64(got["events"]),
        "first_event": first,
        "last_event": last,
    }.items():
        out_ = np.empty(values.size, dtype=np.int64)
        out_[slot] = values
        placed[name] = out_
    # copy=False: one block per column, no consolidation copy of the session-sized arrays
    out: pd.DataFrame = pd.DataFrame(placed, copy=False)
    return out


def _user_codes(lazy: LazyEventLog, got: Any) -> npt.NDArray[np.int64]:
    """User codes of the collected session rows, looked up once per run of equal hashes.

    The engines give each user's sessions together (Polars sorted by the hash, DuckDB by its
    window partitions), so the hashes come in runs: one binary search per run (in sorted order)
    instead of one per row, and none at all when the runs are the vocabulary's hashes in order
    (Polars).
    """
    hashes = lazy._hashes
    if hashes is None:
        return lazy._encode_users(got).astype(np.int64, copy=False)
    sorted_h, codes = hashes
    raw = np.ascontiguousarray(got[lazy._user_key].to_numpy())
    h = raw.view(np.int64) if raw.dtype == np.uint64 else raw.astype(np.int64, copy=False)
    if h.size == 0 or sorted_h.size == 0:
        return lazy._encode_users(got).astype(np.int64, copy=False)  # checks unknown hashes
    new = np.empty(h.size, dtype=bool)
    new[0] = True
    np.not_equal(h[1:], h[:-1], out=new[1:])
    starts = np.flatnonzero(new)
    runs = h[starts]
    if runs.size == sorted_h.size and np.array_equal(runs, sorted_h):
        run_codes = codes
    else:
        # sorted queries walk the vocabulary in order: an argsort and an ordered binary search
        # cost a third of a search in random order (cache misses) at a million users
        order = np.argsort(runs)
        pos = np.empty(runs.size, dtype=np.int64)
        pos[order] = np.minimum(np.searchsorted(sorted_h, runs[order]), sorted_h.size - 1)
        if bool((sorted_h[pos] != runs).any()):
            return lazy._encode_users(got).astype(np.int64, copy=False)  # raises: unknown ids
        run_codes = codes[pos]
    lengths = np.diff(np.append(starts, h.size))
    out: npt.NDArray[np.int64] = np.repeat(run_codes.astype(np.int64), lengths)
    return out


def _event_codes(lazy: LazyEventLog, column: Any) -> npt.NDArray[np.int64]:
    """Return a collected column of engine-made event codes as int64 numpy.

    A null is a name the scan did not see: the distinct unknown names are read back from the
    engine and :meth:`LazyEventLog._encode_events` raises its "table changed" error on them.
    """
    import pyarrow as pa

    arr = column.to_arrow()
    if arr.null_count:
        import narwhals.stable.v2 as nw

        known = [str(n) for n in lazy._raw_events]
        unknown = (
            lazy._base(None, None)
            .filter(~nw.col("ename").is_in(known))
            .select("ename")
            .unique()
            .head(5)
        )
        lazy._encode_events(_collect(unknown)["ename"])
        raise UseropsError(  # the names came back known: the table is changing under the query
            "The table changed after LazyEventLog.scan: the engine returned event names it did "
            "not have then. Expected the rows that were scanned. Hint: scan the table again "
            "after it changes, or scan a snapshot of it."
        )
    if hasattr(arr, "combine_chunks"):
        arr = arr.combine_chunks()
    got = np.asarray(arr.cast(pa.int64()).to_numpy(zero_copy_only=False))
    out: npt.NDArray[np.int64] = got.astype(np.int64, copy=False)
    return out


def _int64(column: Any) -> npt.NDArray[np.int64]:
    """Return a collected integer column as int64 numpy (through Arrow, one copy at most)."""
    import pyarrow as pa

    arr = column.to_arrow()
    if hasattr(arr, "combine_chunks"):
        arr = arr.combine_chunks()
    if not pa.types.is_integer(arr.type):
        # DuckDB sums integers into HUGEINT (decimal128 in Arrow): cast in Arrow, never
        # through Python Decimal objects
        arr = arr.cast(pa.int64())
    got = np.asarray(arr.to_numpy(zero_copy_only=False))
    out: npt.NDArray[np.int64] = got.astype(np.int64, copy=False)
    return out


def pair_counts_in_engine(
    lazy: LazyEventLog,
    *,
    within: str,
    timeout_ns: int,
    split: str,
    count: str,
    collapse: str | None,
    include: Sequence[str] | None,
    markers: bool,
    until_ns: int | None,
) -> tuple[pd.DataFrame, int]:
    """Transition counts between consecutive events, computed in the engine.

    Parameters
    ----------
    lazy : LazyEventLog
    within : {"user", "session"}
    timeout_ns : int
    split : {">=", ">"}
    count : {"occurrences", "paths", "users"}
    collapse : {"first", "last"} or None
    include : sequence of str, optional
        Raw event names kept (after the session split); None keeps all.
    markers : bool
        Also count (start, first) and (last, end) pairs; their source or target code is -1
        (start) or -2 (end).
    until_ns : int, optional

    Returns
    -------
    counts : pandas.DataFrame
        ``src``, ``dst`` (event codes, or -1 / -2 for markers), ``count``, ``tsum`` (sum of
        seconds between the events over occurrences; 0 for markers), ``tn`` (occurrences timed).
    n_paths : int
        Distinct (user, session) paths with a kept event.
    """
    import narwhals.stable.v2 as nw

    uk = lazy._user_key
    if include is None and collapse is None and count == "occurrences":
        return _pair_counts_one_level(lazy, within, timeout_ns, split, markers, until_ns)
    nf = lazy._base(None, until_ns)
    if within == "session":
        nf = nf.with_columns(_new=_start_flag(uk, timeout_ns, split, ()).cast(nw.Int64))
        nf = nf.with_columns(_sid=nw.col("_new").cum_sum().over(uk, order_by=_ORDER))
    else:
        nf = nf.with_columns(_sid=nw.lit(0, dtype=nw.Int64))
    if include is not None:
        nf = nf.filter(nw.col("ename").is_in(list(include)))
    part = [uk, "_sid"]
    if collapse == "first":
        prev_e = nw.col("ename").shift(1).over(*part, order_by=_ORDER)
        nf = nf.filter(prev_e.is_null() | (prev_e != nw.col("ename")))
    elif collapse == "last":
        next_e = nw.col("ename").shift(-1).over(*part, order_by=_ORDER)
        nf = nf.filter(next_e.is_null() | (next_e != nw.col("ename")))
    nf = nf.with_columns(
        _next=nw.col("ename").shift(-1).over(*part, order_by=_ORDER),
        _prev=nw.col("ename").shift(1).over(*part, order_by=_ORDER),
        _dt=(nw.col("t").shift(-1).over(*part, order_by=_ORDER) - nw.col("t")).cast(nw.Float64)
        / 1e9,
    )
    owner = {"occurrences": None, "paths": [uk, "_sid"], "users": [uk]}[count]
    parts: list[pd.DataFrame] = []

    def grouped(frame: Any, src: Any, dst: Any, timed: bool) -> pd.DataFrame:
        f = frame.with_columns(_s=src, _d=dst)
        if owner is None:
            aggs = [nw.len().alias("count")]
            if timed:
                aggs += [nw.col("_dt").sum().alias("tsum"), nw.col("_dt").count().alias("tn")]
            got = _collect(f.group_by("_s", "_d").agg(*aggs))
        else:
            uniq = f.select(*owner, "_s", "_d").unique()
            got = _collect(uniq.group_by("_s", "_d").agg(nw.len().alias("count")))
            if timed:
                tg = _collect(
                    f.group_by("_s", "_d").agg(
                        nw.col("_dt").sum().alias("tsum"), nw.col("_dt").count().alias("tn")
                    )
                )
                got_pd: pd.DataFrame = _to_pandas(got).merge(
                    _to_pandas(tg), on=["_s", "_d"], how="left"
                )
                return got_pd
        return _to_pandas(got)

    inner = nf.filter(~nw.col("_next").is_null())
    parts.append(grouped(inner, nw.col("ename"), nw.col("_next"), True))
    if markers:
        firsts = nf.filter(nw.col("_prev").is_null())
        lasts = nf.filter(nw.col("_next").is_null())
        parts.append(grouped(firsts, nw.lit("\x00start"), nw.col("ename"), False))
        parts.append(grouped(lasts, nw.col("ename"), nw.lit("\x00end"), False))
    n_paths_got = _collect(nf.select(uk, "_sid").unique().select(nw.len().alias("n")))
    n_paths = int(np.asarray(n_paths_got["n"].to_numpy())[0]) if len(n_paths_got) else 0
    frame = pd.concat(parts, ignore_index=True)
    for col in ("tsum", "tn"):
        if col not in frame:
            frame[col] = 0.0
    frame[["tsum", "tn"]] = frame[["tsum", "tn"]].fillna(0.0)
    return (
        pd.DataFrame(
            {
                "src": _codes(lazy, frame["_s"]),
                "dst": _codes(lazy, frame["_d"]),
                "count": frame["count"].to_numpy(dtype=np.int64),
                "tsum": frame["tsum"].to_numpy(dtype=np.float64),
                "tn": frame["tn"].to_numpy(dtype=np.float64),
            }
        ),
        n_paths,
    )


def _pair_counts_one_level(
    lazy: LazyEventLog,
    within: str,
    timeout_ns: int,
    split: str,
    markers: bool,
    until_ns: int | None,
) -> tuple[pd.DataFrame, int]:
    """Occurrence counts without filters: one window level and one GROUP BY, nothing else.

    Each row's successor is the ``LEAD`` over the user's rows, kept when the gap does not end
    the session; whether the row starts a path comes from the ``LAG``.  Grouping by (event,
    successor, starts a path) gives in one pass the pair counts, the last events (successor
    null: one per path, so their sum is the number of paths) and the first events (markers).
    """
    import narwhals.stable.v2 as nw

    uk = lazy._user_key
    nxt_t = nw.col("t").shift(-1).over(uk, order_by=_ORDER)
    nxt_e = nw.col("ename").shift(-1).over(uk, order_by=_ORDER)
    gap = nxt_t - nw.col("t")
    if within == "session":
        goes_on = (gap < timeout_ns) if split == ">=" else (gap <= timeout_ns)
        starts = _start_flag(uk, timeout_ns, split, ())
    else:
        goes_on = ~nxt_t.is_null()
        starts = nw.col("t").shift(1).over(uk, order_by=_ORDER).is_null()
    q = (
        lazy._base(None, until_ns)
        .select(uk, "t", "ename")
        .with_columns(
            _d=nw.when(goes_on).then(nxt_e),
            _dt=nw.when(goes_on).then(gap.cast(nw.Float64) / 1e9),
            _p=starts,
        )
    )
    got = _to_pandas(
        _collect(
            q.group_by("ename", "_d", "_p").agg(
                nw.len().alias("count"),
                nw.col("_dt").sum().alias("tsum"),
                nw.col("_dt").count().alias("tn"),
            )
        )
    )
    ends = got["_d"].isna().to_numpy()
    n_paths = int(got.loc[ends, "count"].sum())
    inner = got[~ends].groupby(["ename", "_d"], as_index=False)[["count", "tsum", "tn"]].sum()
    parts = [inner.rename(columns={"ename": "_s"})]
    if markers:
        first = got[got["_p"].to_numpy(dtype=bool)].groupby("ename", as_index=False)["count"].sum()
        last = got[ends].groupby("ename", as_index=False)["count"].sum()
        parts.append(first.rename(columns={"ename": "_d"}).assign(_s="\x00start", tsum=0.0, tn=0.0))
        parts.append(last.rename(columns={"ename": "_s"}).assign(_d="\x00end", tsum=0.0, tn=0.0))
    frame = pd.concat(parts, ignore_index=True)
    return (
        pd.DataFrame(
            {
                "src": _codes(lazy, frame["_s"]),
                "dst": _codes(lazy, frame["_d"]),
                "count": frame["count"].to_numpy(dtype=np.int64),
                "tsum": frame["tsum"].to_numpy(dtype=np.float64),
                "tn": frame["tn"].to_numpy(dtype=np.float64),
            }
        ),
        n_paths,
    )


_QUARTER_NS = 900 * 1_000_000_000


def period_code_expr(
    column: str, t_min: int, t_max: int, period: str, tz: str, week_start: int
) -> Any | None:
    """Return an engine expression for :func:`~useropslib.events.period_codes` of a column.

    The zone's UTC offset is piecewise constant: it is found on a quarter-hour grid over
    ``[t_min, t_max]`` and written as the first offset plus one step per transition
    (``offset + sum(step_k * (t >= t_k))``).  Months are counted the same way, one step per month
    start in the range.  Returns None when the zone changes its offset inside a quarter-hour
    (historic odd offsets): the caller then computes the codes itself.
    """
    import narwhals.stable.v2 as nw

    q0, q1 = t_min // _QUARTER_NS, t_max // _QUARTER_NS + 1
    grid = np.arange(q0, q1 + 1, dtype=np.int64) * _QUARTER_NS
    off = local_ns(grid, tz) - grid
    off_end = local_ns(grid + (_QUARTER_NS - 1), tz) - (grid + (_QUARTER_NS - 1))
    if bool((off != off_end).any()):
        return None
    t = nw.col(column)
    local = t + int(off[0])
    for k in np.flatnonzero(np.diff(off)) + 1:
        local = local + nw.when(t >= int(grid[k])).then(int(off[k] - off[k - 1])).otherwise(0)
    if period == "hour":
        return local // NS_PER_HOUR
    day = local // NS_PER_DAY
    if period == "day":
        return day
    if period == "week":
        return (day + (3 - week_start) % 7) // 7
    d0 = int((t_min + int(off.min())) // NS_PER_DAY)
    d1 = int((t_max + int(off.max())) // NS_PER_DAY)
    months = np.arange(d0, d1 + 1, dtype=np.int64).astype("datetime64[D]").astype("datetime64[M]")
    month = months.astype(np.int64)
    code: Any = nw.lit(int(month[0]), dtype=nw.Int64)
    for k in np.flatnonzero(np.diff(month)) + 1:
        code = code + nw.when(day >= d0 + int(k)).then(1).otherwise(0)
    return code


def session_periods_in_engine(
    lazy: LazyEventLog,
    *,
    timeout_ns: int,
    split: str,
    start_events: Sequence[str],
    until_ns: int | None,
    period: str,
    tz: str,
    week_start: int,
    edges_ns: Sequence[int],
) -> pd.DataFrame | None:
    """Session aggregates per calendar period (of the session's start), computed in the engine.

    Parameters
    ----------
    lazy : LazyEventLog
    timeout_ns, split, start_events, until_ns
        The session rule, as in :func:`session_bounds_in_engine`.
    period : {"hour", "day", "week", "month"}
    tz : str
        Calendar zone.
    week_start : int
    edges_ns : sequence of int
        Upper bounds of the session-length bins after the zero-length bin.

    Returns
    -------
    pandas.DataFrame or None
        One row per period code: ``code``, ``sessions``, ``users``, ``events`` (sum),
        ``duration`` (sum of ns), ``median_duration`` (ns), ``bounces`` and ``bin_0`` ...
        ``bin_<len(edges_ns) + 1>`` (sessions per length bin).  None when the zone's offsets
        cannot be written as engine arithmetic (the caller collects the sessions instead).
    """
    import narwhals.stable.v2 as nw

    if lazy._t_min is None or lazy._t_max is None:
        nothing: pd.DataFrame = pd.DataFrame(columns=["code"])
        return nothing
    code = period_code_expr("start", int(lazy._t_min), int(lazy._t_max), period, tz, week_start)
    if code is None:
        return None
    uk = lazy._user_key
    q = session_rows_query(
        lazy, timeout_ns=timeout_ns, split=split, start_events=start_events, until_ns=until_ns
    )
    dur = nw.col("end") - nw.col("start")
    longer: Any = nw.lit(0, dtype=nw.Int64)
    for edge in edges_ns:
        longer = longer + nw.when(dur >= int(edge)).then(1).otherwise(0)
    q = q.with_columns(
        _code=code,
        _dur=dur,
        _bin=nw.when(dur <= 0).then(0).otherwise(longer + 1),
    )
    n_bins = len(edges_ns) + 2
    got = _collect(
        q.group_by("_code").agg(
            nw.len().alias("sessions"),
            nw.col(uk).n_unique().alias("users"),
            nw.col("events").sum().cast(nw.Int64).alias("events"),
            nw.col("_dur").sum().cast(nw.Int64).alias("duration"),
            nw.col("_dur").median().alias("median_duration"),
            (nw.col("events") == 1).cast(nw.Int64).sum().cast(nw.Int64).alias("bounces"),
            *[
                (nw.col("_bin") == k).cast(nw.Int64).sum().cast(nw.Int64).alias(f"bin_{k}")
                for k in range(n_bins)
            ],
        )
    )
    out: pd.DataFrame = (
        _to_pandas(got).rename(columns={"_code": "code"}).sort_values("code").reset_index(drop=True)
    )
    return out


def _to_pandas(got: Any) -> pd.DataFrame:
    out: pd.DataFrame = pd.DataFrame({c: got[c].to_numpy() for c in got.columns})
    return out


def _codes(lazy: LazyEventLog, names: pd.Series) -> npt.NDArray[np.int64]:
    """Event codes of collected raw names; -1 for the start marker, -2 for the end marker."""
    raw = lazy._raw_events
    s = names.astype(object)
    out = raw.get_indexer(pd.Index(s.to_numpy(), dtype=object)).astype(np.int64)
    out[(s == "\x00start").to_numpy()] = -1
    out[(s == "\x00end").to_numpy()] = -2
    return out
