"""Cohort retention (留存): who comes back k periods after joining a cohort.

One function, :func:`retention`, covers the conventions peers disagree on, each named by a
parameter (DESIGN.md §5): recurring or first-time cohorts, "on" or "on or after" cells, calendar
periods or rolling windows, start and return events with property filters, a minimum number of
return events, a date range, and a breakdown by a user property or a segment.

The kernels work on the encoded arrays of the :class:`~useropslib.events.EventLog`:

* calendar periods: a boolean user x period grid per role (cohort, return) built by one scatter,
  and the co-occurrence matrix ``cohort.T @ returned`` (a BLAS product over row chunks, exact in
  float32 because each chunk has fewer than 2**24 rows) whose k-th diagonal is column k; when the
  grid would be too large (many periods), sorted (user, period) keys and ``searchsorted`` joins;
* rolling windows: each return event is joined to its user's cohort entries (directly for
  first-time cohorts, one entry per user; by ``searchsorted`` on (user, period) keys in bounded
  chunks for recurring ones), bucketed into exact windows, and counted per (entry, window) in a
  small grid or, when that grid would be large, by sorting.

No Python loop runs over users or events; the few loops run over breakdown groups, row chunks or
output columns.
"""

from __future__ import annotations

import dataclasses
import math
import warnings
from collections.abc import Hashable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal, TypeAlias, cast

import numpy as np
import numpy.typing as npt
import pandas as pd

from useropslib import plotting
from useropslib._checks import check_choice, check_int
from useropslib._results import MetricResult
from useropslib.events import (
    EventsLike,
    check_tz,
    period_codes,
    period_starts,
)
from useropslib.events._query import (
    NONE_GROUP,
    EventSelector,
    check_grain,
    check_instant,
    has_user_index,
    load,
    resolve_as_of,
    resolve_groups,
    user_index,
    warn_empty,
)
from useropslib.events._time import NS_PER_DAY, NS_PER_HOUR
from useropslib.exceptions import (
    InsufficientDataWarning,
    InvalidParameterError,
    did_you_mean,
)
from useropslib.models import DateLike, Period, WeekStart, parse_period, parse_week_start

if TYPE_CHECKING:
    from matplotlib.axes import Axes

from useropslib.events._time import stamp as _stamp

__all__ = ["RetentionResult", "retention"]

Cohort: TypeAlias = Literal["recurring", "first_time"]
Mode: TypeAlias = Literal["on", "on_or_after"]
Bucket: TypeAlias = Literal["calendar", "rolling"]
EventFilter: TypeAlias = str | tuple[str, Mapping[str, Any]]
"""An event name, or ``(name, {property: value})``; a list/tuple/set value matches any of them."""
EventSpec: TypeAlias = EventFilter | Sequence[EventFilter]

I64: TypeAlias = npt.NDArray[np.int64]
Bools: TypeAlias = npt.NDArray[np.bool_]

_COHORTS = ("recurring", "first_time")
_MODES = ("on", "on_or_after")
_BUCKETS = ("calendar", "rolling")
_STATISTICS = ("weighted", "simple")
_NONE_GROUP = NONE_GROUP
_WINDOW_NS = {"hour": NS_PER_HOUR, "day": NS_PER_DAY, "week": 7 * NS_PER_DAY}
_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_INT64_MAX = np.iinfo(np.int64).max
_INT64_MIN = np.iinfo(np.int64).min
# up to this many cohort periods, co-occurrences are counted per distinct bit mask of a user's
# cohort (and return) periods: one bincount over 2**periods keys (2**(2 * periods) for pairs)
_MASK_MAX_SHARED = 20
_MASK_MAX_PAIRS = 10
_ROW_CHUNK = 1 << 18  # rows per BLAS product: < 2**24, so float32 sums of 0/1 stay exact
_PAIR_CHUNK = 1 << 22  # joined pairs materialised at once
_MAX_CELLS = 50_000_000  # cohort x offset x group cells of a result
# the dense kernel's product costs rows x periods**2 (measured: it wins up to about 30-40
# periods at 10M events / 1M users); its grids cost one byte per (user, period) cell
_DENSE_MAX_PERIODS = 40
_DENSE_CELLS_PER_INPUT = 16
_DENSE_MIN_CELLS = 1 << 25
_ROLLING_GRID_PER_EVENT = 4  # (entry, window) count grid: cells per return event


# ============================================================================ result


