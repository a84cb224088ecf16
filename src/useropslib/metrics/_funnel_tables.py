"""The funnel's result tables: users, conversion and time to convert per step (both routes).

The in-memory kernel and the engine route both end here: per (group, step) counts and the two
exact parts of each time-to-convert sum become the step table, a breakdown's tables (largest
groups first) and the bottleneck step.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pandas as pd

from useropslib.events._query import SUM_SPLIT

__all__ = [
    "TABLE_COLUMNS",
    "bottleneck_step",
    "group_frames",
    "grouped_step_table",
    "step_frame",
    "step_stats",
    "step_summary",
    "step_table",
]

I64 = npt.NDArray[np.int64]
I64_MIN = np.iinfo(np.int64).min  # reads as NaT in datetime64[ns]
F64_EXACT = 1 << 53  # integers below it add exactly in float64
TABLE_COLUMNS = (
    "step",
    "name",
    "users",
    "conversion_rate",
    "step_conversion_rate",
    "drop_off",
    "drop_off_rate",
    "mean_time_to_convert",
    "median_time_to_convert",
)


def step_stats(
    reach: I64, times: I64, group: I64, n_groups: int, n_steps: int
) -> tuple[I64, npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Users, mean and median conversion time (ns) per (group, step)."""
    if n_groups == 1:  # one group: no group codes to add
        hist = np.bincount(reach, minlength=n_steps + 1)
    else:
        hist = np.bincount(group * (n_steps + 1) + reach, minlength=n_groups * (n_steps + 1))
    hist = hist.reshape(n_groups, n_steps + 1)
    count = np.zeros((n_groups, n_steps), dtype=np.int64)
    s_hi = np.zeros((n_groups, n_steps))
    s_lo = np.zeros((n_groups, n_steps))
    median = np.full((n_groups, n_steps), np.nan)
    for k in range(1, n_steps):
        rows = np.flatnonzero(reach > k)
        if rows.size == 0:
            continue
        d = times[k].take(rows)
        d -= times[k - 1].take(rows)
        hi, low_i = d >> SUM_SPLIT, d & ((1 << SUM_SPLIT) - 1)
        sums = int(np.sum(hi)), int(np.sum(low_i))
        if n_groups == 1 and max(sums) < F64_EXACT:  # one group: plain sums (no groupby)
            # non-negative parts whose total is exact in float64: every partial sum of the
            # grouped path below is exact too, so both give the same numbers
            count[0, k] = rows.size
            s_hi[0, k], s_lo[0, k] = float(sums[0]), float(sums[1])
            median[0, k] = float(np.median(d.astype(np.float64)))
            continue
        del hi, low_i
        g = group[rows]
        count[:, k] = np.bincount(g, minlength=n_groups)
        # the sum in two parts, each exact in float64 (a lazy log's engine adds the same parts)
        s_hi[:, k] = np.bincount(g, weights=(d >> SUM_SPLIT).astype(np.float64), minlength=n_groups)
        low = (d & ((1 << SUM_SPLIT) - 1)).astype(np.float64)
        s_lo[:, k] = np.bincount(g, weights=low, minlength=n_groups)
        med = pd.Series(d.astype(np.float64)).groupby(g).median()
        median[med.index.to_numpy(dtype=np.int64), k] = med.to_numpy(dtype=np.float64)
    return step_summary(hist, count, s_hi, s_lo, median)


