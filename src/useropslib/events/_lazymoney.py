"""Money, message and DAU/MAU metrics computed whole in the engine of a lazy log.

Each function here runs one grouped query on a :class:`~useropslib.events.LazyEventLog` and
collects the answer-sized table: one row per period (revenue, the calendar DAU/MAU ratio), per
(cohort, age) cell (LTV) or per message group (the message funnel).  The user vocabulary is not
read.  Local periods come from :func:`~useropslib.events._lazycal.period_key` (integer
arithmetic on the zone's offsets, DST and week starts as in memory).

Amounts are summed in float64 by the engine, in the engine's order; the in-memory kernels sum
the same float64 amounts in event order, so revenue totals agree to the last bits only when
every partial sum is exact (whole amounts, binary fractions) and otherwise within float
rounding (relative ``n * 2**-53``).  Counts are exact.

The queries are narwhals expressions, so DuckDB, Polars and PySpark plan them the same way.
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

__all__ = [
    "MoneyCells",
    "day_month_pairs",
    "ltv_cells",
    "message_counts",
    "numeric_property",
    "revenue_cells",
]

I64 = npt.NDArray[np.int64]
F64 = npt.NDArray[np.float64]


def numeric_property(lazy: LazyEventLog, name: str) -> str | None:
    """Return the engine column of property ``name`` when it is numeric (else None)."""
    import narwhals.stable.v2 as nw

    if name not in lazy._properties:
        return None
    col = f"p{lazy._properties.index(name)}"
    dtype = nw.from_native(lazy._raw).collect_schema()[col]
    return col if dtype.is_numeric() else None


def _amount(col: str, paid: Any) -> tuple[Any, Any]:
    """Return the amount of a purchase (0 when missing or NaN) and a flag for infinite amounts."""
    import narwhals.stable.v2 as nw

    v = nw.col(col).cast(nw.Float64)
    finite = v.abs() < float("inf")  # NaN and null compare false / null
    amount = nw.when(paid & finite.fill_null(False)).then(v).otherwise(nw.lit(0.0, nw.Float64))
    inf = (paid & (v.abs() == float("inf")).fill_null(False)).cast(nw.Int64)
    return amount, inf


@dataclasses.dataclass(frozen=True)
class MoneyCells:
    """Revenue per local period, as the engine counted it.

    Attributes
    ----------
    codes : ndarray of int64
        Period codes with activity, sorted.
    revenue, purchases, active, paying : ndarray
        Per period: the sum of amounts, purchases, distinct active and paying users.
    new_active, new_paying : ndarray of int64
        Per period: users whose first active (paying) period it is; their sums are the
        distinct users over the whole log.
    infinite : int
        Purchases with an infinite amount (the caller then takes the in-memory route).
    """

    codes: I64
    revenue: F64
    purchases: I64
    active: I64
    paying: I64
    new_active: I64
    new_paying: I64
    infinite: int


def revenue_cells(
    lazy: LazyEventLog,
    *,
    period: str,
    tz: str,
    week_start: int,
    purchase_names: Sequence[Any],
    activity_names: Sequence[Any] | None,
    value_col: str,
) -> MoneyCells:
    """Revenue, purchases, active and paying users per local period, in the engine.

    Grouped by (period, user), then by period; each (period, user) row also says whether the
    period is the user's first active (paying) one, so the distinct users over the log are the
    sums of those flags and no second pass is needed.  One row per active period is collected.

    Parameters
    ----------
    lazy : LazyEventLog
    period : {"hour", "day", "week", "month"}
    tz : str
    week_start : int
    purchase_names : sequence
        Raw names of the purchase events.
    activity_names : sequence, optional
        Raw names of the activity events (purchases are added); None for every event.
    value_col : str
        The engine column of the amounts (``"v"`` or ``"p<i>"``).

    Returns
    -------
    MoneyCells
    """
    import narwhals.stable.v2 as nw

    key = period_key(lazy, period, tz, week_start)
    empty = np.empty(0, dtype=np.int64)
    if key is None:
        return MoneyCells(empty, empty.astype(np.float64), empty, empty, empty, empty, empty, 0)
    nf = nw.from_native(lazy._raw)
    buy = list(purchase_names)
    if activity_names is not None:
        nf = nf.filter(nw.col("ename").is_in(list(dict.fromkeys([*activity_names, *buy]))))
    paid = nw.col("ename").is_in(buy) if buy else nw.lit(False)
    amount, inf = _amount(value_col, paid)
    rows = nf.select(
        nw.col("uid"),
        key.expr.alias("k"),
        paid.cast(nw.Int64).alias("p"),
        amount.alias("a"),
        inf.alias("i"),
    )
    cells = rows.group_by("k", "uid").agg(
        nw.col("p").max().alias("paid"),
        nw.col("p").sum().alias("n"),
        nw.col("a").sum().alias("r"),
        nw.col("i").sum().alias("i"),
    )
    first_paid = nw.when(nw.col("paid") == 1).then(nw.col("k")).min().over("uid")
    cells = cells.with_columns(
        (nw.col("k") == nw.col("k").min().over("uid")).cast(nw.Int64).alias("na"),
        (nw.col("k") == first_paid).fill_null(False).cast(nw.Int64).alias("np"),
    )
    got = collect_native(
        cells.group_by("k").agg(
            nw.len().alias("active"),
            nw.col("paid").sum().alias("paying"),
            nw.col("n").sum().alias("purchases"),
            nw.col("r").sum().alias("revenue"),
            nw.col("na").sum().alias("na"),
            nw.col("np").sum().alias("np"),
            nw.col("i").sum().alias("i"),
        )
    )
    codes = key.codes(got["k"].to_numpy())
    order = np.argsort(codes, kind="stable")

    def ints(col: str) -> I64:
        return np.asarray(got[col].to_numpy(), dtype=np.int64)[order]

    return MoneyCells(
        codes=codes[order],
        revenue=np.asarray(got["revenue"].to_numpy(), dtype=np.float64)[order],
        purchases=ints("purchases"),
        active=ints("active"),
        paying=ints("paying"),
        new_active=ints("na"),
        new_paying=ints("np"),
        infinite=int(ints("i").sum()),
    )


def ltv_cells(
    lazy: LazyEventLog,
    *,
    period: str,
    periods: int,
    tz: str,
    week_start: int,
    purchase_names: Sequence[Any],
    signup_names: Sequence[Any] | None,
    value_col: str,
    until_ns: int | None,
) -> tuple[I64, I64, F64, int]:
    """Acquisition cohorts, their sizes and revenue at each age, in the engine.

    A user's anchor is their first event (first ``signup_names`` event) at or before
    ``until_ns``; their cohort is the local period of the anchor.  The anchors (one
    ``GROUP BY`` user over the rows, read once) are left-joined to the purchases summed per
    (user, instant); each user's first joined row counts them in the cohort size, and
    purchases at or after the anchor are summed per (cohort, age) for ages
    ``0 .. periods - 1`` in the same ``GROUP BY``: at most ``cohorts x (periods + 1)`` rows are
    collected.

    Returns
    -------
    (cohorts, sizes, revenue, infinite) : (ndarray, ndarray, ndarray, int)
        Cohort period codes (sorted), users per cohort, revenue of shape
        ``(cohorts, periods)``, and the number of purchases with an infinite amount.
    """
    import narwhals.stable.v2 as nw

    key = period_key(lazy, period, tz, week_start)
    if key is None:
        empty = np.empty(0, dtype=np.int64)
        return empty, empty.copy(), np.zeros((0, periods)), 0
    nf = nw.from_native(lazy._raw)
    if until_ns is not None:
        nf = nf.filter(nw.col("t") <= until_ns)
    starts = nf if signup_names is None else nf.filter(nw.col("ename").is_in(list(signup_names)))
    buy = list(purchase_names)
    paid = nw.col("ename").is_in(buy) if buy else nw.col("t") != nw.col("t")
    amount, inf = _amount(value_col, paid)
    # purchases per (user, instant), and each user's first purchase instant: the small side
    buys = (
        nf.filter(paid)
        .select(nw.col("uid"), nw.col("t").cast(nw.Int64), amount.alias("r"), inf.alias("i"))
        .group_by("uid", "t")
        .agg(nw.col("r").sum(), nw.col("i").sum())
    )
    firsts = buys.group_by("uid").agg(nw.col("t").min().alias("t0"))
    buys = buys.join(firsts, on="uid", how="inner").with_columns(key.expr.alias("k"))
    # the anchors (the large side, read once) left-joined to them: a user without purchases has
    # one row, a user with purchases one per purchase instant; each user's first row (no
    # purchase, or the first instant) counts them in their cohort's size
    anchors = (
        starts.group_by("uid")
        .agg(nw.col("t").min().cast(nw.Int64).alias("t"))
        .with_columns(key.expr.alias("c"))
        .select("uid", "c", nw.col("t").alias("a"))
    )
    rows = anchors.join(buys, on="uid", how="left")
    step = key.unit or 1
    age = nw.col("k") - nw.col("c")
    valid = ((nw.col("t") >= nw.col("a")) & (age >= 0) & (age < periods * step)).fill_null(False)
    first = (nw.col("t").is_null() | (nw.col("t") == nw.col("t0"))).fill_null(False)
    cells = rows.select(
        nw.col("c"),
        nw.when(valid).then(age).otherwise(nw.lit(-1, nw.Int64)).alias("g"),
        nw.when(valid).then(nw.col("r")).otherwise(nw.lit(0.0, nw.Float64)).alias("r"),
        nw.col("i").fill_null(0),
        first.cast(nw.Int64).alias("n"),
    )
    got = collect_native(
        cells.group_by("c", "g").agg(nw.col("n").sum(), nw.col("r").sum(), nw.col("i").sum())
    )
    c = key.codes(got["c"].to_numpy())
    g = np.asarray(got["g"].to_numpy(), dtype=np.int64)
    n = np.asarray(got["n"].to_numpy(), dtype=np.int64)
    r = np.asarray(got["r"].to_numpy(), dtype=np.float64)
    cohorts, ci = np.unique(c, return_inverse=True)
    sizes_out = np.zeros(cohorts.size, dtype=np.int64)
    np.add.at(sizes_out, ci, n)
    head = g < 0
    rev = np.zeros((cohorts.size, periods), dtype=np.float64)
    rev[ci[~head], g[~head] // step] = r[~head]
    infinite = int(np.asarray(got["i"].to_numpy(), dtype=np.int64).sum())
    return cohorts, sizes_out, rev, infinite


def day_month_pairs(
    lazy: LazyEventLog,
    *,
    period: str,
    tz: str,
    week_start: int,
    names: Sequence[Any] | None,
    until_ns: int | None,
    lo: int | None,
    hi: int,
) -> tuple[I64, I64, I64]:
    """Per ``period`` (week or month): distinct users and distinct (user, day) pairs.

    The pairs' count is the sum of the period's daily active users.  Grouped by (user, day),
    then by period: one row per active period is collected.

    Returns
    -------
    (codes, users, user_days) : (ndarray, ndarray, ndarray)
        Sorted by period code; periods without activity are absent.
    """
    import narwhals.stable.v2 as nw

    kp = period_key(lazy, period, tz, week_start)
    kd = period_key(lazy, "day", tz, week_start)
    if kp is None or kd is None:
        empty = np.empty(0, dtype=np.int64)
        return empty, empty.copy(), empty.copy()
    nf = nw.from_native(lazy._raw)
    if names is not None:
        nf = nf.filter(nw.col("ename").is_in(list(names)))
    if until_ns is not None and lazy._t_max is not None and until_ns < int(lazy._t_max):
        nf = nf.filter(nw.col("t") <= until_ns)
    rows = nf.select(nw.col("uid"), kd.expr.alias("d"), kp.expr.alias("k"))
    rows = rows.filter(nw.col("k") <= kp.key(hi))
    if lo is not None:
        rows = rows.filter(nw.col("k") >= kp.key(lo))
    pairs = rows.group_by("uid", "d").agg(nw.col("k").min())
    got = collect_native(
        pairs.group_by("k").agg(nw.col("uid").n_unique().alias("u"), nw.len().alias("n"))
    )
    codes = kp.codes(got["k"].to_numpy())
    order = np.argsort(codes, kind="stable")
    users = np.asarray(got["u"].to_numpy(), dtype=np.int64)[order]
    days = np.asarray(got["n"].to_numpy(), dtype=np.int64)[order]
    return codes[order], users, days


def message_counts(
    lazy: LazyEventLog,
    *,
    stages: Sequence[tuple[str, Sequence[Any]]],
    message_names: Sequence[Any],
    return_names: Sequence[Any] | None,
    window_ns: int,
    until_ns: int | None,
    group_col: str | None,
    campaign_col: str | None,
    campaign: Sequence[Any] | None,
) -> Any:
    """Count the message funnel per group, in the engine.

    Message rows are the stage events (``stages``: ``(stage, raw names)``, ``sent`` first) at or
    before ``until_ns``, of the wanted campaigns, with a group value.  Per (group, user): the
    first send and whether each later stage was seen (a later stage implies the earlier
    ones).  Returns are the user's return events (every non-message event when
    ``return_names`` is None) in ``[first send, first send + window_ns]``, found with a join on
    the user.  Grouped by group: one row per group is collected.

    Returns
    -------
    native frame
        Columns ``g`` (the group value), ``sent``, one per later stage, ``returned``,
        ``returned_delivered`` (when ``delivered`` is a stage) and ``window_open``.
    """
    import narwhals.stable.v2 as nw

    nf = nw.from_native(lazy._raw)
    if until_ns is not None:
        nf = nf.filter(nw.col("t") <= until_ns)
    msgs = nf.filter(nw.col("ename").is_in(list(message_names)))
    if campaign_col is not None and campaign is not None:
        msgs = msgs.filter(nw.col(campaign_col).is_in(list(campaign)))
    if group_col is None:
        g: Any = nw.lit(0, nw.Int64)
    else:
        g = nw.col(group_col)
        if nw.from_native(lazy._raw).collect_schema()[group_col].is_float():
            g = nw.when(~g.is_nan()).then(g)  # NaN is no value, as in memory
    msgs = msgs.select(nw.col("uid"), nw.col("t"), nw.col("ename"), g.alias("g")).filter(
        ~nw.col("g").is_null()
    )
    sent = list(stages[0][1])
    aggs: list[Any] = [nw.when(nw.col("ename").is_in(sent)).then(nw.col("t")).min().alias("fs")]
    later = [s for s, _ in stages[1:]]
    for i, (stage, _) in enumerate(stages[1:]):
        # a later stage implies this one
        names = [n for _, ns in stages[1 + i :] for n in ns]
        flag = nw.col("ename").is_in(names) if names else nw.col("t") != nw.col("t")
        aggs.append(flag.cast(nw.Int64).max().alias(stage))
    # every (group, user) with a message is kept: a group without sends still has its row
    per_user = msgs.group_by("g", "uid").agg(*aggs)
    rets = nf
    if return_names is None:
        rets = rets.filter(~nw.col("ename").is_in(list(message_names)))
    else:
        rets = rets.filter(nw.col("ename").is_in(list(return_names)))
    big = np.iinfo(np.int64).max
    limit = nw.when(nw.col("fs") <= big - window_ns).then(nw.col("fs") + window_ns).otherwise(big)
    sends = per_user.filter(~nw.col("fs").is_null()).select(
        nw.col("g"), nw.col("uid"), nw.col("fs"), limit.alias("lim")
    )
    back = (
        sends.join(rets.select("uid", "t"), on="uid", how="inner")
        .filter(nw.col("t") >= nw.col("fs"), nw.col("t") <= nw.col("lim"))
        .group_by("g", "uid")
        .agg()
        .with_columns(nw.lit(1, nw.Int64).alias("ret"))
    )
    flagged = per_user.join(back, on=["g", "uid"], how="left").with_columns(
        nw.col("ret").fill_null(0), (~nw.col("fs").is_null()).cast(nw.Int64).alias("s")
    )
    open_now = nw.lit(0, nw.Int64)
    if until_ns is not None:
        late = (nw.col("fs") > until_ns - window_ns).fill_null(False)
        open_now = (nw.col("s") * (1 - nw.col("ret")) * late.cast(nw.Int64)).sum()
    else:
        open_now = nw.len() * 0
    out: list[Any] = [nw.col("s").sum().alias("sent")]
    out += [(nw.col(s) * nw.col("s")).sum().alias(s) for s in later]
    out.append(nw.col("ret").sum().alias("returned"))
    if "delivered" in later:
        out.append((nw.col("ret") * nw.col("delivered")).sum().alias("returned_delivered"))
    out.append(open_now.alias("window_open"))
    return collect_native(flagged.group_by("g").agg(*out))
