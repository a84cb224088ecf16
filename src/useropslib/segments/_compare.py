"""Segment comparison: sizes, overlaps and key metrics side by side, each tested vs the rest."""

from __future__ import annotations

import dataclasses
import math
import warnings
from collections.abc import Collection, Mapping, Sequence
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import pandas as pd

from useropslib import plotting
from useropslib._results import MetricResult
from useropslib.events import EventLog, EventsLike, LazyEventLog, as_event_log
from useropslib.events._time import stamp
from useropslib.exceptions import InsufficientDataWarning, InvalidParameterError, did_you_mean
from useropslib.metrics import funnel, retention
from useropslib.models import ChurnDefinition, DateLike, Period
from useropslib.models._types import window_ns
from useropslib.segments._lazyseg import lazy_compare_columns
from useropslib.segments._rfm import event_mask, resolve_as_of

__all__ = ["COMPARISON_METRICS", "SegmentComparison", "compare_segments"]

COMPARISON_METRICS: tuple[str, ...] = ("size", "retention", "conversion", "arpu", "churn_rate")
"""The metrics :func:`compare_segments` can put side by side."""

_MIN = np.iinfo(np.int64).min
_FUNNEL_WINDOW = "14D"  # useropslib.metrics.funnel's default window


def two_proportion_p_value(x1: int, n1: int, x2: int, n2: int) -> float:
    """Two-sided p-value of the pooled two-proportion z test (NaN when undefined).

    Examples
    --------
    >>> round(two_proportion_p_value(30, 100, 20, 100), 4)
    0.1025
    """
    if n1 == 0 or n2 == 0:
        return float("nan")
    pooled = (x1 + x2) / (n1 + n2)
    var = pooled * (1 - pooled) * (1 / n1 + 1 / n2)
    if var <= 0:
        return float("nan")
    z = (x1 / n1 - x2 / n2) / math.sqrt(var)
    return math.erfc(abs(z) / math.sqrt(2))  # two-sided normal tail, 2 * sf(|z|)


def _mean_p_value(a: npt.NDArray[np.float64], b: npt.NDArray[np.float64], test: str) -> float:
    from scipy import stats  # imported here: scipy.stats costs ~0.5 s at import

    if a.size < 2 or b.size < 2:
        return float("nan")
    if test == "welch":
        if np.var(a) == 0 and np.var(b) == 0:
            return float("nan")
        return float(stats.ttest_ind(a, b, equal_var=False).pvalue)
    if np.all(a == a[0]) and np.all(b == a[0]):
        return float("nan")
    return float(stats.mannwhitneyu(a, b, alternative="two-sided").pvalue)


@dataclasses.dataclass(frozen=True, repr=False)
class SegmentComparison(MetricResult):
    """Segments side by side.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per segment (index ``segment``, in the order given): ``size`` (distinct ids
        given), ``n_users`` (of them, users with an event at or before ``as_of``: the base of
        every rate) and, per metric, its value for the segment, for the rest of the users
        (``*_rest``) and the p-value of the test segment vs rest (``*_p_value``):
        ``retention_rate``, ``conversion_rate``, ``arpu``, ``churn_rate``.
    overlap : pandas.DataFrame
        Users in both segments (row, column), over the ids given; the diagonal is ``size``.
    params : dict
        The parameters used.
    as_of : pandas.Timestamp or None
        The date of the comparison.
    """

    table: pd.DataFrame
    overlap: pd.DataFrame

    def to_frame(self) -> pd.DataFrame:
        """Return ``table`` with the segment as a column.

        Returns
        -------
        pandas.DataFrame
        """
        out: pd.DataFrame = self.table.reset_index()
        return out

    def plot(self, ax: Any = None, *, metric: str = "n_users") -> Any:
        """Plot one column of ``table`` per segment as bars.

        Parameters
        ----------
        ax : matplotlib.axes.Axes, optional
            Where to draw; a new figure when omitted.
        metric : str, default "n_users"
            A column of ``table``.

        Returns
        -------
        matplotlib.axes.Axes

        Raises
        ------
        InvalidParameterError
            For a column the table does not have.
        """
        if metric not in self.table.columns:
            raise InvalidParameterError(
                f"Unknown metric={metric!r}. Expected a column of the table: "
                f"{list(self.table.columns)}."
            )
        return plotting.bars(
            [str(i) for i in self.table.index],
            self.table[metric],
            ax=ax,
            ylabel=metric,
            title="Segments compared",
        )


