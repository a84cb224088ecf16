"""Churn rates, risk features and early warnings of a lazy log, from reductions in its engine.

:func:`~useropslib.churn.churn_features`, :func:`~useropslib.churn.early_warning`,
:func:`~useropslib.churn.churn_rate` and :func:`~useropslib.churn.infer_inactivity_threshold`
dispatch here when given a :class:`~useropslib.events.LazyEventLog` on DuckDB, Polars or
PySpark.  Each collects only its reduction (one row per user, per active spell, per distinct gap
length, or per bound and day of the return curve's silences) and finishes with the in-memory
arithmetic, so the answers equal the collected log's.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import numpy.typing as npt
import pandas as pd

from useropslib.churn._lazyuser import known_names, lazy_as_of
from useropslib.churn._threshold import Curve
from useropslib.events import LazyEventLog
from useropslib.events._query import (
    activity_totals,
    day_gap_counts,
    engine_rows_until,
    engine_spells,
    feature_aggregates,
    silence_bound_counts,
    warn_empty,
    warning_aggregates,
)
from useropslib.events._time import NS_PER_DAY
from useropslib.exceptions import InsufficientDataError

__all__ = [
    "engine_curve",
    "engine_silences",
    "gap_percentile_from_counts",
    "lazy_day_gaps",
    "lazy_early_warning",
    "lazy_feature_table",
    "lazy_spells",
    "no_activity_error",
    "warning_table",
]

if TYPE_CHECKING:
    from useropslib.churn._definition import Silences

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]


def _stamp(lazy: LazyEventLog, ns: int) -> pd.Timestamp:
    out: pd.Timestamp = pd.Timestamp(ns, unit="ns", tz="UTC").tz_convert(lazy.tz)
    return out


def lazy_feature_table(
    lazy: LazyEventLog,
    *,
    cut: int,
    spans: Sequence[tuple[str, int]],
    horizon_ns: int | None,
    within_ns: int | None,
    activity_events: Sequence[str] | None,
    active_within: Any,
    empty: Literal["warn", "raise"],
) -> pd.DataFrame:
    """Build the :func:`~useropslib.churn.churn_features` table from one engine query."""
    names = known_names(lazy, activity_events, "activity_events")
    bounds = np.unique(np.array([b for _, w in spans for b in (w, 2 * w)], dtype=np.int64))
    windows = [w for _, w in spans]
    index, got = feature_aggregates(
        lazy,
        names,
        cut=cut,
        bounds=bounds.tolist(),
        windows=windows,
        horizon_ns=horizon_ns,
        within_ns=within_ns,
    )
    if index.size == 0:
        extra = "" if within_ns is None else f" within {active_within}"
        n_past = engine_rows_until(lazy, names, cut)
        what = (
            f"No user has activity at or before cutoff={_stamp(lazy, cut)}{extra} "
            f"({lazy.n_events} events in the log, {n_past} before the cutoff)"
        )
        hint = "pass a later cutoff or check activity_events"
        if empty == "raise":
            raise InsufficientDataError(f"{what}. Expected some users to describe. Hint: {hint}.")
        warn_empty(f"churn_features: {what}, so the table is empty", hint=hint, stacklevel=5)
    pos = {int(b): i for i, b in enumerate(bounds)}

    def ints(name: str) -> IntArray:
        out: IntArray = np.asarray(got[name], dtype=np.int64)
        return out

    out: dict[str, Any] = {
        "recency_days": (cut - ints("last")) / NS_PER_DAY,
        "tenure_days": (cut - ints("first")) / NS_PER_DAY,
        "events_total": ints("total"),
    }
    if lazy.has_values:
        out["value_total"] = np.asarray(got["value_total"], dtype=np.float64)
    for i, (name, w) in enumerate(spans):
        n_last = ints(f"b{pos[w]}")
        n_prev = ints(f"b{pos[2 * w]}") - n_last
        out[f"events_{name}"] = n_last
        out[f"active_days_{name}"] = ints(f"d{i}")
        out[f"distinct_events_{name}"] = ints(f"e{i}")
        if lazy.has_values:
            out[f"value_{name}"] = np.asarray(got[f"v{i}"], dtype=np.float64)
        both = n_last + n_prev
        with np.errstate(invalid="ignore", divide="ignore"):
            trend = np.where(both > 0, (n_last - n_prev) / np.maximum(both, 1), 0.0)
        out[f"trend_{name}"] = trend.astype(np.float64)
    if horizon_ns is not None:
        out["churned"] = ints("back") == 0
    frame: pd.DataFrame = pd.DataFrame(out, index=index)
    return frame


def warning_table(
    index: pd.Index,
    first: IntArray,
    last: IntArray,
    base_count: IntArray,
    recent_count: IntArray,
    *,
    when: int,
    base_ns: int,
    recent_ns: int,
    drop: float,
) -> pd.DataFrame:
    """Build the :func:`~useropslib.churn.early_warning` table of the judged users."""
    recent_start = when - recent_ns
    exposure = np.clip(recent_start - first, NS_PER_DAY, base_ns).astype(np.float64)
    base_days = exposure / NS_PER_DAY
    base_rate = base_count / base_days
    recent_rate = recent_count / (recent_ns / NS_PER_DAY)
    fall = 1.0 - recent_rate / base_rate
    order = np.flatnonzero(fall >= drop - 1e-12)
    order = order[np.lexsort((order, -base_rate[order], -fall[order]))]
    frame: pd.DataFrame = pd.DataFrame(
        {
            "baseline_count": base_count[order].astype(np.int64),
            "recent_count": recent_count[order].astype(np.int64),
            "baseline_days": base_days[order],
            "baseline_per_day": base_rate[order],
            "recent_per_day": recent_rate[order],
            "drop_rate": fall[order],
            "days_since_last": (when - last[order]) / NS_PER_DAY,
        },
        index=pd.Index(index[order], name="user_id"),
    )
    return frame


def lazy_early_warning(
    lazy: LazyEventLog,
    *,
    indicator: str,
    when: int,
    base_ns: int,
    recent_ns: int,
    drop: float,
    min_baseline: float,
    activity_events: Sequence[str] | None,
) -> pd.DataFrame:
    """Flag users as :func:`~useropslib.churn.early_warning` does, from one engine query."""
    names = known_names(lazy, activity_events, "activity_events")
    raw: str | None = None
    if indicator != "active_days":
        code = lazy._codes([indicator])  # unknown names raise here, as in memory
        raw = str(lazy._raw_events[code[0]]) if code else None
    recent_start = when - recent_ns
    index, got = warning_aggregates(
        lazy,
        names,
        raw,
        when=when,
        recent_start=recent_start,
        base_start=recent_start - base_ns,
    )
    keep = got["base_count"] >= min_baseline
    return warning_table(
        index[keep],
        got["first"][keep],
        got["last"][keep],
        got["base_count"][keep],
        got["recent_count"][keep],
        when=when,
        base_ns=base_ns,
        recent_ns=recent_ns,
        drop=drop,
    )


def lazy_spells(
    lazy: LazyEventLog, names: Sequence[str] | None, as_of_ns: int, thr: int
) -> tuple[IntArray, IntArray]:
    """Active spells (start, end) of the activity up to ``as_of``, one engine row per spell."""
    known = known_names(lazy, names, "activity_events")
    return engine_spells(lazy, known, as_of_ns, thr)


def lazy_day_gaps(
    lazy: LazyEventLog, names: Sequence[str] | None, as_of_ns: int
) -> tuple[IntArray, IntArray]:
    """Distinct gap lengths in local days and how many gaps have each (engine ``LAG``)."""
    return day_gap_counts(lazy, names, as_of_ns)


def gap_percentile_from_counts(gaps: IntArray, counts: IntArray, q: float) -> float:
    """Return ``np.percentile(gaps repeated counts, q, method="higher")`` without repeating."""
    n = int(counts.sum())
    if n == 0:
        return math.nan
    virtual = (q / 100) * (n - 1)  # numpy's virtual index, then "higher" rounds up
    at = min(int(np.ceil(virtual)), n - 1)
    cum = np.cumsum(counts)
    return float(gaps[int(np.searchsorted(cum, at, side="right"))])


def _slots(counts: pd.DataFrame, k: IntArray, *, strict: bool) -> IntArray:
    """For each bound row, the number of grid values below it (``<``; ``<=`` when strict).

    ``strict`` gives ``#k <= x`` (the right insertion point), else ``#k < x`` (the left one):
    the whole-day grid values from the bucket, the others from the engine's comparison counts.
    """
    whole_k = np.sort(k[k % NS_PER_DAY == 0])
    bucket = counts["bucket"].to_numpy(dtype=np.int64)
    whole = counts["whole"].to_numpy(dtype=bool)
    # a whole-day x is the bucket; any other x lies strictly inside it, like bucket + 1 ns
    x = np.where(whole, bucket, bucket + 1)
    side: Literal["left", "right"] = "right" if strict else "left"
    from_whole = np.searchsorted(whole_k, x, side=side).astype(np.int64)
    loose = counts["ge" if strict else "gt"].to_numpy(dtype=np.int64)
    out: IntArray = from_whole + loose
    return out


def _below(counts: pd.DataFrame, bound: str, k: IntArray, *, inclusive: bool) -> IntArray:
    """For each ``k`` (sorted), how many ``bound`` values are below it (``<``, or ``<=``)."""
    rows = counts[counts["bound"] == bound]
    slot = _slots(rows, k, strict=not inclusive)
    weights = rows["n"].to_numpy(dtype=np.int64)
    hist = np.bincount(slot, weights=weights, minlength=k.size + 1)
    out: IntArray = np.cumsum(hist)[: k.size].astype(np.int64)
    return out


def _total(counts: pd.DataFrame, bound: str) -> int:
    return int(counts.loc[counts["bound"] == bound, "n"].sum())


def engine_curve(
    lazy: LazyEventLog,
    names: Sequence[str] | None,
    *,
    as_of_ns: int,
    h_ns: int,
    k: IntArray,
) -> Curve:
    """:func:`~useropslib.churn._threshold.return_curve` for the grid ``k`` (ns) in the engine.

    The silences' interval bounds come back as counts per (bound, day); each ``k`` then counts
    the intervals holding it, exactly as the in-memory binary searches do.
    """
    order = np.argsort(k, kind="stable")
    ks = k[order]
    loose = [int(v) for v in ks if v % NS_PER_DAY != 0]
    counts = silence_bound_counts(
        lazy, names, as_of_ns=as_of_ns, h_ns=h_ns, k_min=int(ks[0]), loose=loose
    )

    def inside(lo: str | None, hi: str) -> IntArray:
        # intervals [lo, hi] holding k: lo <= k minus hi < k (lo None: every lo is below k)
        below_hi = _below(counts, hi, ks, inclusive=False)
        if lo is None:
            out: IntArray = _total(counts, hi) - below_hi
            return out
        held: IntArray = _below(counts, lo, ks, inclusive=True) - below_hi
        return held

    parts = {
        "silent": inside(None, "reach_hi") + inside(None, "oreach_hi"),
        "returned": inside("ret_lo", "ret_hi"),
        "not_returned": inside(None, "nret_hi") + inside(None, "onret_hi"),
        "censored": inside("cens_lo", "cens_hi") + inside("ocens_lo", "ocens_hi"),
    }
    back = np.empty_like(order)
    back[order] = np.arange(order.size)
    return Curve(**{name: values[back] for name, values in parts.items()})


def no_activity_error(lazy: LazyEventLog, names: Sequence[str] | None, as_of_ns: int) -> Exception:
    """Build the in-memory "no activity events" error, counting in the engine."""
    from useropslib.events._time import stamp

    n_before = engine_rows_until(lazy, None, as_of_ns)
    return InsufficientDataError(
        f"No activity events at or before as_of={stamp(as_of_ns, lazy.tz)}: the log has "
        f"{lazy.n_events:,} events from {lazy.n_users:,} users, {n_before:,} of them at or "
        f"before as_of, none of them named {list(names or [])}. Expected at least one "
        "activity event. Hint: check activity_events against log.event_names."
    )


def engine_silences(
    lazy: LazyEventLog, names: Sequence[str] | None, as_of: Any, h_ns: int
) -> Silences:
    """Read the threshold rules' view of a lazy log's activity from reductions in its engine.

    Totals in one aggregate, the day gaps as counts per length, and the return curve (asked
    later, for the grid) from the silences' bounds counted per day.
    """
    from useropslib.churn._definition import Silences

    as_of_ns = lazy_as_of(lazy, as_of)
    assert as_of_ns is not None  # the engine route is taken for logs with rows only
    known = known_names(lazy, names, "activity_events")
    n_rows, n_users, first = activity_totals(lazy, known, as_of_ns)
    if n_rows == 0:
        raise no_activity_error(lazy, names, as_of_ns)
    lengths, counts = day_gap_counts(lazy, known, as_of_ns)

    def curve_of(k: IntArray) -> Curve:
        return engine_curve(lazy, known, as_of_ns=as_of_ns, h_ns=h_ns, k=k)

    return Silences(
        as_of_ns=as_of_ns,
        tz=lazy.tz,
        n_rows=n_rows,
        n_users=n_users,
        n_gaps=n_rows - n_users,
        first=first,
        day_gaps=lengths,
        day_gap_counts=counts,
        curve_of=curve_of,
    )
