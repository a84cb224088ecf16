"""Window-function queries of a lazy log: session boundaries and transition counts in the engine.

Both run where the rows live (DuckDB, Polars, PySpark) through narwhals window expressions,
partitioned by user and ordered by (time, event name) -- engines have no row order, so ties at
one instant are ordered by name:

- **sessions**: ``LAG``/``LEAD`` of the time (and name) flag the first and last row of each
  session, a running count numbers the rows; only those boundary rows (at most two per session)
  are collected;
- **transitions**: a running sum of the session-start flags numbers the sessions, ``LEAD`` of the
  name over (user, session) gives each row's successor, and the pairs are counted with a
  ``GROUP BY`` (after a ``DISTINCT`` for per-path or per-user counts); only the counts are
  collected.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from useropslib.events._engine import collect_native as _collect

if TYPE_CHECKING:
    from useropslib.events._lazy import LazyEventLog

__all__ = ["pair_counts_in_engine", "session_bounds_in_engine"]

_ORDER = ["t", "ename"]


def _start_flag(uk: str, timeout_ns: int, split: str, starts: Sequence[str]) -> Any:
    import narwhals.stable.v2 as nw

    prev = nw.col("t").shift(1).over(uk, order_by=_ORDER)
    gap = nw.col("t") - prev
    cut = (gap >= timeout_ns) if split == ">=" else (gap > timeout_ns)
    flag = prev.is_null() | cut
    if starts:
        flag = flag | nw.col("ename").is_in(list(starts))
    return flag


def session_bounds_in_engine(
    lazy: LazyEventLog,
    *,
    timeout_ns: int,
    split: str,
    start_events: Sequence[str],
    until_ns: int | None,
) -> pd.DataFrame:
    """One row per session: user code, start/end ns, events, first/last event code.

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
        Columns ``user``, ``start``, ``end``, ``events``, ``first_event``, ``last_event``,
        sorted by (user, start).
    """
    import narwhals.stable.v2 as nw

    uk = lazy._user_key
    nf = lazy._base(None, until_ns)
    nxt_t = nw.col("t").shift(-1).over(uk, order_by=_ORDER)
    nxt_e = nw.col("ename").shift(-1).over(uk, order_by=_ORDER)
    gap = nxt_t - nw.col("t")
    cut = (gap >= timeout_ns) if split == ">=" else (gap > timeout_ns)
    last = nxt_t.is_null() | cut
    if start_events:
        last = last | nxt_e.is_in(list(start_events))
    q = nf.with_columns(
        _first=_start_flag(uk, timeout_ns, split, start_events),
        _last=last,
        _rn=nw.col("t").cum_count().over(uk, order_by=_ORDER),
    ).filter(nw.col("_first") | nw.col("_last"))
    got = _collect(q.select(uk, "t", "ename", "_first", "_last", "_rn"))
    users = lazy._encode_users(got).astype(np.int64)
    ev = lazy._encode(got)[1].astype(np.int64)
    t = np.asarray(got["t"].to_numpy(), dtype=np.int64)
    rn = np.asarray(got["_rn"].to_numpy(), dtype=np.int64)
    first = np.asarray(got["_first"].to_numpy(), dtype=bool)
    last_f = np.asarray(got["_last"].to_numpy(), dtype=bool)
    order = np.lexsort((rn, users))
    users, ev, t, rn, first, last_f = (a[order] for a in (users, ev, t, rn, first, last_f))
    fi = np.flatnonzero(first)
    li = np.flatnonzero(last_f)
    out: pd.DataFrame = pd.DataFrame(
        {
            "user": users[fi],
            "start": t[fi],
            "end": t[li],
            "events": rn[li] - rn[fi] + 1,
            "first_event": ev[fi],
            "last_event": ev[li],
        }
    )
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
