"""Conditional per-user aggregates of a :class:`~useropslib.events.LazyEventLog`, in its engine.

The segment functions (value tiers, lifecycle stages, condition trees, segment comparisons) need,
per user, counts of some events inside time intervals, the first or last time of some events,
value sums and distinct 24-hour buckets.  :func:`user_table` computes any set of these in one
``GROUP BY`` user over the rows at or before a date (plus one ``DISTINCT`` (user, bucket)
subquery joined to it when buckets are asked for) and collects one row per user with a row by
then, nothing else.  The ids come back as the engine holds them, sorted there as the user
vocabulary is, so the rows are in the log's user order and the vocabulary is not read.

:func:`where_expression` turns event-property filters
(:class:`~useropslib.models.PropertyCondition`) into an engine expression with the in-memory
semantics, or returns None when it cannot promise them (then the caller collects the rows).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import numpy.typing as npt
import pandas as pd

from useropslib.events._engine import collect_native, user_id_index

if TYPE_CHECKING:
    from useropslib.events._lazy import LazyEventLog

__all__ = ["MAX_NS", "MIN_NS", "UserAgg", "event_filter", "user_table", "where_expression"]

MIN_NS = int(np.iinfo(np.int64).min)
"""The value of a ``max`` aggregate for a user without a matching row."""
MAX_NS = int(np.iinfo(np.int64).max)
"""The value of a ``min`` aggregate for a user without a matching row."""
_DAY_NS = 86_400 * 10**9
_NEGATED = {"ne": "eq", "not_in": "in", "is_not_set": "is_set"}


@dataclasses.dataclass(frozen=True)
class UserAgg:
    """One conditional per-user aggregate.

    Attributes
    ----------
    name : str
        Its column in the result (must not be ``first`` or ``last``).
    kind : {"count", "min", "max", "sum"}
        Rows; earliest or latest time (UTC ns); sum of the value column (missing = 0).
    events : tuple of str or None
        Raw event names of the rows counted (None: every event; empty: none).
    lo, hi : int or None
        The rows with ``lo <= t <= hi`` (UTC ns; None: unbounded).
    where : narwhals expression or None
        A further row filter (see :func:`where_expression`).
    """

    name: str
    kind: Literal["count", "min", "max", "sum"]
    events: tuple[str, ...] | None = None
    lo: int | None = None
    hi: int | None = None
    where: Any = None


def event_filter(lazy: LazyEventLog, codes: Sequence[int]) -> tuple[str, ...]:
    """Return the raw names of the event codes ``codes`` (negative codes, unknown, dropped)."""
    known = sorted({int(c) for c in codes if int(c) >= 0})
    return tuple(str(n) for n in lazy._raw_events.take(known))


def _condition(agg: UserAgg) -> Any:
    import narwhals.stable.v2 as nw

    t = nw.col("t")
    parts: list[Any] = []
    if agg.events is not None:
        # no name matches nothing (t is never null; pyarrow refuses is_in([]))
        parts.append(nw.col("ename").is_in(list(agg.events)) if agg.events else t != t)
    if agg.lo is not None:
        parts.append(t >= agg.lo)
    if agg.hi is not None:
        parts.append(t <= agg.hi)
    if agg.where is not None:
        parts.append(agg.where)
    if not parts:
        return None
    out = parts[0]
    for p in parts[1:]:
        out = out & p
    return out


def user_table(
    lazy: LazyEventLog,
    until_ns: int,
    aggs: Sequence[UserAgg] = (),
    *,
    as_of_ns: int | None = None,
    days: Sequence[tuple[str, int, int]] = (),
    ids: bool = True,
) -> pd.DataFrame:
    """One row per user with a row at or before ``until_ns``: ``first``, ``last`` and ``aggs``.

    Parameters
    ----------
    lazy : LazyEventLog
        The log.
    until_ns : int
        Only rows at or before this instant (UTC ns) are read.
    aggs : sequence of UserAgg
        The conditional aggregates (``count`` as int64; ``min``/``max`` as int64 with
        ``MAX_NS``/``MIN_NS`` for no row; ``sum`` as float64).
    as_of_ns : int, optional
        The instant 24-hour buckets count back from (bucket 0 is ``(as_of - 24h, as_of]``).
    days : sequence of (name, lo_day, hi_day)
        Distinct buckets ``lo_day <= b < hi_day`` per user, over every event.
    ids : bool, default True
        Collect the ids; False leaves them in the engine (the rows are still in id order, so a
        second query over the same rows lines up with a first one that collected them).

    Returns
    -------
    pandas.DataFrame
        Indexed by the user id (in the log's user order), one collected row per user.
    """
    import narwhals.stable.v2 as nw

    base = nw.from_native(lazy._raw).filter(nw.col("t") <= until_ns)
    cols: list[Any] = [nw.col("uid"), nw.col("t")]
    fold: list[Any] = [nw.col("t").min().alias("first"), nw.col("t").max().alias("last")]
    fill: list[Any] = []
    for i, agg in enumerate(aggs):
        cond = _condition(agg)
        col = f"a{i}"
        if agg.kind == "count":
            flag = nw.lit(1, nw.Int64) if cond is None else cond.cast(nw.Int64)
            cols.append(flag.alias(col))
            fold.append(nw.col(col).sum())
            # DuckDB sums integers as HUGEINT, collected as decimals (Python objects): cast back
            fill.append(nw.col(col).cast(nw.Int64))
        elif agg.kind == "sum":
            value = nw.col("v").fill_null(0.0).fill_nan(0.0) if lazy.has_values else nw.lit(0.0)
            cols.append((value if cond is None else nw.when(cond).then(value)).alias(col))
            fold.append(nw.col(col).sum())
            fill.append(nw.col(col).fill_null(0.0))
        else:
            cols.append(
                (nw.col("t") if cond is None else nw.when(cond).then(nw.col("t"))).alias(col)
            )
            fold.append(nw.col(col).min() if agg.kind == "min" else nw.col(col).max())
            fill.append(nw.col(col).fill_null(MAX_NS if agg.kind == "min" else MIN_NS))
    query = base.select(*cols).group_by("uid").agg(*fold)
    if fill:
        query = query.with_columns(*fill)
    if days:
        assert as_of_ns is not None
        top = max(hi for _, _, hi in days)
        bucket = (nw.col("t") * -1 + as_of_ns) // _DAY_NS
        distinct = (
            base.filter(nw.col("t") > as_of_ns - top * _DAY_NS)
            .select(nw.col("uid"), bucket.alias("b"))
            .unique()
        )
        flags = [
            ((nw.col("b") >= lo) & (nw.col("b") < hi)).cast(nw.Int64).alias(f"d{j}")
            for j, (_, lo, hi) in enumerate(days)
        ]
        per_user = (
            distinct.select(nw.col("uid"), *flags)
            .group_by("uid")
            .agg(*[nw.col(f"d{j}").sum() for j in range(len(days))])
        )
        query = query.join(per_user, on="uid", how="left").with_columns(
            *[nw.col(f"d{j}").fill_null(0).cast(nw.Int64) for j in range(len(days))]
        )
    query = query.sort("uid")
    got = collect_native(query if ids else query.drop("uid"))
    data: dict[str, Any] = {"first": _int64(got["first"]), "last": _int64(got["last"])}
    for i, agg in enumerate(aggs):
        if agg.kind == "sum":
            data[agg.name] = np.asarray(got[f"a{i}"].to_numpy(), dtype=np.float64)
        else:
            data[agg.name] = _int64(got[f"a{i}"])
    for j, (name, _, _) in enumerate(days):
        data[name] = _int64(got[f"d{j}"])
    if ids:
        index = user_id_index(got["uid"].to_numpy())
    else:
        index = pd.Index(np.arange(len(got)), name="user_id")
    out: pd.DataFrame = pd.DataFrame(data, index=index)
    return out


def _int64(column: Any) -> npt.NDArray[np.int64]:
    out: npt.NDArray[np.int64] = np.ascontiguousarray(column.to_numpy(), dtype=np.int64)
    return out


# ------------------------------------------------------------------ event-property filters
def _is_number(value: Any) -> bool:
    return isinstance(value, int | float | np.integer | np.floating) and not isinstance(
        value, bool | np.bool_
    )


def where_expression(lazy: LazyEventLog, conditions: Sequence[Any]) -> Any:
    """Return the engine expression of event-property filters (all must hold), or None.

    Each filter keeps the rows where the property is set (not null, not NaN) and the positive
    operator holds (``==``, ``<`` ..., ``in``, ``contains`` as plain text, ``is_set``); the
    negated operators (``ne``, ``not_in``, ``is_not_set``) keep the other rows, as in memory.
    Numbers are compared with numbers and text with text (UTF-8 byte order is code-point order,
    Python's).  Any other combination (a boolean or time column, mixed types, a property the
    scan did not keep) returns None: the in-memory semantics (or its error) are then kept by
    collecting the rows.
    """
    import narwhals.stable.v2 as nw

    schema = nw.from_native(lazy._raw).collect_schema()
    out: Any = None
    for cond in conditions:
        name = cond.property
        if name not in lazy._properties:
            return None
        col_name = f"p{lazy._properties.index(name)}"
        dtype = schema[col_name]
        col = nw.col(col_name)
        numeric = dtype.is_numeric() and dtype != nw.Boolean
        text = dtype == nw.String
        present = ~col.is_null()
        if dtype.is_float():
            present = present & ~col.is_nan()
        op = _NEGATED.get(cond.op, cond.op)
        value = cond.value
        if op == "is_set":
            positive = present
        else:
            values = list(value) if op == "in" else [value]
            if numeric and all(_is_number(v) for v in values) and op != "contains":
                if not (
                    dtype.is_integer() and all(isinstance(v, int | np.integer) for v in values)
                ):
                    col = col.cast(nw.Float64)
                    values = [float(v) for v in values]
                else:
                    values = [int(v) for v in values]
            elif text and all(isinstance(v, str) for v in values):
                values = [str(v) for v in values]
            else:
                return None
            if op == "in":
                test = col.is_in(values)
            elif op == "contains":
                test = col.str.contains(values[0], literal=True)
            elif op == "eq":
                test = col == values[0]
            elif op == "lt":
                test = col < values[0]
            elif op == "le":
                test = col <= values[0]
            elif op == "gt":
                test = col > values[0]
            else:
                test = col >= values[0]
            positive = present & test.fill_null(False)
        term = ~positive if cond.op in _NEGATED else positive
        out = term if out is None else out & term
    return out