def _members(log: EventLog | LazyEventLog, name: str, ids: Any) -> pd.Index:
    if isinstance(ids, pd.Series) and pd.api.types.is_bool_dtype(ids.dtype):
        ids = ids.index[ids.to_numpy()]
    if isinstance(ids, str) or not isinstance(ids, Collection | pd.Index | np.ndarray):
        raise InvalidParameterError(
            f"Segment {name!r} must be a collection of user ids (or a boolean Series indexed by "
            f"user id), got {type(ids).__name__}. Hint: pass e.g. tags.select('vip')."
        )
    out: pd.Index = pd.Index(list(ids), dtype=object).unique()
    return out


def compare_segments(
    events: EventsLike,
    segments: Mapping[str, Any],
    *,
    metrics: Sequence[str] | None = None,
    as_of: DateLike | None = None,
    retention_period: Period | str = "week",
    retention_k: int = 1,
    conversion_event: str | Sequence[str] | None = None,
    conversion_steps: Sequence[Any] | None = None,
    conversion_window: Any = None,
    conversion_within: Any = None,
    arpu_within: Any = None,
    arpu_test: Literal["welch", "mannwhitney"] = "welch",
    churn_definition: ChurnDefinition | None = None,
) -> SegmentComparison:
    """Compare segments: sizes, overlaps, retention, conversion, ARPU and churn rate, with tests.

    Parameters
    ----------
    events : EventLog, LazyEventLog or DataFrame
        The events.
    segments : mapping of str to user ids
        Segment name -> its members (a collection of ids, or a boolean Series by user id).
    metrics : sequence of str, optional
        Any of ``COMPARISON_METRICS``.  Default: ``size``, ``retention`` and
        ``churn_rate``, plus ``conversion`` when ``conversion_event`` or ``conversion_steps`` is
        given and ``arpu`` when the log has values.
    as_of : str, datetime or Timestamp, optional
        The date of the comparison; later events are ignored.  Default: the log's ``as_of``.
    retention_period : {"day", "week", "month", "hour"}, default "week"
        Period of the retention cohorts (:func:`useropslib.metrics.retention`, recurring
        cohorts, calendar periods).
    retention_k : int, default 1
        The offset compared: the weighted mean retention at ``k`` periods, over the cohorts
        of the last ``retention_k + 8`` periods whose cell ``k`` is complete.
    conversion_event : str or sequence of str, optional
        Conversion (转化) is doing this event (any of these events).  Give this or
        ``conversion_steps`` for ``"conversion"``.
    conversion_steps : sequence of str or (str, dict), optional
        Conversion is going through this funnel (漏斗) to its last step: the steps of
        :func:`useropslib.metrics.funnel` (ordered, other events may happen in between, each
        user counted by their furthest-reaching attempt), e.g. ``["signup", "add_to_cart",
        "purchase"]``.  Give this or ``conversion_event``.
    conversion_window : str or timedelta, optional
        With ``conversion_steps``: the funnel's conversion window, from the first step (an
        inclusive bound).  Default ``"14D"``, the funnel's default.
    conversion_within : str or timedelta, optional
        Count conversions in this window before ``as_of`` only (with ``conversion_steps``: the
        funnels entered in it); default all history.
    arpu_within : str or timedelta, optional
        Sum values in this window before ``as_of`` only; default all history.
    arpu_test : {"welch", "mannwhitney"}, default "welch"
        Test of ARPU (revenue per user, non-payers as 0) against the rest.
    churn_definition : ChurnDefinition, optional
        When a user is churned; default ``ChurnDefinition(threshold="30D")``.

    Returns
    -------
    SegmentComparison
        ``table`` and ``overlap``; ``to_frame()``, ``plot()``.

    Raises
    ------
    InvalidParameterError
        No segments, a non-string name, members that are not a collection, unknown metrics,
        ``"conversion"`` without ``conversion_event`` or ``conversion_steps``, both of them,
        empty or malformed ``conversion_steps`` (or unknown step events),
        ``conversion_window`` without ``conversion_steps``, ``"arpu"`` on a log without
        values, invalid windows, tests or ``retention_k``, ``as_of`` before the data.

    Warns
    -----
    InsufficientDataWarning
        For each segment without any user in the log; its row holds NaN rates.  Also when
        nobody entered the conversion funnel (every conversion rate is then 0).

    Notes
    -----
    The rest of a segment is every other user with an event at or before ``as_of``.  Rates
    (conversion, churn) use a two-sided pooled two-proportion z test; retention uses the same
    test on (cohort member, period) pairs of complete cohorts; ARPU uses Welch's t test or the
    Mann-Whitney U test.  p-values are not corrected for multiple comparisons.  A churned user
    is one whose last activity event (or first event when none) is at least the threshold
    before ``as_of``.

    With ``conversion_steps``, a user converted when they reached the funnel's last step
    (``furthest_step`` of :attr:`useropslib.metrics.FunnelResult.per_user` equal to the last
    index) within ``conversion_window`` of entering it, by ``as_of``.  The base is the same
    as for every other rate, the segment's users with an event at or before ``as_of``, so
    users who never entered the funnel count as not converted; the rate is then comparable
    with the event version and across segments.  For the conversion of the users who entered
    the funnel (step-to-step rates), use ``funnel(..., breakdown=...)``.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({
    ...     "user_id": ["a", "a", "b", "c", "c", "d"],
    ...     "event": ["open", "purchase", "open", "open", "purchase", "open"],
    ...     "timestamp": ["2024-03-01", "2024-03-02", "2024-03-03", "2024-03-01",
    ...                   "2024-03-30", "2024-03-31"],
    ... })
    >>> res = compare_segments(
    ...     EventLog.from_pandas(df, tz="UTC"),
    ...     {"vip": ["a", "c"], "new": ["d", "c"]},
    ...     metrics=["size", "conversion"],
    ...     conversion_event="purchase",
    ... )
    >>> res.table[["size", "n_users", "conversion_rate", "conversion_rate_rest"]]
             size  n_users  conversion_rate  conversion_rate_rest
    segment
    vip         2        2              1.0                   0.0
    new         2        2              0.5                   0.5
    >>> res.overlap
    segment  vip  new
    segment
    vip        2    1
    new        1    2
    """
    # a lazy log answers from one GROUP BY user in the engine (retention and a conversion
    # funnel from their own lazy routes); an empty one is collected (nothing to read)
    lazy = isinstance(events, LazyEventLog) and events.n_events > 0
    log = events if lazy and isinstance(events, LazyEventLog) else as_event_log(events)
    has_values = log.has_values if isinstance(log, LazyEventLog) else log.values is not None
    as_of_ns, shown_as_of = resolve_as_of(log, as_of)
    if not isinstance(segments, Mapping) or not segments:
        raise InvalidParameterError(
            f"segments must be a non-empty mapping of name -> user ids, got {segments!r}. "
            "Hint: {'vip': tags.select('vip'), 'new': [...]}."
        )
    for name in segments:
        if not isinstance(name, str):
            raise InvalidParameterError(
                f"Segment names must be strings, got {name!r}. Hint: use str(name)."
            )
    steps = _conversion_steps(conversion_event, conversion_steps, conversion_window)
    if metrics is None:
        chosen = ["size", "retention", "churn_rate"]
        if conversion_event is not None or steps is not None:
            chosen.insert(2, "conversion")
        if has_values:
            chosen.insert(-1, "arpu")
    else:
        chosen = [metrics] if isinstance(metrics, str) else list(metrics)
        for m in chosen:
            if m not in COMPARISON_METRICS:
                close = did_you_mean(str(m), COMPARISON_METRICS)
                hint = f" Hint: did you mean {close[0]!r}?" if close else ""
                raise InvalidParameterError(
                    f"Unknown metric {m!r}. Expected any of {list(COMPARISON_METRICS)}.{hint}"
                )
    if "conversion" in chosen and conversion_event is None and steps is None:
        raise InvalidParameterError(
            "metric 'conversion' needs conversion_event= or conversion_steps=, got neither. "
            "Hint: conversion_event='purchase', or conversion_steps=['signup', 'purchase'] "
            "for conversion through a funnel."
        )
    if "arpu" in chosen and not has_values:
        raise InvalidParameterError(
            "metric 'arpu' needs a log with values, but this log has none. Hint: build the log "
            "with value_col=... or drop 'arpu' from metrics."
        )
    if not isinstance(arpu_test, str) or arpu_test not in ("welch", "mannwhitney"):
        raise InvalidParameterError(
            f"Invalid arpu_test={arpu_test!r}. Expected 'welch' or 'mannwhitney'."
        )
    if isinstance(retention_k, bool) or not isinstance(retention_k, int) or retention_k < 1:
        raise InvalidParameterError(
            f"Invalid retention_k={retention_k!r}. Expected an integer >= 1 (the period offset "
            "compared)."
        )
    if churn_definition is None:
        churn_definition = ChurnDefinition(threshold="30D")
    elif not isinstance(churn_definition, ChurnDefinition):
        raise InvalidParameterError(
            f"Invalid churn_definition={churn_definition!r}. Expected a ChurnDefinition."
        )

    conversion_lo = None
    if conversion_within is not None:
        conversion_lo = as_of_ns - window_ns(conversion_within, "conversion_within") + 1
    arpu_lo = None
    if arpu_within is not None:
        arpu_lo = as_of_ns - window_ns(arpu_within, "arpu_within") + 1
    # per-user outcomes over the users with an event at or before as_of (log order)
    outcome: dict[str, npt.NDArray[Any]] = {}
    converted = None
    if "conversion" in chosen and steps is not None:
        converted = _funnel_conversion(log, steps, conversion_window, conversion_within, as_of_ns)
    if isinstance(log, LazyEventLog):
        present_ids, cols = lazy_compare_columns(
            log,
            as_of_ns,
            conversion_event=conversion_event if "conversion" in chosen else None,
            conversion_lo=conversion_lo,
            arpu="arpu" in chosen,
            arpu_lo=arpu_lo,
            activity_events=churn_definition.activity_events,
        )
        if "conversion" in chosen and steps is None:
            outcome["conversion_rate"] = cols["conversion"] > 0
        if "arpu" in chosen:
            outcome["arpu"] = cols["arpu"]
        last = cols["last_act"]
    else:
        present_ids, outcome, last = _outcomes(
            log, chosen, as_of_ns, conversion_event, conversion_lo, arpu_lo, churn_definition
        )
    if converted is not None:
        outcome["conversion_rate"] = np.asarray(present_ids.isin(converted), dtype=bool)
    if "churn_rate" in chosen:
        thr = int(pd.Timedelta(churn_definition.threshold).value)
        outcome["churn_rate"] = (as_of_ns - last) >= thr
    outcome = {k: outcome[k] for k in ("conversion_rate", "arpu", "churn_rate") if k in outcome}

    names = list(segments)
    member_ids = {name: _members(log, name, segments[name]) for name in names}
    union = pd.Index(pd.unique(np.concatenate([m.to_numpy() for m in member_ids.values()])))
    matrix = np.zeros((len(names), len(union)), dtype=np.int64)
    rows: list[dict[str, Any]] = []
    for i, name in enumerate(names):
        ids = member_ids[name]
        matrix[i, union.get_indexer(ids)] = 1
        seg = np.asarray(present_ids.isin(ids), dtype=bool)
        rest = ~seg
        n_seg = int(seg.sum())
        row: dict[str, Any] = {"segment": name, "size": len(ids), "n_users": n_seg}
        if n_seg == 0:
            warnings.warn(
                f"Segment {name!r} has no user with events at or before as_of; its metrics "
                "are NaN.",
                InsufficientDataWarning,
                stacklevel=2,
            )
        for key, values in outcome.items():
            a = values[seg].astype(np.float64)
            b = values[rest].astype(np.float64)
            row[key] = float(a.mean()) if a.size else float("nan")
            row[f"{key}_rest"] = float(b.mean()) if b.size else float("nan")
            if key == "arpu":
                p = _mean_p_value(a, b, arpu_test)
            else:
                p = two_proportion_p_value(int(a.sum()), a.size, int(b.sum()), b.size)
            row[f"{key}_p_value"] = p
        if "retention" in chosen:
            row.update(_retention_row(log, ids, n_seg, as_of_ns, retention_period, retention_k))
        rows.append(row)
    table = pd.DataFrame(rows).set_index("segment")
    overlap_counts = matrix @ matrix.T
    overlap = pd.DataFrame(
        overlap_counts,
        index=pd.Index(names, name="segment"),
        columns=pd.Index(names, name="segment"),
    )
    params = {
        "metrics": tuple(chosen),
        "retention_period": retention_period,
        "retention_k": retention_k,
        "conversion_event": conversion_event,
        "conversion_steps": None if steps is None else tuple(steps),
        "conversion_window": (conversion_window or _FUNNEL_WINDOW) if steps else None,
        "conversion_within": conversion_within,
        "arpu_within": arpu_within,
        "arpu_test": arpu_test,
        "churn_threshold": churn_definition.threshold,
    }
    return SegmentComparison(params=params, as_of=shown_as_of, table=table, overlap=overlap)