def step_summary(
    hist: I64,
    count: I64,
    s_hi: npt.NDArray[np.float64],
    s_lo: npt.NDArray[np.float64],
    median: npt.NDArray[np.float64],
) -> tuple[I64, npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Users, mean and median per (group, step) from the per-group sums (both routes)."""
    users = np.cumsum(hist[:, ::-1], axis=1)[:, ::-1][:, 1:].astype(np.int64)
    with np.errstate(invalid="ignore", divide="ignore"):
        total = s_hi * float(1 << SUM_SPLIT) + s_lo
        mean = np.where(count > 0, total / np.maximum(count, 1), np.nan)
    mean[:, :1] = np.nan
    return users, mean, median


def step_frame(
    users: I64, mean: npt.NDArray[np.float64], median: npt.NDArray[np.float64], labels: list[str]
) -> pd.DataFrame:
    n = users.size
    u = users.astype(np.float64)
    prev = np.r_[u[:1], u[:-1]]
    with np.errstate(invalid="ignore", divide="ignore"):
        conv = u / u[0] if n and u[0] > 0 else np.full(n, np.nan)
        step_conv = np.where(prev > 0, u / np.where(prev > 0, prev, 1.0), np.nan)
    drop = np.r_[0, users[:-1] - users[1:]].astype(np.int64) if n else users
    out: pd.DataFrame = pd.DataFrame(
        {
            "step": np.arange(n, dtype=np.int64),
            "name": labels,
            "users": users.astype(np.int64),
            "conversion_rate": conv,
            "step_conversion_rate": step_conv,
            "drop_off": drop,
            "drop_off_rate": 1.0 - step_conv,
            "mean_time_to_convert": as_timedeltas(mean),
            "median_time_to_convert": as_timedeltas(median),
        },
        columns=list(TABLE_COLUMNS),
    )
    return out


def as_timedeltas(ns: npt.NDArray[np.float64]) -> pd.TimedeltaIndex:
    vals = np.where(np.isnan(ns), I64_MIN, np.round(np.nan_to_num(ns))).astype(np.int64)
    out: pd.TimedeltaIndex = pd.TimedeltaIndex(vals.view("timedelta64[ns]"))
    return out


def step_table(reach: I64, times: I64, n_steps: int, labels: list[str]) -> pd.DataFrame:
    group = np.broadcast_to(np.int64(0), reach.shape)  # one group: never materialised
    users, mean, median = step_stats(reach, times, group, 1, n_steps)
    return step_frame(users[0], mean[0], median[0], labels)


def grouped_step_table(
    reach: I64,
    times: I64,
    groups: npt.NDArray[np.object_],
    n_steps: int,
    labels: list[str],
) -> pd.DataFrame:
    codes, uniques = pd.factorize(pd.Series(groups, dtype=object))
    codes = np.asarray(codes, dtype=np.int64)
    n_groups = len(uniques)
    users, mean, median = step_stats(reach, times, codes, n_groups, n_steps)
    return group_frames(users, mean, median, uniques, n_steps, labels)


def group_frames(
    users: I64,
    mean: npt.NDArray[np.float64],
    median: npt.NDArray[np.float64],
    uniques: pd.Index,
    n_steps: int,
    labels: list[str],
) -> pd.DataFrame:
    n_groups = len(uniques)
    # largest groups first; ties by the group's text, so row order never matters
    text = np.asarray([str(v) for v in uniques], dtype=object)
    order = np.lexsort((text, -users[:, 0])) if n_groups else np.empty(0, dtype=np.int64)
    parts = []
    for g in order.tolist():  # one frame per group (few), not per user
        f = step_frame(users[g], mean[g], median[g], labels)
        f.insert(0, "_group", [uniques[g]] * n_steps)
        parts.append(f)
    if not parts:
        empty = step_frame(np.zeros(0, np.int64), np.zeros(0), np.zeros(0), [])
        empty.insert(0, "_group", pd.Series([], dtype=object))
        return empty
    out: pd.DataFrame = pd.concat(parts, ignore_index=True)
    return out


def bottleneck_step(table: pd.DataFrame) -> int | None:
    if len(table) < 2:
        return None
    rates = table["drop_off_rate"].to_numpy(dtype=np.float64)[1:]
    valid = ~np.isnan(rates)
    if not valid.any():
        return None
    best = np.where(valid, rates, -np.inf)
    k = int(np.argmax(best))
    return k + 1 if best[k] > 0 else None
