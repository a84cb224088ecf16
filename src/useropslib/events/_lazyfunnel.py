"""Ordered funnels computed in the engine of a lazy log (DuckDB, Polars, PySpark).

:func:`useropslib.metrics.funnel` on a :class:`~useropslib.events.LazyEventLog` asks this module
for a plan (:func:`engine_funnel`).  When the funnel is one the engine can answer exactly, the
engine returns only result-sized tables: per breakdown group, the number of people whose
counted attempt reached each step, and per step the count, the exact sum (in two integer
parts) and the median of the times to convert.  The per-person table is computed in the engine
too and collected only when ``FunnelResult.per_user`` is read.  Otherwise the caller collects
the step events and runs the in-memory kernel, as before.

Supported in the engine: ``order="ordered"``, steps that are distinct event names (no ``None``
step, no property filter), ``attempts`` "first" or "best", no breakdown or a property breakdown
with any attribution, a window shorter than 2**52 ns (52 days: the times to convert stay exact in
float64, so the median equals the in-memory one bit for bit), and exclusions by event names that
are not steps (DuckDB and Polars; on PySpark a funnel with exclusions is collected).

Each step event matches exactly one step then, so an event's place in the in-memory order
(user, time, first step matched, row) is (user, time, step), and the earliest step-k event after
a step-(k-1) event at time t is the earliest step-k event at or after t.  The queries, with the
step events from ``start`` to the last instant the funnel reads:

- **attempts**: every step-0 event in ``[start, end)`` ("best"), or each person's first one
  ("first");
- **the chain** of each attempt, step by step: the earliest step-k time at or after the
  step-(k-1) time.  DuckDB runs one ``ASOF LEFT JOIN`` on (user, time) per step over the step
  rows read once (``MATERIALIZED``); Polars one ``join_asof`` (forward, by user) per step; other
  engines (PySpark) compute, since the chain is monotone in its start, running minima from each
  row to the user's last row over the rows of the next step, one window pass per step from the
  last step back to the entry.  As the kernel does, of the entries sharing their first step-1
  event only the latest is kept (a ``GROUP BY``);
- **steps reached**: the chain's times within the window of the entry (inclusive);
- **exclusions**: per exclusion, a forward as-of join on the ``from_step`` time plus 1 ns
  finds the first exclusion event strictly after it; the attempt is disqualified when that event
  is before the ``to_step`` event (or within the window when the step was not reached).  A
  disqualified attempt reaches 0 steps, so a person with no clean attempt is counted as
  excluded and in no step.  The entry deduplication is skipped with exclusions, as in memory;
- **each person's attempt** ("best"): the one reaching the furthest step, earliest, from the
  latest entry, kept with partitioned maxima and minima (no sort);
- **the aggregates**: one ``GROUP BY`` breakdown group, and the same over everyone (a median
  does not add up over groups).  Sums of the times to convert come back as ``sum(d // 2**26)``
  and ``sum(d % 2**26)``, integers the engine adds exactly, and the kernel adds the same parts.

Breakdown values at ties: where a person has several step events of the same step at the same
instant with different property values, the in-memory kernel takes the first in row order, which
an engine does not keep; the engine takes one of them (for ``("step", i)`` the largest).
"""

from __future__ import annotations

import contextlib
import dataclasses
import warnings
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from useropslib.events._engine import collect_native, user_id_index
from useropslib.events._eventlog import EventLog

if TYPE_CHECKING:
    from useropslib.events._lazy import LazyEventLog

__all__ = ["SUM_SPLIT", "EngineFunnel", "FunnelAsk", "FunnelCounts", "engine_funnel"]

_NONE_GROUP = "(none)"  # the breakdown group of people without a value

#: The times to convert are summed as ``(d >> SUM_SPLIT, d & (2**SUM_SPLIT - 1))``.
SUM_SPLIT = 26
_MAX_WINDOW = 1 << 52
_I64_MAX = np.iinfo(np.int64).max
_BACKENDS = ("duckdb", "polars", "pyspark")


