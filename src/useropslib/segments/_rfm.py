"""RFM (recency, frequency, monetary) scores and named RFM segments as of a date."""

from __future__ import annotations

import dataclasses
import re
import warnings
from collections.abc import Mapping, Sequence
from typing import Any, Literal, NamedTuple

import numpy as np
import numpy.typing as npt
import pandas as pd

from useropslib import plotting
from useropslib._results import MetricResult
from useropslib.events import EventLog, EventsLike, LazyEventLog, as_event_log
from useropslib.events._query import named_events, named_mask, warn_empty
from useropslib.events._query import resolve_as_of as resolve_log_as_of
from useropslib.events._time import stamp
from useropslib.exceptions import InsufficientDataWarning, InvalidParameterError, did_you_mean
from useropslib.models import DateLike
from useropslib.segments._tags import TagTable

__all__ = [
    "RFM_SEGMENT_MAPS",
    "RFMResult",
    "RFMRule",
    "rfm",
]

_DAY_NS = 86_400 * 10**9
OTHERS = "Others"


class RFMRule(NamedTuple):
    """One row of an RFM segment table: a name and inclusive score ranges.

    Attributes
    ----------
    name : str
        The segment name.
    r, f, m : tuple of (int, int) or None
        Inclusive ``(low, high)`` score ranges for recency, frequency and monetary scores
        (scores run from 1 to ``bins``, higher is better); ``None`` matches any score.
    """

    name: str
    r: tuple[int, int] | None
    f: tuple[int, int] | None
    m: tuple[int, int] | None


def _table(rows: Sequence[tuple[str, Any, Any, Any]]) -> tuple[RFMRule, ...]:
    return tuple(RFMRule(*row) for row in rows)


# Guillaume Martin (2018), "RFM Segmentation with Python": segment = f(R, F), 10 patterns that
# partition the 25 cells of the 5 x 5 grid (M ignored).  Kept verbatim as "rf_grid_source".
_RF_GRID_SOURCE = _table(
    [
        ("Hibernating", (1, 2), (1, 2), None),
        ("At Risk", (1, 2), (3, 4), None),
        ("Can't Lose Them", (1, 2), (5, 5), None),
        ("About to Sleep", (3, 3), (1, 2), None),
        ("Need Attention", (3, 3), (3, 3), None),
        ("Loyal", (3, 4), (4, 5), None),
        ("Promising", (4, 4), (1, 1), None),
        ("New", (5, 5), (1, 1), None),
        ("Potential Loyalist", (4, 5), (2, 3), None),
        ("Champions", (5, 5), (4, 5), None),
    ]
)

# The default: the source's grid with its four Hibernating cells split in two, so that the grid
# names the 11 segments operations teams use.  R = 1 (the least recent fifth) with F = 1..2 is
# "Lost"; R = 2 with F = 1..2 stays "Hibernating".  Every other cell is the source's.  The rows
# are disjoint (each of the 25 cells matches exactly one) and ordered best to worst.
_RF_GRID = _table(
    [
        ("Champions", (5, 5), (4, 5), None),
        ("Loyal", (3, 4), (4, 5), None),
        ("Potential Loyalist", (4, 5), (2, 3), None),
        ("New", (5, 5), (1, 1), None),
        ("Promising", (4, 4), (1, 1), None),
        ("Need Attention", (3, 3), (3, 3), None),
        ("About to Sleep", (3, 3), (1, 2), None),
        ("At Risk", (1, 2), (3, 4), None),
        ("Can't Lose Them", (1, 2), (5, 5), None),
        ("Hibernating", (2, 2), (1, 2), None),
        ("Lost", (1, 1), (1, 2), None),
    ]
)