@dataclasses.dataclass(frozen=True, repr=False)
class RetentionResult(MetricResult):
    """Cohort retention: counts, rates and mean curves, with the convention that made them.

    Attributes
    ----------
    counts : pandas.DataFrame
        One row per cohort (index ``cohort``: the local start of the cohort period; with a
        breakdown a MultiIndex ``(breakdown, cohort)``), one column per offset ``k`` = 0 ...
        ``periods - 1``.  Column 0 is the cohort size; column k the number of cohort members who
        returned k periods later (exactly, or at k or later for ``mode="on_or_after"``).  Dtype
        ``Int64``: cells whose period lies after the end of the range are ``<NA>``.
    rates : pandas.DataFrame
        ``counts`` divided by the cohort size (float; NaN where the count is ``<NA>`` or the
        cohort is empty).
    incomplete : pandas.DataFrame
        True where the cell's period (or a member's rolling window) had not ended at ``as_of``
        or at the end of the range, so its count may still grow.  Such cells are counted as far
        as the data goes (as PostHog does) but left out of ``mean``.
    mean : pandas.DataFrame
        Rows ``"weighted"`` (sum of counts over sum of cohort sizes) and ``"simple"`` (average
        of the cohort rates), per column k, over the cohorts whose cell k is complete and whose
        size is positive; with a breakdown one pair of rows per group (MultiIndex
        ``(breakdown, statistic)``).  NaN where no cohort qualifies.
    params : dict
        The parameters used (including the effective range ``start``/``end``).
    as_of : pandas.Timestamp or None
        The "now" of the computation.
    """

    counts: pd.DataFrame
    rates: pd.DataFrame
    incomplete: pd.DataFrame
    mean: pd.DataFrame

    @property
    def sizes(self) -> pd.Series:
        """Cohort sizes (column 0 of ``counts``) as int64."""
        out: pd.Series = self.counts[0].astype("int64").rename("size")
        return out

    def _has_breakdown(self) -> bool:
        return isinstance(self.counts.index, pd.MultiIndex)

    def to_frame(self) -> pd.DataFrame:
        """Return the observable cells as a tidy frame.

        Returns
        -------
        pandas.DataFrame
            Columns ``breakdown`` (with a breakdown), ``cohort``, ``k``, ``cohort_size``,
            ``count``, ``rate`` and ``incomplete``; one row per cell inside the range.

        Examples
        --------
        >>> import pandas as pd
        >>> df = pd.DataFrame({"user_id": ["a", "a", "b"], "event": ["x", "x", "x"],
        ...     "timestamp": pd.to_datetime(["2024-01-01", "2024-01-02", "2024-01-02"], utc=True)})
        >>> retention(df, period="day", periods=2).to_frame()
                             cohort  k  cohort_size  count  rate  incomplete
        0 2024-01-01 00:00:00+00:00  0            1      1   1.0       False
        1 2024-01-01 00:00:00+00:00  1            1      1   1.0        True
        2 2024-01-02 00:00:00+00:00  0            2      2   1.0        True
        """
        counts = self.counts
        k_cols = list(counts.columns)
        n = len(counts)
        size = np.repeat(self.sizes.to_numpy(dtype=np.int64), len(k_cols))
        cnt = counts.to_numpy(dtype="float64", na_value=np.nan).ravel()
        keep = ~np.isnan(cnt)
        index = counts.index.repeat(len(k_cols))
        frame = index.to_frame(index=False)
        frame["k"] = np.tile(np.asarray(k_cols, dtype=np.int64), n)
        frame["cohort_size"] = size
        frame["count"] = np.nan_to_num(cnt).astype(np.int64)
        frame["rate"] = self.rates.to_numpy(dtype=np.float64).ravel()
        frame["incomplete"] = self.incomplete.to_numpy(dtype=bool).ravel()
        out: pd.DataFrame = frame[keep].reset_index(drop=True)
        return out

    def curve(self, *, statistic: str = "weighted", group: Hashable | None = None) -> pd.Series:
        """Return a mean retention curve: rate by k over the complete cells.

        Parameters
        ----------
        statistic : {"weighted", "simple"}, default "weighted"
            Weighted by cohort size, or the plain average of cohort rates.
        group : optional
            A breakdown group.  Default: all cohorts together (with a breakdown, the groups'
            counts are summed per cohort first).

        Returns
        -------
        pandas.Series
            Indexed by k.

        Raises
        ------
        InvalidParameterError
            For an unknown statistic or group.
        """
        stat = check_choice(
            statistic, _STATISTICS, "statistic", hint="pick how cohorts are averaged"
        )
        counts, incomplete = self.counts, self.incomplete
        if self._has_breakdown():
            groups = counts.index.get_level_values(0).unique()
            if group is None:
                counts = counts.groupby(level=1, sort=False).sum(min_count=1)
                incomplete = incomplete.groupby(level=1, sort=False).any()
            elif group in groups:
                counts = cast(pd.DataFrame, counts.xs(group, level=0))
                incomplete = cast(pd.DataFrame, incomplete.xs(group, level=0))
            else:
                close = did_you_mean(str(group), groups)
                hint = f" Did you mean {close[0]!r}?" if close else ""
                raise InvalidParameterError(
                    f"Unknown breakdown group {group!r}. Expected one of {list(groups)}.{hint}"
                )
        elif group is not None:
            raise InvalidParameterError(
                f"group={group!r} was given but the result has no breakdown. Hint: leave "
                "group=None, or compute retention(..., breakdown=...) first."
            )
        arr = counts.to_numpy(dtype="float64", na_value=np.nan)
        inc = incomplete.to_numpy(dtype=bool)
        w, s = _mean_rows(arr, inc)
        out = pd.Series(w if stat == "weighted" else s, index=counts.columns, name=stat)
        return out

    def flattening_period(
        self,
        tolerance: float = 0.01,
        *,
        statistic: str = "weighted",
        group: Hashable | None = None,
    ) -> int | None:
        """Return the first offset k from which the mean curve stops falling by more than tolerance.

        The rule: on the mean curve ``r`` (see :meth:`curve`, complete cells only), the answer
        is the smallest ``k >= 1`` for which ``r[k]`` and ``r[k + 1]`` are both known and
        ``r[k] - r[k + 1] <= tolerance``; that is, from period k on, the next period loses at
        most ``tolerance`` of the cohort (in rate points: 0.01 = one percentage point).  A rise
        counts as not falling.  Offset 0 (the cohort itself, rate 1) is never the answer.

        Parameters
        ----------
        tolerance : float, default 0.01
            Largest drop between consecutive periods that still counts as flat, in rate points.
        statistic : {"weighted", "simple"}, default "weighted"
            Which mean curve to read.
        group : optional
            A breakdown group; default all cohorts together.

        Returns
        -------
        int or None
            None when the curve keeps falling by more than ``tolerance`` over every pair of
            known consecutive periods (or fewer than two are known).

        Raises
        ------
        InvalidParameterError
            For a negative or non-finite tolerance, an unknown statistic or group.

        Examples
        --------
        >>> import pandas as pd
        >>> days = pd.date_range("2024-01-01", periods=5, tz="UTC")
        >>> active = {"a": 5, "b": 4, "c": 2, "d": 1}  # consecutive days from Jan 1
        >>> df = pd.DataFrame([(u, "open", t) for u, n in active.items() for t in days[:n]],
        ...                   columns=["user_id", "event", "timestamp"])
        >>> res = retention(df, period="day", periods=5, cohort="first_time",
        ...                 end="2024-01-05", as_of="2024-01-06")
        >>> res.curve().tolist()
        [1.0, 0.75, 0.5, 0.5, 0.25]
        >>> res.flattening_period(0.01), res.flattening_period(0.3)
        (2, 1)
        """
        if isinstance(tolerance, bool) or not isinstance(tolerance, int | float | np.number):
            raise InvalidParameterError(
                f"tolerance must be a number, got {tolerance!r}. Expected a drop in rate points "
                "such as 0.01 (one percentage point)."
            )
        tol = float(tolerance)
        if not math.isfinite(tol) or tol < 0:
            raise InvalidParameterError(
                f"tolerance must be a finite number >= 0, got {tolerance!r}. Hint: 0.01 means "
                "the curve loses at most one percentage point per period."
            )
        r = self.curve(statistic=statistic, group=group).to_numpy(dtype=np.float64)
        if r.size < 3:
            return None
        drop = r[1:-1] - r[2:]
        ok = np.flatnonzero(~np.isnan(drop) & (drop <= tol + 1e-12))
        return int(ok[0]) + 1 if ok.size else None

    def plot(self, ax: Axes | None = None, *, statistic: str = "weighted") -> Axes:
        """Plot the mean retention curve (one line per breakdown group).

        Parameters
        ----------
        ax : matplotlib.axes.Axes, optional
            Where to draw; default a new figure.
        statistic : {"weighted", "simple"}, default "weighted"
            Which mean curve to draw.

        Returns
        -------
        matplotlib.axes.Axes

        Raises
        ------
        UseropsError
            When matplotlib is not installed.
        """
        if self._has_breakdown():
            groups = self.counts.index.get_level_values(0).unique()
            curves = pd.DataFrame(
                {str(g): self.curve(statistic=statistic, group=g) for g in groups}
            )
            curves.columns.name = "breakdown"
        else:
            curves = self.curve(statistic=statistic).rename(statistic).to_frame()
        title = f"Retention ({self.params.get('cohort')}, {self.params.get('mode')})"
        drawn: Axes = plotting.retention_curves(
            curves, ax=ax, period=str(self.params.get("period", "period")), title=title
        )
        return drawn


# ============================================================================ public function