@dataclasses.dataclass(frozen=True)
class FunnelAsk:
    """The funnel asked of the engine (parsed and checked by the caller).

    Attributes
    ----------
    codes : tuple of int
        Event code of each step, then of each exclusion (-1: a name the log does not know).
    n_steps : int
        Number of steps.
    exclusions : tuple of (int, int)
        ``(from_step, to_step)`` of each exclusion.
    window_ns : int
        The conversion window.
    attempts : {"best", "first"}
    lo_ns, hi_ns : int or None
        Entries at or after ``lo_ns`` and before ``hi_ns``.
    asof_ns : int or None
        The call's as_of.
    breakdown : str or None
        The property to break down by.
    touch : str or ("step", int)
        The attribution of the breakdown value.
    """

    codes: tuple[int, ...]
    n_steps: int
    exclusions: tuple[tuple[int, int], ...]
    window_ns: int
    attempts: str
    lo_ns: int | None
    hi_ns: int | None
    asof_ns: int | None
    breakdown: str | None
    touch: str | tuple[str, int]


@dataclasses.dataclass(frozen=True)
class FunnelCounts:
    """What the engine returns for a funnel: a few numbers per breakdown group.

    Attributes
    ----------
    groups : list
        The group values (None: no value, or no breakdown), one per row of the arrays.
    reach : numpy.ndarray
        (groups, steps + 1): people whose counted attempt reached exactly ``r`` steps.
    count, sum_hi, sum_lo : numpy.ndarray
        (groups, steps): per step k >= 1, the people who reached it and the two integer parts
        of the sum of their times to convert (column 0 unused).
    median : numpy.ndarray
        (groups, steps) float64 ns, NaN where nobody reached the step.
    n_entrants : int
        People with an entry in the range.
    overall : FunnelCounts, optional
        The same over everyone (one row), with a breakdown; the result itself without.
    """

    groups: list[Any]
    reach: npt.NDArray[np.int64]
    count: npt.NDArray[np.int64]
    sum_hi: npt.NDArray[np.float64]
    sum_lo: npt.NDArray[np.float64]
    median: npt.NDArray[np.float64]
    n_entrants: int
    overall: FunnelCounts | None = None