# The R package rfm (rsquaredacademy), vignette and tests/testthat/test-rfm-segment.R.
_RFM_PACKAGE = _table(
    [
        ("Champions", (4, 5), (4, 5), (4, 5)),
        ("Loyal Customers", (2, 5), (3, 5), (3, 5)),
        ("Potential Loyalist", (3, 5), (1, 3), (1, 3)),
        ("New Customers", (4, 5), (1, 1), (1, 1)),
        ("Promising", (3, 4), (1, 1), (1, 1)),
        ("Need Attention", (2, 3), (2, 3), (2, 3)),
        ("About To Sleep", (2, 3), (1, 2), (1, 2)),
        ("At Risk", (1, 2), (2, 5), (2, 5)),
        ("Can't Lose Them", (1, 1), (4, 5), (4, 5)),
        ("Lost", (1, 2), (1, 2), (1, 2)),
    ]
)

# Braze RFM SQL segments (ranks 0-3, 3 best), shifted by +1 to scores 1-4 (bins=4).
_BRAZE = _table(
    [
        ("Champions", (4, 4), (3, 4), (3, 4)),
        ("Loyal Users", (3, 4), (3, 4), (2, 4)),
        ("Potential Loyalists", (4, 4), (2, 4), (2, 4)),
        ("Promising", (4, 4), (1, 4), (2, 4)),
        ("New Customer", (4, 4), (1, 4), (1, 4)),
        ("Needing Attention", (3, 4), (1, 4), (1, 4)),
        ("Cannot lose them", (1, 2), (3, 4), (3, 4)),
        ("At Risk", (1, 2), (2, 4), (2, 4)),
        ("About to Sleep", (2, 2), (1, 4), (1, 4)),
        ("Hibernating", (1, 1), (1, 3), (1, 4)),
    ]
)

RFM_SEGMENT_MAPS: Mapping[str, tuple[int, tuple[RFMRule, ...]]] = {
    "rf_grid": (5, _RF_GRID),
    "rf_grid_source": (5, _RF_GRID_SOURCE),
    "rfm_package": (5, _RFM_PACKAGE),
    "braze": (4, _BRAZE),
}
"""Built-in segment tables by name: ``(bins they are written for, rules in priority order)``."""

Method = Literal["quantile", "fixed"]


def _no_values() -> InvalidParameterError:
    return InvalidParameterError(
        "The event log has no values, so the monetary score cannot be computed. Expected "
        "a log built with a value column. Hint: build it with value_col='amount', or pass "
        "value_col= naming a numeric property."
    )


def resolve_as_of(log: EventLog | LazyEventLog, as_of: Any) -> tuple[int, pd.Timestamp | None]:
    """Return ``as_of`` (default the log's) as UTC ns and as the result's timestamp.

    An empty log without an ``as_of`` has no date: the timestamp is None and the ns is 0 (any
    instant finds nothing in an empty log, so the counts are zero either way).  A date before the
    data raises the query layer's one error.
    """
    when = resolve_log_as_of(log, as_of)
    if when is None:
        return 0, None
    return when.ns, stamp(when.ns, log.tz)


def warn_no_users(what: str, n: int) -> None:
    """Apply the empty-data policy to a per-user table: warn when it has no user."""
    if n == 0:
        warn_empty(
            f"{what}: no user has an event at or before as_of",
            hint="check the log's filters and as_of",
            stacklevel=4,
        )


def event_names(value: Any, name: str) -> list[str]:
    """Return ``value`` as a non-empty list of event names."""
    return named_events(value, param=name)


def event_mask(log: EventLog, value: Any, name: str) -> npt.NDArray[np.bool_]:
    """Boolean mask of the events named in ``value`` (absent names match nothing, warned)."""
    return named_mask(log, value, param=name)


def slug(name: str) -> str:
    """Turn a segment name into a tag-safe token (``"Can't Lose Them"`` -> ``cant_lose_them``)."""
    s = re.sub(r"[^0-9a-z]+", "_", name.lower().replace("'", "")).strip("_")
    return s if s and not s[0].isdigit() else f"s_{s}"


