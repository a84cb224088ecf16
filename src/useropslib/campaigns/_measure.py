"""Evaluate a KPI specification (:data:`~useropslib.models.MetricSpec`) on an event log."""

from __future__ import annotations

import itertools
import warnings
from typing import Any

import numpy as np
import pandas as pd

from useropslib import churn as _churn
from useropslib import metrics as _metrics
from useropslib.events import EventLog, EventsLike, first_seen_ns
from useropslib.events._query import _is_strict, load, warn_empty
from useropslib.events._time import to_utc_ns
from useropslib.exceptions import InvalidParameterError, UnknownEventWarning, did_you_mean
from useropslib.models import (
    ActiveUsersSpec,
    ARPPUSpec,
    ARPUSpec,
    ChurnRateSpec,
    ConversionSpec,
    DateLike,
    MessageRateSpec,
    MetricSpec,
    NewUsersSpec,
    OrdersSpec,
    PayingUsersSpec,
    ReactivatedUsersSpec,
    RetentionSpec,
    RevenueSpec,
    metric_spec_adapter,
)

__all__ = [
    "check_spec",
    "measure",
    "measure_value",
    "missing_events",
    "period_edges",
    "resolve_range",
    "series_between",
]

_EVERY = ("day", "week", "month")
_FREQ = {"day": "D", "month": "MS"}


def check_spec(spec: Any, *, name: str = "spec") -> MetricSpec:
    """Return ``spec`` as a :data:`MetricSpec`, accepting a dict in its JSON form.

    Parameters
    ----------
    spec : MetricSpec or dict
    name : str
        The parameter name, for the message.

    Returns
    -------
    MetricSpec

    Raises
    ------
    InvalidParameterError
        For anything else, with the kinds that exist.
    """
    from pydantic import BaseModel, ValidationError

    if isinstance(spec, BaseModel) and hasattr(spec, "required_events"):
        return spec  # type: ignore[return-value]
    if isinstance(spec, dict):
        try:
            return metric_spec_adapter.validate_python(spec)
        except ValidationError as exc:
            raise InvalidParameterError(
                f"{name} is not a valid metric spec: {exc.errors()[0]['msg']}. Hint: give e.g. "
                f"NewUsersSpec() or {{'kind': 'new_users'}}."
            ) from None
    raise InvalidParameterError(
        f"{name} must be a MetricSpec (NewUsersSpec, ConversionSpec, ...), got "
        f"{type(spec).__name__}. Hint: build one from useropslib.models."
    )


def missing_events(spec: MetricSpec, events: EventsLike) -> list[str]:
    """Return the event names ``spec`` needs that the log does not contain.

    Parameters
    ----------
    spec : MetricSpec
    events : EventLog, LazyEventLog or DataFrame

    Returns
    -------
    list of str
        Empty when the log can compute the metric.

    Examples
    --------
    >>> import pandas as pd
    >>> from useropslib.models import ConversionSpec
    >>> df = pd.DataFrame({"user_id": ["a"], "event": ["signup"],
    ...                    "timestamp": ["2024-01-01T00:00Z"]})
    >>> missing_events(ConversionSpec(steps=["signup", "purchase"]), df)
    ['purchase']
    """
    spec = check_spec(spec)
    log = load(events)
    known = set(map(str, log.event_names))
    return [n for n in spec.required_events() if n not in known]


def _check_missing(spec: MetricSpec, log: EventLog) -> None:
    """Name the events the spec needs that the log lacks: a warning, or an error when strict.

    Like every function that names events, an absent event counts as zero events (it may simply
    not have fired in the data at hand); the warning names it with close known names so a typo
    is still noticed, and the library-wide strict setting
    (:func:`useropslib.events.set_strict_events`) makes it an error.
    """
    missing = missing_events(spec, log)
    if not missing:
        return
    hints = []
    for m in missing:
        close = did_you_mean(m, log.event_names)
        if close:
            hints.append(f"{m!r} -> did you mean {', '.join(map(repr, close))}?")
    known = list(map(str, log.event_names[:20]))
    hint = "; ".join(hints) if hints else "check the spec's event names against the log"
    message = (
        f"The log cannot compute {spec.label!r}: missing event(s) {missing}. Known events: "
        f"{known}{' ...' if len(log.event_names) > 20 else ''}. Hint: {hint}"
    )
    if _is_strict(None):
        raise InvalidParameterError(message)
    warnings.warn(
        f"{message} (counted as zero events; strict_events() makes this an error)",
        UnknownEventWarning,
        stacklevel=3,
    )


