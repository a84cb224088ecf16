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


def _tr(a: int, b: int) -> int:
    """Category of the transition from state ``a`` on a day to state ``b`` the next day."""
    return _N_STATES + _N_STATES * a + b


#: state of an active day by the gap class to the user's previous active day
_STATE_OF = {0: _CUR, 1: _CUR, 2: _REACT, 3: _REACT, 4: _RES, 5: _RES, _NONE: _NEW, _BASE: _RES}


def _chain_terms(w: int, m: int) -> list[tuple[int, int, int, int]]:
    """Return the changes (least next gap class, offset, category, sign) after an active day.

    After an active day the user is at-risk WAU from the next day, at-risk MAU from day ``w``
    and dormant from day ``m``; a change is kept when the user's next active day comes after it
    (its gap class at least the one given).
    """
    ww, wm, mm, md, dd = (_tr(_WAU, _WAU), _tr(_WAU, _MAU), _tr(_MAU, _MAU), _tr(_MAU, _DORM),
                          _tr(_DORM, _DORM))  # fmt: skip
    return [
        (1, 1, _WAU, 1),
        (1, 1, ww, 1),
        (2, w - 1, ww, -1),
        (2, w - 1, wm, 1),
        (3, w, _WAU, -1),
        (3, w, _MAU, 1),
        (3, w, wm, -1),
        (3, w, mm, 1),
        (4, m - 1, mm, -1),
        (4, m - 1, md, 1),
        (5, m, _MAU, -1),
        (5, m, _DORM, 1),
        (5, m, md, -1),
        (5, m, dd, 1),
    ]


def _edge_terms() -> list[dict[int, tuple[int, int, int]]]:
    """Return the changes (offset, category, sign) by the gap class to the previous active day.

    The previous day's chain stops here (its state taken off), and the day before this one
    leads from the inactive state reached into this day's state.
    """
    gone = {1: _WAU, 2: _WAU, 3: _MAU, 4: _MAU, 5: _DORM}
    before = {
        1: (_WAU, _WAU),
        2: (_WAU, _MAU),
        3: (_MAU, _MAU),
        4: (_MAU, _DORM),
        5: (_DORM, _DORM),
    }
    edge = {pc: _tr(gone[pc], _STATE_OF[pc]) for pc in gone}
    return [
        {pc: (0, gone[pc], -1) for pc in gone},
        {pc: (-1, _tr(*before[pc]), -1) for pc in gone},
        {pc: (-1, edge[pc], 1) for pc in gone},
        {pc: (0, edge[pc], -1) for pc in gone},
    ]


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
    pairs counted per (day, classes).  Each count changes the daily tallies (states, and
    transitions from a day to the next) at a few days: on its day (its state), on the inactive
    days after it until the next active day (:func:`_chain_terms`), and on the day before it
    (:func:`_edge_terms`).  These changes are unpivoted and summed per (day, category) in the
    engine, days before ``s`` folded onto ``s``; the running sums here are the tallies.
    Transitions without a daily rate are summed over the range in the engine.

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
        x, gap_class(gp, first_none).alias("pc"), gap_class(gn, _NONE).alias("nc")
    )
    counted = combos.group_by("x", "pc", "nc").agg(nw.len().alias("c"))
    # each slot holds one change to the tallies, packed in one integer (null: none)
    n_cat = _N_STATES * (_N_STATES + 1)
    shift = m + 2  # offsets are >= -1
    width = 2 * n_cat

    def pack(off: int, cat: Any, sign: int) -> Any:
        return cat * 2 + ((off + shift) * width + (sign < 0))

    pc, nc = nw.col("pc"), nw.col("nc")
    st: Any = nw.lit(_RES, nw.Int64)
    for cls, state in _STATE_OF.items():
        st = nw.when(pc == cls).then(state).otherwise(st)
    nxt_state = nw.when(nc == 0).then(_CUR).otherwise(_WAU)  # back the next day, or at risk
    move = _N_STATES + _N_STATES * st + nxt_state
    slots_expr = [pack(0, st, 1), pack(1, st, -1), pack(0, move, 1), pack(1, move, -1)]
    for least, off, cat, sign in _chain_terms(w, m):
        slots_expr.append(nw.when(nc >= least).then(pack(off, cat, sign)))
    for by_pc in _edge_terms():
        expr: Any = nw.lit(None, nw.Int64)
        for cls, (off, cat, sign) in by_pc.items():
            expr = nw.when(pc == cls).then(pack(off, cat, sign)).otherwise(expr)
        slots_expr.append(expr)
    n_slots = len(slots_expr)
    wide = counted.select(
        "x", "c", *[e.cast(nw.Int64).alias(f"t{j}") for j, e in enumerate(slots_expr)]
    )
    slots = ", ".join(f"t{j}" for j in range(n_slots))
    if lazy.backend == "duckdb":
        # on the relation's own connection (narwhals' unpivot reads it from the default one)
        native = wide.to_native().query("w", f"UNPIVOT w ON {slots} INTO NAME slot VALUE v")
        long = nw.from_native(native).select("x", "c", "v")
    else:
        long = wide.unpivot(on=slots.split(", "), index=["x", "c"], value_name="v")
    long = long.filter(~nw.col("v").is_null())
    s_i, e_i = s - base, e - base
    at = nw.col("x") + nw.col("v") // width - shift
    category = (nw.col("v") % width) // 2
    signed = (1 - 2 * (nw.col("v") % 2)) * nw.col("c")
    changes = long.select(at.alias("p"), category.alias("k"), signed.alias("c"))
    is_state = nw.col("k") < _N_STATES
    changes = changes.filter((nw.col("p") <= e_i) & (is_state | (nw.col("p") <= e_i - 1)))
    daily = [_N_STATES + _N_STATES * a + b for a, b in RATE_PAIRS]
    per_day = is_state | nw.col("k").is_in(daily)
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