def retention(
    events: EventsLike,
    *,
    period: Period | str = "week",
    periods: int = 12,
    cohort: Cohort | str = "recurring",
    mode: Mode | str = "on",
    bucket: Bucket | str = "calendar",
    start_event: EventSpec | None = None,
    return_event: EventSpec | None = None,
    min_occurrences: int = 1,
    start: DateLike | None = None,
    end: DateLike | None = None,
    week_start: WeekStart | int | None = None,
    tz: str | None = None,
    breakdown: Any = None,
    as_of: DateLike | None = None,
    strict: bool | None = None,
) -> RetentionResult:
    """Share of each cohort active again k periods after it started (留存).

    Parameters
    ----------
    events : EventLog, LazyEventLog or DataFrame
        The events (a frame needs ``user_id``, ``event`` and ``timestamp`` columns).
    period : {"hour", "day", "week", "month"}, default "week"
        Length of a cohort period and of a return period.
    periods : int, default 12
        Number of offsets k = 0 ... periods - 1 (the columns).  Without ``start`` it is also the
        number of cohorts: the range is the ``periods`` periods ending with the one containing
        ``end`` (PostHog's ``totalIntervals``).  With ``start``, every period of the range is
        a cohort row; cells whose period lies after the range are ``<NA>``.
    cohort : {"recurring", "first_time"}, default "recurring"
        ``"recurring"``: a user joins the cohort of every period in which they did the start
        event (PostHog's default).  ``"first_time"``: a user joins one cohort only, the period
        of their first start event ever, looking at all history up to ``as_of`` (not only the
        range); users whose first start event is before the range are in no cohort.
    mode : {"on", "on_or_after"}, default "on"
        ``"on"``: cell k counts members who did the return event in the k-th period after the
        cohort period (PostHog's default).  ``"on_or_after"``: in that period or any later one
        inside the range (PostHog's cumulative, Mixpanel's default, Amplitude's "unbounded").
    bucket : {"calendar", "rolling"}, default "calendar"
        ``"calendar"``: periods are calendar hours, days, weeks or months in ``tz`` (PostHog).
        ``"rolling"``: return periods are windows of exactly one period length (1 h, 24 h or
        7 x 24 h) counted from the member's first start event in the cohort period (Amplitude's
        default "N-day" retention uses 24-hour windows); cohorts are still calendar periods.
        Not available for months, which have no fixed length.
    start_event, return_event : str, (str, dict) or list of them, optional
        What makes a user join a cohort, and what counts as returning.  A name, a name with a
        property filter ``("purchase", {"plan": "pro"})`` (a list/tuple/set value matches any
        of its elements), or a list of those (any of them).  Default: any event.
    min_occurrences : int, default 1
        A return period counts only if the user did at least this many return events in it
        (in the same window for ``bucket="rolling"``).  The cohort column is not subject to it.
        With ``mode="on_or_after"`` a user counts at k when some period at or after k reaches
        the minimum.
    start, end : str, datetime or Timestamp, optional
        The date range (naive values are read in ``tz``).  The range runs from the period
        containing ``start`` to the period containing ``end``, both included whole: events
        after ``end`` in its period count.  Default ``end``: ``as_of``.  Default ``start``:
        ``periods - 1`` periods before the period of ``end``.
    week_start : str or int, optional
        First day of a week for ``period="week"`` (``"sunday"`` is PostHog's default); default
        the log's.
    tz : str, optional
        IANA time zone of the calendar; default the log's.
    breakdown : str, mapping, pandas.Series or collection of user ids, optional
        Split every cohort by a user attribute: the name of a property column of the log (the
        user's latest non-null value at ``as_of``), a mapping or Series ``user_id -> group``,
        or a segment membership (a boolean Series indexed by user id, or a collection of the
        member ids: groups ``True``/``False``).  Users without a value form the group
        ``"(none)"``, so the groups add up to the whole.
    as_of : str, datetime or Timestamp, optional
        The "now": events after it are ignored, periods not ended by then are marked
        incomplete, and no cohort starting at or after it is shown (see the as_of policy in
        the conventions page).  Default: the log's ``as_of`` (its last event unless given).
    strict : bool, optional
        Raise for start or return events the log does not know, instead of counting them as
        zero with an :class:`~useropslib.exceptions.UnknownEventWarning`.  Default: the
        library-wide setting (:func:`useropslib.events.set_strict_events`).

    Returns
    -------
    RetentionResult
        ``counts`` (column 0 = cohort size), ``rates``, ``incomplete``, ``mean`` (weighted and
        simple), ``to_frame()``, ``curve()``, ``flattening_period()``, ``plot()``.

    Raises
    ------
    InvalidParameterError
        Unknown event names (close names are listed), an unknown property in a filter,
        ``periods < 1``, ``min_occurrences < 1``, an end before the start, an unsupported
        period (or a rolling month), an unknown option value, a breakdown column the log does
        not have, an invalid time zone or week start, or a result of more than 50 million
        cells.

    Warns
    -----
    InsufficientDataWarning
        When no user joins any cohort in the range (the result then holds zero counts), or the
        log has no events at all (the result then has no rows).

    See Also
    --------
    useropslib.events.user_periods : the (user, period) roll-up.

    Notes
    -----
    Conventions and the peers they match:

    * Cells are counted over partial periods, as PostHog does: the period containing
      ``as_of`` is counted with the events seen so far and flagged in ``incomplete``; the
      ``mean`` rows skip incomplete cells so a running period does not look like a drop.
      A cell is incomplete when its own period (for ``bucket="rolling"``: some member's
      window) ends after ``as_of`` or after the range; with ``mode="on_or_after"`` a complete
      cell can still grow while a later period of the range is running.
    * ``cohort="recurring"``, ``mode="on"``, ``bucket="calendar"`` and a range given by its end
      and ``periods`` reproduce PostHog's retention insight (``retention_recurring``,
      ``totalIntervals``); ``cohort="first_time"`` is PostHog's ``retention_first_time``;
      ``mode="on_or_after"`` is its ``cumulative`` option; ``min_occurrences`` its
      ``minimumOccurrences``.  PostHog weeks start on Sunday by default: pass
      ``week_start="sunday"`` to match.
    * ``mode="on_or_after"`` is Mixpanel's default and Amplitude's "unbounded" retention.
    * ``bucket="rolling"`` is Amplitude's default N-day retention (24-hour windows from the
      start event).  With ``cohort="recurring"`` the windows start at the member's first start
      event in that cohort period.
    * Identity merging happens once, when the EventLog is built (PostHog's persons).

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({
    ...     "user_id": ["a", "a", "a", "b", "b", "c"],
    ...     "event": ["signup", "open", "open", "signup", "open", "signup"],
    ...     "timestamp": pd.to_datetime(["2024-01-01", "2024-01-09", "2024-01-16",
    ...                                  "2024-01-02", "2024-01-17", "2024-01-08"], utc=True),
    ... })
    >>> res = retention(df, period="week", periods=3, cohort="first_time",
    ...                 start_event="signup", return_event="open")
    >>> res.counts
    k                          0     1     2
    cohort
    2024-01-01 00:00:00+00:00  2     1     2
    2024-01-08 00:00:00+00:00  1     0  <NA>
    2024-01-15 00:00:00+00:00  0  <NA>  <NA>
    >>> res.rates.round(2)
    k                            0    1    2
    cohort
    2024-01-01 00:00:00+00:00  1.0  0.5  1.0
    2024-01-08 00:00:00+00:00  1.0  0.0  NaN
    2024-01-15 00:00:00+00:00  NaN  NaN  NaN
    >>> retention(df, period="week", periods=3, cohort="first_time", mode="on_or_after",
    ...           start_event="signup", return_event="open").counts[1].tolist()
    [2, 0, <NA>]
    """
    p = parse_period(period)
    n_k = check_int(periods, "periods", hint="the number of periods to show, e.g. periods=12")
    coh = check_choice(cohort, _COHORTS, "cohort", hint="'recurring' is PostHog's default")
    md = check_choice(mode, _MODES, "mode", hint="'on_or_after' counts returns at k or later")
    bk = check_choice(bucket, _BUCKETS, "bucket", hint="'rolling' uses 24-hour windows")
    min_occ = check_int(
        min_occurrences, "min_occurrences", hint="the return events needed per period, e.g. 1"
    )
    if bk == "rolling" and p not in _WINDOW_NS:
        raise InvalidParameterError(
            f"bucket='rolling' needs a period of fixed length, got period={p!r}. Expected "
            "'hour', 'day' or 'week'. Hint: use bucket='calendar' for calendar months, or "
            "period='week' for rolling 7-day windows."
        )
    s_sel = EventSelector.parse(start_event, param="start_event", strict=strict)
    r_sel = EventSelector.parse(return_event, param="return_event", strict=strict)
    # calendar buckets with one qualifying event per period need presence per (user, event,
    # local period) only, so a lazy log's roll-up suffices; rolling buckets, counting events
    # and property breakdowns need the rows
    exact_rows = bk != "calendar" or min_occ != 1 or isinstance(breakdown, str)
    from useropslib.metrics._lazycal import (
        engine_retention_counts,
        engine_retention_log,
        engine_retention_ready,
    )

    engine = engine_retention_ready(events, s_sel, r_sel, bk, breakdown)  # cells in the engine
    log = (
        engine_retention_log(events, s_sel, r_sel, as_of, tz)
        if engine
        else load(
            events, s_sel, r_sel, grain=None if exact_rows else p, tz=tz, week_start=week_start
        )
    )
    check_grain(log, "events" if exact_rows else p, "retention")
    z = log.tz if tz is None else check_tz(tz)
    ws = log.week_start if week_start is None else parse_week_start(week_start)
    s_mask = s_sel.mask(log)
    r_mask = r_sel.mask(log)

    when = resolve_as_of(log, as_of, tz=z)
    asof_ns = None if when is None else when.ns
    start_ns = check_instant(start, tz=z, name="start")
    end_ns = check_instant(end, tz=z, name="end")
    # the last period shown: the one holding `end`, else the last one before as_of's horizon
    end_code_ns = end_ns if end_ns is not None or when is None else when.horizon_ns - 1
    if end_ns is None:
        end_ns = asof_ns
    if start_ns is not None and end_ns is not None and end_ns < start_ns:
        given = f"end={end!r}" if end is not None else f"end (default as_of={_stamp(end_ns, z)})"
        raise InvalidParameterError(
            f"The range ends before it starts: {given} is before start={start!r}. Expected "
            "start <= end. Hint: swap them, or pass a later end/as_of."
        )
    ug = resolve_groups(log, breakdown, as_of_ns=asof_ns)
    if ug is None:
        groups, labels, bd_name = (
            np.zeros(len(log.users), dtype=np.int64),
            pd.Index([None], dtype=object),
            None,
        )
    else:
        groups, labels, bd_name = ug.codes, ug.labels, ug.name

    params: dict[str, Any] = {
        "period": p,
        "periods": n_k,
        "cohort": coh,
        "mode": md,
        "bucket": bk,
        "start_event": start_event,
        "return_event": return_event,
        "min_occurrences": min_occ,
        "start": None,
        "end": None,
        "week_start": _WEEKDAYS[ws],
        "tz": z,
        "breakdown": bd_name,
    }
    as_of_ts = None if asof_ns is None else _stamp(asof_ns, z)
    cols = pd.RangeIndex(n_k, name="k")

    if end_ns is None:  # an empty log and no range given: nothing to anchor periods to
        warn_empty(
            "The event log has no events and no end or as_of was given, so there are no cohorts",
            hint="pass end= (or as_of=) to get the range's empty cohorts",
        )
        return _empty_result(params, as_of_ts, cols, labels)

    def code_of(ns: int) -> int:
        return int(period_codes(np.array([ns], dtype=np.int64), p, tz=z, week_start=ws)[0])

    assert end_code_ns is not None
    last = code_of(max(end_code_ns, start_ns) if start_ns is not None else end_code_ns)
    first = code_of(start_ns) if start_ns is not None else last - n_k + 1
    n_coh = last - first + 1
    n_cells = n_coh * n_k * len(labels)
    if n_cells > _MAX_CELLS:
        raise InvalidParameterError(
            f"The result would have {n_cells:,} cells ({n_coh:,} cohorts x {n_k:,} periods x "
            f"{len(labels):,} breakdown groups); at most {_MAX_CELLS:,} are supported. Hint: "
            "use fewer periods, a shorter range, or a longer period (e.g. 'week' for 'day')."
        )
    bounds_ns = _starts_ns(np.arange(first, last + 2, dtype=np.int64), p, z, ws)
    params["start"] = _stamp(int(bounds_ns[0]), z)
    params["end"] = _stamp(int(bounds_ns[-1]), z)
    eff_asof = _INT64_MAX if asof_ns is None else asof_ns

    layout = _Layout.build(groups, len(labels))
    n_groups = len(labels)
    users: npt.NDArray[np.int32]
    if bk == "calendar" and log.n_events and has_user_index(log):
        # in the order of the per-user index, when the log holds one: each user's events in
        # time order, so repeats of a (user, period) pair are neighbours, dropped before any
        # scatter
        users, ts, codes, offsets, s_mask, r_mask = _index_order(log, p, z, ws, s_mask, r_mask)
    else:
        codes = (
            log.period_codes(p, tz=z, week_start=ws)
            if log.n_events
            else np.empty(0, dtype=np.int64)
        )
        users = log.user_codes
        ts = log.timestamps_ns
        offsets = None
    need_asof = asof_ns is not None and log.as_of_ns is not None and asof_ns < log.as_of_ns
    known = (ts <= eff_asof) if need_asof else None
    if offsets is not None:  # the index's codes are this call's own: shifted in place
        rel = codes
        rel -= first
    else:
        rel = codes - first  # period index from the first cohort; negative before it
    in_range = rel.view(np.uint64) <= np.uint64(last - first)  # 0 <= rel <= last - first
    if known is not None:
        in_range &= known
    ret_sel = in_range if r_mask is None else in_range & r_mask

    if bk == "calendar":
        # a return counts once per (user, period) unless min_occurrences counts the events
        ret_u, ret_i = _selected_pairs(
            users, rel, ret_sel, starts=offsets if min_occ == 1 else None, holes=r_mask is not None
        )
        ret_row = layout.rows(ret_u)
        if coh == "recurring" and s_mask is None and r_mask is None:
            coh_row, coh_i = ret_row, ret_i  # the same arrays: the kernel shares its grid
        elif coh == "recurring":
            sel = in_range if s_mask is None else in_range & s_mask
            coh_u, coh_i = _selected_pairs(
                users, rel, sel, starts=offsets, holes=s_mask is not None
            )
            coh_row = layout.rows(coh_u)
        else:
            coh_user, coh_i = _first_time_calendar(users, rel, s_mask, known, 0, n_coh)
            coh_row = layout.rows(coh_user)
        counts3 = _calendar_counts(
            coh_row,
            coh_i,
            ret_row,
            ret_i,
            layout=layout,
            n_coh=n_coh,
            n_k=n_k,
            min_occ=min_occ,
            mode=md,
        )
        end_of = bounds_ns[1:]  # end of period i (exclusive), i = 0 .. n_coh - 1
        inc_period = end_of > eff_asof
        ii, kk = np.indices((n_coh, n_k))
        inc2 = inc_period[np.minimum(ii + kk, n_coh - 1)]
        incomplete3 = np.broadcast_to(inc2, (layout.n_total, n_coh, n_k)).copy()
    else:
        ret_row = layout.rows(users[ret_sel])
        ret_i = rel[ret_sel]
        window = _WINDOW_NS[p]
        if coh == "recurring":
            sel = in_range if s_mask is None else in_range & s_mask
            pr, pi, pt = _first_per_key(layout.rows(users[sel]), rel[sel], ts[sel], n_coh)
        else:
            pr, pi, pt = _first_time_rolling(
                users, ts, s_mask, known, layout.row_of_user, p, z, ws, first, n_coh
            )
        counts3, max_t0 = _rolling_counts(
            pr,
            pi,
            pt,
            ret_row,
            ret_i,
            ts[ret_sel],
            layout=layout,
            window=window,
            n_coh=n_coh,
            n_k=n_k,
            min_occ=min_occ,
            mode=md,
        )
        cutoff = min(eff_asof, int(bounds_ns[-1]))
        end_of = bounds_ns[1:]
        kk = np.arange(n_k, dtype=np.int64)
        # latest window end of any member; empty cohorts use the latest possible start
        t0_hi = np.where(max_t0 == _INT64_MIN, end_of[None, :] - 1, max_t0)
        win_end = t0_hi[:, :, None] + (kk[None, None, :] + 1) * window
        incomplete3 = (win_end > cutoff) & (kk[None, None, :] >= 1)
        incomplete3 |= (end_of > eff_asof)[None, :, None]

    if engine:  # the kernel above saw no rows: the engine counted the cells
        counts3 = engine_retention_counts(
            events, log=log, start=s_sel, ret=r_sel, period=p, tz=z, week_start=ws,
            as_of_ns=asof_ns, first=first, last=last, n_k=n_k, min_occurrences=min_occ,
            mode=md, cohort=coh,
        )  # fmt: skip
    counts3 = counts3[:n_groups]
    incomplete3 = incomplete3[:n_groups]
    if int(counts3[:, :, 0].sum()) == 0:
        warnings.warn(
            f"No user joined a cohort between {params['start']} and {params['end']} (as_of "
            f"{as_of_ts}); every count is 0. Hint: check start_event, the range and as_of.",
            InsufficientDataWarning,
            stacklevel=2,
        )
    cohorts = period_starts(np.arange(first, last + 1, dtype=np.int64), p, tz=z, week_start=ws)
    return _build_result(counts3, incomplete3, cohorts, labels, cols, params, as_of_ts)


