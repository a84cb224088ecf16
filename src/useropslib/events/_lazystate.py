"""Lifecycle states computed whole in the engine of a lazy log: only the per-period counts return.

``lifecycle`` and ``growth_accounting`` classify each user's active periods as new, returning
(retained), resurrecting (resurrected) and -- for the period after -- dormant (churned).  In the
engine: the distinct (user, local period) pairs, each user's first period (a window minimum),
the previous and next active period of the same user (``LAG`` / ``LEAD`` ordered by period),
and one ``GROUP BY`` period summing the flags.  What is collected has one row per period with
activity (plus one for everything before the range), never one per user.

The local periods are the keys of :func:`~useropslib.events._lazycal.period_key` (the zone's
offsets as integer arithmetic, weeks shifted to their first weekday, month starts counted), so
the codes returned equal :func:`~useropslib.events.period_codes` exactly.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from useropslib.events._engine import collect_native
from useropslib.events._lazycal import period_key

if TYPE_CHECKING:
    from useropslib.events._lazy import LazyEventLog

__all__ = ["RATE_PAIRS", "StatusCounts", "first_day", "state_changes", "status_counts"]

I64 = npt.NDArray[np.int64]


@dataclasses.dataclass(frozen=True)
class StatusCounts:
    """Per-period sums of the status flags of the qualifying (user, period) pairs.

    Attributes
    ----------
    codes : ndarray of int64
        Period codes (sorted); with a lower bound, every period before ``lo - 1`` is folded into
        one row of code ``lo - 2``.
    active, new, returning, gone : ndarray of int64
        Pairs in the period; pairs in the user's first period; pairs whose user was active in
        the period before; pairs whose user is not active in the period after (within the
        periods read).
    """

    codes: I64
    active: I64
    new: I64
    returning: I64
    gone: I64


def status_counts(
    lazy: LazyEventLog,
    *,
    period: str,
    tz: str,
    week_start: int,
    names: Sequence[Any] | None,
    until_ns: int | None,
    lo: int | None,
    hi: int,
    first_of_any: bool,
) -> StatusCounts:
    """Count new, returning and leaving (user, period) pairs per local period, in the engine.

    Parameters
    ----------
    lazy : LazyEventLog
    period : {"hour", "day", "week", "month"}
    tz : str
    week_start : int
    names : sequence, optional
        Engine names of the qualifying events; None for every event.
    until_ns : int, optional
        Only events at or before this instant qualify.
    lo, hi : int
        Period codes of the range (``lo`` None: from the first qualifying period).  Periods after
        ``hi`` are not read; periods before ``lo - 1`` are summed into one row.
    first_of_any : bool
        A user's first period is that of their first event of any kind over the whole log
        (``lifecycle``'s default "created" period), else their first qualifying period
        (``growth_accounting``).

    Returns
    -------
    StatusCounts
    """
    import narwhals.stable.v2 as nw

    key = period_key(lazy, period, tz, week_start)
    if key is None:
        empty = np.empty(0, dtype=np.int64)
        return StatusCounts(empty, empty, empty, empty, empty)
    step = key.unit or 1
    nf = nw.from_native(lazy._raw)
    cut = until_ns is not None and lazy._t_max is not None and until_ns < int(lazy._t_max)
    k = key.expr.alias("k")
    if first_of_any and (names is not None or cut):
        # the first period over every event; the pairs with a qualifying event are then kept
        ok: Any = nw.lit(True)
        if names is not None:
            ok = nw.col("ename").is_in(list(names))
        if cut:
            ok = ok & (nw.col("t") <= until_ns)
        rows = nf.select(nw.col("uid"), k, ok.cast(nw.Int64).alias("q"))
        rows = rows.filter(nw.col("k") <= key.key(hi))
        pairs = (
            rows.group_by("uid", "k")
            .agg(nw.col("q").max())
            .with_columns(nw.col("k").min().over("uid").alias("f"))
            .filter(nw.col("q") == 1)
        )
    else:
        if names is not None:
            nf = nf.filter(nw.col("ename").is_in(list(names)))
        if cut:
            nf = nf.filter(nw.col("t") <= until_ns)
        rows = nf.select(nw.col("uid"), k).filter(nw.col("k") <= key.key(hi))
        pairs = (
            rows.group_by("uid", "k").agg().with_columns(nw.col("k").min().over("uid").alias("f"))
        )
    prev = nw.col("k").shift(1).over("uid", order_by="k")
    nxt = nw.col("k").shift(-1).over("uid", order_by="k")
    flags = pairs.with_columns(prev.alias("p"), nxt.alias("n"))
    bucket: Any = nw.col("k")
    if lo is not None:
        # everything before the look-back period lo - 1 folds into one row (code lo - 2)
        bucket = nw.max_horizontal(nw.col("k"), nw.lit(key.key(lo - 2), dtype=nw.Int64))
    got = collect_native(
        flags.select(
            bucket.alias("b"),
            (nw.col("k") == nw.col("f")).cast(nw.Int64).alias("new"),
            (nw.col("p") == nw.col("k") - step).fill_null(False).cast(nw.Int64).alias("ret"),
            (nw.col("n").fill_null(nw.col("k")) != nw.col("k") + step).cast(nw.Int64).alias("gone"),
        )
        .group_by("b")
        .agg(
            nw.len().alias("a"),
            nw.col("new").sum(),
            nw.col("ret").sum(),
            nw.col("gone").sum(),
        )
    )
    codes = key.codes(got["b"].to_numpy())
    order = np.argsort(codes, kind="stable")

    def col(name: str) -> I64:
        return np.asarray(got[name].to_numpy(), dtype=np.int64)[order]

    return StatusCounts(codes[order], col("a"), col("new"), col("ret"), col("gone"))


# ============================================================================ growth states
# Duolingo's daily states (the order of metrics' GROWTH_STATES) and the pairs (from, to) of the
# transitions whose daily rates are reported; other transitions are only summed over the range
_NEW, _CUR, _REACT, _RES, _WAU, _MAU, _DORM = range(7)
_N_STATES = 7
RATE_PAIRS: tuple[tuple[int, int], ...] = (
    (_NEW, _CUR),
    (_CUR, _CUR),
    (_REACT, _CUR),
    (_RES, _CUR),
    (_WAU, _CUR),
    (_MAU, _REACT),
    (_WAU, _MAU),
    (_MAU, _DORM),
    (_DORM, _RES),
)
# gap classes between a user's consecutive active days (g days apart), for thresholds w and m:
# 0: g = 1, 1: 2 <= g <= w - 1, 2: g = w, 3: w < g < m, 4: g = m, 5: g > m, 6: none (first or
# last day; for the first, 7 when the day is the folded past)
_NONE, _BASE = 6, 7


def _terms(pc: int, nc: int, w: int, m: int) -> list[tuple[int, int, int]]:
    """Return the (day offset, category, sign) changes a (user, day) pair adds to the tallies.

    The pair's chain, as if the user never came back -- its state on the day, at-risk WAU from
    the next day, at-risk MAU from day ``w``, dormant from day ``m`` -- is kept on the days
    before the user's next active day (gap class ``nc``); the chain's value on the day before
    that is taken off by the next pair (``pc``, its gap class to this one).  Categories: the 7
    states, then ``7 + 7 * from + to`` for the transition from a day to the next.
    """

    def tr(a: int, b: int) -> int:
        return _N_STATES + _N_STATES * a + b

    st = {0: _CUR, 1: _CUR, 2: _REACT, 3: _REACT, 4: _RES, 5: _RES, _NONE: _NEW}.get(pc, _RES)
    out = [(0, st, 1)]
    if nc == 0:  # back the next day: current
        out += [(1, st, -1), (0, tr(st, _CUR), 1), (1, tr(st, _CUR), -1)]
    else:
        out += [(1, st, -1), (1, _WAU, 1), (0, tr(st, _WAU), 1), (1, tr(st, _WAU), -1)]
        out += [(1, tr(_WAU, _WAU), 1)]
        if nc >= 2:
            out += [(w - 1, tr(_WAU, _WAU), -1), (w - 1, tr(_WAU, _MAU), 1)]
        if nc >= 3:
            out += [(w, _WAU, -1), (w, _MAU, 1)]
            out += [(w, tr(_WAU, _MAU), -1), (w, tr(_MAU, _MAU), 1)]
        if nc >= 4:
            out += [(m - 1, tr(_MAU, _MAU), -1), (m - 1, tr(_MAU, _DORM), 1)]
        if nc >= 5:
            out += [(m, _MAU, -1), (m, _DORM, 1)]
            out += [(m, tr(_MAU, _DORM), -1), (m, tr(_DORM, _DORM), 1)]
    if 1 <= pc <= 5:  # the previous pair's chain ends here, and the day before leads into this
        gone = {1: _WAU, 2: _WAU, 3: _MAU, 4: _MAU, 5: _DORM}[pc]
        before = {
            1: tr(_WAU, _WAU),
            2: tr(_WAU, _MAU),
            3: tr(_MAU, _MAU),
            4: tr(_MAU, _DORM),
            5: tr(_DORM, _DORM),
        }[pc]
        into = {1: _CUR, 2: _REACT, 3: _REACT, 4: _RES, 5: _RES}[pc]
        edge = tr(gone, into)
        out += [(0, gone, -1), (-1, before, -1), (-1, edge, 1), (0, edge, -1)]
    return out


def first_day(
    lazy: LazyEventLog, *, tz: str, names: Sequence[Any] | None, until_ns: int | None
) -> int | None:
    """Return the first local day code of the qualifying events (None: there is none)."""
    import narwhals.stable.v2 as nw

    key = period_key(lazy, "day", tz, 0)
    if key is None:
        return None
    nf = nw.from_native(lazy._raw)
    if names is not None:
        nf = nf.filter(nw.col("ename").is_in(list(names)))
    if until_ns is not None and lazy._t_max is not None and until_ns < int(lazy._t_max):
        nf = nf.filter(nw.col("t") <= until_ns)
    got = collect_native(nf.select(key.expr.min().alias("k")))
    value = got["k"][0]
    return None if value is None else int(key.codes(np.array([value]))[0])


def state_changes(
    lazy: LazyEventLog,
    *,
    tz: str,
    names: Sequence[Any] | None,
    until_ns: int | None,
    s: int,
    e: int,
    w: int,
    m: int,
) -> tuple[I64, I64, I64, I64, I64] | None:
    """Daily state counts and transitions of Duolingo's growth model, in the engine.

    The distinct (user, local day) pairs up to day ``e`` (days before ``s - m - 1`` folded onto
    it), the gap classes to the user's previous and next active day (``LAG`` / ``LEAD``), the
    pairs counted per (day, classes); each count's changes to the daily tallies
    (:func:`_terms`) are unpivoted and summed per (day, category) in the engine, days before
    ``s`` folded onto ``s``.  Transitions without a daily rate are summed over the range there.

    Returns
    -------
    (days, cats, change, pooled_cats, pooled) or None
        Day indices (0 = ``s``) and categories of the summed changes; the transitions summed
        over the range; None when no qualifying event lies on or before ``e``.
    """
    import narwhals.stable.v2 as nw

    key = period_key(lazy, "day", tz, 0)
    if key is None:
        return None
    base = s - m - 1
    nf = nw.from_native(lazy._raw)
    if names is not None:
        nf = nf.filter(nw.col("ename").is_in(list(names)))
    if until_ns is not None and lazy._t_max is not None and until_ns < int(lazy._t_max):
        nf = nf.filter(nw.col("t") <= until_ns)
    day = (key.expr - key.key(base)) // int(key.unit)
    rows = nf.select(nw.col("uid"), nw.max_horizontal(day, nw.lit(0, nw.Int64)).alias("x"))
    pairs = rows.filter(nw.col("x") <= e - base).group_by("uid", "x").agg()

    def gap_class(g: Any, none: Any) -> Any:
        return (
            nw.when(g.is_null())
            .then(none)
            .otherwise(
                nw.when(g == 1)
                .then(0)
                .otherwise(
                    nw.when(g < w)
                    .then(1)
                    .otherwise(
                        nw.when(g == w)
                        .then(2)
                        .otherwise(
                            nw.when(g < m).then(3).otherwise(nw.when(g == m).then(4).otherwise(5))
                        )
                    )
                )
            )
        )

    x = nw.col("x")
    gp = x - x.shift(1).over("uid", order_by="x")
    gn = x.shift(-1).over("uid", order_by="x") - x
    first_none = nw.when(x > 0).then(_NONE).otherwise(_BASE)
    combos = pairs.select(
        x, (gap_class(gp, first_none) * 8 + gap_class(gn, nw.lit(_NONE))).alias("combo")
    )
    counted = combos.group_by("x", "combo").agg(nw.len().alias("c"))
    # each slot j holds the j-th change of the combo's list, packed in one integer
    n_cat = _N_STATES * (_N_STATES + 1)
    lists = {pc * 8 + nc: _terms(pc, nc, w, m) for pc in range(8) for nc in range(7)}
    n_slots = max(len(t) for t in lists.values())
    shift = m + 2  # offsets are >= -1
    width = 2 * n_cat

    def packed(j: int) -> Any:
        expr: Any = nw.lit(None, nw.Int64)
        for combo, terms in lists.items():
            if j < len(terms):
                off, cat, sign = terms[j]
                value = (off + shift) * width + cat * 2 + (sign < 0)
                expr = nw.when(nw.col("combo") == combo).then(value).otherwise(expr)
        return expr.cast(nw.Int64).alias(f"t{j}")

    wide = counted.select("x", "c", *[packed(j) for j in range(n_slots)])
    slots = ", ".join(f"t{j}" for j in range(n_slots))
    if lazy.backend == "duckdb":
        # on the relation's own connection (narwhals' unpivot reads it from the default one)
        native = wide.to_native().query("w", f"UNPIVOT w ON {slots} INTO NAME slot VALUE v")
        long = nw.from_native(native).select("x", "c", "v")
    else:
        long = wide.unpivot(on=slots.split(", "), index=["x", "c"], value_name="v")
    long = long.filter(~nw.col("v").is_null())
    s_i, e_i = s - base, e - base
    p = nw.col("x") + nw.col("v") // width - shift
    cat = (nw.col("v") % width) // 2
    sign = 1 - 2 * (nw.col("v") % 2)
    changes = long.select(p.alias("p"), cat.alias("k"), (sign * nw.col("c")).alias("c"))
    state = nw.col("k") < _N_STATES
    changes = changes.filter((nw.col("p") <= e_i) & (state | (nw.col("p") <= e_i - 1)))
    daily = [_N_STATES + _N_STATES * a + b for a, b in RATE_PAIRS]
    per_day = state | nw.col("k").is_in(daily)
    pos = nw.max_horizontal(nw.col("p"), nw.lit(s_i, nw.Int64))
    got = collect_native(
        changes.select(
            nw.when(per_day).then(pos).otherwise(-1).alias("p"),
            nw.col("k"),
            (nw.col("c") * nw.when(per_day).then(1).otherwise(e_i - pos)).alias("c"),
        )
        .group_by("p", "k")
        .agg(nw.col("c").sum())
    )
    if len(got) == 0:
        return None
    p_all = np.asarray(got["p"].to_numpy(), dtype=np.int64)
    k_all = np.asarray(got["k"].to_numpy(), dtype=np.int64)
    c_all = np.asarray(got["c"].to_numpy(), dtype=np.int64)
    pooled = p_all < 0
    return (
        p_all[~pooled] - s_i,
        k_all[~pooled],
        c_all[~pooled],
        k_all[pooled] - _N_STATES,
        c_all[pooled],
    )