# ================================================================================ segment tables
def _check_range(value: Any, bins: int, where: str) -> tuple[int, int] | None:
    if value is None:
        return None
    ok = (
        isinstance(value, Sequence)
        and not isinstance(value, str)
        and len(value) == 2
        and all(isinstance(v, int | np.integer) and not isinstance(v, bool) for v in value)
    )
    if not ok:
        raise InvalidParameterError(
            f"Invalid score range {value!r} in {where}. Expected (low, high) integers or None for "
            f"any score. Hint: e.g. (4, 5) means scores 4 and 5 of 1..{bins}."
        )
    lo, hi = int(value[0]), int(value[1])
    if not 1 <= lo <= hi <= bins:
        raise InvalidParameterError(
            f"Invalid score range {value!r} in {where}. Expected 1 <= low <= high <= bins={bins}. "
            "Hint: scores run from 1 (worst) to bins (best)."
        )
    return lo, hi


def _check_segment_map(segment_map: Any, bins: int) -> tuple[RFMRule, ...]:
    if isinstance(segment_map, str):
        if segment_map not in RFM_SEGMENT_MAPS:
            close = did_you_mean(segment_map, RFM_SEGMENT_MAPS)
            hint = f"did you mean {close[0]!r}?" if close else "or pass your own rule table"
            raise InvalidParameterError(
                f"Unknown segment_map={segment_map!r}. Expected one of {list(RFM_SEGMENT_MAPS)} "
                f"or a list of (name, r_range, f_range, m_range). Hint: {hint}"
            )
        need, builtin = RFM_SEGMENT_MAPS[segment_map]
        if need != bins:
            raise InvalidParameterError(
                f"segment_map={segment_map!r} is written for bins={need}, got bins={bins}. "
                f"Hint: pass bins={need}, or your own rule table for {bins} bins."
            )
        return builtin
    if (
        not isinstance(segment_map, Sequence)
        or isinstance(segment_map, str)
        or len(segment_map) == 0
    ):
        raise InvalidParameterError(
            f"Invalid segment_map={segment_map!r}. Expected a built-in name "
            f"{list(RFM_SEGMENT_MAPS)} or a non-empty list of (name, r_range, f_range, m_range). "
            "Hint: [('Best', (4, 5), (4, 5), None), ...]"
        )
    rules: list[RFMRule] = []
    for i, row in enumerate(segment_map):
        if not isinstance(row, Sequence) or isinstance(row, str) or len(row) != 4:
            raise InvalidParameterError(
                f"Invalid segment_map row {i}: {row!r}. Expected (name, r_range, f_range, "
                "m_range). Hint: ('Best', (4, 5), (4, 5), None)."
            )
        name = row[0]
        if not isinstance(name, str) or not name.strip() or name == OTHERS:
            raise InvalidParameterError(
                f"Invalid segment name {name!r} in segment_map row {i}. Expected a non-empty "
                f"string other than {OTHERS!r}, which is the reserved fallback segment."
            )
        if any(r.name == name for r in rules):
            raise InvalidParameterError(
                f"Segment name {name!r} appears twice in segment_map. Expected unique names. "
                "Hint: merge the two rows or rename one."
            )
        where = f"segment_map row {i} ({name!r})"
        rules.append(
            RFMRule(
                name,
                _check_range(row[1], bins, where),
                _check_range(row[2], bins, where),
                _check_range(row[3], bins, where),
            )
        )
    return tuple(rules)


def assign_segments(
    r: npt.NDArray[np.int64],
    f: npt.NDArray[np.int64],
    m: npt.NDArray[np.int64],
    rules: Sequence[RFMRule],
) -> npt.NDArray[np.int64]:
    """Index of the first rule whose ranges hold ``(r, f, m)``; ``len(rules)`` for "Others"."""
    out = np.full(r.shape, len(rules), dtype=np.int64)
    free = np.ones(r.shape, dtype=bool)
    for i, rule in enumerate(rules):
        hit = free.copy()
        for rng, s in ((rule.r, r), (rule.f, f), (rule.m, m)):
            if rng is not None:
                hit &= (s >= rng[0]) & (s <= rng[1])
        out[hit] = i
        free &= ~hit
    return out


