"""Churn reductions of a :class:`~useropslib.events.LazyEventLog`, computed in its engine.

Each query groups the rows in the engine (DuckDB, Polars or PySpark, through narwhals) and
collects its reduction only: one row per user (feature and warning aggregates), one row per
active spell (churn rates), one row per distinct gap length in days, or one row per
(bound, day) of the return curve's silences; never the event rows.  The local calendar day of
a row is the integer key of :func:`~useropslib.events._lazycal.period_key` (the zone's offsets
written as a sum of comparisons), so the engines need no zone support.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, TypeGuard

import numpy as np
import numpy.typing as npt
import pandas as pd

from useropslib.events._engine import collect_native, user_id_index
from useropslib.events._lazycal import CALENDAR_BACKENDS, period_key
from useropslib.events._time import NS_PER_DAY

if TYPE_CHECKING:
    from useropslib.events._lazy import LazyEventLog

__all__ = [
    "activity_totals",
    "churn_engine_ready",
    "day_gap_counts",
    "engine_rows_until",
    "engine_spells",
    "feature_aggregates",
    "silence_bound_counts",
    "warning_aggregates",
]

I64 = npt.NDArray[np.int64]

#: Stand-in for "no value" in conditional distinct counts (never a local day start).
_NO_DAY = -1
_NO_NAME = "\x00useropslib:no-event"
#: Below every instant the log can hold (1900 onwards): the running maximum's neutral value.
_BEFORE_ALL = -(2**62)


def churn_engine_ready(events: Any) -> TypeGuard[LazyEventLog]:
    """Whether ``events`` is a lazy log with rows whose engine answers the churn reductions.

    DuckDB, Polars and PySpark (window functions); pyarrow tables and empty logs are collected.
    """
    from useropslib.events._lazy import LazyEventLog

    return (
        isinstance(events, LazyEventLog)
        and events._t_min is not None
        and events.backend in CALENDAR_BACKENDS
    )


def _int64(column: Any) -> I64:
    out: I64 = np.ascontiguousarray(column.to_numpy(), dtype=np.int64)
    return out


def _rows(lazy: LazyEventLog, names: Sequence[str] | None, until_ns: int | None) -> Any:
    """Return the rows of ``names`` (None: all; unknown names dropped) by ``until_ns``."""
    import narwhals.stable.v2 as nw

    nf = nw.from_native(lazy._raw)
    if names is not None:
        codes = lazy._codes(list(names)) if names else []
        raw = lazy._raw_events[codes].tolist() if codes else []
        nf = nf.filter(nw.col("ename").is_in(raw) if raw else nw.col("t") != nw.col("t"))
    if until_ns is not None:
        nf = nf.filter(nw.col("t") <= until_ns)
    return nf


def _is_named(lazy: LazyEventLog, names: Sequence[str] | None) -> Any:
    """Engine flag of the rows named ``names`` (None: every row)."""
    import narwhals.stable.v2 as nw

    if names is None:
        return nw.lit(True)
    codes = lazy._codes(list(names)) if names else []
    raw = lazy._raw_events[codes].tolist() if codes else []
    return nw.col("ename").is_in(raw) if raw else nw.col("t") != nw.col("t")


def _day(lazy: LazyEventLog) -> Any:
    """Engine key of each row's local calendar day in the log's zone (its local start, ns)."""
    key = period_key(lazy, "day", lazy.tz, lazy.week_start)
    assert key is not None  # only called on logs with rows
    return key.expr


def _distinct_where(value: Any, cond: Any, none: Any) -> Any:
    """Engine count of the distinct ``value`` on the rows where ``cond`` holds (per group)."""
    import narwhals.stable.v2 as nw

    picked = nw.when(cond).then(value).otherwise(nw.lit(none))
    return picked.n_unique() - (~cond).cast(nw.Int64).max()


def engine_rows_until(lazy: LazyEventLog, names: Sequence[str] | None, until_ns: int) -> int:
    """Count the rows of ``names`` at or before ``until_ns`` (one aggregate; error paths)."""
    import narwhals.stable.v2 as nw

    got = collect_native(_rows(lazy, names, until_ns).select(nw.len().alias("n")))
    return int(got["n"].to_numpy()[0])


def feature_aggregates(
    lazy: LazyEventLog,
    names: Sequence[str] | None,
    *,
    cut: int,
    bounds: Sequence[int],
    windows: Sequence[int],
    horizon_ns: int | None,
    within_ns: int | None,
) -> tuple[pd.Index, dict[str, Any]]:
    """Per-user aggregates of :func:`~useropslib.churn.churn_features`, in the engine.

    Over the activity rows up to ``cut`` (+ ``horizon_ns``): first, last and number of rows
    by ``cut``, the rows younger than each bound, the value sums, the distinct local days and
    event names in each window, and the rows in the label window; only users with a row by
    ``cut`` (last within ``within_ns`` when given) come back, sorted by id: one ``GROUP BY``
    user of conditional sums, joined on the user to the distinct pairs counted per window.
    """
    import narwhals.stable.v2 as nw

    end = cut if horizon_ns is None else cut + horizon_ns
    nf = _rows(lazy, names, end)
    t = nw.col("t")
    past = t <= cut
    age = nw.lit(cut, dtype=nw.Int64) - t
    one = nw.lit(1, dtype=nw.Int64)
    zero = nw.lit(0, dtype=nw.Int64)
    cols: list[Any] = [
        nw.col("uid"),
        t,
        nw.col("ename"),
        _day(lazy).alias("day"),
    ]
    if lazy.has_values:  # a missing value adds 0 (as numpy's nan_to_num does)
        cols.append(nw.col("v").fill_null(0.0).fill_nan(0.0).alias("v"))
    aggs: list[Any] = [
        nw.when(past).then(t).otherwise(None).min().alias("first"),
        nw.when(past).then(t).otherwise(None).max().alias("last"),
        nw.when(past).then(one).otherwise(zero).sum().alias("total"),
    ]
    for i, b in enumerate(bounds):
        aggs.append(nw.when(past & (age < b)).then(one).otherwise(zero).sum().alias(f"b{i}"))
    if lazy.has_values:
        v = nw.col("v")
        aggs.append(nw.when(past).then(v).otherwise(0.0).sum().alias("value_total"))
        for i, w in enumerate(windows):
            aggs.append(nw.when(past & (age < w)).then(v).otherwise(0.0).sum().alias(f"v{i}"))
    if horizon_ns is not None:
        aggs.append(nw.when(t > cut).then(one).otherwise(zero).sum().alias("back"))
    keep = nw.col("total") > 0
    if within_ns is not None:
        keep = keep & (nw.col("last") > cut - within_ns)
    pairs = lazy.backend != "duckdb"
    if not pairs:  # DuckDB: distinct aggregates in the one GROUP BY peak lowest (measured)
        for i, w in enumerate(windows):
            inside = past & (age < w)
            aggs.append(_distinct_where(nw.col("day"), inside, _NO_DAY).alias(f"d{i}"))
            aggs.append(_distinct_where(nw.col("ename"), inside, _NO_NAME).alias(f"e{i}"))
    query = nf.select(*cols).group_by("uid").agg(*aggs).filter(keep)
    # Polars, PySpark: distinct local days and event names per window from the (user, day)
    # and (user, event) pairs with their latest row, then per user the pairs inside each
    # window (plain sums, no distinct aggregate over the rows)
    rows = nf.filter(past).select("uid", "t", "ename", _day(lazy).alias("day"))
    for key, prefix in (("day", "d"), ("ename", "e")) if pairs else ():
        latest = rows.group_by("uid", key).agg(t.max().alias("tk"))
        in_windows = [
            nw.when(nw.col("tk") > cut - w).then(one).otherwise(zero).sum().alias(f"{prefix}{i}")
            for i, w in enumerate(windows)
        ]
        query = query.join(latest.group_by("uid").agg(*in_windows), on="uid", how="inner")
    query = query.sort("uid")
    got = collect_native(query)
    out = {name: got[name].to_numpy() for name in got.columns if name != "uid"}
    index: pd.Index = user_id_index(got["uid"].to_numpy())
    return index, out


def warning_aggregates(
    lazy: LazyEventLog,
    names: Sequence[str] | None,
    indicator: str | None,
    *,
    when: int,
    recent_start: int,
    base_start: int,
) -> tuple[pd.Index, dict[str, I64]]:
    """Per-user aggregates of :func:`~useropslib.churn.early_warning`, one ``GROUP BY``.

    First and last activity by ``when``, and the indicator in the baseline and the recent
    window: distinct local days with activity (``indicator=None``) or rows of the event
    ``indicator``.  Only the users who can be judged come back (a baseline count and a first
    activity by ``recent_start``), sorted by id.
    """
    import narwhals.stable.v2 as nw

    nf = _rows(lazy, None, when)
    t = nw.col("t")
    act = _is_named(lazy, names)
    one = nw.lit(1, dtype=nw.Int64)
    zero = nw.lit(0, dtype=nw.Int64)
    cols: list[Any] = [nw.col("uid"), t, act.alias("act")]
    flag = nw.col("act")
    aggs: list[Any] = [
        nw.when(flag).then(t).otherwise(None).min().alias("first"),
        nw.when(flag).then(t).otherwise(None).max().alias("last"),
    ]
    recent = t > recent_start
    base = (t > base_start) & (t <= recent_start)
    if indicator is None:
        cols.append(_day(lazy).alias("day"))
        day = nw.col("day")
        aggs.append(_distinct_where(day, flag & base, _NO_DAY).alias("base_count"))
        aggs.append(_distinct_where(day, flag & recent, _NO_DAY).alias("recent_count"))
    else:
        cols.append((nw.col("ename") == indicator).alias("ind"))
        ind = nw.col("ind")
        aggs.append(nw.when(ind & base).then(one).otherwise(zero).sum().alias("base_count"))
        aggs.append(nw.when(ind & recent).then(one).otherwise(zero).sum().alias("recent_count"))
    keep = (nw.col("base_count") > 0) & (nw.col("first") <= recent_start)
    query = nf.select(*cols).group_by("uid").agg(*aggs).filter(keep).sort("uid")
    got = collect_native(query)
    out = {name: _int64(got[name]) for name in ("first", "last", "base_count", "recent_count")}
    index: pd.Index = user_id_index(got["uid"].to_numpy())
    return index, out


def engine_spells(
    lazy: LazyEventLog, names: Sequence[str] | None, until_ns: int, thr: int
) -> tuple[I64, I64]:
    """Active spells of each user's activity up to ``until_ns``: starts and ends (last + thr).

    Window ``LAG``/``LEAD`` per user mark a spell's first and last row (a gap of at least
    ``thr`` breaks a spell); a running maximum carries the start to the last row, which alone
    comes back: one row per spell.
    """
    import narwhals.stable.v2 as nw

    nf = _rows(lazy, names, until_ns).select("uid", "t")
    t = nw.col("t")
    prev = t.shift(1).over("uid", order_by="t")
    nxt = t.shift(-1).over("uid", order_by="t")
    marked = nf.with_columns(
        # not a start: below every time, so the running maximum is the spell's start (Polars
        # keeps a null where the running maximum's input is null)
        nw.when(prev.is_null() | (t - prev >= thr))
        .then(t)
        .otherwise(nw.lit(_BEFORE_ALL, dtype=nw.Int64))
        .alias("s"),
        (nxt.is_null() | (nxt - t >= thr)).alias("last"),
    )
    query = (
        marked.with_columns(nw.col("s").cum_max().over("uid", order_by="t").alias("start"))
        .filter(nw.col("last"))
        .select("start", (t + thr).alias("end"))
    )
    got = collect_native(query)
    return _int64(got["start"]), _int64(got["end"])


def day_gap_counts(
    lazy: LazyEventLog, names: Sequence[str] | None, until_ns: int
) -> tuple[I64, I64]:
    """Gaps in whole local days between a user's consecutive activity days, and their counts.

    The distinct (user, local day) pairs, a window ``LAG`` per user, then a ``GROUP BY`` gap
    length: one row per distinct gap length comes back.
    """
    import narwhals.stable.v2 as nw

    days = _rows(lazy, names, until_ns).select("uid", _day(lazy).alias("day"))
    day = nw.col("day")
    step = day - day.shift(1).over("uid", order_by="day")
    query = (
        days.group_by("uid", "day")
        .agg()
        .select((step // NS_PER_DAY).alias("gap"))
        .filter(~nw.col("gap").is_null())
        .group_by("gap")
        .agg(nw.len().alias("n"))
        .sort("gap")
    )
    got = collect_native(query)
    return _int64(got["gap"]), _int64(got["n"])


def silence_bound_counts(
    lazy: LazyEventLog,
    names: Sequence[str] | None,
    *,
    as_of_ns: int,
    h_ns: int,
    k_min: int,
    loose: Sequence[int],
) -> pd.DataFrame:
    """Histograms of the return curve's interval bounds, by UTC day bucket, in the engine.

    Every silence (closed gaps of at least ``k_min`` from a window ``LAG`` per user, and each
    user's open silence to ``as_of``) gives the bounds of :func:`~useropslib.churn._threshold.
    return_curve`'s intervals; each bound is reduced to its UTC day bucket (``v - v mod day``),
    whether it is a whole day, and how many of the ``loose`` grid values (those not whole days)
    it reaches (``>`` and ``>=``), then counted per (bound, bucket, whole, reached): rows back
    are bounds x days, not silences.  Two collections: the closed silences' bounds (six per
    silence, from one pass crossed with a table of six bound numbers) and the open ones' (four).

    Returns the counts: columns ``bound``, ``bucket``, ``whole``, ``gt``, ``ge``, ``n``.
    """
    import narwhals.stable.v2 as nw

    nf = _rows(lazy, names, as_of_ns).select("uid", "t")
    t = nw.col("t")
    closed = (
        nf.with_columns(t.shift(1).over("uid", order_by="t").alias("s"))
        .with_columns((t - nw.col("s")).alias("g"))
        .filter(nw.col("g") >= k_min)
        .select("g", "s")
    )
    g, s = nw.col("g"), nw.col("s")
    a = nw.lit(as_of_ns - h_ns, dtype=nw.Int64) - s
    ga = nw.min_horizontal(g, a)
    returned = g - h_ns <= ga
    censored = a + 1 <= g
    closed_bounds = {
        # returned: [g - H, min(g, a)]; censored: [a + 1, g]; not returned: k <= min(g-H-1, a)
        "ret_lo": nw.when(returned).then(g - h_ns),
        "ret_hi": nw.when(returned).then(ga),
        "nret_hi": nw.min_horizontal(g - h_ns - 1, a),
        "cens_lo": nw.when(censored).then(a + 1),
        "cens_hi": nw.when(censored).then(g),
        "reach_hi": g,
    }
    per_user = nf.group_by("uid").agg(t.max().alias("last"))
    o = nw.lit(as_of_ns, dtype=nw.Int64) - nw.col("last")
    open_bounds = {
        "onret_hi": o - h_ns,
        "ocens_lo": o - h_ns + 1,
        "ocens_hi": o,
        "oreach_hi": o,
    }
    frames = []
    for part, bounds in (
        (closed, closed_bounds),
        (per_user.filter(nw.col("last") <= as_of_ns - k_min), open_bounds),
    ):
        # each silence once, crossed with a tiny table of bound numbers: one pass over the
        # silences (a branch per bound would compute the window once per bound)
        tiny = nw.concat(
            [nf.head(1).select(nw.lit(i, dtype=nw.Int64).alias("bi")) for i in range(len(bounds))]
        )
        x: Any = nw.lit(None, dtype=nw.Int64)
        for i, expr in reversed(list(enumerate(bounds.values()))):
            x = nw.when(nw.col("bi") == i).then(expr).otherwise(x)
        long = part.join(tiny, how="cross").select("bi", x.alias("x"))
        counted = _bucketed(long.filter(~nw.col("x").is_null()), loose)
        names_ = list(bounds)
        frames.append((names_, counted))
    got_parts = []
    for names_, counted in frames:
        got = collect_native(counted)
        part_frame = pd.DataFrame({name: got[name].to_numpy() for name in got.columns})
        part_frame["bound"] = np.asarray(names_, dtype=object)[part_frame.pop("bi").to_numpy()]
        got_parts.append(part_frame)
    out: pd.DataFrame = pd.concat(got_parts, ignore_index=True)
    return out


def activity_totals(
    lazy: LazyEventLog, names: Sequence[str] | None, until_ns: int
) -> tuple[int, int, int]:
    """Activity rows, users with activity and the first activity (0 when none), one query."""
    import narwhals.stable.v2 as nw

    per_user = (
        _rows(lazy, names, until_ns)
        .group_by("uid")
        .agg(nw.col("t").min().alias("first"), nw.len().alias("rows"))
    )
    got = collect_native(
        per_user.select(
            nw.col("rows").sum().alias("rows"),
            nw.len().alias("users"),
            nw.col("first").min().alias("first"),
        )
    )
    users = int(got["users"].to_numpy()[0])
    if users == 0:
        return 0, 0, 0
    return int(got["rows"].to_numpy()[0]), users, int(got["first"].to_numpy()[0])


def _bucketed(long: Any, loose: Sequence[int]) -> Any:
    """Count the bound values ``x`` per (bound, day bucket, whole day, loose values reached)."""
    import narwhals.stable.v2 as nw

    x = nw.col("x")
    zero = nw.lit(0, dtype=nw.Int64)
    gt: Any = zero
    ge: Any = zero
    for k in loose:
        gt = gt + (x > k).cast(nw.Int64)
        ge = ge + (x >= k).cast(nw.Int64)
    rem = x % NS_PER_DAY  # the floor modulo on every engine
    return (
        long.select(
            nw.col("bi"),
            (x - rem).alias("bucket"),
            (rem == 0).alias("whole"),
            gt.alias("gt"),
            ge.alias("ge"),
        )
        .group_by("bi", "bucket", "whole", "gt", "ge")
        .agg(nw.len().alias("n"))
    )
