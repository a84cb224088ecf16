"""Survival frames (one row per user) and Kaplan–Meier curves with log-rank tests (lifelines)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
import warnings
from collections.abc import Mapping, Sequence
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy import stats

from useropslib import plotting
from useropslib._results import MetricResult
from useropslib.churn._checks import survival_column, survival_target
from useropslib.churn._definition import (
    DefinitionLike,
    activity,
    as_definition,
    resolve_as_of,
    threshold_ns,
)
from useropslib.events import EventLog, EventsLike, LazyEventLog, as_event_log
from useropslib.events._query import warn_empty
from useropslib.events._time import NS_PER_DAY, stamp
from useropslib.exceptions import (
    InsufficientDataError,
    InsufficientDataWarning,
    InvalidParameterError,
    did_you_mean,
)
from useropslib.models import DateLike
from useropslib.models._types import window_ns

__all__ = [
    "KaplanMeierResult",
    "LogrankResult",
    "kaplan_meier",
    "logrank_test",
    "survival_frame",
]

CIType = Literal["log-log", "log"]
_CI_TYPES: tuple[str, ...] = ("log-log", "log")
_KINDS: tuple[str, ...] = ("terminal", "first_lapse")
_DEFAULT_TIMES: tuple[float, ...] = (7.0, 14.0, 30.0, 60.0, 90.0)
Clock = Literal["churn", "last_activity"]
_CLOCKS: tuple[str, ...] = ("churn", "last_activity")
#: Default report times of kaplan_meier, as multiples of the threshold of active lifetime.
_LIFETIME_MULTIPLES: tuple[float, ...] = (0.25, 0.5, 1.0, 2.0, 4.0)
_UNIT = "days since first activity"
_DENSE_BINS = 1 << 24  # early counts use a dense (user x event) grid up to this many cells


# ============================================================================ survival frame
def _first_lapse(
    users: npt.NDArray[np.int64],
    ts: npt.NDArray[np.int64],
    thr: int,
    as_of_ns: int,
) -> tuple[
    npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.bool_]
]:
    """From (user, time)-sorted activity: codes, first seen, first-lapse instant and observed."""
    same = users[1:] == users[:-1]
    starts = np.flatnonzero(np.concatenate(([True], ~same)))
    ends = np.flatnonzero(np.concatenate((~same, [True])))
    codes = users[starts]
    first = ts[starts]
    last = ts[ends]
    # the lapse after the last activity is open: it is a lapse once as_of is a threshold away
    churn = last + thr
    observed = churn <= as_of_ns
    gap_pos = np.flatnonzero(same & (np.diff(ts) >= thr))
    if gap_pos.size:
        gap_users = users[gap_pos]
        keep = np.concatenate(([True], gap_users[1:] != gap_users[:-1]))
        pos = gap_pos[keep]
        which = np.searchsorted(codes, users[pos])
        churn[which] = ts[pos] + thr
        observed[which] = True
    return codes, first, churn, observed


def _early_counts(
    log: EventLog,
    codes: npt.NDArray[np.int64],
    first: npt.NDArray[np.int64],
    w_ns: int,
    as_of_ns: int,
) -> pd.DataFrame:
    """Events per event name in ``[first seen, first seen + window)`` (and at or before as_of)."""
    n_codes, n_names = len(log.users), len(log.event_names)
    ts = log.timestamps_ns
    users = log.user_codes
    ev = log.event_codes
    # users without activity start after as_of, so none of their events falls in a window
    start = np.full(n_codes, as_of_ns + 1, dtype=np.int64)
    start[codes] = first
    since = ts - start[users]
    mask = (since >= 0) & (since < w_ns)
    late = ts.size > 0 and as_of_ns < int(ts.max())
    if late:
        mask &= ts <= as_of_ns
    key = users[mask].astype(np.int64) * n_names + ev[mask]
    size = n_codes * n_names
    if size <= max(4 * key.size, _DENSE_BINS):
        counts = np.bincount(key, minlength=size).reshape(n_codes, n_names)
        if codes.size < n_codes:
            counts = counts[codes]
    else:
        row = np.searchsorted(codes, key // n_names)
        counts = np.zeros((codes.size, n_names), dtype=np.int64)
        np.add.at(counts, (row, key % n_names), 1)
    seen = np.bincount(ev[ts <= as_of_ns] if late else ev, minlength=n_names) > 0
    present = np.flatnonzero(seen)
    names = [f"early_{name}" for name in log.event_names.take(present)]
    if present.size < n_names:
        counts = counts[:, present]
    out: pd.DataFrame = pd.DataFrame(counts, columns=names, copy=False)
    return out


def _join_covariates(frame: pd.DataFrame, covariates: Any) -> pd.DataFrame:
    if not isinstance(covariates, pd.DataFrame):
        raise InvalidParameterError(
            f"Invalid covariates of type {type(covariates).__name__}. Expected a pandas "
            "DataFrame with one row per user, indexed by user id or with a 'user_id' column."
        )
    cov = covariates
    if "user_id" in cov.columns:
        cov = cov.set_index("user_id")
    if cov.index.has_duplicates:
        dup = cov.index[cov.index.duplicated()].unique()[:5].tolist()
        raise InvalidParameterError(
            f"covariates has repeated user ids, e.g. {dup}. Expected one row per user. Hint: "
            "aggregate first, e.g. covariates.groupby('user_id').first()."
        )
    clash = [str(c) for c in cov.columns if c in frame.columns]
    if clash:
        raise InvalidParameterError(
            f"covariates has column(s) {clash} that the survival frame already has. Expected "
            "other names. Hint: rename them, e.g. covariates.add_prefix('user_')."
        )
    joined = cov.reindex(frame.index)
    out: pd.DataFrame = pd.concat([frame, joined], axis=1)
    return out


def survival_frame(
    events: EventsLike,
    definition: DefinitionLike,
    *,
    as_of: DateLike | None = None,
    covariates: pd.DataFrame | None = None,
    early_window: str | dt.timedelta | None = "7D",
    kind: Literal["terminal", "first_lapse"] | None = None,
    resolution: str | dt.timedelta | None = "1D",
    clock: Clock = "churn",
) -> pd.DataFrame:
    """One row per user: time from first activity to churn or to ``as_of``, ready for lifelines.

    Parameters
    ----------
    events : EventLog, LazyEventLog or DataFrame
        The events (a frame needs ``user_id``, ``event``, ``timestamp`` columns).
    definition : ChurnDefinition, str or timedelta
        The churn definition, or just its threshold (``"30D"``; every event is then activity).
    as_of : str, datetime or Timestamp, optional
        The analysis date: the end of observation; later events are ignored.  Default: the
        log's ``as_of``.
    covariates : pandas.DataFrame, optional
        User attributes to join (channel, region, tags, segments ...): indexed by user id, or
        with a ``user_id`` column.  Users it lacks get missing values.
    early_window : str or timedelta or None, default "7D"
        Count each user's events per event name within this window after their first activity
        (early behaviour, e.g. ``early_upload_avatar``).  ``None`` adds no counts.
    kind : {"terminal", "first_lapse"}, optional
        The churn event; default ``definition.kind``.  See Notes.
    resolution : str or timedelta or None, default "1D"
        Durations are truncated to whole multiples of this window (lifelines'
        ``datetimes_to_durations`` convention with ``freq="D"``); ``None`` keeps exact float
        days.  Whole days give tied times, which makes Kaplan–Meier and Cox fits fast.
    clock : {"churn", "last_activity"}, default "churn"
        When the churn event happens: ``"churn"`` at the instant the silence reaches the
        threshold (last activity + threshold; users not churned are censored at ``as_of``);
        ``"last_activity"`` at the last activity before the lapse, so the duration is the
        *active lifetime* (users not churned are censored at their last activity).  See Notes.

    Returns
    -------
    pandas.DataFrame
        Index ``user_id`` (users with an activity event at or before ``as_of``, in the log's
        user order); ``duration`` (days, float), ``observed`` (bool: churn seen by ``as_of``),
        then the ``early_<event>`` counts (int64, one column per event name seen by ``as_of``)
        and the covariate columns.  Durations are in days since the user's first activity;
        ``frame.attrs`` records ``clock``, ``threshold_days`` and ``duration_unit`` so
        :func:`kaplan_meier` can label its axis and choose its report times.

    Raises
    ------
    InvalidParameterError
        For a bad definition, kind, clock, window, covariates frame, unknown activity events or
        ``as_of`` before the data.
    InsufficientDataError
        When the log has events but no activity event is at or before ``as_of``.

    Warns
    -----
    InsufficientDataWarning
        For a log without events (and no ``as_of``): the frame has no row (the empty-data
        policy; :func:`kaplan_meier` and the other estimators then raise).

    See Also
    --------
    kaplan_meier : Survival curves from this frame.
    churn_labels : The per-user state as of one date.

    Notes
    -----
    Time starts at the user's first activity event.  The churn event happens at the instant a
    silence reaches the threshold, i.e. at *activity + threshold* when no activity follows
    within the threshold, so ``duration = churn instant - first activity``:

    - ``"terminal"``: the final silence, counted from the last activity at or before
      ``as_of``.  ``observed`` is True when ``last activity + threshold <= as_of``, exactly the
      ``churned`` flag of :func:`churn_labels`; users who lapsed earlier but came back are not
      churned.  For an observed churn, ``duration - threshold`` is the active lifetime (last
      minus first activity).
    - ``"first_lapse"``: the first gap between consecutive activities (or from the last
      activity to ``as_of``) that reaches the threshold, even if the user came back later.

    Users not churned by ``as_of`` are censored there: ``duration = as_of - first activity``,
    ``observed`` False.  Early-behaviour counts include every event (not only activity events)
    at or after the first activity, within ``early_window`` and at or before ``as_of``; users
    seen less than ``early_window`` before ``as_of`` have truncated counts.

    *Clocks.*  With ``clock="churn"`` (the default) the event is dated when the inactivity rule
    declares it, last activity + threshold: the date a rule-based churn flag (such as
    :func:`churn_labels`) first calls the user churned, and the convention of contractual
    survival data whose event is the cancellation date.  A Kaplan–Meier curve on this clock
    stays at 1 until the threshold (``"terminal"``).  With ``clock="last_activity"`` the event
    is dated at the last activity before the lapse (``duration`` is first to last activity,
    i.e. the churn-clock duration minus the threshold for an observed churn) and users not
    churned are censored at their last activity, the only time they are known to be active:
    the customer-lifetime convention of the non-contractual literature (in BG/NBD, Fader,
    Hardie & Lee 2005, and the ``lifetimes`` summaries, a customer's recency is last minus
    first transaction and the dropout follows the last transaction).

    Examples
    --------
    >>> import pandas as pd
    >>> from useropslib.churn import survival_frame
    >>> df = pd.DataFrame({
    ...     "user_id": ["a", "a", "a", "b", "b"],
    ...     "event": ["signup", "open", "open", "signup", "open"],
    ...     "timestamp": pd.to_datetime(["2024-01-01", "2024-01-03", "2024-02-20",
    ...                                  "2024-01-10", "2024-03-25"], utc=True),
    ... })
    >>> survival_frame(df, "30D", as_of="2024-04-01")
             duration  observed  early_signup  early_open
    user_id
    a            80.0      True             1           1
    b            82.0     False             1           0
    >>> survival_frame(df, "30D", as_of="2024-04-01", kind="first_lapse", early_window=None)
             duration  observed
    user_id
    a            32.0      True
    b            30.0      True
    >>> survival_frame(df, "30D", as_of="2024-04-01", clock="last_activity", early_window=None)
             duration  observed
    user_id
    a            50.0      True
    b            75.0     False
    """
    if not isinstance(events, LazyEventLog):
        log = as_event_log(events)
    d = as_definition(definition)
    k = d.kind if kind is None else kind
    if not isinstance(k, str) or k not in _KINDS:
        close = did_you_mean(str(k), _KINDS)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        raise InvalidParameterError(
            f"Invalid kind={k!r}. Expected 'terminal' (the final silence) or 'first_lapse' (the "
            f"first silence of at least the threshold).{hint}"
        )
    if not isinstance(clock, str) or clock not in _CLOCKS:
        close = did_you_mean(str(clock), _CLOCKS)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        raise InvalidParameterError(
            f"Invalid clock={clock!r}. Expected 'churn' (the event at last activity + threshold) "
            f"or 'last_activity' (the active lifetime, first to last activity).{hint}"
        )
    res_ns = None if resolution is None else window_ns(resolution, "resolution")
    w_ns = None if early_window is None else window_ns(early_window, "early_window")
    thr = threshold_ns(d)
    early: pd.DataFrame | None = None
    if isinstance(events, LazyEventLog):  # per-user reductions in the engine
        from useropslib.churn._lazyuser import lazy_survival_parts

        index, first, churn, observed, as_of_ns, early = lazy_survival_parts(
            events, d, k, as_of=as_of, w_ns=w_ns, thr=thr
        )
    else:
        if log.n_events == 0 and as_of is None:
            # a survival frame is a table of users: an empty log has none (the empty-data
            # policy; the estimators that read the frame raise)
            warn_empty(
                "survival_frame: the event log has no events, so the frame has no user",
                hint="check the filters that produced the log",
            )
            as_of_ns = 0
            codes = first = churn = np.empty(0, dtype=np.int64)
            observed = np.empty(0, dtype=bool)
        elif k == "terminal":
            as_of_ns = resolve_as_of(log, as_of)
            codes, first, last = activity(log, d.activity_events, as_of_ns).first_last()
            churn = last + thr
            observed = churn <= as_of_ns
        else:
            as_of_ns = resolve_as_of(log, as_of)
            users, ts = activity(log, d.activity_events, as_of_ns).by_user()
            codes, first, churn, observed = _first_lapse(users, ts, thr, as_of_ns)
        index = pd.Index(log.users.take(codes), name="user_id")
        if w_ns is not None:
            early = _early_counts(log, codes, first, w_ns, as_of_ns)
    # last_activity: the activity that opened the lapse; the last activity for users not churned
    end = np.where(observed, churn, as_of_ns) if clock == "churn" else churn - thr
    dur_ns = end - first
    if res_ns is not None:
        dur_ns = (dur_ns // res_ns) * res_ns
    frame: pd.DataFrame = pd.DataFrame(
        {"duration": dur_ns / NS_PER_DAY, "observed": observed}, index=index
    )
    if early is not None:
        early.index = frame.index
        frame = pd.concat([frame, early], axis=1)
    if covariates is not None:
        frame = _join_covariates(frame, covariates)
    frame.attrs = {"clock": clock, "threshold_days": thr / NS_PER_DAY, "duration_unit": _UNIT}
    return frame


# ============================================================================ input checks
@dataclasses.dataclass(frozen=True)
class _Data:
    durations: npt.NDArray[np.float64]
    observed: npt.NDArray[np.bool_]
    groups: npt.NDArray[np.int64]
    labels: pd.Index
    as_of: pd.Timestamp | None
    extra: dict[str, Any]
    clock: dict[str, Any]  # clock, threshold_days, duration_unit when known


def _column(frame: pd.DataFrame, name: str, param: str) -> pd.Series:
    if not isinstance(name, str) or name not in frame.columns:
        cols = [str(c) for c in frame.columns]
        close = did_you_mean(str(name), cols)
        hint = f"did you mean {close[0]!r}?" if close else f"pass {param}= naming your column"
        raise InvalidParameterError(
            f"Unknown {param}={name!r}. Expected one of the frame's columns {cols}. Hint: {hint}"
        )
    col: pd.Series = frame[name]
    return col


def _group_codes(
    frame: pd.DataFrame, breakdown: Any
) -> tuple[npt.NDArray[np.int64], pd.Index, str | None]:
    n = len(frame)
    if breakdown is None:
        return np.zeros(n, dtype=np.int64), pd.Index(["all"], name="group"), None
    if isinstance(breakdown, str):
        values = _column(frame, breakdown, "breakdown")
        name: str = breakdown
    elif isinstance(breakdown, pd.Series):
        values = (
            breakdown.reindex(frame.index) if not breakdown.index.equals(frame.index) else breakdown
        )
        name = str(breakdown.name) if breakdown.name is not None else "group"
    elif isinstance(breakdown, Mapping):
        values = pd.Series(frame.index.map(lambda k: breakdown.get(k)), index=frame.index)
        name = "group"
    else:
        arr = np.asarray(breakdown, dtype=object)
        if arr.ndim != 1 or arr.size != n:
            raise InvalidParameterError(
                f"Invalid breakdown of length {arr.size if arr.ndim == 1 else arr.shape}. Expected "
                f"a column name, a Series indexed like the data, a mapping, or {n} labels."
            )
        values = pd.Series(arr, index=frame.index)
        name = "group"
    missing = values.isna().to_numpy()
    if missing.any():
        raise InvalidParameterError(
            f"breakdown has {int(missing.sum()):,} missing value(s) among {n:,} rows. Expected a "
            "label for every row. Hint: fill them first, e.g. breakdown.fillna('unknown')."
        )
    try:
        codes, uniques = pd.factorize(values, sort=True)
    except TypeError:
        codes, uniques = pd.factorize(values.astype(str), sort=True)
    return np.asarray(codes, dtype=np.int64), pd.Index(uniques, name=name), name


def _prepare(
    events: Any,
    duration_col: str,
    event_col: str,
    breakdown: Any,
    definition: DefinitionLike | None,
    as_of: Any,
    *,
    where: str,
    clock: Clock = "churn",
) -> _Data:
    extra: dict[str, Any] = {}
    as_of_ts = None
    if isinstance(events, EventLog | LazyEventLog) or definition is not None:
        if definition is None:
            raise InvalidParameterError(
                f"{where} got an event log but no definition. Expected definition=... (a "
                "ChurnDefinition or a window such as '30D') to build the survival frame, or a "
                "survival frame. Hint: survival_frame(events, definition) builds one."
            )
        log = as_event_log(events)
        d = as_definition(definition)
        frame = survival_frame(log, d, as_of=as_of, early_window=None, clock=clock)
        duration_col, event_col = "duration", "observed"
        as_of_ts = stamp(resolve_as_of(log, as_of), log.tz)
        extra["definition"] = d.model_dump(mode="json")
    elif isinstance(events, pd.DataFrame):
        frame = events
        if not isinstance(clock, str) or clock != "churn":
            raise InvalidParameterError(
                f"{where} got a survival frame and clock={clock!r}. Expected clock only with an "
                "event log: a frame's durations are already measured. Hint: pass clock to "
                "survival_frame instead."
            )
        if as_of is not None:
            raise InvalidParameterError(
                f"{where} got a survival frame and as_of={as_of!r}. Expected as_of only with an "
                "event log. Hint: pass as_of to survival_frame instead."
            )
    else:
        raise InvalidParameterError(
            f"{where} expects a survival frame (pandas DataFrame) or an EventLog, got "
            f"{type(events).__name__}."
        )
    dur, observed = survival_target(
        where,
        survival_column(where, frame, duration_col, "duration_col"),
        survival_column(where, frame, event_col, "event_col"),
        duration_col=duration_col,
        event_col=event_col,
    )
    groups, labels, _ = _group_codes(frame, breakdown)
    return _Data(
        durations=dur,
        observed=observed,
        groups=groups,
        labels=labels,
        as_of=as_of_ts,
        extra=extra,
        clock=_clock_of(frame, duration_col),
    )


def _clock_of(frame: pd.DataFrame, duration_col: str) -> dict[str, Any]:
    """Return the clock a survival frame of ours was built with (its ``attrs``), else {}."""
    attrs = getattr(frame, "attrs", {}) or {}
    thr = attrs.get("threshold_days")
    clock = attrs.get("clock")
    if (
        duration_col != "duration"
        or clock not in _CLOCKS
        or isinstance(thr, bool)
        or not isinstance(thr, int | float)
        or not math.isfinite(thr)
        or thr <= 0
    ):
        return {}
    return {"clock": clock, "threshold_days": float(thr), "duration_unit": _UNIT}


def _compress(
    durations: npt.NDArray[np.float64], observed: npt.NDArray[np.bool_]
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.bool_], npt.NDArray[np.float64]]:
    """Collapse tied (duration, observed) rows into integer weights (same estimates, less work)."""
    uniq, inv = np.unique(durations, return_inverse=True)
    n_ev = np.bincount(inv[observed], minlength=uniq.size)
    n_ce = np.bincount(inv[~observed], minlength=uniq.size)
    has_ev, has_ce = n_ev > 0, n_ce > 0
    t = np.concatenate((uniq[has_ev], uniq[has_ce]))
    e = np.concatenate((np.ones(int(has_ev.sum()), bool), np.zeros(int(has_ce.sum()), bool)))
    w = np.concatenate((n_ev[has_ev], n_ce[has_ce])).astype(np.float64)
    return t, e, w


def _check_alpha(alpha: Any) -> float:
    if (
        isinstance(alpha, bool)
        or not isinstance(alpha, int | float)
        or not math.isfinite(alpha)
        or not 0 < alpha < 1
    ):
        raise InvalidParameterError(
            f"Invalid alpha={alpha!r}. Expected a number strictly between 0 and 1, e.g. 0.05 "
            "for 95% confidence intervals."
        )
    return float(alpha)


# ============================================================================ Kaplan–Meier
@dataclasses.dataclass(frozen=True, repr=False)
class KaplanMeierResult(MetricResult):
    """Kaplan–Meier survival curves (one per group), with medians and S(t) at chosen times.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per group: ``n`` (subjects), ``events`` (churn observed), ``censored``,
        ``median`` (first time ``S(t) <= 0.5``; inf when not reached), ``median_lower`` and
        ``median_upper`` (its confidence interval: where the lower and the upper band first
        reach 0.5; inf when the band never does), then ``S(t)`` for each chosen time (NaN
        beyond the group's last time unless the curve reached 0).
    survival : pandas.DataFrame
        The curves, tidy: ``group``, ``time`` (0 and every distinct time), ``at_risk`` (just
        before the time), ``events``, ``censored``, ``survival``, ``se`` (Greenwood standard
        error of S), ``lower``, ``upper`` (pointwise band of the chosen ``ci`` type) and
        ``cumulative_hazard`` (Nelson–Aalen, lifelines' tie handling).
    median : pandas.DataFrame
        One row per group: ``median``, ``lower``, ``upper``.
    at_times : pandas.DataFrame
        Tidy S(t) at the chosen times: ``group``, ``time``, ``at_risk`` (subjects with duration
        >= time), ``survival``, ``lower``, ``upper``.
    """

    table: pd.DataFrame
    survival: pd.DataFrame
    median: pd.DataFrame
    at_times: pd.DataFrame

    def to_frame(self) -> pd.DataFrame:
        """Return the survival curves as a tidy frame (one row per group and time).

        Returns
        -------
        pandas.DataFrame
        """
        out: pd.DataFrame = self.survival.copy()
        return out

    def plot(self, ax: Any = None) -> Any:
        """Plot each group's survival curve as a step function with its confidence band.

        Parameters
        ----------
        ax : matplotlib.axes.Axes, optional
            Where to draw; a new figure when omitted.

        Returns
        -------
        matplotlib.axes.Axes
        """
        clock = {"churn": ", to churn", "last_activity": ", active lifetime"}.get(
            str(self.params.get("clock")), ""
        )
        unit = str(self.params.get("duration_unit", self.params.get("duration_col", "days")))
        return plotting.survival_curves(
            self.survival,
            time_unit=unit,
            ax=ax,
            title=f"Kaplan–Meier{clock} ({self.params['ci']} {1 - self.params['alpha']:.0%} CI)",
            legend_title=str(self.table.index.name),
        )


def _bands(
    table: pd.DataFrame, surv: npt.NDArray[np.float64], ci: str, alpha: float, kmf: Any
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Greenwood se of S and the pointwise band of the requested type."""
    n = table["at_risk"].to_numpy(dtype=np.float64)
    d = table["observed"].to_numpy(dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        term = np.where(d > 0, d / (n * (n - d)), 0.0)
    greenwood = np.cumsum(term)  # Var(log S), Greenwood
    zero = surv <= 0
    with np.errstate(invalid="ignore"):
        se = np.where(zero, np.nan, surv * np.sqrt(greenwood))
    if ci == "log":
        # R survival's conf.type="log": exp(log S -/+ z * se(log S)), upper capped at 1
        z = float(stats.norm.ppf(1 - alpha / 2))
        with np.errstate(invalid="ignore", over="ignore"):
            lower = np.where(zero, np.nan, surv * np.exp(-z * np.sqrt(greenwood)))
            upper = np.where(zero, np.nan, np.minimum(surv * np.exp(z * np.sqrt(greenwood)), 1.0))
    else:
        band = kmf.confidence_interval_.to_numpy(dtype=np.float64)
        lower = np.where(zero, np.nan, band[:, 0])
        upper = np.where(zero, np.nan, band[:, 1])
    return se, lower, upper


def _first_below_half(
    times: npt.NDArray[np.float64], curve: npt.NDArray[np.float64], *, undefined: float
) -> float:
    """First time the curve is at or below 0.5 (lifelines' median rule); inf if never.

    Band values are undefined where S = 0: the lower band is then read as 0 (it crosses when S
    does) and the upper band as 1 (it never crosses), so lower limit <= median <= upper limit.
    """
    below = np.nan_to_num(curve, nan=undefined) <= 0.5
    return float(times[int(np.argmax(below))]) if below.any() else math.inf


def _default_times(clock: Mapping[str, Any]) -> npt.NDArray[np.float64]:
    """Report times relative to the threshold when the frame's clock is known.

    The same active lifetimes (a quarter of the threshold up to four thresholds) under both
    clocks: on the churn clock an observed churn is dated a threshold after the last activity,
    so the times are shifted by the threshold (S stays 1 before it for terminal churn).
    """
    if not clock:
        return np.asarray(_DEFAULT_TIMES)
    thr = float(clock["threshold_days"])
    shift = thr if clock["clock"] == "churn" else 0.0
    return np.asarray([shift + m * thr for m in _LIFETIME_MULTIPLES])


def _check_times(times: Any) -> npt.NDArray[np.float64] | None:
    if times is None:
        return None
    if not isinstance(times, int | float | list | tuple | np.ndarray | pd.Series | pd.Index):
        raise InvalidParameterError(
            f"Invalid times of type {type(times).__name__}. Expected a number or a list of "
            "numbers (times in days)."
        )
    items = [times] if isinstance(times, int | float) else list(times)
    try:
        arr = np.asarray(items, dtype=np.float64)
    except (TypeError, ValueError):
        arr = np.array([np.nan])
    if arr.ndim != 1 or not np.isfinite(arr).all() or (arr < 0).any():
        raise InvalidParameterError(
            f"Invalid times={times!r}. Expected finite numbers >= 0 in the frame's duration "
            "unit (days for survival_frame), e.g. times=[7, 30, 90]."
        )
    return arr


def kaplan_meier(
    events: pd.DataFrame | EventLog,
    *,
    duration_col: str = "duration",
    event_col: str = "observed",
    breakdown: str | pd.Series | Mapping[Any, Any] | Sequence[Any] | None = None,
    times: Sequence[float] | None = None,
    ci: CIType = "log-log",
    alpha: float = 0.05,
    definition: DefinitionLike | None = None,
    as_of: DateLike | None = None,
    clock: Clock = "churn",
) -> KaplanMeierResult:
    """Kaplan–Meier survival curves per group through lifelines' ``KaplanMeierFitter``.

    Parameters
    ----------
    events : pandas.DataFrame or EventLog
        A survival frame (one row per subject, e.g. from :func:`survival_frame`), or events
        together with ``definition`` (the frame is then built with :func:`survival_frame`).
    duration_col, event_col : str, default "duration", "observed"
        Columns with the durations and the 0/1 (or bool) churn-observed flag.
    breakdown : str, Series, mapping or sequence, optional
        Curves per group: a column name, a Series indexed like the frame (by user id for an
        event log), a mapping from index to label, or one label per row.  Missing labels are
        an error.
    times : sequence of float, optional
        Times at which to report S(t), in the duration unit.  Default, for a frame whose
        threshold is known (built from events, or by :func:`survival_frame`): active
        lifetimes of 0.25, 0.5, 1, 2 and 4 thresholds, shifted by one threshold on the churn
        clock (so ``"30D"`` gives 37.5, 45, 60, 90, 150 days on the churn clock and 7.5, 15,
        30, 60, 120 on the last-activity clock); otherwise 7, 14, 30, 60, 90.
    ci : {"log-log", "log"}, default "log-log"
        Pointwise confidence band: ``"log-log"`` is lifelines' exponential Greenwood band (its
        default, also SAS's); ``"log"`` is R ``survfit``'s default, ``exp(log S -/+ z se(log
        S))`` with Greenwood ``se(log S)`` and the upper limit capped at 1.
    alpha : float, default 0.05
        1 - confidence level.
    definition : ChurnDefinition, str or timedelta, optional
        Needed when ``events`` is an event log.
    as_of : str, datetime or Timestamp, optional
        End of observation when ``events`` is an event log; default the log's ``as_of``.
    clock : {"churn", "last_activity"}, default "churn"
        When ``events`` is an event log: the clock of :func:`survival_frame` (time to the churn
        instant, or active lifetime to the last activity).

    Returns
    -------
    KaplanMeierResult
        ``table``, ``survival`` (the curves), ``median``, ``at_times``, ``plot()``.

    Raises
    ------
    InvalidParameterError
        For unknown columns, negative or missing durations, a non-0/1 event column, missing
        breakdown labels, an unknown ``ci`` or ``clock``, ``alpha`` outside (0, 1), negative
        times, events without a definition, or a clock with a frame.
    InsufficientDataError
        For an empty frame.

    Warns
    -----
    InsufficientDataWarning
        When no churn is observed at all (every subject censored): S(t) stays 1 and no median
        is reached.

    See Also
    --------
    survival_frame : Builds the input frame from events.
    logrank_test : Do the groups' curves differ?

    Notes
    -----
    Tied rows are collapsed into integer case weights before fitting, which gives the same
    estimates as the expanded rows.  ``S(t)`` is right-continuous (churn at ``t`` is included).
    The Greenwood variance is ``sum d / (n (n - d))`` over event times up to ``t``; ``se`` is
    ``S(t)`` times its square root (lifelines and R agree).  Medians follow lifelines (the first
    time ``S <= 0.5``; R takes the midpoint when S stays exactly 0.5 over an interval).

    Examples
    --------
    >>> import pandas as pd
    >>> from useropslib.churn import kaplan_meier
    >>> frame = pd.DataFrame({"duration": [1, 2, 2, 3, 4, 5],
    ...                       "observed": [1, 1, 0, 1, 0, 1]})
    >>> km = kaplan_meier(frame, times=[2, 4], ci="log")
    >>> km.table[["n", "events", "censored", "median", "median_lower", "median_upper"]]
           n  events  censored  median  median_lower  median_upper
    group
    all    6       4         2     3.0           2.0           inf
    >>> km.table[["S(2)", "S(4)"]]
               S(2)      S(4)
    group
    all    0.666667  0.444444
    >>> km.survival[["time", "at_risk", "events", "survival", "lower", "upper"]].round(4)
       time  at_risk  events  survival   lower  upper
    0   0.0        6       0    1.0000  1.0000    1.0
    1   1.0        6       1    0.8333  0.5827    1.0
    2   2.0        5       1    0.6667  0.3786    1.0
    3   3.0        3       1    0.4444  0.1668    1.0
    4   4.0        2       0    0.4444  0.1668    1.0
    5   5.0        1       1    0.0000     NaN    NaN
    """
    if not isinstance(ci, str) or ci not in _CI_TYPES:
        close = did_you_mean(str(ci), _CI_TYPES)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        raise InvalidParameterError(
            f"Invalid ci={ci!r}. Expected 'log-log' (lifelines' default) or 'log' (R survfit's "
            f"default).{hint}"
        )
    a = _check_alpha(alpha)
    chosen_times = _check_times(times)
    args = (events, duration_col, event_col, breakdown, definition, as_of)
    data_ = _prepare(*args, where="kaplan_meier", clock=clock)
    t_at = _default_times(data_.clock) if chosen_times is None else chosen_times
    from lifelines import KaplanMeierFitter, NelsonAalenFitter

    if not data_.observed.any():
        warnings.warn(
            f"No churn observed: every one of the {data_.durations.size:,} subjects is "
            "censored, so S(t) = 1 throughout and no median is reached. Hint: use a later "
            "as_of or a shorter threshold.",
            InsufficientDataWarning,
            stacklevel=2,
        )
    rows, curves, medians, at_rows = [], [], [], []
    labels = data_.labels
    for gi, label in enumerate(labels):
        sel = data_.groups == gi
        dur, obs = data_.durations[sel], data_.observed[sel]
        t, e, w = _compress(dur, obs)
        kmf = KaplanMeierFitter(alpha=a).fit(t, e, weights=w)
        naf = NelsonAalenFitter(alpha=a).fit(t, e, weights=w)
        et = kmf.event_table
        timeline = et.index.to_numpy(dtype=np.float64)
        surv = kmf.survival_function_.iloc[:, 0].to_numpy(dtype=np.float64)
        se, lower, upper = _bands(et, surv, ci, a, kmf)
        hazard = naf.cumulative_hazard_.iloc[:, 0].reindex(et.index).to_numpy(dtype=np.float64)
        curves.append(
            pd.DataFrame(
                {
                    "group": label,
                    "time": timeline,
                    "at_risk": et["at_risk"].to_numpy().round().astype(np.int64),
                    "events": et["observed"].to_numpy().round().astype(np.int64),
                    "censored": et["censored"].to_numpy().round().astype(np.int64),
                    "survival": surv,
                    "se": se,
                    "lower": lower,
                    "upper": upper,
                    "cumulative_hazard": hazard,
                }
            )
        )
        med = float(kmf.median_survival_time_)
        med_lo = _first_below_half(timeline, lower, undefined=0.0)
        med_hi = _first_below_half(timeline, upper, undefined=1.0)
        medians.append({"median": med, "lower": med_lo, "upper": med_hi})
        # S(t) and its band at the chosen times (step function, right-continuous)
        pos = np.searchsorted(timeline, t_at, side="right") - 1
        s_at = surv[pos]
        beyond = (t_at > timeline[-1]) & (surv[-1] > 0)
        s_at = np.where(beyond, np.nan, s_at)
        lo_at = np.where(beyond, np.nan, lower[pos])
        hi_at = np.where(beyond, np.nan, upper[pos])
        dur_sorted = np.sort(dur)
        risk_at = dur.size - np.searchsorted(dur_sorted, t_at, side="left")
        at_rows.append(
            pd.DataFrame(
                {
                    "group": label,
                    "time": t_at,
                    "at_risk": risk_at.astype(np.int64),
                    "survival": s_at,
                    "lower": lo_at,
                    "upper": hi_at,
                }
            )
        )
        row: dict[str, Any] = {
            "n": int(dur.size),
            "events": int(obs.sum()),
            "censored": int(dur.size - obs.sum()),
            "median": med,
            "median_lower": med_lo,
            "median_upper": med_hi,
        }
        row.update({f"S({x:g})": float(v) for x, v in zip(t_at, s_at, strict=True)})
        rows.append(row)
    table = pd.DataFrame(rows, index=labels)
    median = pd.DataFrame(medians, index=labels)
    params: dict[str, Any] = {
        "duration_col": "duration" if data_.extra else duration_col,
        "event_col": "observed" if data_.extra else event_col,
        "breakdown": labels.name if breakdown is not None else None,
        "times": [float(x) for x in t_at],
        "ci": ci,
        "alpha": a,
        **data_.clock,
        **data_.extra,
    }
    return KaplanMeierResult(
        params=params,
        as_of=data_.as_of,
        table=table,
        survival=pd.concat(curves, ignore_index=True),
        median=median,
        at_times=pd.concat(at_rows, ignore_index=True),
    )


# ============================================================================ log-rank
@dataclasses.dataclass(frozen=True, repr=False)
class LogrankResult(MetricResult):
    """A log-rank test that the groups' survival curves are equal.

    Attributes
    ----------
    statistic : float
        The chi-squared test statistic.
    p_value : float
        Its p-value with ``degrees_of_freedom`` degrees of freedom.
    degrees_of_freedom : int
        Number of groups minus one.
    table : pandas.DataFrame
        One row per group: ``n`` and ``events``.
    """

    statistic: float
    p_value: float
    degrees_of_freedom: int
    table: pd.DataFrame

    def to_frame(self) -> pd.DataFrame:
        """Return the test as a one-row frame.

        Returns
        -------
        pandas.DataFrame
        """
        out: pd.DataFrame = pd.DataFrame(
            {
                "statistic": [self.statistic],
                "p_value": [self.p_value],
                "degrees_of_freedom": [self.degrees_of_freedom],
            }
        )
        return out


def logrank_test(
    events: pd.DataFrame | EventLog,
    *,
    breakdown: str | pd.Series | Mapping[Any, Any] | Sequence[Any],
    duration_col: str = "duration",
    event_col: str = "observed",
    definition: DefinitionLike | None = None,
    as_of: DateLike | None = None,
    clock: Clock = "churn",
) -> LogrankResult:
    """Log-rank test across groups (lifelines' ``multivariate_logrank_test``).

    Parameters
    ----------
    events : pandas.DataFrame or EventLog
        A survival frame, or events together with ``definition``.
    breakdown : str, Series, mapping or sequence
        The groups, as in :func:`kaplan_meier`; at least two.
    duration_col, event_col : str, default "duration", "observed"
        Columns with the durations and the churn-observed flag.
    definition : ChurnDefinition, str or timedelta, optional
        Needed when ``events`` is an event log.
    as_of : str, datetime or Timestamp, optional
        End of observation when ``events`` is an event log.
    clock : {"churn", "last_activity"}, default "churn"
        When ``events`` is an event log: the clock of :func:`survival_frame`.

    Returns
    -------
    LogrankResult
        ``statistic``, ``p_value``, ``degrees_of_freedom``, ``table``.

    Raises
    ------
    InvalidParameterError
        For bad columns or groups, as in :func:`kaplan_meier`.
    InsufficientDataError
        With fewer than two groups or no observed churn.

    Examples
    --------
    >>> import pandas as pd
    >>> from useropslib.churn import logrank_test
    >>> frame = pd.DataFrame({"duration": [1, 2, 3, 4, 5, 6, 7, 8],
    ...                       "observed": [1, 1, 1, 0, 1, 1, 0, 1],
    ...                       "arm": ["a", "a", "a", "a", "b", "b", "b", "b"]})
    >>> res = logrank_test(frame, breakdown="arm")
    >>> round(res.statistic, 4), round(res.p_value, 4), res.degrees_of_freedom
    (4.2126, 0.0401, 1)
    """
    args = (events, duration_col, event_col, breakdown, definition, as_of)
    data_ = _prepare(*args, where="logrank_test", clock=clock)
    k = len(data_.labels)
    if k < 2:
        raise InsufficientDataError(
            f"A log-rank test needs at least two groups, got {k} ({list(data_.labels)}) over "
            f"{data_.durations.size:,} subjects. Hint: choose a group with several values."
        )
    if not data_.observed.any():
        raise InsufficientDataError(
            f"A log-rank test needs observed churn, got 0 events among "
            f"{data_.durations.size:,} subjects (all censored). Hint: use a later as_of or a "
            "shorter threshold."
        )
    from lifelines.statistics import multivariate_logrank_test

    parts_t, parts_e, parts_w, parts_g = [], [], [], []
    for gi in range(k):
        sel = data_.groups == gi
        t, e, w = _compress(data_.durations[sel], data_.observed[sel])
        parts_t.append(t)
        parts_e.append(e)
        parts_w.append(w)
        parts_g.append(np.full(t.size, gi, dtype=np.int64))
    res = multivariate_logrank_test(
        np.concatenate(parts_t),
        np.concatenate(parts_g),
        np.concatenate(parts_e),
        weights=np.concatenate(parts_w),
    )
    n = np.bincount(data_.groups, minlength=k)
    ev = np.bincount(data_.groups[data_.observed], minlength=k)
    table = pd.DataFrame(
        {"n": n.astype(np.int64), "events": ev.astype(np.int64)}, index=data_.labels
    )
    params: dict[str, Any] = {
        "duration_col": "duration" if data_.extra else duration_col,
        "event_col": "observed" if data_.extra else event_col,
        "breakdown": data_.labels.name,
        **data_.extra,
    }
    return LogrankResult(
        params=params,
        as_of=data_.as_of,
        statistic=float(res.test_statistic),
        p_value=float(res.p_value),
        degrees_of_freedom=int(res.degrees_of_freedom),
        table=table,
    )