def resolve_range(log: EventLog, start: Any, end: Any) -> tuple[int, int]:
    """Read ``[start, end)`` as UTC nanoseconds in the log's time zone and check its order.

    Parameters
    ----------
    log : EventLog
    start, end : str, datetime or Timestamp
        Naive values are read in the log's time zone.

    Returns
    -------
    (int, int)

    Raises
    ------
    InvalidParameterError
        When a bound is missing or unreadable, or ``end`` is not after ``start``.
    """
    if start is None or end is None:
        raise InvalidParameterError(
            "start and end are required: a metric is measured over [start, end). "
            "Hint: pass e.g. start='2024-03-01', end='2024-04-01'."
        )
    lo = to_utc_ns(start, tz=log.tz, name="start")
    hi = to_utc_ns(end, tz=log.tz, name="end")
    if hi <= lo:
        raise InvalidParameterError(
            f"end={end!r} is not after start={start!r}; the range is [start, end). "
            "Hint: swap them or widen the range."
        )
    return lo, hi


def _ts(ns: int, tz: str) -> pd.Timestamp:
    out: pd.Timestamp = pd.Timestamp(ns, unit="ns", tz="UTC").tz_convert(tz)
    return out


def _names_log(log: EventLog, names: tuple[str, ...] | None) -> EventLog:
    return log if names is None else log.filter_events(list(names))


def _purchase_rows(log: EventLog, spec: Any, lo: int, hi: int) -> tuple[Any, Any]:
    sub = log.filter_events(list(spec.purchase_event))
    ts = sub.timestamps_ns
    keep = (ts >= lo) & (ts < hi)
    users = sub.user_codes[keep]
    if spec.value_col is None:
        if sub.values is None:
            raise InvalidParameterError(
                f"{spec.label!r} needs purchase values but the log has no value column. Hint: "
                "build the log with value_col=..., or name a property with value_col= in the spec."
            )
        values = sub.values[keep]
    else:
        if spec.value_col not in sub.property_names:
            close = did_you_mean(spec.value_col, sub.property_names)
            raise InvalidParameterError(
                f"value_col={spec.value_col!r} is not a property of the log "
                f"{list(sub.property_names)}."
                + (f" Hint: did you mean {close[0]!r}?" if close else "")
            )
        values = pd.to_numeric(sub.property_values(spec.value_col), errors="coerce").to_numpy(
            dtype=float
        )[keep]
    values = np.nan_to_num(np.asarray(values, dtype=float), nan=0.0)
    return users, values


def _distinct(codes: Any) -> int:
    return int(np.unique(codes).size)


def _ratio(num: float, den: float) -> float:
    return float(num / den) if den > 0 else float("nan")


def _additive_rows(
    spec: MetricSpec, log: EventLog, lo: int, hi: int, first_seen: Any = None
) -> tuple[Any, Any] | None:
    """Return times and weights whose sum over an interval is the metric, or None."""
    if isinstance(spec, NewUsersSpec):
        first = first_seen if first_seen is not None else first_seen_ns(_names_log(log, spec.event))
        ts = first[(first >= lo) & (first < hi)]
        return ts, np.ones(ts.size)
    if isinstance(spec, RevenueSpec):
        _, values = _purchase_rows(log, spec, lo, hi)
        ts = log.filter_events(list(spec.purchase_event)).timestamps_ns
        return ts[(ts >= lo) & (ts < hi)], values
    if isinstance(spec, OrdersSpec):
        ts = log.filter_events(list(spec.purchase_event)).timestamps_ns
        ts = ts[(ts >= lo) & (ts < hi)]
        return ts, np.ones(ts.size)
    return None


