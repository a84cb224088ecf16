"""Kernels of the inactivity-threshold rules: the censoring-aware return curve and the three rules.

Every count is a whole-array operation on the sorted silences (no loop over users, gaps or grid
values): a count "for each grid value ``k``" is the number of silences whose interval of ``k``
contains it, read with two binary searches.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import numpy.typing as npt

from useropslib.events._time import NS_PER_DAY

__all__ = [
    "RULES",
    "Curve",
    "PlateauFit",
    "default_grid_days",
    "gap_percentile_days",
    "plateau",
    "return_curve",
    "scaled_min_gaps",
]

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]

#: The rules that can choose the threshold, in the order the result lists them.
RULES: tuple[str, ...] = ("plateau", "return_probability", "gap_percentile")
MAX_DEFAULT_GRID = 365  # values in the default grid; longer spans are stepped
MIN_GAPS_FLOOR = 30
MIN_GAPS_SHARE = 0.01  # of the users with activity
_SLACK = 1e-12  # float slack when comparing a drop with the tolerance


def default_grid_days(span_ns: int, horizon_ns: int) -> FloatArray:
    """Whole days from 1 to the longest silence whose horizon fits in the span.

    A silence of ``k`` days followed by a horizon of ``H`` days can only be observed whole when
    ``k + H`` is at most the data's span, so longer grid values could never be decided.  At most
    :data:`MAX_DEFAULT_GRID` values: longer spans use a step of several days.  Empty when even one
    day does not fit.
    """
    k_max = (span_ns - horizon_ns) // NS_PER_DAY
    if k_max < 1:
        return np.empty(0, dtype=np.float64)
    step = max(1, math.ceil(k_max / MAX_DEFAULT_GRID))
    days = np.arange(step, k_max + 1, step, dtype=np.int64)
    if step > 1:
        days = np.concatenate(([1], days))
    out: FloatArray = days.astype(np.float64)
    return out


def scaled_min_gaps(n_users: int) -> int:
    """Return the default least number of decided silences per grid value (1 % of users, >= 30)."""
    return max(MIN_GAPS_FLOOR, math.ceil(MIN_GAPS_SHARE * n_users))


def _count_below(values: IntArray, edges: IntArray, *, inclusive: bool) -> IntArray:
    """For each edge, how many values are below it (``<``, or ``<=`` when inclusive).

    One binary search of every value among the few sorted edges plus a cumulative sum: no sort
    of the (many) values.
    """
    order = np.argsort(edges, kind="stable")
    sorted_edges = edges[order]
    # value < edge_j  <=>  its right insertion point is <= j  (left insertion point for <=)
    slot = np.searchsorted(sorted_edges, values, side="left" if inclusive else "right")
    below = np.cumsum(np.bincount(slot, minlength=edges.size + 1))[: edges.size]
    out = np.empty(edges.size, dtype=np.int64)
    out[order] = below
    return out


def _in_intervals(lo: IntArray | None, hi: IntArray, k: IntArray) -> IntArray:
    """Count, for each ``k`` (> 0), the closed intervals ``[lo_i, hi_i]`` that contain it.

    ``lo=None`` means every interval starts at 0, at or below every ``k``.
    """
    if lo is None:
        out0: IntArray = hi.size - _count_below(hi, k, inclusive=False)
        return out0
    keep = lo <= hi
    if not keep.all():
        lo, hi = lo[keep], hi[keep]
    # lo <= k  minus  hi < k  (an interval with hi < k has lo <= hi < k)
    out: IntArray = _count_below(lo, k, inclusive=True) - _count_below(hi, k, inclusive=False)
    return out


@dataclasses.dataclass(frozen=True)
class Curve:
    """Counts per grid value (see :func:`return_curve`)."""

    silent: IntArray
    returned: IntArray
    not_returned: IntArray
    censored: IntArray

    @property
    def decided(self) -> IntArray:
        out: IntArray = self.returned + self.not_returned
        return out

    @property
    def rate(self) -> FloatArray:
        d = self.decided
        with np.errstate(invalid="ignore", divide="ignore"):
            out: FloatArray = np.where(d > 0, self.returned / np.maximum(d, 1), np.nan)
        return out


def return_curve(
    gap_start: IntArray,
    gap_len: IntArray,
    open_start: IntArray,
    as_of_ns: int,
    h_ns: int,
    k: IntArray,
) -> Curve:
    """Censoring-aware return counts for every silence length ``k`` (ns).

    A silence starting at ``s`` *reaches* ``k`` at ``s + k``; it is *decided* at ``k`` only when
    its whole horizon after that is observed, ``s + k + H <= as_of``.  Closed silences (length
    ``g``) return when ``g <= k + H``; open ones (from the last activity) never return within the
    data.  In terms of ``k`` each outcome is an interval:

    - closed, returned: ``g - H <= k <= min(g, a)`` with ``a = as_of - H - s``;
    - closed, not returned: ``k <= min(g - H - 1ns, a)``;
    - closed, censored (reached, horizon not observed): ``a < k <= g``;
    - open (length ``o = as_of - s``), not returned: ``k <= o - H``; censored: ``o - H < k <= o``.
    """
    # a silence shorter than the shortest k counts nowhere: most gaps (within a session or a
    # day) go before any counting
    k_min = int(k.min())
    long_ = gap_len >= k_min
    if not long_.all():
        gap_start, gap_len = gap_start[long_], gap_len[long_]
    open_start = open_start[open_start <= as_of_ns - k_min]
    a = as_of_ns - h_ns - gap_start
    ret = _in_intervals(gap_len - h_ns, np.minimum(gap_len, a), k)
    nret_closed = _in_intervals(None, np.minimum(gap_len - h_ns - 1, a), k)
    cens_closed = _in_intervals(a + 1, gap_len, k)
    o = as_of_ns - open_start
    nret_open = _in_intervals(None, o - h_ns, k)
    cens_open = _in_intervals(o - h_ns + 1, o, k)
    reach = _in_intervals(None, gap_len, k) + _in_intervals(None, o, k)
    return Curve(
        silent=reach,
        returned=ret,
        not_returned=nret_closed + nret_open,
        censored=cens_closed + cens_open,
    )


@dataclasses.dataclass(frozen=True)
class PlateauFit:
    """The plateau rule's pick and the evidence that the curve flattened."""

    index: int  # position of the chosen grid value
    remaining_drop: FloatArray
    found: bool
    end_slope: float  # least-squares slope of the rate over the tail, per day
    tail_days: float  # length of the tail the slope was read over
    why: str  # why no plateau was found ("" when found)