def _outcomes(
    log: EventLog,
    chosen: list[str],
    as_of_ns: int,
    conversion_event: Any,
    conversion_lo: int | None,
    arpu_lo: int | None,
    churn_definition: ChurnDefinition,
) -> tuple[pd.Index, dict[str, npt.NDArray[Any]], npt.NDArray[np.int64]]:
    """Users with an event by ``as_of``, their event conversion and ARPU, and last activity."""
    in_time = log.timestamps_ns <= as_of_ns
    n_all = len(log.users)
    present = np.zeros(n_all, dtype=bool)
    present[log.user_codes[in_time]] = True
    c = np.flatnonzero(present)
    outcome: dict[str, npt.NDArray[Any]] = {}
    if "conversion" in chosen and conversion_event is not None:
        cmask = in_time & event_mask(log, conversion_event, "conversion_event")
        if conversion_lo is not None:
            cmask &= log.timestamps_ns >= conversion_lo
        conv = np.zeros(n_all, dtype=bool)
        conv[log.user_codes[cmask]] = True
        outcome["conversion_rate"] = conv[c]
    if "arpu" in chosen:
        vmask = in_time.copy()
        if arpu_lo is not None:
            vmask &= log.timestamps_ns >= arpu_lo
        vals = np.nan_to_num(np.asarray(log.values, dtype=np.float64)[vmask])
        arpu = np.bincount(log.user_codes[vmask], weights=vals, minlength=n_all)
        outcome["arpu"] = arpu[c]
    amask = in_time
    if "churn_rate" in chosen and churn_definition.activity_events is not None:
        amask = in_time & event_mask(
            log, list(churn_definition.activity_events), "churn_definition.activity_events"
        )
    last = np.full(n_all, _MIN, dtype=np.int64)
    np.maximum.at(last, log.user_codes[amask], log.timestamps_ns[amask])
    first = np.full(n_all, np.iinfo(np.int64).max, dtype=np.int64)
    np.minimum.at(first, log.user_codes[in_time], log.timestamps_ns[in_time])
    last = np.where(last == _MIN, first, last)
    return log.users.take(c), outcome, last[c]