# ============================================================================ validation


# ============================================================================ helpers


def _index_order(
    log: Any, period: str, tz: str, ws: int, s_mask: Bools | None, r_mask: Bools | None
) -> tuple[npt.NDArray[np.int32], I64, I64, I64, Bools | None, Bools | None]:
    """User codes, times, period codes and event masks in the order of the per-user index.

    Also returns the index's offsets (the first position of each user's run).
    """
    idx = user_index(log)
    ts = idx.times()
    codes = period_codes(ts, period, tz=tz, week_start=ws)
    s_mask = None if s_mask is None else idx.take(s_mask)
    r_mask = None if r_mask is None else (s_mask if r_mask is s_mask else idx.take(r_mask))
    return idx.users(), ts, codes, idx.offsets, s_mask, r_mask


def _selected_pairs(
    users: npt.NDArray[np.int32],
    rel: I64,
    sel: Bools,
    *,
    starts: I64 | None,
    holes: bool,
) -> tuple[npt.NDArray[np.int32], I64]:
    """Return (user, period) of the selected events, repeats of a neighbour dropped.

    With ``starts`` (the first position of each user's run in index order) an event repeating
    the selected event before it is dropped; without, every selected event is kept.  Repeats
    of a pair are neighbours in index order (each user's events by time), so this is one
    comparison with the previous event instead of a hash or a sort.  A period code that
    steps back in time (a zone's clock moving back over midnight) leaves a repeat in: the
    kernels take repeated pairs, the dedupe only makes their input smaller.  ``holes`` says
    that ``sel`` may skip events inside a run of one pair (an event mask); the range and
    ``as_of`` cannot, as they select by period and time.
    """
    if starts is None:
        return users[sel], rel[sel]
    n = users.size
    new = np.empty(n, dtype=bool)
    if n:
        new[0] = True
        np.not_equal(rel[1:], rel[:-1], out=new[1:])
        new[starts[starts < n]] = True  # a user's first event
    if holes and n > 1:
        new[1:] |= ~sel[:-1]  # the selected event before it was not kept: keep this one
    new &= sel
    pos = np.flatnonzero(new)  # fewer passes than two boolean selections
    return users.take(pos), rel.take(pos)


