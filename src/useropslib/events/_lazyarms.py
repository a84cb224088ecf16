"""Per-arm sufficient statistics of a lazy log, computed in its engine.

The body of :meth:`LazyEventLog.arm_totals`: per-user totals joined to the users' arms (given,
or from their first exposure) and summed per arm, so only a few rows come back; and the per-row
amount of one total, which it and :meth:`LazyEventLog.user_totals` sum.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd

from useropslib.events._engine import collect_native, given_units
from useropslib.exceptions import InvalidParameterError

if TYPE_CHECKING:
    from useropslib.events._lazy import LazyEventLog

__all__ = ["arm_totals", "total_expr"]


def arm_totals(
    lazy: LazyEventLog,
    columns: Mapping[
        str, tuple[Sequence[str] | str | None, Any, Any, Literal["count", "sum", "any"]]
    ],
    *,
    arms: pd.Series | None,
    exposure: tuple[str, str, Sequence[str]] | None,
    until: Any,
    products: Sequence[tuple[str, str]],
    extremes: Sequence[str] | None,
    distinct_ids: bool,
) -> pd.DataFrame:
    """Per-arm sums of per-user totals, all in the engine (see :meth:`LazyEventLog.arm_totals`)."""
    import narwhals.stable.v2 as nw

    if (arms is None) == (exposure is None):
        raise InvalidParameterError(
            "arm_totals: give either arms= (user id -> arm) or exposure=(event, property, "
            "control_values), not both or neither."
        )
    names = list(columns)
    internal = {n: f"c{i}" for i, n in enumerate(names)}
    for a, b in products:
        for c in (a, b):
            if c not in internal:
                raise InvalidParameterError(
                    f"arm_totals: products name the column {c!r}, which is not in columns "
                    f"({names}). Hint: multiply columns that are asked for."
                )
    spans = names if extremes is None else list(extremes)
    for c in spans:
        if c not in internal:
            raise InvalidParameterError(
                f"arm_totals: extremes name the column {c!r}, which is not in columns "
                f"({names}). Hint: ask for the extremes of columns that are asked for."
            )
    raw = nw.from_native(lazy._raw)
    # one per-user total per distinct (events, window, count|sum); "any" reads the count
    totals: dict[tuple[Any, ...], tuple[str, Any]] = {}
    reads: dict[str, tuple[str, bool]] = {}
    for name in names:
        events, start, end, how = columns[name]
        base = "count" if how == "any" else how
        if how not in ("count", "sum", "any"):
            raise InvalidParameterError(
                f"arm_totals: column {name!r} has how={how!r}; expected 'count', 'sum' or 'any'."
            )
        expr = total_expr(lazy, name, events, start, end, base, what="arm_totals")
        codes = lazy._codes(events)
        key = (
            None if codes is None else tuple(codes),
            lazy._until(start),
            lazy._until(end),
            base,
        )
        if key not in totals:
            totals[key] = (f"t{len(totals)}", expr)
        reads[name] = (totals[key][0], how == "any")
    if not names:
        raise InvalidParameterError(
            "arm_totals: no column asked for. Expected a mapping of names to "
            "(events, start, end, how)."
        )
    per_user = (
        _rows_of(lazy, raw, list(totals))
        .select(nw.col("uid"), *[expr.alias(t) for t, expr in totals.values()])
        .group_by("uid")
        .agg(*[nw.col(t).sum() for t, _ in totals.values()])
    )
    if exposure is not None:
        units, labels = _exposure_units(lazy, raw, exposure, lazy._until(until))
    else:
        assert arms is not None
        units, labels = given_units(lazy._raw, raw, arms, distinct_ids)
    joined = units.join(per_user, on="uid", how="left")
    values = []
    for name in names:
        t, any_ = reads[name]
        v = nw.col(t).fill_null(0.0).cast(nw.Float64)
        values.append(
            (v > 0).cast(nw.Float64).alias(internal[name]) if any_ else v.alias(internal[name])
        )
    joined = joined.select(nw.col("arm"), nw.col("both"), *values)
    extra = [(nw.col(c) * nw.col(c)).alias(f"{c}_sq") for c in internal.values()]
    extra += [
        (nw.col(internal[a]) * nw.col(internal[b])).alias(f"p{i}")
        for i, (a, b) in enumerate(products)
    ]
    joined = joined.with_columns(*extra)
    aggs = [nw.len().alias("n")]
    for name, c in internal.items():
        aggs += [nw.col(c).sum().alias(f"{c}_sum"), nw.col(f"{c}_sq").sum()]
        if name in spans:
            aggs += [nw.col(c).min().alias(f"{c}_min"), nw.col(c).max().alias(f"{c}_max")]
    aggs += [nw.col(f"p{i}").sum() for i in range(len(products))]
    got = collect_native(joined.group_by("arm", "both").agg(*aggs)).to_pandas()
    out = pd.DataFrame(
        {"n": pd.to_numeric(got["n"]).to_numpy(np.int64)},
        index=pd.MultiIndex.from_arrays(
            [
                np.asarray(labels, dtype=object)[got["arm"].to_numpy(np.int64)],
                got["both"].to_numpy(bool),
            ],
            names=["arm", "overlap"],
        ),
    )
    for name, c in internal.items():
        out[f"sum({name})"] = pd.to_numeric(got[f"{c}_sum"]).to_numpy(np.float64)
        out[f"sum({name}^2)"] = pd.to_numeric(got[f"{c}_sq"]).to_numpy(np.float64)
        if name in spans:
            out[f"min({name})"] = pd.to_numeric(got[f"{c}_min"]).to_numpy(np.float64)
            out[f"max({name})"] = pd.to_numeric(got[f"{c}_max"]).to_numpy(np.float64)
    for i, (a, b) in enumerate(products):
        out[f"sum({a}*{b})"] = pd.to_numeric(got[f"p{i}"]).to_numpy(np.float64)
    res: pd.DataFrame = out.sort_index()
    return res


def _rows_of(lazy: LazyEventLog, raw: Any, keys: list[tuple[Any, ...]]) -> Any:
    """Keep only the rows some total counts: their events, within the widest window.

    ``keys`` are (event codes or None, start ns or None, end ns or None, how).  Users with
    no such row get totals 0 anyway, so the filter changes no total and lets the engine
    group only the rows that matter (a goal's purchases, not every event).
    """
    import narwhals.stable.v2 as nw

    if all(k[0] is not None for k in keys):
        codes = sorted({c for k in keys for c in k[0]})
        raw = raw.filter(nw.col("ename").is_in(lazy._raw_events[codes].tolist()))
    if all(k[1] is not None for k in keys):
        raw = raw.filter(nw.col("t") >= min(int(k[1]) for k in keys))
    if all(k[2] is not None for k in keys):
        raw = raw.filter(nw.col("t") <= max(int(k[2]) for k in keys))
    return raw


def _exposure_units(
    lazy: LazyEventLog, raw: Any, exposure: tuple[str, str, Sequence[str]], until_ns: int | None
) -> tuple[Any, list[str]]:
    """Each exposed user's arm (0 control, 1 treatment, by the first exposure) and overlap."""
    import narwhals.stable.v2 as nw

    event, prop, control_values = exposure
    if prop not in lazy._properties:
        raise InvalidParameterError(
            f"arm_totals: the exposure property {prop!r} was not scanned (scanned: "
            f"{list(lazy._properties)}). Hint: scan the table with properties=[{prop!r}, ...]."
        )
    p = nw.col(f"p{lazy._properties.index(prop)}")
    codes = lazy._codes([event]) or []
    expo = raw.filter(nw.col("ename").is_in(lazy._raw_events[codes].tolist()))
    if until_ns is not None:
        expo = expo.filter(nw.col("t") <= until_ns)
    ctrl = p.cast(nw.String).is_in([str(v) for v in control_values]).fill_null(False)
    expo = expo.select(
        nw.col("uid"),
        nw.when(ctrl).then(nw.col("t")).alias("tc"),
        nw.when(~ctrl).then(nw.col("t")).alias("tt"),
    )
    first = expo.group_by("uid").agg(nw.col("tc").min(), nw.col("tt").min())
    treated = nw.col("tc").is_null() | (~nw.col("tt").is_null() & (nw.col("tt") < nw.col("tc")))
    units = first.select(
        nw.col("uid"),
        treated.cast(nw.Int32).alias("arm"),
        (~nw.col("tc").is_null() & ~nw.col("tt").is_null()).alias("both"),
    )
    return units, ["control", "treatment"]


def total_expr(
    lazy: LazyEventLog,
    name: str,
    events: Sequence[str] | str | None,
    start: Any,
    end: Any,
    how: str,
    *,
    allowed: tuple[str, ...] = ("count", "sum"),
    what: str = "user_totals",
) -> Any:
    """Return the per-row amount of one total: 1 (count) or the value (sum) in the window."""
    import narwhals.stable.v2 as nw

    if how not in allowed:
        shown = " or ".join(repr(a) for a in allowed)
        raise InvalidParameterError(f"{what}: column {name!r} has how={how!r}; expected {shown}.")
    if how == "sum" and not lazy._has_values:
        raise InvalidParameterError(
            f"{what}: column {name!r} sums values but the log has no value column. "
            "Hint: scan the table with value_col=..."
        )
    cond: Any = nw.lit(True)
    codes = lazy._codes(events)
    if codes is not None:
        cond = cond & nw.col("ename").is_in(lazy._raw_events[codes].tolist())
    lo, hi = lazy._until(start), lazy._until(end)
    if lo is not None:
        cond = cond & (nw.col("t") >= lo)
    if hi is not None:
        cond = cond & (nw.col("t") <= hi)
    amount: Any = (
        nw.col("v").fill_null(0.0).cast(nw.Float64)
        if how == "sum"
        else nw.lit(1.0, dtype=nw.Float64)
    )
    return nw.when(cond).then(amount).otherwise(nw.lit(0.0, dtype=nw.Float64))