def _conversion_steps(event: Any, steps: Any, window: Any) -> list[Any] | None:
    """Check the conversion arguments; return the funnel steps (None for the event version)."""
    if steps is None:
        if window is not None:
            raise InvalidParameterError(
                f"conversion_window={window!r} was given without conversion_steps=. Expected "
                "the window only with a funnel. Hint: pass conversion_steps=['signup', ..., "
                "'purchase'], or drop conversion_window (conversion_within= limits the event "
                "version to recent events)."
            )
        return None
    if event is not None:
        raise InvalidParameterError(
            f"Both conversion_event={event!r} and conversion_steps={steps!r} were given. "
            "Expected one of them: an event, or the steps of a funnel whose last step is the "
            "conversion. Hint: drop conversion_event, or end conversion_steps with it."
        )
    if isinstance(steps, str) or not isinstance(steps, Sequence):
        raise InvalidParameterError(
            f"Invalid conversion_steps={steps!r}. Expected a list of funnel steps (event names "
            "or (name, {property: value}) pairs). Hint: conversion_steps=['signup', "
            "'purchase'], or conversion_event='purchase' for a single event."
        )
    if len(steps) == 0:
        raise InvalidParameterError(
            "conversion_steps=[] has no steps. Expected at least one funnel step, the last "
            "being the conversion. Hint: conversion_steps=['signup', 'purchase']."
        )
    if window is not None:
        window_ns(window, "conversion_window")
    return list(steps)