def _starts_ns(codes: I64, period: str, tz: str, ws: int) -> I64:
    idx = period_starts(codes, period, tz=tz, week_start=ws)
    return np.asarray(idx.as_unit("ns").asi8, dtype=np.int64)


@dataclasses.dataclass(frozen=True)
class _Layout:
    """User rows ordered by breakdown group; users with no group sit in a last, unreported one."""

    row_of_user: I64
    group_of_row: I64
    bounds: I64
    n_total: int

    def rows(self, user_codes: npt.NDArray[np.integer[Any]]) -> I64:
        """Rows of the given user codes (the codes themselves without a breakdown)."""
        if self.n_total == 1:
            return user_codes.astype(np.int64)
        out: I64 = self.row_of_user[user_codes]
        return out

    @classmethod
    def build(cls, groups: I64, n_groups: int) -> _Layout:
        n = groups.size
        g = np.where(groups < 0, n_groups, groups)
        n_total = n_groups + 1 if bool((groups < 0).any()) else n_groups
        if n_total == 1:
            row = np.arange(n, dtype=np.int64)
            return cls(row, np.zeros(n, dtype=np.int64), np.array([0, n], dtype=np.int64), 1)
        order = np.argsort(g, kind="stable")
        row = np.empty(n, dtype=np.int64)
        row[order] = np.arange(n, dtype=np.int64)
        sizes = np.bincount(g, minlength=n_total)
        bounds = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
        return cls(row, g[order].astype(np.int64), bounds, n_total)