@dataclasses.dataclass(frozen=True, eq=False)
class EngineFunnel:
    """A funnel the engine of a lazy log answers; build it with :func:`engine_funnel`.

    Attributes
    ----------
    lazy : LazyEventLog
        The log.
    probe : EventLog
        An event log with the lazy log's names, zone, clock and property names and no users,
        for the caller's checks (with ``as_of`` given, it holds one event at the log's first
        instant, so an ``as_of`` before it is refused as the in-memory log refuses it).
    """

    lazy: LazyEventLog
    probe: EventLog

    # ------------------------------------------------------------------ queries
    def _steps(self, ask: FunnelAsk) -> Any:
        """Select the step events the funnel reads: ``uid``, ``t``, ``k`` (step), ``g``."""
        import narwhals.stable.v2 as nw

        lazy = self.lazy
        raw = lazy._raw_events
        n = ask.n_steps
        known = [(k, raw[c]) for k, c in enumerate(ask.codes[:n]) if c >= 0]
        # exclusion rows: one kind per distinct exclusion event, after the steps
        known += [(n + j, raw[c]) for j, c in enumerate(_distinct(ask.codes[n:])) if c >= 0]
        # as in the kernel: nothing before start, after as_of or after the last window
        hi = ask.asof_ns if ask.asof_ns is not None and ask.asof_ns < (lazy._as_of or 0) else None
        if ask.hi_ns is not None:
            last = ask.hi_ns - 1 + ask.window_ns
            hi = last if hi is None else min(hi, last)
        nf = nw.from_native(lazy._raw)
        t = nw.col("t")
        # no step the log knows: no row
        keep = nw.col("ename").is_in([n for _, n in known]) if known else t < t
        if ask.lo_ns is not None:
            keep = keep & (t >= ask.lo_ns)
        if hi is not None:
            keep = keep & (t <= hi)
        kind = nw.lit(0, dtype=nw.Int64)
        for k, name in known:
            if k:
                kind = kind + (nw.col("ename") == name).cast(nw.Int64) * k
        cols = [nw.col("uid"), t, kind.alias("k")]
        if ask.breakdown is not None:
            p = nw.col(f"p{lazy._properties.index(ask.breakdown)}")
            dtype = nf.collect_schema()[f"p{lazy._properties.index(ask.breakdown)}"]
            if dtype.is_float():  # NaN is no value, as in memory
                p = nw.when(~p.is_nan()).then(p)
            cols.append(p.alias("g"))
        return nf.filter(keep).select(*cols)

    def _people(self, ask: FunnelAsk) -> Any:
        """Return one row per person with an entry: ``uid``, ``reach``, ``t0``.. and ``g``."""
        import narwhals.stable.v2 as nw

        n = ask.n_steps
        s = self._steps(ask)
        t, k = nw.col("t"), nw.col("k")
        entry = k == 0
        if ask.hi_ns is not None:
            entry = entry & (t < ask.hi_ns)
        guards = _guards(ask)
        # as in the kernel, any exclusion (even of an event the log lacks) stops the dedup
        people = self._attempt(
            s,
            entry,
            n,
            ask.window_ns,
            first=ask.attempts == "first",
            guards=guards,
            dedupe=not ask.exclusions,
        )
        if ask.breakdown is not None:
            steps = s.filter(k < n)
            people = people.join(self._values(steps, people, ask.touch), on="uid", how="left")
        return people

    @staticmethod
    def _attempt(
        s: Any,
        entry: Any,
        n: int,
        window_ns: int,
        *,
        first: bool,
        guards: list[tuple[int, int, int]],
        dedupe: bool,
    ) -> Any:
        """Each person's attempt: the first entry, or the best attempt (see the module notes).

        With exclusions (``guards``: kind, from_step, to_step), a disqualified attempt reaches
        0 steps: a person whose every attempt counted is disqualified keeps one row with
        ``reach`` 0 (counted as excluded, left out of every step).
        """
        import narwhals.stable.v2 as nw

        q = _chains(s, entry, n, first=first, window_ns=window_ns, dedupe=dedupe, guards=guards)
        deadline = nw.col("t0") + window_ns
        reach = nw.lit(1, dtype=nw.Int64)
        for m in range(1, n):
            reach = reach + (nw.col(f"c{m}") <= deadline).fill_null(False).cast(nw.Int64)
        q = q.with_columns(reach.alias("reach"))
        if guards:
            joined = q.implementation.name == "DUCKDB"  # the chain query found ``_y{i}``
            q = _disqualify(q, s, guards, window_ns, joined=joined)
        last = nw.col("t0")
        for m in range(1, n):
            last = nw.when(nw.col("reach") > m).then(nw.col(f"c{m}")).otherwise(last)
        times = [
            nw.when(nw.col("reach") > m).then(nw.col(f"c{m}")).alias(f"t{m}") for m in range(1, n)
        ]
        if first:
            return q.select("uid", "reach", "t0", *times)
        # furthest step, reached earliest, latest entry (attempts tied on all three are alike)
        q = q.with_columns(last.alias("_l"))
        if q.implementation.name == "POLARS":  # partitioned extrema: hashing, no sort
            for col, best in (("reach", "max"), ("_l", "min"), ("t0", "max")):
                top = getattr(nw.col(col), best)().over("uid")
                q = q.with_columns(top.alias("_b")).filter(nw.col(col) == nw.col("_b"))
            return q.select("uid", "reach", "t0", *times).unique(["uid"], keep="any")
        # SQL engines sort each window's partitions: one ordered row number
        q = q.with_columns((-nw.col("reach")).alias("_r"), (-nw.col("t0")).alias("_e"))
        q = q.with_columns(
            nw.col("t0").cum_count().over("uid", order_by=["_r", "_l", "_e"]).alias("_n")
        )
        return q.filter(nw.col("_n") == 1).select("uid", "reach", "t0", *times)

    @staticmethod
    def _values(s: Any, people: Any, touch: str | tuple[str, int]) -> Any:
        """Each person's breakdown value: ``uid``, ``g`` (no row: no value)."""
        import narwhals.stable.v2 as nw

        has = s.filter(~nw.col("g").is_null())
        if isinstance(touch, tuple):
            i = touch[1]
            at = people.select("uid", nw.col(f"t{i}").alias("_ti")).filter(~nw.col("_ti").is_null())
            return (
                has.filter(nw.col("k") == i)
                .join(at, on="uid", how="inner")
                .filter(nw.col("t") == nw.col("_ti"))
                .group_by("uid")
                .agg(nw.col("g").max())
            )
        if touch == "first_touch":
            ranked = has.with_columns(
                nw.col("t").cum_count().over("uid", order_by=["t", "k"]).alias("_n")
            )
        else:
            ranked = has.with_columns(
                (-nw.col("t")).alias("_nt"), (-nw.col("k")).alias("_nk")
            ).with_columns(nw.col("t").cum_count().over("uid", order_by=["_nt", "_nk"]).alias("_n"))
        return ranked.filter(nw.col("_n") == 1).select("uid", "g")

    # ------------------------------------------------------------------ answers
    def counts(
        self,
        ask: FunnelAsk,
    ) -> FunnelCounts:
        """Return the per-group counts and time-to-convert statistics (one query).

        Only one row per breakdown group (one row without a breakdown) is collected.
        """
        import narwhals.stable.v2 as nw

        n = ask.n_steps
        people = self._people(ask)
        reach = nw.col("reach")
        aggs: list[Any] = [(reach == r).cast(nw.Int64).sum().alias(f"n{r}") for r in range(n + 1)]
        for m in range(1, n):
            d = nw.when(reach > m).then(nw.col(f"t{m}") - nw.col(f"t{m - 1}"))
            aggs += [
                (reach > m).cast(nw.Int64).sum().alias(f"c{m}"),
                (d // (1 << SUM_SPLIT)).sum().alias(f"h{m}"),
                (d % (1 << SUM_SPLIT)).sum().alias(f"l{m}"),
                d.median().alias(f"m{m}"),
            ]
        agg_names = [f"n{r}" for r in range(n + 1)]
        agg_names += [f"{c}{m}" for m in range(1, n) for c in "chlm"]
        if ask.breakdown is None:
            with _quiet():
                got = collect_native(people.select(*aggs))
        else:
            g_type = people.collect_schema()["g"]
            if g_type == nw.String:
                # a missing value and the text "(none)" are one group, as in memory
                people = people.with_columns(nw.col("g").fill_null(_NONE_GROUP))
            # the groups, and everyone together (``_a`` = 1: a median does not add up)
            names = ["_a", "g", *agg_names]
            # people every exclusion disqualified are in no group, only in the overall row
            counted = people.filter(nw.col("reach") > 0)
            by_group = (
                counted.group_by("g").agg(*aggs).with_columns(nw.lit(0, dtype=nw.Int64).alias("_a"))
            )
            overall = people.select(*aggs).with_columns(
                nw.lit(1, dtype=nw.Int64).alias("_a"), nw.lit(None).cast(g_type).alias("g")
            )
            with _quiet():
                got = collect_native(
                    nw.concat([by_group.select(names), overall.select(names)], how="vertical")
                )
        frame = got.to_pandas() if hasattr(got, "to_pandas") else pd.DataFrame(got)
        if ask.breakdown is None:
            overall = _parse(frame, n, [None])
            return dataclasses.replace(overall, overall=overall)
        groups = frame[frame["_a"] == 0].reset_index(drop=True)
        values = [None if _missing(v) else v for v in groups["g"].tolist()]
        out = _parse(groups, n, values)
        total = _parse(frame[frame["_a"] == 1].reset_index(drop=True), n, [None])
        return dataclasses.replace(out, overall=total, n_entrants=total.n_entrants)

    def people(
        self,
        ask: FunnelAsk,
    ) -> tuple[pd.Index, npt.NDArray[np.int64], npt.NDArray[np.int64], list[Any] | None]:
        """Return each counted person: ids, steps reached, (steps, people) UTC ns, values.

        One row per person in the funnel is collected.  Times are int64 min where the step
        was not reached; values are None where the person has none.
        """
        import narwhals.stable.v2 as nw

        n = ask.n_steps
        people = self._people(ask).filter(nw.col("reach") > 0)  # excluded people left out
        with _quiet():
            got = collect_native(people)
        frame = got.to_pandas() if hasattr(got, "to_pandas") else pd.DataFrame(got)
        ids = frame["uid"]
        raw = ids.to_numpy() if ids.dtype == np.int64 else ids.to_numpy(dtype=object)
        users = user_id_index(raw, name=None)
        reach = frame["reach"].to_numpy(dtype=np.int64)
        times = np.full((n, len(frame)), np.iinfo(np.int64).min, dtype=np.int64)
        for m in range(n):
            col = frame[f"t{m}"]
            ok = col.notna().to_numpy()
            times[m, ok] = col[ok].to_numpy(dtype=np.int64)
        values = None
        if ask.breakdown is not None:
            values = [None if _missing(v) else v for v in frame["g"].tolist()]
        return users, reach, times, values


def _chains(
    s: Any,
    entry: Any,
    n: int,
    *,
    first: bool,
    window_ns: int | None = None,
    dedupe: bool = True,
    guards: Sequence[tuple[int, int, int]] = (),
) -> Any:
    """Return the attempts: ``uid``, ``t0`` and ``c1``.. (the step times of each chain).

    With ``first``, only each person's first entry is an attempt.

    A step not found is the largest int64.  As the kernel does, an entry followed by another
    entry before any step-1 event is dropped (the later one reaches as far at the same times):
    of the entries sharing their first step-1 event, only the latest is kept.  DuckDB and Polars
    follow the chain with as-of joins; other engines with running minima over the user's rows.
    """
    import narwhals.stable.v2 as nw

    big = nw.lit(_I64_MAX, dtype=nw.Int64)
    backend = s.implementation.name
    if n == 1:
        one = s.filter(entry).select("uid", nw.col("t").alias("t0"))
        return one.group_by("uid").agg(nw.col("t0").min()) if first else one
    if backend == "DUCKDB":
        return nw.from_native(
            _duckdb_chains(
                s, entry, n, first=first, window_ns=window_ns, dedupe=dedupe, guards=guards
            )
        )
    if backend == "POLARS":
        flagged = s.with_columns(entry.alias("_e")).to_native()
        return nw.from_native(_polars_chains(flagged, n, first=first, dedupe=dedupe))
    t, k = nw.col("t"), nw.col("k")
    q = s.select("uid", "t", "k")
    # c{m}: for a row of step j < m, the step-m time of the chain starting at the row
    # (the largest int64 when there is none: engines differ on running minima over nulls)
    for j in range(n - 2, -1, -1):
        q = q.filter(k <= j + 1)
        cols: list[Any] = []
        for m in range(j + 1, n):
            src = t if m == j + 1 else nw.col(f"c{m}")
            nearest = (
                nw.when(k == j + 1)
                .then(src)
                .otherwise(big)
                .cum_min(reverse=True)
                .over("uid", order_by=["t", "k"])
            )
            if m == j + 1:
                cols.append(nw.when(k == j).then(nearest).alias(f"c{m}"))
            else:
                cols.append(nw.when(k == j).then(nearest).otherwise(src).alias(f"c{m}"))
        q = q.with_columns(*cols)
    q = q.filter(entry).rename({"t": "t0"})
    if first:
        return q.filter(nw.col("t0") == nw.col("t0").min().over("uid")).unique(["uid"], keep="any")
    rest = [nw.col(f"c{m}").min() for m in range(2, n)]
    return q.group_by("uid", "c1").agg(nw.col("t0").max(), *rest)


def _duckdb_chains(
    s: Any,
    entry: Any,
    n: int,
    *,
    first: bool,
    window_ns: int | None,
    dedupe: bool,
    guards: Sequence[tuple[int, int, int]] = (),
) -> Any:
    """DuckDB: the chains by ``ASOF LEFT JOIN`` on (user, time), one per step.

    From each person's first entry only, a join on the user and a ``min`` over the step rows in
    the window is cheaper than sorting for an as-of join (:func:`_duckdb_first`).
    """
    rel = s.with_columns(entry.alias("_e")).to_native()
    if first and window_ns is not None:
        return rel.query("s", _duckdb_first(n, window_ns, guards))
    sql = [
        # the step rows are read once (each step's as-of join reads them again otherwise)
        "WITH r AS MATERIALIZED (SELECT uid, t, k, _e FROM s)",
        ", a0 AS (SELECT uid, min(t) AS t0 FROM r WHERE _e GROUP BY uid)"
        if first
        else ", a0 AS (SELECT uid, t AS t0 FROM r WHERE _e)",
        *(f", s{m} AS (SELECT uid, t FROM r WHERE k = {m})" for m in range(1, n)),
        f", j1 AS (SELECT a0.uid, a0.t0, coalesce(s1.t, {_I64_MAX}) AS c1 FROM a0 "
        "ASOF LEFT JOIN s1 ON a0.uid = s1.uid AND s1.t >= a0.t0)",
        ", a1 AS (SELECT uid, c1, max(t0) AS t0 FROM j1 GROUP BY uid, c1)"
        if dedupe
        else ", a1 AS (SELECT * FROM j1)",
    ]
    cols = "t0, c1"
    for m in range(2, n):
        sql.append(
            f", a{m} AS (SELECT a.uid, {cols}, coalesce(s.t, {_I64_MAX}) AS c{m} FROM a{m - 1} a "
            f"ASOF LEFT JOIN s{m} s ON a.uid = s.uid AND s.t >= a.c{m - 1})"
        )
        cols += f", c{m}"
    sql.append(_duckdb_guards(f"a{n - 1}", cols, guards))
    return rel.query("s", "".join(sql))


def _duckdb_guards(prev: str, cols: str, guards: Sequence[tuple[int, int, int]]) -> str:
    """Return the tail of the chain query: the exclusion times, then the select.

    Per exclusion, ``_y{i}`` is the first exclusion time strictly after the ``from_step`` time
    (an ``ASOF LEFT JOIN`` with ``>``).  Done in the chain's own query, on its connection: a
    relation of another connection cannot be joined through a replacement scan.
    """
    sql = []
    for i, (kind, a, _) in enumerate(guards):
        after = "t0" if a == 0 else f"c{a}"
        sql.append(
            f", g{i} AS (SELECT p.*, x.t AS _y{i} FROM {prev} p ASOF LEFT JOIN "
            f"(SELECT uid, t FROM r WHERE k = {kind}) x ON p.uid = x.uid AND x.t > p.{after})"
        )
        prev, cols = f"g{i}", f"{cols}, _y{i}"
    sql.append(f" SELECT uid, {cols} FROM {prev}")
    return "".join(sql)


def _duckdb_first(n: int, window_ns: int, guards: Sequence[tuple[int, int, int]]) -> str:
    """Return the first-entry chain in DuckDB SQL: per step, a join on the user and a ``min``.

    Only the step rows within the window of the entry are joined; a step not found there (and
    every later one) is the largest int64, which the caller reads as not reached.
    """
    sql = [
        "WITH r AS MATERIALIZED (SELECT uid, t, k, _e FROM s)",
        ", a0 AS (SELECT uid, min(t) AS t0 FROM r WHERE _e GROUP BY uid)",
    ]
    prev, cols = "a0", "t0"
    for m in range(1, n):
        last = "t0" if m == 1 else f"c{m - 1}"
        sql.append(
            f", j{m} AS (SELECT p.uid, min(r.t) AS c{m} FROM {prev} p JOIN r ON p.uid = r.uid "
            f"WHERE r.k = {m} AND r.t >= p.{last} AND r.t <= p.t0 + {window_ns} GROUP BY p.uid)"
            f", a{m} AS (SELECT p.uid, {cols}, coalesce(j.c{m}, {_I64_MAX}) AS c{m} "
            f"FROM {prev} p LEFT JOIN j{m} j ON p.uid = j.uid)"
        )
        prev, cols = f"a{m}", f"{cols}, c{m}"
    sql.append(_duckdb_guards(prev, cols, guards))
    return "".join(sql)


def _polars_chains(lf: Any, n: int, *, first: bool, dedupe: bool) -> Any:
    """Polars: the chains by ``join_asof`` (forward, by user), one per step."""
    import polars as pl

    def step(m: int) -> Any:
        return lf.filter(pl.col("k") == m).select("uid", pl.col("t").alias(f"c{m}")).sort(f"c{m}")

    a = lf.filter(pl.col("_e")).select("uid", pl.col("t").alias("t0"))
    if first:
        a = a.group_by("uid").agg(pl.col("t0").min())
    q = a.sort("t0").join_asof(step(1), left_on="t0", right_on="c1", by="uid", strategy="forward")
    q = q.with_columns(pl.col("c1").fill_null(_I64_MAX))
    if dedupe:
        q = q.group_by("uid", "c1").agg(pl.col("t0").max())
    for m in range(2, n):
        q = (
            q.sort(f"c{m - 1}")
            .join_asof(step(m), left_on=f"c{m - 1}", right_on=f"c{m}", by="uid", strategy="forward")
            .with_columns(pl.col(f"c{m}").fill_null(_I64_MAX))
        )
    return q


def _distinct(codes: Sequence[int]) -> list[int]:
    """Return the distinct codes in first-seen order."""
    return list(dict.fromkeys(codes))


def _guards(ask: FunnelAsk) -> list[tuple[int, int, int]]:
    """Return each exclusion as (row kind, from_step, to_step); unknown events guard nothing."""
    n = ask.n_steps
    excl = ask.codes[n:]
    kinds = {c: n + j for j, c in enumerate(_distinct(excl))}
    return [(kinds[c], a, b) for c, (a, b) in zip(excl, ask.exclusions, strict=True) if c >= 0]


def _disqualify(
    q: Any, s: Any, guards: list[tuple[int, int, int]], window_ns: int, *, joined: bool
) -> Any:
    """Set ``reach`` to 0 for the attempts an exclusion disqualifies (as-of joins per guard).

    As the kernel does: an exclusion event strictly later than the attempt's ``from_step``
    event and strictly before its ``to_step`` event, or, when it did not reach ``to_step``,
    at or before the end of its window.  The first exclusion event after the ``from_step`` time
    (a forward as-of join on that time plus 1 ns) decides.
    """
    import narwhals.stable.v2 as nw

    reach = nw.col("reach")
    bad: Any = nw.lit(value=False)
    for i, (kind, a, b) in enumerate(guards):
        after = nw.col("t0") if a == 0 else nw.col(f"c{a}")
        if not joined:  # on DuckDB ``_y{i}`` came with the chain query
            q = _asof_guard(q, s, i, kind, a, after)
        limit = nw.when(reach > b).then(nw.col(f"c{b}") - 1).otherwise(nw.col("t0") + window_ns)
        bad = bad | ((reach > a) & (nw.col(f"_y{i}") <= limit)).fill_null(False)
    return q.with_columns(
        nw.when(bad).then(nw.lit(0, dtype=nw.Int64)).otherwise(reach).alias("reach")
    )


def _asof_guard(q: Any, s: Any, i: int, kind: int, a: int, after: Any) -> Any:
    """Add ``_y{i}``: the first exclusion event strictly after ``after`` (narwhals as-of join)."""
    import narwhals.stable.v2 as nw

    reach = nw.col("reach")
    key = nw.when(reach > a).then(after + 1).otherwise(nw.lit(_I64_MAX, dtype=nw.Int64))
    q = q.with_columns(key.alias(f"_k{i}")).sort(f"_k{i}")
    x = s.filter(nw.col("k") == kind).select(
        "uid", nw.col("t").alias(f"_x{i}"), nw.col("t").alias(f"_y{i}")
    )
    return q.join_asof(
        x.sort(f"_x{i}"), left_on=f"_k{i}", right_on=f"_x{i}", by="uid", strategy="forward"
    )


def _parse(frame: pd.DataFrame, n: int, groups: list[Any]) -> FunnelCounts:
    """Read the aggregate rows of :meth:`EngineFunnel.counts` into arrays."""
    rows = len(frame)

    def ints(name: str) -> npt.NDArray[np.int64]:
        return np.asarray(
            [0 if _missing(x) else int(x) for x in frame[name].tolist()], dtype=np.int64
        )

    hist = np.zeros((rows, n + 1), dtype=np.int64)
    count = np.zeros((rows, n), dtype=np.int64)
    hi = np.zeros((rows, n), dtype=np.float64)
    lo = np.zeros((rows, n), dtype=np.float64)
    med = np.full((rows, n), np.nan)
    for r in range(n + 1):
        hist[:, r] = ints(f"n{r}")
    for m in range(1, n):
        count[:, m] = ints(f"c{m}")
        hi[:, m] = ints(f"h{m}")
        lo[:, m] = ints(f"l{m}")
        med[:, m] = [np.nan if _missing(x) else float(x) for x in frame[f"m{m}"].tolist()]
    return FunnelCounts(
        groups=groups,
        reach=hist,
        count=count,
        sum_hi=hi,
        sum_lo=lo,
        median=med,
        n_entrants=int(hist.sum()),
    )


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    """Silence Polars' notice that it cannot check the sort order of as-of join groups.

    The frames are sorted by the join key just before the join, which is what it asks for.
    """
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Sortedness of columns cannot be checked")
        yield


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and value != value) or value is pd.NA


