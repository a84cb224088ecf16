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

__all__ = ["StatusCounts", "status_counts"]

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