def _first_time_calendar(
    users: npt.NDArray[np.int32],
    codes: I64,
    s_mask: Bools | None,
    known: Bools | None,
    first: int,
    n_coh: int,
) -> tuple[I64, I64]:
    """Users whose first start period (all history) falls in the range, and its index."""
    sel = s_mask
    if known is not None:
        sel = known if sel is None else sel & known
    u = users if sel is None else users[sel]
    c = codes if sel is None else codes[sel]
    n_users = int(users.max()) + 1 if users.size else 0
    first_code = np.full(n_users, _INT64_MAX, dtype=np.int64)
    np.minimum.at(first_code, u, c)
    rel = first_code - first
    who = np.flatnonzero((first_code != _INT64_MAX) & (rel >= 0) & (rel < n_coh))
    return who.astype(np.int64), rel[who]


def _first_time_rolling(
    users: npt.NDArray[np.int32],
    ts: I64,
    s_mask: Bools | None,
    known: Bools | None,
    row_of_user: I64,
    period: str,
    tz: str,
    ws: int,
    first: int,
    n_coh: int,
) -> tuple[I64, I64, I64]:
    """Cohort entries (row, period index, first start time) for first-time rolling retention."""
    sel = s_mask
    if known is not None:
        sel = known if sel is None else sel & known
    u = users if sel is None else users[sel]
    t = ts if sel is None else ts[sel]
    n_users = int(users.max()) + 1 if users.size else 0
    t0 = np.full(n_users, _INT64_MAX, dtype=np.int64)
    np.minimum.at(t0, u, t)
    who = np.flatnonzero(t0 != _INT64_MAX)
    rel = period_codes(t0[who], period, tz=tz, week_start=ws) - first
    ok = (rel >= 0) & (rel < n_coh)
    rows, rel_ok, t_ok = row_of_user[who[ok]], rel[ok], t0[who[ok]]
    order = np.lexsort((rel_ok, rows))
    return rows[order], rel_ok[order], t_ok[order]


def _first_per_key(rows: I64, rel: I64, ts: I64, n_coh: int) -> tuple[I64, I64, I64]:
    """Distinct (row, period) pairs sorted, with the earliest time of each."""
    key = rows * n_coh + rel
    order = np.lexsort((ts, key))
    ks = key[order]
    head = np.r_[True, ks[1:] != ks[:-1]] if ks.size else np.zeros(0, dtype=bool)
    uk = ks[head]
    return uk // n_coh, uk % n_coh, ts[order][head]


def _unique_counts(keys: I64) -> tuple[I64, I64]:
    """Sorted distinct keys and how often each occurs.

    Sort-based on purpose: numpy 2's hash-based ``np.unique`` is far slower on large int64
    arrays (seconds for a few million keys).
    """
    s = np.sort(keys)
    if s.size == 0:
        return s, np.empty(0, dtype=np.int64)
    starts = np.flatnonzero(np.r_[True, s[1:] != s[:-1]])
    counts = np.diff(np.r_[starts, s.size]).astype(np.int64)
    return s[starts], counts


def _expand(lo: I64, hi: I64) -> Iterator[tuple[I64, I64]]:
    """Yield (query index, target index) for every target in [lo[q], hi[q]), in bounded chunks."""
    n = np.maximum(hi - lo, 0)
    cs = np.cumsum(n)
    total = int(cs[-1]) if cs.size else 0
    q0 = 0
    done = 0
    while done < total:
        q1 = int(np.searchsorted(cs, done + _PAIR_CHUNK, side="right"))
        q1 = max(q1, q0 + 1)
        nn = n[q0:q1]
        size = int(nn.sum())
        q = np.repeat(np.arange(q0, q1, dtype=np.int64), nn)
        offsets = np.repeat(np.cumsum(nn) - nn, nn)
        target = np.repeat(lo[q0:q1], nn) + (np.arange(size, dtype=np.int64) - offsets)
        yield q, target
        done += size
        q0 = q1


def _calendar_counts(
    coh_row: I64,
    coh_i: I64,
    ret_row: I64,
    ret_j: I64,
    *,
    layout: _Layout,
    n_coh: int,
    n_k: int,
    min_occ: int,
    mode: str,
    kernel: Literal["auto", "dense", "sparse"] = "auto",
) -> I64:
    """Cohort x offset counts per group for calendar periods; shape (groups, n_coh, n_k)."""
    n_rows = int(layout.row_of_user.size)
    cells = n_rows * n_coh
    n_in = int(coh_row.size + ret_row.size)
    if kernel == "auto":
        dense = n_coh <= _DENSE_MAX_PERIODS and cells <= max(
            _DENSE_CELLS_PER_INPUT * n_in, _DENSE_MIN_CELLS
        )
        kernel = "dense" if dense else "sparse"
    if kernel == "dense":
        return _calendar_dense(coh_row, coh_i, ret_row, ret_j, layout, n_coh, n_k, min_occ, mode)
    return _calendar_sparse(coh_row, coh_i, ret_row, ret_j, layout, n_coh, n_k, min_occ, mode)


def _calendar_dense(
    coh_row: I64,
    coh_i: I64,
    ret_row: I64,
    ret_j: I64,
    layout: _Layout,
    n_coh: int,
    n_k: int,
    min_occ: int,
    mode: str,
) -> I64:
    n_rows = int(layout.row_of_user.size)
    cells = n_rows * n_coh
    shared = coh_row is ret_row and coh_i is ret_j
    if shared and min_occ == 1 and mode == "on" and n_coh <= _MASK_MAX_SHARED:
        # each row's bit mask straight from its (row, period) entries: no boolean grid
        masks = np.zeros(n_rows, dtype=np.int64)
        np.bitwise_or.at(masks, coh_row, np.left_shift(1, coh_i))
        out = np.zeros((layout.n_total, n_coh, n_k), dtype=np.int64)
        for g in range(layout.n_total):
            lo, hi = int(layout.bounds[g]), int(layout.bounds[g + 1])
            sizes, co = _cooccurrence_of_masks(masks[lo:hi], None, n_coh)
            out[g, :, 0] = sizes
            for k in range(1, min(n_k, n_coh)):
                out[g, : n_coh - k, k] = np.diagonal(co, offset=k)
        return out
    rkey = ret_row * n_coh + ret_j
    coh = np.zeros(cells, dtype=bool)
    coh[rkey if shared else coh_row * n_coh + coh_i] = True
    coh2 = coh.reshape(n_rows, n_coh)
    if min_occ == 1 and shared:
        ret = coh
    elif min_occ == 1:
        ret = np.zeros(cells, dtype=bool)
        ret[rkey] = True
    elif cells <= 2 * rkey.size:
        ret = np.bincount(rkey, minlength=cells) >= min_occ
    else:  # a full int64 count grid would dwarf the input: count the distinct keys instead
        ret = np.zeros(cells, dtype=bool)
        uniq, cnt = _unique_counts(rkey)
        ret[uniq[cnt >= min_occ]] = True
    ret2 = ret.reshape(n_rows, n_coh)
    if mode == "on_or_after":
        ret2 = np.logical_or.accumulate(ret2[:, ::-1], axis=1)[:, ::-1]
    out = np.zeros((layout.n_total, n_coh, n_k), dtype=np.int64)
    top = min(n_k, n_coh)
    same_grid = ret is coh and mode != "on_or_after"  # return grid == cohort grid
    for g in range(layout.n_total):
        lo, hi = int(layout.bounds[g]), int(layout.bounds[g + 1])
        if n_coh <= (_MASK_MAX_SHARED if same_grid else _MASK_MAX_PAIRS):
            sizes, co = _cooccurrence_by_masks(coh2[lo:hi], None if same_grid else ret2[lo:hi])
            out[g, :, 0] = sizes
            for k in range(1, top):
                out[g, : n_coh - k, k] = np.diagonal(co, offset=k)
            continue
        co = np.zeros((n_coh, n_coh), dtype=np.int64)
        sizes = np.zeros(n_coh, dtype=np.int64)
        for a in range(lo, hi, _ROW_CHUNK):
            b = min(a + _ROW_CHUNK, hi)
            block = coh2[a:b]
            sizes += np.count_nonzero(block, axis=0)
            prod = block.astype(np.float32).T @ ret2[a:b].astype(np.float32)
            co += np.rint(prod).astype(np.int64)
        out[g, :, 0] = sizes
        for k in range(1, top):
            out[g, : n_coh - k, k] = np.diagonal(co, offset=k)
    return out