def _funnel_conversion(
    log: EventLog | LazyEventLog, steps: list[Any], window: Any, within: Any, as_of_ns: int
) -> pd.Index:
    """Return the users who reached the last step of the funnel by ``as_of``."""
    start = None
    if within is not None:
        # the event version keeps events with time > as_of - within: the same bound here
        start = stamp(as_of_ns - window_ns(within, "conversion_within") + 1, log.tz)
    with warnings.catch_warnings():
        # nobody entering the funnel is reported once, below, in this function's words
        warnings.simplefilter("ignore", InsufficientDataWarning)
        res = funnel(
            log,
            steps,
            window=_FUNNEL_WINDOW if window is None else window,
            start=start,
            as_of=stamp(as_of_ns, log.tz),
        )
    per_user = res.per_user
    if per_user.empty:
        warnings.warn(
            f"Nobody entered the conversion funnel {steps!r} by as_of"
            + ("" if within is None else f" within conversion_within={within!r}")
            + ", so every conversion_rate is 0. Hint: check the first step's event name and "
            "the dates.",
            InsufficientDataWarning,
            stacklevel=3,
        )
    done: pd.Index = pd.Index(per_user["user_id"])[per_user["converted"].to_numpy(dtype=bool)]
    return done


def _retention_row(
    log: EventLog | LazyEventLog, ids: pd.Index, n_seg: int, as_of_ns: int, period: Any, k: int
) -> dict[str, float]:
    nan = float("nan")
    if n_seg == 0:
        return {"retention_rate": nan, "retention_rate_rest": nan, "retention_rate_p_value": nan}
    with warnings.catch_warnings():
        # an empty cohort range is reported as NaN below, not as a warning per segment
        warnings.simplefilter("ignore", InsufficientDataWarning)
        res = retention(
            log,
            period=period,
            periods=k + 8,
            breakdown=set(ids),
            as_of=pd.Timestamp(as_of_ns, tz="UTC"),
        )
    out: dict[str, tuple[int, int]] = {}
    if len(res.counts):
        done = ~res.incomplete[k].to_numpy(dtype=bool) & res.counts[k].notna().to_numpy()
        groups = res.counts.index.get_level_values(0)
        for g in (True, False):
            sel = done & np.asarray(groups == g, dtype=bool)
            out[str(g)] = (
                int(res.counts[k].to_numpy()[sel].sum()),
                int(res.counts[0].to_numpy()[sel].sum()),
            )
    x1, n1 = out.get("True", (0, 0))
    x2, n2 = out.get("False", (0, 0))
    return {
        "retention_rate": x1 / n1 if n1 else nan,
        "retention_rate_rest": x2 / n2 if n2 else nan,
        "retention_rate_p_value": two_proportion_p_value(x1, n1, x2, n2),
    }