def _value(spec: MetricSpec, log: EventLog, lo: int, hi: int) -> float:
    tz = log.tz
    if isinstance(spec, NewUsersSpec):
        first = first_seen_ns(_names_log(log, spec.event))
        return float(np.count_nonzero((first >= lo) & (first < hi)))
    if isinstance(spec, ActiveUsersSpec):
        if spec.window == "day":
            base = log  # the days of the range hold only events inside it
        elif spec.window in ("week", "month"):
            base = log.between(_ts(lo, tz), _ts(hi, tz))  # partial periods: clip to the range
        else:
            base = log.until(_ts(hi - 1, tz))  # rolling windows look back before the start
        series = _metrics.active_users(
            base,
            window=spec.window,
            start=_ts(lo, tz),
            end=_ts(hi - 1, tz),
            activity_events=list(spec.activity_events) if spec.activity_events else None,
        )
        return float(series.mean()) if len(series) else 0.0
    if isinstance(spec, RetentionSpec):
        res = _metrics.retention(
            log,
            period=spec.period,
            periods=spec.k + 1,
            cohort=spec.cohort,
            mode=spec.mode,
            start_event=list(spec.start_event) if spec.start_event else None,
            return_event=list(spec.return_event) if spec.return_event else None,
            start=_ts(lo, tz),
        )
        cohorts = res.counts.index
        starts = pd.DatetimeIndex(cohorts).as_unit("ns").asi8 if len(cohorts) else np.array([])
        inside = (starts >= lo) & (starts < hi) & ~res.incomplete[spec.k].to_numpy(dtype=bool)
        sizes = res.counts[0].to_numpy(dtype=float)[inside]
        back = res.counts[spec.k].to_numpy(dtype=float, na_value=0.0)[inside]
        return _ratio(float(back.sum()), float(sizes.sum()))
    if isinstance(spec, ConversionSpec):
        fun = _metrics.funnel(
            log,
            list(spec.steps),
            window=spec.window,
            order=spec.order,
            start=_ts(lo, tz),
            end=_ts(hi, tz),
        )
        users = fun.table["users"].to_numpy(dtype=float)
        return _ratio(float(users[-1]), float(users[0]))
    if isinstance(spec, RevenueSpec):
        _, values = _purchase_rows(log, spec, lo, hi)
        return float(values.sum())
    if isinstance(spec, OrdersSpec):
        ts = log.filter_events(list(spec.purchase_event)).timestamps_ns
        return float(np.count_nonzero((ts >= lo) & (ts < hi)))
    if isinstance(spec, PayingUsersSpec):
        sub = log.filter_events(list(spec.purchase_event))
        ts = sub.timestamps_ns
        return float(_distinct(sub.user_codes[(ts >= lo) & (ts < hi)]))
    if isinstance(spec, ARPPUSpec):
        users, values = _purchase_rows(log, spec, lo, hi)
        return _ratio(float(values.sum()), _distinct(users))
    if isinstance(spec, ARPUSpec):
        _, values = _purchase_rows(log, spec, lo, hi)
        act = _names_log(log, spec.activity_events)
        ts = act.timestamps_ns
        return _ratio(float(values.sum()), _distinct(act.user_codes[(ts >= lo) & (ts < hi)]))
    if isinstance(spec, ReactivatedUsersSpec):
        life = _metrics.lifecycle(
            log.until(_ts(hi - 1, tz)),
            period=spec.period,
            start=_ts(lo, tz),
            end=_ts(hi - 1, tz),
            activity_events=list(spec.activity_events) if spec.activity_events else None,
        )
        starts = pd.DatetimeIndex(life.counts.index).as_unit("ns").asi8
        inside = (starts >= lo) & (starts < hi)
        return float(life.counts["resurrecting"].to_numpy(dtype=float)[inside].sum())
    if isinstance(spec, ChurnRateSpec):
        frame = _churn.churn_rate(log, spec.definition, period=spec.period)
        starts = pd.DatetimeIndex(frame.index).as_unit("ns").asi8
        inside = (starts >= lo) & (starts < hi)
        churned = frame["churned"].to_numpy(dtype=float)[inside]
        base = frame["active_at_start"].to_numpy(dtype=float)[inside]
        return _ratio(float(np.nansum(churned)), float(np.nansum(base)))
    if isinstance(spec, MessageRateSpec):
        mres = _metrics.message_funnel(
            log.between(_ts(lo, tz), _ts(hi, tz)),
            sent=spec.sent,
            delivered=spec.delivered,
            opened=spec.opened,
            clicked=spec.clicked,
            return_event=list(spec.return_event) if spec.return_event else None,
            return_within=spec.return_within,
            breakdown=None if spec.channel is None else "channel",
            campaign=spec.campaign,
        )
        table = mres.table
        if spec.channel is not None:
            table = table.loc[table.index.astype(str) == spec.channel]
        return float(table[spec.rate].iloc[0]) if len(table) else float("nan")
    raise InvalidParameterError(f"unsupported metric spec {spec!r}")  # pragma: no cover