# ================================================================================ scoring
def _score(
    x: npt.NDArray[np.float64], edges: npt.NDArray[np.float64], *, reverse: bool
) -> npt.NDArray[np.int64]:
    # right-inclusive bins: x <= edges[0] -> bin 0, edges[0] < x <= edges[1] -> bin 1, ...
    idx = np.searchsorted(edges, x, side="left").astype(np.int64)
    bins = edges.size + 1
    return (bins - idx) if reverse else (idx + 1)


def _fixed_edges(edges: Any, bins: int) -> dict[str, npt.NDArray[np.float64]]:
    if not isinstance(edges, Mapping) or set(edges) != {"recency", "frequency", "monetary"}:
        raise InvalidParameterError(
            f"method='fixed' needs edges= a mapping with keys 'recency', 'frequency' and "
            f"'monetary', got {edges!r}. Hint: edges={{'recency': [7, 30, 90, 180], ...}} "
            f"(bins - 1 = {bins - 1} increasing cut points each)."
        )
    out = {}
    for key, vals in edges.items():
        arr = np.asarray(vals, dtype=np.float64)
        if arr.shape != (bins - 1,) or not np.all(np.isfinite(arr)) or np.any(np.diff(arr) < 0):
            raise InvalidParameterError(
                f"edges[{key!r}]={list(vals)!r} is invalid. Expected {bins - 1} finite, "
                "non-decreasing cut points (bins - 1). Hint: sort them and match bins."
            )
        out[key] = arr
    return out


@dataclasses.dataclass(frozen=True, repr=False)
class RFMResult(MetricResult):
    """RFM scores and segments as of a date.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per customer (index ``user_id``): ``recency_days`` (days from the last purchase
        to ``as_of``), ``frequency`` (purchases), ``monetary`` (sum of their values),
        ``r_score``, ``f_score``, ``m_score`` (1 .. bins, higher is better), ``rfm_cell``
        (e.g. ``"545"``) and ``segment``.
    edges : pandas.DataFrame
        The cut points used, one row per dimension, one column per cut.
    counts : pandas.Series
        Customers per segment, in rule order, ending with ``"Others"``.
    rules : pandas.DataFrame
        The segment table used (name and inclusive score ranges; NaN means any score).
    params : dict
        The parameters used.
    as_of : pandas.Timestamp or None
        The date of the scores.
    """

    table: pd.DataFrame
    edges: pd.DataFrame
    counts: pd.Series
    rules: pd.DataFrame

    def to_frame(self) -> pd.DataFrame:
        """Return ``table`` with the user id as a column.

        Returns
        -------
        pandas.DataFrame
        """
        out: pd.DataFrame = self.table.reset_index()
        return out

    def to_tags(self, *, prefix: str = "rfm") -> TagTable:
        """Return the segments as tags ``"<prefix>:<segment slug>"`` (e.g. ``rfm:cant_lose_them``).

        Parameters
        ----------
        prefix : str, default "rfm"
            Tag prefix.

        Returns
        -------
        TagTable
        """
        names = self.table["segment"].astype(str)
        tags = pd.Series(
            [f"{prefix}:{slug(n)}" for n in self.counts.index], index=self.counts.index
        )
        pairs = pd.DataFrame(
            {"user_id": self.table.index.to_numpy(), "tag": tags.reindex(names).to_numpy()}
        )
        return TagTable.from_pairs(pairs)

    def plot(self, ax: Any = None) -> Any:
        """Plot customers per segment as horizontal bars.

        Parameters
        ----------
        ax : matplotlib.axes.Axes, optional
            Where to draw; a new figure when omitted.

        Returns
        -------
        matplotlib.axes.Axes
        """
        return plotting.bars(
            [str(i) for i in self.counts.index],
            self.counts,
            ax=ax,
            horizontal=True,
            xlabel="customers",
            title="RFM segments",
        )