def plateau(
    grid_days: FloatArray,
    rate: FloatArray,
    usable: npt.NDArray[np.bool_],
    limit: float,
    tail_days: float,
    horizon_days: float,
) -> PlateauFit:
    """Pick the smallest usable ``k`` after which the rate never falls by more than ``limit``.

    The plateau is *found* when (1) the usable grid goes on after the chosen ``k`` for at least
    ``max(k, horizon_days)`` more days, so the rate was seen to stay within ``limit`` while the
    silence at least doubled, and (2) the straight line fitted to the usable rates over the last
    ``tail_days`` of the grid falls by at most ``limit`` over that stretch: the curve has been
    seen to flatten, not merely to end.
    """
    future_min = np.minimum.accumulate(np.where(usable, rate, np.inf)[::-1])[::-1]
    drop = np.where(usable, rate - future_min, np.nan)
    ok = usable & (drop <= limit + _SLACK)
    chosen = int(np.argmax(ok))
    pos = np.flatnonzero(usable)
    k_last = float(grid_days[pos[-1]])
    tail = pos[grid_days[pos] >= k_last - tail_days]
    slope = 0.0
    if tail.size >= 2 and float(np.ptp(grid_days[tail])) > 0:
        x = grid_days[tail]
        y = rate[tail]
        xc = x - x.mean()
        slope = float(np.dot(xc, y - y.mean()) / np.dot(xc, xc))
    span = float(grid_days[tail].max() - grid_days[tail].min()) if tail.size else 0.0
    why = ""
    if pos.size == 1:
        why = "only one grid value has enough decided silences"
    elif k_last < 2 * float(grid_days[chosen]) or k_last < float(grid_days[chosen]) + horizon_days:
        k = float(grid_days[chosen])
        why = (
            f"the usable grid ends at {k_last:g} days, before {k + max(k, horizon_days):g} days "
            f"(the pick {k:g} days plus the longer of itself and the horizon), so the curve "
            "was not seen to stay flat after the pick"
        )
    elif -slope * span > limit + _SLACK:
        why = (
            f"the return curve is still falling at the end of the grid ({slope * 30:+.4f} per "
            f"30 days over its last {span:g} days, more than the tolerance {limit:.4g} over "
            "that stretch)"
        )
    return PlateauFit(
        index=chosen,
        remaining_drop=drop,
        found=not why,
        end_slope=slope,
        tail_days=span,
        why=why,
    )


def gap_percentile_days(day_gaps: IntArray, q: float) -> float:
    """Return the ``q``-th percentile (0-100) of the gaps between activity days."""
    if day_gaps.size == 0:
        return math.nan
    return float(np.percentile(day_gaps, q, method="higher"))