def measure(
    spec: MetricSpec,
    events: EventsLike,
    *,
    start: DateLike,
    end: DateLike,
    every: str | None = None,
) -> float | pd.Series:
    """Evaluate a KPI specification on the log over ``[start, end)``.

    Parameters
    ----------
    spec : MetricSpec
        What to measure (``NewUsersSpec()``, ``ConversionSpec(steps=[...])`` ...), or its dict
        form.
    events : EventLog, LazyEventLog or DataFrame
        The events.
    start, end : str, datetime or Timestamp
        The range ``[start, end)``; naive values are read in the log's time zone.
    every : {"day", "week", "month"}, optional
        Also evaluate each calendar period of the range (clipped to the range) and return the
        per-period series instead of the single value.

    Returns
    -------
    float or pandas.Series
        The value over the range; with ``every``, a float Series named after the metric kind,
        indexed by ``period_start`` (local time).  Rates are NaN when their denominator is 0.

    Raises
    ------
    InvalidParameterError
        When a bound is missing or out of order, or ``every`` is not a period; under the strict
        setting (:func:`useropslib.events.strict_events`), also when the log lacks an event the
        spec names (listing the missing names and close known ones).

    Warns
    -----
    UnknownEventWarning
        When the log lacks an event the spec names: it counts as zero events (the missing names
        and close known ones are listed).
    InsufficientDataWarning
        When the log has no events (the value is 0, or NaN for a rate).

    See Also
    --------
    useropslib.campaigns.missing_events : The names a log lacks for a spec.
    useropslib.metrics.active_users, useropslib.metrics.retention, useropslib.metrics.funnel,
    useropslib.metrics.lifecycle, useropslib.metrics.message_funnel, useropslib.churn.churn_rate

    Notes
    -----
    Each kind is evaluated by the metric function named in its spec's docstring, with that
    function's conventions: new users by first-ever qualifying event (Amplitude's definition);
    conversion as the share of people entering step 1 in the range who reach the last step
    within the window (PostHog's inclusive bound, best attempt); retention pooled over the
    cohorts starting in the range whose cell ``k`` is complete (the ``weighted`` mean row);
    churn rate pooled over the periods starting in the range; money metrics as sums and
    distinct counts of the purchase events in the range.  Additive kinds (new users, revenue,
    orders, reactivated users) sum over the ``every`` periods; the others do not.

    Examples
    --------
    >>> import pandas as pd
    >>> from useropslib.models import NewUsersSpec, RevenueSpec
    >>> df = pd.DataFrame({
    ...     "user_id": ["a", "b", "b", "c"],
    ...     "event": ["signup", "signup", "purchase", "signup"],
    ...     "timestamp": pd.to_datetime(["2024-01-01", "2024-01-02", "2024-01-03",
    ...                                  "2024-01-09"], utc=True),
    ...     "value": [0.0, 0.0, 30.0, 0.0]})
    >>> measure(NewUsersSpec(event="signup"), df, start="2024-01-01", end="2024-01-15")
    3.0
    >>> measure(RevenueSpec(), df, start="2024-01-01", end="2024-01-08")
    30.0
    >>> measure(NewUsersSpec(), df, start="2024-01-01", end="2024-01-15", every="week").tolist()
    [2.0, 1.0]
    """
    spec = check_spec(spec)
    log = load(events)
    if log.n_events == 0:
        warn_empty(
            "measure: the event log has no events", hint="check the filters that built the log"
        )
    _check_missing(spec, log)
    lo, hi = resolve_range(log, start, end)
    if every is None:
        return _value(spec, log, lo, hi)
    if every not in _EVERY:
        close = did_you_mean(str(every), _EVERY)
        raise InvalidParameterError(
            f"every must be one of {list(_EVERY)} or None, got {every!r}."
            + (f" Hint: did you mean {close[0]!r}?" if close else "")
        )
    edges = period_edges(log, lo, hi, every)
    return series_between(spec, log, edges)