def rfm(
    events: EventsLike,
    *,
    as_of: DateLike | None = None,
    purchase_event: str | Sequence[str] | None = "purchase",
    value_col: str | None = None,
    bins: int = 5,
    method: Method = "quantile",
    edges: Mapping[str, Sequence[float]] | None = None,
    segment_map: str | Sequence[Any] = "rf_grid",
) -> RFMResult:
    """Score customers on recency, frequency and monetary value and name their RFM segment.

    Parameters
    ----------
    events : EventLog, LazyEventLog or DataFrame
        The events.
    as_of : str, datetime or Timestamp, optional
        The date of the scores; later events are ignored.  Default: the log's ``as_of``.
    purchase_event : str, sequence of str or None, default "purchase"
        The purchase events (the library's one default).  ``None``: every event carrying a
        (non-missing) value.
    value_col : str, optional
        A numeric property column holding the amount; default the log's values.  Missing amounts
        count as 0.
    bins : int, default 5
        Number of scores per dimension (scores 1 .. bins, higher is better).
    method : {"quantile", "fixed"}, default "quantile"
        ``"quantile"``: cut points at the k/bins quantiles (k = 1 .. bins - 1) of the customers'
        values, linear interpolation (``numpy.quantile``'s and pandas' default).  ``"fixed"``:
        the cut points given in ``edges``.
    edges : mapping, optional
        With ``method="fixed"``: ``{"recency": [...], "frequency": [...], "monetary": [...]}``,
        ``bins - 1`` non-decreasing cut points each (recency in days).
    segment_map : str or sequence, default "rf_grid"
        The segment table: ``"rf_grid"`` (the 11-segment R x F grid, M ignored; bins=5; see
        Notes), ``"rf_grid_source"`` (Guillaume Martin's 10-segment R x F grid exactly as
        published: no "Lost"; bins=5), ``"rfm_package"`` (the R package rfm's table; bins=5),
        ``"braze"`` (Braze's RFM groups; bins=4, Braze rank = score - 1), or your own list of
        ``(name, r_range, f_range, m_range)`` with inclusive ``(low, high)`` score ranges or
        ``None`` for any score.  The tables are in :data:`RFM_SEGMENT_MAPS`.

    Returns
    -------
    RFMResult
        ``table``, ``edges``, ``counts``, ``rules``; ``to_frame()``, ``to_tags()``, ``plot()``.

    Raises
    ------
    InvalidParameterError
        Unknown purchase events, a log without amounts, ``bins < 2``, an unknown method or
        segment map, an invalid rule table or edges, an ``as_of`` before the data.

    Warns
    -----
    InsufficientDataWarning
        When no user has a purchase event at or before ``as_of``: the result has no customer
        (empty ``table``, zero ``counts``, NaN ``edges``).

    Notes
    -----
    Customers are the users with at least one purchase event at or before ``as_of``.
    Recency is the time from the last purchase to ``as_of`` in (fractional) days, frequency the
    number of purchase events, monetary the sum of their amounts.

    Bins are right-inclusive: with cut points ``c1 <= ... <= c(bins-1)``, a value ``x <= c1``
    is in bin 1, ``c1 < x <= c2`` in bin 2, and so on; F and M scores are the bin number and the
    R score is reversed (``bins + 1 - bin``: the most recent customers get ``bins``).  This is
    Guillaume Martin's scoring (``DataFrame.quantile`` cut points).  Tied values always get the
    same score, so with many ties some scores can be empty.

    Segments are assigned by first match: the first rule (in table order) whose ranges contain
    the customer's scores; customers matching none are ``"Others"``.  Each customer is in
    exactly one segment.

    The default ``"rf_grid"`` names each of the 25 (R, F) cells, best to worst:
    Champions R 5, F 4-5; Loyal R 3-4, F 4-5; Potential Loyalist R 4-5, F 2-3; New R 5, F 1;
    Promising R 4, F 1; Need Attention R 3, F 3; About to Sleep R 3, F 1-2; At Risk R 1-2,
    F 3-4; Can't Lose Them R 1-2, F 5; Hibernating R 2, F 1-2; Lost R 1, F 1-2.  It is
    Guillaume Martin's grid (``"rf_grid_source"``) with the source's four "Hibernating" cells
    (R 1-2, F 1-2) split in two: the least recent fifth of customers (R = 1) among the least
    frequent (F 1-2) are "Lost", the next fifth (R = 2) stays "Hibernating".  Neither grid
    leaves a cell to "Others".

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({
    ...     "user_id": ["a", "a", "a", "b", "c", "c"],
    ...     "event": ["purchase"] * 6,
    ...     "timestamp": ["2024-01-01", "2024-01-20", "2024-01-30", "2024-01-05",
    ...                   "2024-01-10", "2024-01-25"],
    ...     "value": [10.0, 20.0, 5.0, 100.0, 3.0, 4.0],
    ... })
    >>> log = EventLog.from_pandas(df, tz="UTC")
    >>> res = rfm(log, bins=3, segment_map=[("Best", (3, 3), (2, 3), None)])
    >>> res.table[["recency_days", "frequency", "monetary", "rfm_cell", "segment"]]
             recency_days  frequency  monetary rfm_cell segment
    user_id
    a                 0.0          3      35.0      332    Best
    b                25.0          1     100.0      113  Others
    c                 5.0          2       7.0      221  Others
    """
    # a lazy log answers with one GROUP BY user in the engine (a property value column, or
    # every event with a value, reads the rows)
    in_engine = isinstance(events, LazyEventLog) and value_col is None and purchase_event
    log = events if isinstance(events, LazyEventLog) and in_engine else as_event_log(events)
    as_of_ns, shown_as_of = resolve_as_of(log, as_of)
    if isinstance(bins, bool) or not isinstance(bins, int | np.integer) or bins < 2:
        raise InvalidParameterError(
            f"Invalid bins={bins!r}. Expected an integer >= 2. Hint: bins=5 gives quintile scores."
        )
    bins = int(bins)
    if not isinstance(method, str) or method not in ("quantile", "fixed"):
        raise InvalidParameterError(
            f"Invalid method={method!r}. Expected 'quantile' or 'fixed'. Hint: 'fixed' needs "
            "edges=."
        )
    if method == "quantile" and edges is not None:
        raise InvalidParameterError(
            "edges= is only used with method='fixed', got method='quantile'. Hint: pass "
            "method='fixed' or drop edges."
        )
    fixed = _fixed_edges(edges, bins) if method == "fixed" else None
    rules = _check_segment_map(segment_map, bins)

    chosen: Any = purchase_event
    if isinstance(log, LazyEventLog):
        if not log.has_values:
            raise _no_values()
        from useropslib.segments._lazyuser import lazy_rfm_totals

        index, freq_c, money_c, last_c = lazy_rfm_totals(log, purchase_event, as_of_ns)
    else:
        in_time = log.timestamps_ns <= as_of_ns
        if value_col is None:
            if log.values is None:
                raise _no_values()
            amounts = np.asarray(log.values, dtype=np.float64)
        else:
            raw = log.property_values(value_col)
            amounts = pd.to_numeric(raw, errors="coerce").to_numpy(dtype=np.float64)
            bad = raw.notna().to_numpy() & ~np.isfinite(amounts)
            if bad.any():
                raise InvalidParameterError(
                    f"value_col={value_col!r} has non-numeric or infinite values (e.g. "
                    f"{raw[bad].iloc[0]!r}). Expected finite numbers. Hint: clean the column."
                )
        if purchase_event is None:
            is_buy = ~np.isnan(amounts)
            chosen = None
        else:
            is_buy = event_mask(log, purchase_event, "purchase_event")
            chosen = purchase_event
        sel = in_time & is_buy
        u = log.user_codes[sel].astype(np.int64)
        n_users = len(log.users)
        freq_all = np.bincount(u, minlength=n_users)
        money_all = np.bincount(u, weights=np.nan_to_num(amounts[sel]), minlength=n_users)
        last_all = np.full(n_users, np.iinfo(np.int64).min, dtype=np.int64)
        np.maximum.at(last_all, u, log.timestamps_ns[sel])
        cust = np.flatnonzero(freq_all > 0)
        index = pd.Index(log.users.take(cust), name="user_id")
        freq_c = freq_all[cust].astype(np.int64)
        money_c, last_c = money_all[cust].astype(np.float64), last_all[cust]
    if len(index) == 0:
        warnings.warn(
            "No customer: no user has a purchase event ("
            + (f"purchase_event={chosen!r}" if chosen is not None else "an event with a value")
            + (f") at or before as_of={shown_as_of}" if shown_as_of is not None else ") in the log")
            + ", so every RFM segment is "
            "empty. Expected at least one purchase. Hint: check purchase_event and as_of.",
            InsufficientDataWarning,
            stacklevel=2,
        )
    recency = (as_of_ns - last_c) / _DAY_NS
    frequency = freq_c.astype(np.float64)
    monetary = money_c.astype(np.float64)

    dims = {"recency": recency, "frequency": frequency, "monetary": monetary}
    if fixed is not None:
        cuts = fixed
    elif len(index):
        qs = np.arange(1, bins) / bins
        cuts = {k: np.quantile(v, qs) for k, v in dims.items()}
    else:
        cuts = {k: np.full(bins - 1, np.nan) for k in dims}
    r = _score(recency, cuts["recency"], reverse=True)
    f = _score(frequency, cuts["frequency"], reverse=False)
    m = _score(monetary, cuts["monetary"], reverse=False)
    seg = assign_segments(r, f, m, rules)
    names = [rule.name for rule in rules] + [OTHERS]
    sep = "" if bins < 10 else "-"
    parts = [pd.Series(x, dtype=np.int64).astype(str) for x in (r, f, m)]
    cell = parts[0] + sep + parts[1] + sep + parts[2]
    table = pd.DataFrame(
        {
            "recency_days": recency,
            "frequency": frequency.astype(np.int64),
            "monetary": monetary,
            "r_score": r,
            "f_score": f,
            "m_score": m,
            "rfm_cell": cell.to_numpy(dtype=object),
            "segment": pd.Categorical.from_codes(seg, categories=pd.Index(names)),
        },
        index=index,
    )
    counts = pd.Series(
        np.bincount(seg, minlength=len(names)), index=pd.Index(names, name="segment"), name="count"
    )
    edge_frame = pd.DataFrame(
        {f"cut_{k}": [cuts[d][k - 1] for d in dims] for k in range(1, bins)},
        index=pd.Index(list(dims), name="dimension"),
    )
    rules_frame = pd.DataFrame(
        [
            {
                "segment": rule.name,
                "r_low": None if rule.r is None else rule.r[0],
                "r_high": None if rule.r is None else rule.r[1],
                "f_low": None if rule.f is None else rule.f[0],
                "f_high": None if rule.f is None else rule.f[1],
                "m_low": None if rule.m is None else rule.m[0],
                "m_high": None if rule.m is None else rule.m[1],
            }
            for rule in rules
        ]
    )
    params = {
        "purchase_event": chosen,
        "value_col": value_col,
        "bins": bins,
        "method": method,
        "segment_map": segment_map if isinstance(segment_map, str) else "custom",
    }
    return RFMResult(
        params=params,
        as_of=shown_as_of,
        table=table,
        edges=edge_frame,
        counts=counts,
        rules=rules_frame,
    )