def _row_masks(grid: npt.NDArray[np.bool_]) -> I64:
    """Return each row of a (rows, periods <= 32) boolean grid as one bit mask (bit i: column i)."""
    packed = np.packbits(grid, axis=1, bitorder="little")  # (rows, ceil(periods / 8)) bytes
    wide = np.zeros((grid.shape[0], 8), dtype=np.uint8)
    wide[:, : packed.shape[1]] = packed
    out: I64 = wide.view("<u8").ravel().astype(np.int64)
    return out


def _cooccurrence_by_masks(
    coh: npt.NDArray[np.bool_], ret: npt.NDArray[np.bool_] | None
) -> tuple[I64, I64]:
    """Return cohort sizes and ``co[i, j]``, the rows with ``coh[:, i]`` and ``ret[:, j]``.

    ``ret`` None means the return grid is the cohort grid.

    Rows are counted per distinct (cohort mask, return mask) pair with one ``bincount``, and
    only the few distinct masks are expanded to bits; no floating-point product, no BLAS.
    """
    return _cooccurrence_of_masks(
        _row_masks(coh), None if ret is None else _row_masks(ret), coh.shape[1]
    )


def _cooccurrence_of_masks(cm: I64, rm: I64 | None, n_coh: int) -> tuple[I64, I64]:
    """:func:`_cooccurrence_by_masks` from the rows' bit masks (``rm`` None: the same)."""
    if rm is None:
        key, n_keys = cm, 1 << n_coh
    else:
        key = cm << n_coh
        key |= rm
        n_keys = 1 << (2 * n_coh)
    counts = np.bincount(key, minlength=n_keys)
    present = np.flatnonzero(counts)
    weight = counts[present]
    bits = np.arange(n_coh, dtype=np.int64)
    if rm is None:
        c_bits = (present[:, None] >> bits) & 1
        r_bits = c_bits
    else:
        c_bits = ((present >> n_coh)[:, None] >> bits) & 1
        r_bits = (present[:, None] >> bits) & 1
    sizes = (c_bits * weight[:, None]).sum(axis=0)
    co: I64 = (c_bits * weight[:, None]).T @ r_bits
    return sizes.astype(np.int64), co.astype(np.int64)


def _calendar_sparse(
    coh_row: I64,
    coh_i: I64,
    ret_row: I64,
    ret_j: I64,
    layout: _Layout,
    n_coh: int,
    n_k: int,
    min_occ: int,
    mode: str,
) -> I64:
    n_g = layout.n_total
    ck = _unique_counts(coh_row * n_coh + coh_i)[0]
    rk_all = ret_row * n_coh + ret_j
    uniq, cnt = _unique_counts(rk_all)
    rk = uniq if min_occ == 1 else uniq[cnt >= min_occ]
    c_row, c_i = ck // n_coh, ck % n_coh
    base = layout.group_of_row[c_row] * n_coh + c_i  # (group, cohort) row of the output
    flat = np.zeros(n_g * n_coh * n_k, dtype=np.int64)
    flat[::n_k] = np.bincount(base, minlength=n_g * n_coh)
    if mode == "on":
        lo = np.searchsorted(rk, ck, side="right")
        hi = np.searchsorted(rk, c_row * n_coh + np.minimum(c_i + n_k, n_coh), side="left")
        for q, t in _expand(lo, hi):
            k = rk[t] % n_coh - c_i[q]
            flat += np.bincount(base[q] * n_k + k, minlength=flat.size)
        return flat.reshape(n_g, n_coh, n_k)
    # on or after: the last return period of each user decides every cell of the row
    r_row = rk // n_coh
    last = np.full(int(layout.row_of_user.size), -1, dtype=np.int64)
    if rk.size:
        ends = np.flatnonzero(np.r_[r_row[1:] != r_row[:-1], True])
        last[r_row[ends]] = rk[ends] % n_coh
    d = np.minimum(last[c_row] - c_i, n_k - 1)
    ok = d >= 1
    hist = np.bincount(base[ok] * n_k + d[ok], minlength=flat.size).reshape(n_g, n_coh, n_k)
    out = flat.reshape(n_g, n_coh, n_k)
    out[:, :, 1:] = np.cumsum(hist[:, :, ::-1], axis=2)[:, :, ::-1][:, :, 1:]
    return out