def series_between(
    spec: MetricSpec, log: EventLog, edges: Any, *, first_seen: Any = None
) -> pd.Series:
    """Evaluate ``spec`` on each interval ``[edges[i], edges[i + 1])`` (UTC ns, increasing).

    New users, revenue and orders are binned in one vectorised pass; other kinds are measured
    interval by interval.

    Parameters
    ----------
    spec : MetricSpec
    log : EventLog
    edges : sequence of int
    first_seen : ndarray, optional
        For new users: ``first_seen_ns`` of the spec's events, when the caller has it already.

    Returns
    -------
    pandas.Series
        Indexed by the local start of each interval (``period_start``).
    """
    edges = np.asarray(edges, dtype=np.int64)
    rows = _additive_rows(spec, log, int(edges[0]), int(edges[-1]), first_seen)
    if rows is not None:
        ts, weights = rows
        slot = np.searchsorted(edges, ts, side="right") - 1
        values = np.bincount(slot, weights=weights, minlength=edges.size - 1)[: edges.size - 1]
    else:
        values = np.asarray(
            [_value(spec, log, int(a), int(b)) for a, b in itertools.pairwise(edges)]
        )
    index = pd.DatetimeIndex(
        pd.to_datetime(edges[:-1], utc=True).tz_convert(log.tz), name="period_start"
    )
    out: pd.Series = pd.Series(values, index=index, name=spec.kind, dtype=float)
    return out


def measure_value(spec: MetricSpec, events: EventsLike, *, start: Any, end: Any) -> float:
    """Return :func:`measure`'s single value over ``[start, end)`` as a float.

    Parameters
    ----------
    spec : MetricSpec
    events : EventLog, LazyEventLog or DataFrame
    start, end : str, datetime or Timestamp

    Returns
    -------
    float
    """
    value = measure(spec, events, start=start, end=end)
    assert not isinstance(value, pd.Series)
    return float(value)


def period_edges(log: EventLog, lo: int, hi: int, every: str) -> list[int]:
    """Return the boundaries (UTC ns) of the local calendar periods covering ``[lo, hi)``.

    The first and last edges are ``lo`` and ``hi`` (partial periods are clipped).

    Parameters
    ----------
    log : EventLog
    lo, hi : int
        UTC nanoseconds.
    every : {"day", "week", "month"}

    Returns
    -------
    list of int
    """
    first = _ts(lo, log.tz).tz_localize(None).normalize()
    if every == "week":
        first -= pd.Timedelta(days=(first.weekday() - log.week_start) % 7)
    elif every == "month":
        first = first.replace(day=1)
    last = _ts(hi, log.tz).tz_localize(None)
    stamps = pd.date_range(first, last, freq="7D" if every == "week" else _FREQ[every])
    local = stamps.tz_localize(log.tz, ambiguous=False, nonexistent="shift_forward")
    inner = [int(x) for x in local.as_unit("ns").asi8 if lo < int(x) < hi]
    return [lo, *inner, hi]