def engine_funnel(
    events: Any,
    *,
    names: Sequence[str | None],
    filtered: bool,
    exclusion_names: Sequence[str | None],
    order: str,
    breakdown: Any,
    window_ns: int,
    as_of: Any,
    tz: str | None,
) -> EngineFunnel | None:
    """Return the engine plan of a funnel on a lazy log, or None to collect and run in memory.

    Parameters
    ----------
    events : object
        What the caller passed as events.
    names : sequence of str or None
        The step names (None: any event).
    filtered : bool
        Whether any step has a property filter.
    exclusion_names : sequence of str or None
        The exclusion event names (None: any event).
    order : str
        The funnel order.
    breakdown : object
        The caller's breakdown (None, a property name, a mapping or a Series).
    window_ns : int
        The conversion window.
    as_of : object
        The caller's ``as_of``.
    tz : str, optional
        The caller's zone (already checked), for a naive ``as_of``.

    Returns
    -------
    EngineFunnel or None
        None for an eager log or frame, another engine, or an option the engine route does not
        cover (see the module notes).
    """
    from useropslib.events._lazy import LazyEventLog

    if not isinstance(events, LazyEventLog) or events.backend not in _BACKENDS:
        return None
    if (
        order != "ordered"
        or any(n is None or n in names for n in exclusion_names)
        or (exclusion_names and events.backend == "pyspark")
        or filtered
        or any(n is None for n in names)
        or len(set(names)) != len(names)
        or not (isinstance(breakdown, str) or breakdown is None)
        or not 0 < window_ns < _MAX_WINDOW
        or (events._t_max is not None and events._t_max > _I64_MAX - window_ns)
    ):
        return None
    if isinstance(breakdown, str) and breakdown in events.property_names:
        import narwhals.stable.v2 as nw

        column = f"p{events.property_names.index(breakdown)}"
        # a column the engine holds without a type (all NULL in DuckDB) is collected
        if nw.from_native(events._raw).collect_schema()[column] == nw.Unknown:
            return None
    # the log's first event, so that an as_of before it is refused as by the in-memory log
    first = [] if as_of is None or events._t_min is None else [events._t_min]
    probe_ts = np.asarray(first, dtype=np.int64)
    props = pd.DataFrame(
        {p: pd.Series([None] * probe_ts.size, dtype=object) for p in events.property_names}
    )
    probe = EventLog(
        user_codes=np.zeros(probe_ts.size, np.int32),
        users=pd.Index(["?"] if probe_ts.size else []),
        event_codes=np.zeros(probe_ts.size, np.int32),
        events=events.event_names,
        ts_ns=probe_ts,
        values=np.zeros(probe_ts.size, np.float64) if events.has_values else None,
        props=props,
        tz=events.tz,
        week_start=events.week_start,
        as_of_ns=events._as_of,
        as_of_given=events._as_of_given,
    )
    return EngineFunnel(lazy=events, probe=probe)