def _rolling_counts(
    pair_row: I64,
    pair_i: I64,
    pair_t0: I64,
    ev_row: I64,
    ev_c: I64,
    ev_t: I64,
    *,
    layout: _Layout,
    window: int,
    n_coh: int,
    n_k: int,
    min_occ: int,
    mode: str,
) -> tuple[I64, I64]:
    """Count returns in rolling windows from each cohort entry's start; also max t0 per row.

    ``pair_*`` are the cohort entries (row, period index, start time) sorted by (row, index);
    ``ev_*`` the return events (row, calendar index, time).  Window k of an entry is
    ``[t0 + k * window, t0 + (k + 1) * window)``.
    """
    n_g = layout.n_total
    base = layout.group_of_row[pair_row] * n_coh + pair_i
    flat = np.zeros(n_g * n_coh * n_k, dtype=np.int64)
    flat[::n_k] = np.bincount(base, minlength=n_g * n_coh)
    max_t0 = np.full(n_g * n_coh, _INT64_MIN, dtype=np.int64)
    np.maximum.at(max_t0, base, pair_t0)
    max_t0_3 = max_t0.reshape(n_g, n_coh)
    n_rows = int(layout.row_of_user.size)
    out = flat.reshape(n_g, n_coh, n_k)

    if mode == "on_or_after" and min_occ == 1:
        last_t = np.full(n_rows, _INT64_MIN, dtype=np.int64)
        np.maximum.at(last_t, ev_row, ev_t)
        lt = last_t[pair_row]
        has = lt >= pair_t0
        d = np.zeros(pair_row.size, dtype=np.int64)
        d[has] = (lt[has] - pair_t0[has]) // window
        d = np.minimum(d, n_k - 1)
        ok = d >= 1
        hist = np.bincount(base[ok] * n_k + d[ok], minlength=flat.size).reshape(out.shape)
        out[:, :, 1:] = np.cumsum(hist[:, :, ::-1], axis=2)[:, :, ::-1][:, :, 1:]
        return out, max_t0_3

    # join each return event to its user's cohort entries that can hold it in a window, and
    # count events per (entry, window): in a dense grid when it is small, else by sorting
    margin = n_k + 3  # calendar periods may be shorter than the window around DST changes
    width = n_k if mode == "on" else n_coh + margin + 2
    n_cells = pair_row.size * width
    limit = _ROLLING_GRID_PER_EVENT * ev_row.size // (1 if min_occ == 1 else 4)
    grid = None
    if n_cells <= max(limit, _DENSE_MIN_CELLS // 8):
        grid = np.zeros(n_cells, dtype=bool if min_occ == 1 else np.int64)
    keys: list[I64] = []
    weights: list[I64] = []

    def add(j: I64, k: I64) -> None:
        keep = (k >= 1) & (k < width)
        kk = j[keep] * width + k[keep]
        if grid is None:
            uk, cnt = _unique_counts(kk)
            keys.append(uk)
            weights.append(cnt)
        elif min_occ == 1:
            grid[kk] = True
        else:
            np.add.at(grid, kk, 1)

    one_each = pair_row.size == 0 or bool(np.all(pair_row[1:] != pair_row[:-1]))
    if one_each:  # first-time cohorts: each user has at most one entry, no search needed
        entry = np.full(n_rows, -1, dtype=np.int64)
        entry[pair_row] = np.arange(pair_row.size, dtype=np.int64)
        j_all = entry[ev_row]
        has = j_all >= 0
        j_ev = j_all[has]
        add(j_ev, (ev_t[has] - pair_t0[j_ev]) // window)
    else:
        stride = n_coh + margin + 1
        ck = pair_row * stride + pair_i + margin
        if mode == "on":
            back = np.maximum(ev_c - margin, -margin)
        else:
            back = np.full(ev_c.size, -margin, dtype=np.int64)
        lo = np.searchsorted(ck, ev_row * stride + back + margin, side="left")
        hi = np.searchsorted(ck, ev_row * stride + ev_c + margin, side="right")
        for q, j in _expand(lo, hi):
            add(j, (ev_t[q] - pair_t0[j]) // window)
    if grid is not None:
        hit = np.flatnonzero(grid if min_occ == 1 else grid >= min_occ).astype(np.int64)
    elif keys and sum(k.size for k in keys):
        all_k = np.concatenate(keys)
        all_w = np.concatenate(weights)
        order = np.argsort(all_k, kind="stable")
        sk = all_k[order]
        starts = np.flatnonzero(np.r_[True, sk[1:] != sk[:-1]])
        cnt = np.add.reduceat(all_w[order], starts)
        hit = sk[starts][cnt >= min_occ]
    else:
        hit = np.empty(0, dtype=np.int64)
    j_hit, k_hit = hit // width, hit % width
    if mode == "on":
        flat += np.bincount(base[j_hit] * n_k + k_hit, minlength=flat.size)
        return flat.reshape(n_g, n_coh, n_k), max_t0_3
    best = np.zeros(pair_row.size, dtype=np.int64)
    if hit.size:  # hits are sorted by (entry, window): the last of each entry is its latest
        last = np.flatnonzero(np.r_[j_hit[1:] != j_hit[:-1], True])
        best[j_hit[last]] = k_hit[last]
    d = np.minimum(best, n_k - 1)
    ok = d >= 1
    hist = np.bincount(base[ok] * n_k + d[ok], minlength=flat.size).reshape(out.shape)
    out[:, :, 1:] = np.cumsum(hist[:, :, ::-1], axis=2)[:, :, ::-1][:, :, 1:]
    return out, max_t0_3


def _mean_rows(
    counts: npt.NDArray[np.float64], incomplete: Bools
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Weighted and simple mean rows over complete, observable cells of non-empty cohorts."""
    sizes = counts[:, :1]
    use = ~np.isnan(counts) & ~incomplete & (sizes > 0)
    num = np.where(use, counts, 0.0).sum(axis=0)
    den = np.where(use, sizes, 0.0).sum(axis=0)
    n_use = use.sum(axis=0)
    safe_sizes = np.where(sizes > 0, sizes, 1.0)
    rate_sum = np.where(use, counts / safe_sizes, 0.0).sum(axis=0)
    weighted = np.full(counts.shape[1], np.nan)
    simple = np.full(counts.shape[1], np.nan)
    np.divide(num, den, out=weighted, where=den > 0)
    np.divide(rate_sum, n_use, out=simple, where=n_use > 0)
    return weighted, simple


def _build_result(
    counts3: I64,
    incomplete3: Bools,
    cohorts: pd.DatetimeIndex,
    labels: pd.Index,
    cols: pd.RangeIndex,
    params: dict[str, Any],
    as_of: pd.Timestamp | None,
) -> RetentionResult:
    n_g, n_coh, n_k = counts3.shape
    ii, kk = np.indices((n_coh, n_k))
    obs = np.broadcast_to(ii + kk <= n_coh - 1, counts3.shape)
    flat_counts = counts3.reshape(n_g * n_coh, n_k)
    flat_obs = obs.reshape(n_g * n_coh, n_k)
    cohorts = cohorts.rename("cohort")
    breakdown = params["breakdown"] is not None
    if breakdown:
        index: pd.Index = pd.MultiIndex.from_product(
            [labels, cohorts], names=["breakdown", "cohort"]
        )
    else:
        index = cohorts
    counts = pd.DataFrame(
        {k: pd.arrays.IntegerArray(flat_counts[:, k], ~flat_obs[:, k]) for k in range(n_k)},
        index=index,
    )
    counts.columns = cols
    as_float = np.where(flat_obs, flat_counts.astype(np.float64), np.nan)
    sizes = as_float[:, :1]
    rate_vals = np.full(as_float.shape, np.nan)
    np.divide(as_float, sizes, out=rate_vals, where=(sizes > 0) & flat_obs)
    rates = pd.DataFrame(rate_vals, index=index, columns=cols)
    inc = pd.DataFrame(incomplete3.reshape(n_g * n_coh, n_k) & flat_obs, index=index, columns=cols)
    rows = []
    for g in range(n_g):
        sl = slice(g * n_coh, (g + 1) * n_coh)
        w, s = _mean_rows(as_float[sl], inc.to_numpy(dtype=bool)[sl])
        rows.extend([w, s])
    if breakdown:
        m_index: pd.Index = pd.MultiIndex.from_product(
            [labels, list(_STATISTICS)], names=["breakdown", "statistic"]
        )
    else:
        m_index = pd.Index(list(_STATISTICS), name="statistic")
    mean_vals = np.vstack(rows) if rows else np.empty((0, n_k))
    mean = pd.DataFrame(mean_vals, index=m_index, columns=cols)
    return RetentionResult(
        params=params, as_of=as_of, counts=counts, rates=rates, incomplete=inc, mean=mean
    )


def _empty_result(
    params: dict[str, Any], as_of: pd.Timestamp | None, cols: pd.RangeIndex, labels: pd.Index
) -> RetentionResult:
    cohorts = pd.DatetimeIndex([], tz=params["tz"])
    n_g = len(labels)
    counts3 = np.zeros((n_g, 0, len(cols)), dtype=np.int64)
    return _build_result(
        counts3, np.zeros(counts3.shape, dtype=bool), cohorts, labels, cols, params, as_of
    )
