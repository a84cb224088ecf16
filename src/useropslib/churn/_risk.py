"""Who is about to churn (流失预警): features at a cutoff, a calibrated risk model, early warning.

- :func:`churn_features` turns the event log into one row per user as of a cutoff: recency,
  tenure, events, active days, distinct events and value per window, and the trend of activity
  (last window against the one before); with ``horizon`` it adds the label, "no activity in the
  ``horizon`` after the cutoff".  Only events at or before the cutoff are read for features.
- :class:`ChurnRiskModel` is a scikit-learn classifier trained on those features at an earlier
  cutoff and evaluated at a later one (a time-based split, no leakage), with a calibrated
  gradient-boosting default; it scores current users at the log's ``as_of``.
- :func:`early_warning` flags users whose key indicator (active days, or one event) in the recent
  window fell by at least a given share against their own baseline rate.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import warnings
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import numpy.typing as npt
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.calibration import CalibratedClassifierCV
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.metrics import average_precision_score, brier_score_loss, roc_auc_score

from useropslib import plotting
from useropslib._checks import check_window
from useropslib._results import MetricResult
from useropslib.churn._lazychurn import lazy_early_warning, lazy_feature_table, warning_table
from useropslib.churn._types import not_fitted
from useropslib.events import EventLog, EventsLike, LazyEventLog, as_event_log, period_codes
from useropslib.events._query import EventSelector, churn_engine_ready, warn_empty
from useropslib.events._time import to_utc_ns
from useropslib.exceptions import (
    InsufficientDataError,
    InvalidParameterError,
    UseropsWarning,
)
from useropslib.models import DateLike

try:  # scikit-learn >= 1.6
    from sklearn.utils.validation import validate_data as _validate_data
except ImportError:  # pragma: no cover - older scikit-learn

    def _validate_data(estimator: Any, *args: Any, **kwargs: Any) -> Any:
        return estimator._validate_data(*args, **kwargs)


if TYPE_CHECKING:
    from typing_extensions import Self


__all__ = ["ChurnRiskModel", "RiskEvaluation", "churn_features", "early_warning"]

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
WindowLike = str | dt.timedelta

_DAY_NS = 86_400 * 10**9
_EVENT_LOG_COLUMNS = ("user_id", "event", "timestamp")
#: Largest user x key grid counted densely (booleans); beyond it distinct counts use a sort.
_DENSE_LIMIT = 1 << 28
_DEFAULT_TOP_SHARES = (0.01, 0.05, 0.1, 0.2)


# --------------------------------------------------------------------------------------------------
# small helpers
# --------------------------------------------------------------------------------------------------


def _window_ns(value: WindowLike, name: str) -> int:
    return check_window(value, name)


def _label(ns: int) -> str:
    """Column suffix of a window: ``7d``, ``12h``, ``90min``, ``30s``."""
    for unit, size in (("d", _DAY_NS), ("h", 3_600 * 10**9), ("min", 60 * 10**9)):
        if ns % size == 0:
            return f"{ns // size}{unit}"
    return f"{ns / 1e9:g}s"


def _windows(windows: Sequence[WindowLike]) -> list[tuple[str, int]]:
    if isinstance(windows, str | dt.timedelta):
        windows = [windows]
    if not isinstance(windows, list | tuple):
        raise InvalidParameterError(
            f"Invalid windows of type {type(windows).__name__}. Expected a window such as '7D' "
            "or a list of them."
        )
    out = [(_label(ns), ns) for ns in (_window_ns(w, "windows") for w in windows)]
    if not out:
        raise InvalidParameterError(
            "windows is empty. Expected at least one window such as '7D'. Hint: the default is "
            "('7D', '30D')."
        )
    labels = [lab for lab, _ in out]
    if len(set(labels)) != len(labels):
        raise InvalidParameterError(
            f"windows {list(windows)} repeat a length ({labels}). Expected distinct windows. "
            "Hint: drop the duplicate."
        )
    return out


def _instant(log: EventLog | LazyEventLog, value: Any, name: str) -> int:
    """Read a user-given instant as UTC ns, checked against the log's ``as_of`` and first event."""
    if value is None:
        if log.as_of_ns is None:
            raise InsufficientDataError(
                f"The event log is empty, so there is no default {name}. Expected events. Hint: "
                "check the filters applied to the log."
            )
        return int(log.as_of_ns)
    ns = to_utc_ns(value, tz=log.tz, name=name)
    if log.as_of_ns is not None and ns > log.as_of_ns:
        raise InvalidParameterError(
            f"{name}={value!r} is after the log's as_of ({log.as_of}); what happened after as_of "
            f"is unknown. Expected {name} <= {log.as_of}. Hint: pass an earlier {name}, or build "
            "the log with a later as_of."
        )
    start = log.start
    if start is not None and ns < start.value:
        raise InvalidParameterError(
            f"{name}={value!r} is before the first event ({start}). Expected a time inside the "
            f"data. Hint: pass a {name} after {start}."
        )
    return ns


def _stamp(log: EventLog | LazyEventLog, ns: int) -> pd.Timestamp:
    out: pd.Timestamp = pd.Timestamp(ns, unit="ns", tz="UTC").tz_convert(log.tz)
    return out


def _activity_mask(log: EventLog, activity_events: Sequence[str] | None) -> BoolArray | None:
    if activity_events is None:
        return None
    return EventSelector.parse(activity_events, param="activity_events").mask(log)


def _distinct_per_user(users: IntArray, keys: IntArray, n_users: int, n_keys: int) -> IntArray:
    """Count distinct ``keys`` per user code (a dense boolean grid, or a sort when huge)."""
    if users.size == 0:
        return np.zeros(n_users, dtype=np.int64)
    if n_users * n_keys <= _DENSE_LIMIT:
        grid = np.zeros(n_users * n_keys, dtype=bool)
        grid[users * n_keys + keys] = True
        out: IntArray = np.count_nonzero(grid.reshape(n_users, n_keys), axis=1).astype(np.int64)
        return out
    pairs = np.unique(users * n_keys + keys)
    counts: IntArray = np.bincount(pairs // n_keys, minlength=n_users).astype(np.int64)
    return counts


# --------------------------------------------------------------------------------------------------
# features
# --------------------------------------------------------------------------------------------------


def churn_features(
    events: EventsLike,
    *,
    cutoff: DateLike | None = None,
    windows: Sequence[WindowLike] = ("7D", "30D"),
    horizon: WindowLike | None = None,
    activity_events: Sequence[str] | None = None,
    active_within: WindowLike | None = None,
) -> pd.DataFrame:
    """Per-user behaviour features as of ``cutoff``, and optionally the churn label after it.

    Only events at or before ``cutoff`` are read for the features, so the same call on the log cut
    at ``cutoff`` gives the same result.  Windows are rolling: ``"7D"`` covers
    ``(cutoff - 7 days, cutoff]``.

    Parameters
    ----------
    events : EventLog, LazyEventLog or DataFrame
        The events.
    cutoff : str, datetime or Timestamp, optional
        The "now" of the features; naive values are read in the log's time zone.  Default: the
        log's ``as_of``.
    windows : sequence of str or timedelta, default ("7D", "30D")
        Look-back windows for the windowed features.
    horizon : str or timedelta, optional
        Add the label ``churned``: True when the user has no activity in
        ``(cutoff, cutoff + horizon]``.  That window must have ended by the log's ``as_of``.
    activity_events : sequence of str, optional
        Event names that count as activity (e.g. leave out ``message_sent``, which users do not
        do themselves).  Default: every event.  Features and label read only these events.
    active_within : str or timedelta, optional
        Keep only users with activity in ``(cutoff - active_within, cutoff]``, i.e. not yet lapsed.
        Default: every user with activity at or before ``cutoff``.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``user_id`` (in the order of the log's user vocabulary), with columns

        - ``recency_days``: days from the last activity to ``cutoff``;
        - ``tenure_days``: days from the first activity to ``cutoff``;
        - ``events_total``: activity events up to ``cutoff``;
        - ``value_total``: sum of event values up to ``cutoff`` (when the log has values);
        - per window ``w`` (e.g. ``7d``): ``events_w``, ``active_days_w`` (distinct calendar
          days in the log's time zone with activity in the window), ``distinct_events_w``
          (distinct event names), ``value_w`` (when the log has values) and ``trend_w``
          = ``(n_last - n_prev) / (n_last + n_prev)`` from the events in the window and in the
          window of the same length before it: -1 stopped, 0 steady (or no activity in either),
          +1 new;
        - ``churned`` (bool) when ``horizon`` is given.

    Raises
    ------
    InvalidParameterError
        For an unreadable or out-of-range ``cutoff``, a bad window, unknown activity events, or a
        label window that ends after the log's ``as_of``.

    Warns
    -----
    InsufficientDataWarning
        When no user has activity at or before ``cutoff`` (within ``active_within``), or the log
        is empty: the table has its columns and no row (the empty-data policy: a table counts).

    See Also
    --------
    ChurnRiskModel : A classifier trained on these features.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({
    ...     "user_id": ["a", "a", "a", "b", "b"],
    ...     "event": ["open", "open", "buy", "open", "open"],
    ...     "timestamp": ["2024-03-01 10:00", "2024-03-20 09:00", "2024-03-28 12:00",
    ...                   "2024-03-02 08:00", "2024-04-05 08:00"],
    ... })
    >>> log = EventLog.from_pandas(df, tz="UTC", as_of="2024-04-14")
    >>> f = churn_features(log, cutoff="2024-03-31", windows=["7D", "30D"], horizon="14D")
    >>> f[["recency_days", "events_7d", "active_days_30d", "trend_30d", "churned"]].round(2)
             recency_days  events_7d  active_days_30d  trend_30d  churned
    user_id
    a                2.50          1                3        1.0     True
    b               28.67          0                1        1.0    False
    """
    return _feature_table(
        events if churn_engine_ready(events) else as_event_log(events),
        cutoff=cutoff,
        windows=windows,
        horizon=horizon,
        activity_events=activity_events,
        active_within=active_within,
        empty="warn",
    )


def _feature_table(
    log: EventLog | LazyEventLog,
    *,
    cutoff: DateLike | None,
    windows: Sequence[WindowLike],
    horizon: WindowLike | None,
    activity_events: Sequence[str] | None,
    active_within: WindowLike | None,
    empty: Literal["warn", "raise"],
) -> pd.DataFrame:
    """Build the :func:`churn_features` table.

    ``empty`` says what no described user gives: the public table counts (a zero-row table and
    a warning), the risk model estimates (InsufficientDataError).
    """
    if empty == "warn" and cutoff is None and log.as_of_ns is None:
        cut = 0  # an empty log: any instant gives the same zero-row table
    else:
        cut = _instant(log, cutoff, "cutoff")
    spans = _windows(windows)
    horizon_ns = None if horizon is None else _window_ns(horizon, "horizon")
    if horizon_ns is not None and log.as_of_ns is not None and cut + horizon_ns > log.as_of_ns:
        end = _stamp(log, cut + horizon_ns)
        latest = _stamp(log, log.as_of_ns - horizon_ns)
        raise InvalidParameterError(
            f"The label window (cutoff, cutoff + {horizon}] ends at {end}, after the log's as_of "
            f"({log.as_of}), so some users' futures are unknown. Expected cutoff + horizon <= "
            f"as_of. Hint: use cutoff <= {latest}."
        )
    within_ns = None if active_within is None else _window_ns(active_within, "active_within")
    if isinstance(log, LazyEventLog):  # per-user aggregates in the engine (one GROUP BY)
        return lazy_feature_table(
            log,
            cut=cut,
            spans=spans,
            horizon_ns=horizon_ns,
            within_ns=within_ns,
            activity_events=activity_events,
            active_within=active_within,
            empty=empty,
        )

    activity = _activity_mask(log, activity_events)
    users_all = log.user_codes
    ts_all = log.timestamps_ns
    past = ts_all <= cut
    if activity is not None:
        past &= activity
    n_users = len(log.users)
    u = users_all[past].astype(np.int64)
    ts = ts_all[past]
    ev = log.event_codes[past].astype(np.int64)
    values = log.values
    vals = None if values is None else np.nan_to_num(values[past])

    counts_total = np.bincount(u, minlength=n_users)
    last = np.full(n_users, np.iinfo(np.int64).min, dtype=np.int64)
    np.maximum.at(last, u, ts)
    present = counts_total > 0
    if within_ns is not None:
        present &= last > cut - within_ns
    codes = np.flatnonzero(present)
    if codes.size == 0:
        extra = "" if within_ns is None else f" within {active_within}"
        what = (
            "The event log has no events"
            if log.n_events == 0
            else f"No user has activity at or before cutoff={_stamp(log, cut)}{extra} "
            f"({log.n_events} events in the log, {int(past.sum())} before the cutoff)"
        )
        hint = "pass a later cutoff or check activity_events"
        if empty == "raise":
            raise InsufficientDataError(f"{what}. Expected some users to describe. Hint: {hint}.")
        warn_empty(f"churn_features: {what}, so the table is empty", hint=hint, stacklevel=4)
    first = np.full(n_users, np.iinfo(np.int64).max, dtype=np.int64)
    np.minimum.at(first, u, ts)

    # one counting pass over (user, age bucket): bounds at every w and 2w
    age = cut - ts
    bounds = np.unique(np.array([b for _, w in spans for b in (w, 2 * w)], dtype=np.int64))
    bucket = np.zeros(age.size, dtype=np.int64)
    for b in bounds:  # a loop over a handful of window bounds, not over events
        bucket += age >= b
    n_b = bounds.size + 1
    grid = np.bincount(u * n_b + bucket, minlength=n_users * n_b).reshape(n_users, n_b)
    cum = np.cumsum(grid, axis=1)  # cum[:, k] = events with age < bounds[k]
    pos = {int(b): k for k, b in enumerate(bounds)}
    vcum = None
    if vals is not None:
        nz = vals != 0
        vgrid = np.bincount(
            u[nz] * n_b + bucket[nz], weights=vals[nz], minlength=n_users * n_b
        ).reshape(n_users, n_b)
        vcum = np.cumsum(vgrid.astype(np.float64), axis=1)  # float even with no value

    longest = max(w for _, w in spans)
    recent = age < longest
    u_r, age_r, ev_r = u[recent], age[recent], ev[recent]
    day_r = period_codes(ts[recent], "day", tz=log.tz, week_start=log.week_start)
    day0 = int(day_r.min()) if day_r.size else 0
    n_days = int(day_r.max()) - day0 + 1 if day_r.size else 1
    n_names = max(len(log.event_names), 1)

    out: dict[str, Any] = {
        "recency_days": (cut - last[codes]) / _DAY_NS,
        "tenure_days": (cut - first[codes]) / _DAY_NS,
        "events_total": counts_total[codes].astype(np.int64),
    }
    if vcum is not None:
        out["value_total"] = vcum[codes, -1]
    for name, w in spans:
        n_last = cum[:, pos[w]]
        n_prev = cum[:, pos[2 * w]] - n_last
        in_w = age_r < w
        uw = u_r[in_w]
        out[f"events_{name}"] = n_last[codes].astype(np.int64)
        out[f"active_days_{name}"] = _distinct_per_user(uw, day_r[in_w] - day0, n_users, n_days)[
            codes
        ]
        out[f"distinct_events_{name}"] = _distinct_per_user(uw, ev_r[in_w], n_users, n_names)[codes]
        if vcum is not None:
            out[f"value_{name}"] = vcum[codes, pos[w]]
        both = (n_last + n_prev)[codes]
        with np.errstate(invalid="ignore", divide="ignore"):
            trend = np.where(both > 0, (n_last - n_prev)[codes] / np.maximum(both, 1), 0.0)
        out[f"trend_{name}"] = trend.astype(np.float64)
    if horizon_ns is not None:
        future = (ts_all > cut) & (ts_all <= cut + horizon_ns)
        if activity is not None:
            future &= activity
        came_back = np.bincount(users_all[future], minlength=n_users) > 0
        out["churned"] = ~came_back[codes]
    frame: pd.DataFrame = pd.DataFrame(out, index=pd.Index(log.users[codes], name="user_id"))
    return frame


# --------------------------------------------------------------------------------------------------
# evaluation result
# --------------------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True, repr=False)
class RiskEvaluation(MetricResult):
    """How well churn-risk scores rank and calibrate against what happened.

    Attributes
    ----------
    roc_auc : float
        Area under the ROC curve (0.5 is chance, 1 perfect ranking).
    pr_auc : float
        Area under the precision-recall curve (average precision); compare with ``base_rate``.
    brier_loss : float
        Brier score, the mean squared error of the probabilities (lower is better).
    base_rate : float
        Share of users who churned.
    n_users, n_churned : int
        Users scored, and how many of them churned.
    calibration_table : pandas.DataFrame
        One row per non-empty probability bin: ``bin_lower``, ``bin_upper``, ``n_users``,
        ``mean_predicted``, ``observed_rate``.
    top_k_table : pandas.DataFrame
        One row per ``k``: ``share`` of users, ``precision`` (churners among the k highest
        scores), ``recall`` (share of all churners caught) and ``lift`` (precision / base rate).
    """

    roc_auc: float
    pr_auc: float
    brier_loss: float
    base_rate: float
    n_users: int
    n_churned: int
    calibration_table: pd.DataFrame
    top_k_table: pd.DataFrame

    def to_frame(self) -> pd.DataFrame:
        """Return the headline metrics as a tidy frame.

        Returns
        -------
        pandas.DataFrame
            Columns ``metric`` and ``value``.

        Examples
        --------
        >>> import numpy as np
        >>> from sklearn.linear_model import LogisticRegression
        >>> X = np.array([[0.0], [1.0], [2.0], [3.0], [4.0], [5.0]] * 5)
        >>> y = np.array([False, False, True, False, True, True] * 5)
        >>> model = ChurnRiskModel(estimator=LogisticRegression(), calibration=None).fit(X, y)
        >>> model.evaluate(X, y).to_frame().round(3)
               metric   value
        0     roc_auc   0.889
        1      pr_auc   0.917
        2  brier_loss   0.143
        3   base_rate   0.500
        4     n_users  30.000
        5   n_churned  15.000
        """
        names = ("roc_auc", "pr_auc", "brier_loss", "base_rate", "n_users", "n_churned")
        out: pd.DataFrame = pd.DataFrame(
            {"metric": list(names), "value": [float(getattr(self, n)) for n in names]}
        )
        return out

    def plot(self, ax: Any = None) -> Any:
        """Plot the calibration curve: observed churn rate against mean predicted probability.

        Parameters
        ----------
        ax : matplotlib.axes.Axes, optional
            Where to draw; default a new figure.

        Returns
        -------
        matplotlib.axes.Axes

        Raises
        ------
        UseropsError
            When matplotlib is not installed.
        """
        t = self.calibration_table
        return plotting.calibration_curve(
            t["mean_predicted"],
            t["observed_rate"],
            ax=ax,
            title=f"Calibration (ROC AUC {self.roc_auc:.3f}, Brier {self.brier_loss:.3f})",
        )


def _evaluate_scores(
    y: BoolArray, p: FloatArray, *, n_bins: int, top_k: Sequence[int] | int | None
) -> dict[str, Any]:
    n = y.size
    n_churned = int(y.sum())
    if n_churned == 0 or n_churned == n:
        raise InsufficientDataError(
            f"Cannot evaluate on {n} users of whom {n_churned} churned: ROC and PR curves need "
            "both churned and retained users. Hint: evaluate on a longer period or more users."
        )
    if not isinstance(n_bins, int) or isinstance(n_bins, bool) or n_bins < 1:
        raise InvalidParameterError(f"n_bins must be a positive integer, got {n_bins!r}.")
    base = n_churned / n
    edges = np.linspace(0.0, 1.0, n_bins + 1)
    which = np.clip(np.searchsorted(edges, p, side="right") - 1, 0, n_bins - 1)
    count = np.bincount(which, minlength=n_bins)
    sum_p = np.bincount(which, weights=p, minlength=n_bins)
    sum_y = np.bincount(which, weights=y.astype(np.float64), minlength=n_bins)
    keep = count > 0
    calibration = pd.DataFrame(
        {
            "bin_lower": edges[:-1][keep],
            "bin_upper": edges[1:][keep],
            "n_users": count[keep].astype(np.int64),
            "mean_predicted": sum_p[keep] / count[keep],
            "observed_rate": sum_y[keep] / count[keep],
        }
    )
    if top_k is None:
        ks = sorted({max(1, round(s * n)) for s in _DEFAULT_TOP_SHARES})
    else:
        ks = [top_k] if isinstance(top_k, int) else list(top_k)
        bad = [k for k in ks if not isinstance(k, int | np.integer) or isinstance(k, bool) or k < 1]
        if bad:
            raise InvalidParameterError(
                f"top_k must hold positive integers (numbers of users), got {bad}. Hint: for the "
                "top 5% pass round(0.05 * n_users)."
            )
        ks = sorted({min(int(k), n) for k in ks})
    order = np.argsort(-p, kind="stable")
    hits = np.cumsum(y[order])
    k_arr = np.asarray(ks, dtype=np.int64)
    caught = hits[k_arr - 1].astype(np.float64)
    top = pd.DataFrame(
        {
            "k": k_arr,
            "share": k_arr / n,
            "precision": caught / k_arr,
            "recall": caught / n_churned,
            "lift": caught / k_arr / base,
        }
    )
    return {
        "roc_auc": float(roc_auc_score(y, p)),
        "pr_auc": float(average_precision_score(y, p)),
        "brier_loss": float(brier_score_loss(y, p)),
        "base_rate": float(base),
        "n_users": int(n),
        "n_churned": n_churned,
        "calibration_table": calibration,
        "top_k_table": top,
    }


# --------------------------------------------------------------------------------------------------
# the model
# --------------------------------------------------------------------------------------------------


def _is_event_data(data: Any, y: Any) -> bool:
    if isinstance(data, EventLog | LazyEventLog):
        return True
    return (
        y is None
        and isinstance(data, pd.DataFrame)
        and all(c in data.columns for c in _EVENT_LOG_COLUMNS)
    )


class ChurnRiskModel(ClassifierMixin, BaseEstimator):  # type: ignore[misc]
    """Probability that each user churns within ``horizon``, learnt from the log's own history.

    Fitted on an event log, it builds :func:`churn_features` at a training ``cutoff`` and labels
    each user by whether they had no activity in the ``horizon`` after it; :meth:`evaluate` does
    the same at a later cutoff whose features start where the training labels end (a time-based
    split: nothing the model learnt from lies in the evaluation's future); :meth:`predict_proba`
    scores the users at the log's ``as_of``.  Fitted on a feature matrix ``X`` and labels ``y`` it
    is an ordinary scikit-learn classifier.

    Parameters
    ----------
    horizon : str or timedelta, default "30D"
        Churned = no activity in the ``horizon`` after the cutoff.
    windows : sequence of str or timedelta, default ("7D", "30D")
        Feature windows (see :func:`churn_features`).
    activity_events : sequence of str, optional
        Event names that count as activity; default every event.
    population : {"active", "all"}, default "active"
        Users scored at a cutoff: ``"active"`` keeps those with activity in the ``horizon`` before
        it (not churned yet by the same definition); ``"all"`` keeps everyone seen before it.
    estimator : scikit-learn classifier, optional
        The model; default ``HistGradientBoostingClassifier(random_state=random_state)``.  It is
        cloned, never modified.
    calibration : {"sigmoid", "isotonic"} or None, default "sigmoid"
        Calibrate the probabilities with ``CalibratedClassifierCV`` (``cv`` folds); None uses the
        estimator's own probabilities.
    cv : int, default 3
        Folds of the calibration.
    random_state : int or None, default 0
        Seed of the default estimator.

    Attributes
    ----------
    estimator_ : classifier
        The fitted (calibrated) model.
    classes_ : ndarray
        Class labels, sorted; with an event log ``[False, True]`` (True = churned).  The last
        class is the one whose probability :meth:`churn_probability` and :meth:`evaluate` use.
    feature_names_in_ : ndarray of str
        Feature names, when fitted on a frame or a log.
    n_features_in_ : int
        Number of features.
    cutoff_ : pandas.Timestamp or None
        Training cutoff when fitted on a log.
    n_train_ : int
        Users (rows) trained on.
    train_churn_rate_ : float
        Share of the positive class in training.

    See Also
    --------
    churn_features : The features.
    early_warning : A rule-based alternative that needs no training.

    Notes
    -----
    Default cutoffs when fitted on a log with ``as_of`` T and horizon H: training at ``T - 2H``
    (labels from ``(T - 2H, T - H]``), evaluation at ``T - H`` (labels from ``(T - H, T]``),
    scoring at ``T``.

    Examples
    --------
    On a feature matrix, with a logistic regression in place of the default gradient boosting:

    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(400, 3))
    >>> y = rng.random(400) < 1 / (1 + np.exp(-2 * X[:, 0]))
    >>> model = ChurnRiskModel(estimator=LogisticRegression()).fit(X[:300], y[:300])
    >>> proba = model.predict_proba(X[300:])
    >>> proba.shape, bool(((proba >= 0) & (proba <= 1)).all())
    ((100, 2), True)
    >>> report = model.evaluate(X[300:], y[300:])
    >>> round(report.roc_auc, 2), report.top_k_table["k"].tolist()
    (0.8, [1, 5, 10, 20])
    """

    def __init__(
        self,
        *,
        horizon: WindowLike = "30D",
        windows: Sequence[WindowLike] = ("7D", "30D"),
        activity_events: Sequence[str] | None = None,
        population: Literal["active", "all"] = "active",
        estimator: Any = None,
        calibration: Literal["sigmoid", "isotonic"] | None = "sigmoid",
        cv: int = 3,
        random_state: int | None = 0,
    ) -> None:
        self.horizon = horizon
        self.windows = windows
        self.activity_events = activity_events
        self.population = population
        self.estimator = estimator
        self.calibration = calibration
        self.cv = cv
        self.random_state = random_state

    def __sklearn_tags__(self) -> Any:
        from sklearn.utils import get_tags

        tags = super().__sklearn_tags__()
        # the default gradient boosting handles missing values; another estimator says itself
        tags.input_tags.allow_nan = (
            True if self.estimator is None else get_tags(self.estimator).input_tags.allow_nan
        )
        return tags

    # ---------------------------------------------------------------- helpers
    def _check_params(self) -> int:
        if not isinstance(self.population, str) or self.population not in ("active", "all"):
            raise InvalidParameterError(
                f"population must be 'active' or 'all', got {self.population!r}."
            )
        if self.calibration is not None and (
            not isinstance(self.calibration, str) or self.calibration not in ("sigmoid", "isotonic")
        ):
            raise InvalidParameterError(
                f"calibration must be 'sigmoid', 'isotonic' or None, got {self.calibration!r}."
            )
        if not isinstance(self.cv, int) or isinstance(self.cv, bool) or self.cv < 2:
            raise InvalidParameterError(f"cv must be an integer >= 2, got {self.cv!r}.")
        return _window_ns(self.horizon, "horizon")

    def _features(self, log: EventLog, cutoff_ns: int, *, label: bool) -> pd.DataFrame:
        return _feature_table(
            log,
            cutoff=_stamp(log, cutoff_ns),
            windows=self.windows,
            horizon=self.horizon if label else None,
            activity_events=self.activity_events,
            active_within=self.horizon if self.population == "active" else None,
            empty="raise",
        )

    def _make_estimator(self) -> Any:
        base = (
            HistGradientBoostingClassifier(random_state=self.random_state)
            if self.estimator is None
            else clone(self.estimator)
        )
        if self.calibration is None:
            return base
        return CalibratedClassifierCV(base, method=self.calibration, cv=self.cv)

    def _check_fitted(self) -> None:
        if "estimator_" not in self.__dict__:
            raise not_fitted("ChurnRiskModel", "ChurnRiskModel().fit(events) or fit(X, y) first")

    # ---------------------------------------------------------------- fit
    def fit(
        self,
        X: EventsLike | npt.ArrayLike,  # noqa: N803
        y: npt.ArrayLike | None = None,
        *,
        cutoff: DateLike | None = None,
    ) -> Self:
        """Fit on an event log at a training cutoff, or on features and labels.

        Parameters
        ----------
        X : EventLog, event DataFrame, or feature matrix
            An event log (or a frame with ``user_id``, ``event``, ``timestamp`` and no ``y``), or
            features, one row per user.
        y : array-like, optional
            Labels for a feature matrix (1/True = churned).
        cutoff : str, datetime or Timestamp, optional
            Training cutoff for an event log; default ``as_of - 2 * horizon``.

        Returns
        -------
        ChurnRiskModel
            ``self``, fitted.

        Raises
        ------
        InvalidParameterError
            For bad parameters, a ``cutoff`` with a feature matrix, a feature matrix without
            ``y``, or a cutoff whose label window ends after the log's ``as_of``.
        InsufficientDataError
            When the training users all churned or all stayed.

        Examples
        --------
        On an event log (campaign messages are not something users do, so they do not count as
        activity): trained at ``as_of - 60 days`` on who churned in the 30 days after.

        >>> from sklearn.linear_model import LogisticRegression
        >>> from sklearn.pipeline import make_pipeline
        >>> from sklearn.preprocessing import StandardScaler
        >>> from useropslib.datasets import synthetic
        >>> log = synthetic(n_users=1000, days=120, seed=1).events
        >>> activity = [e for e in log.event_names if not e.startswith("message_")]
        >>> model = ChurnRiskModel(
        ...     activity_events=activity,
        ...     estimator=make_pipeline(StandardScaler(), LogisticRegression()),
        ... ).fit(log)
        >>> import pandas as pd
        >>> model.cutoff_ == log.as_of - pd.Timedelta("60D"), model.classes_.tolist()
        (True, [False, True])
        """
        horizon_ns = self._check_params()
        if _is_event_data(X, y):
            log = as_event_log(X)
            if log.as_of_ns is None:
                raise InsufficientDataError(
                    "ChurnRiskModel.fit: the event log is empty. Expected events to learn from."
                )
            default = int(log.as_of_ns) - 2 * horizon_ns
            cut = default if cutoff is None else _instant(log, cutoff, "cutoff")
            if cutoff is None and log.n_events and default < int(log.timestamps_ns.min()):
                raise InsufficientDataError(
                    f"ChurnRiskModel.fit: the log spans {log.start} to {log.as_of}, shorter than "
                    f"two horizons of {self.horizon} (one to train, one to evaluate). Expected a "
                    "longer history. Hint: use a shorter horizon, or pass cutoff= explicitly."
                )
            frame = self._features(log, cut, label=True)
            labels = frame.pop("churned").to_numpy()
            n_churned = int(labels.sum())
            if n_churned in (0, labels.size):
                raise InsufficientDataError(
                    f"ChurnRiskModel.fit: at cutoff {_stamp(log, cut)}, {n_churned} of "
                    f"{labels.size} users churned within {self.horizon}. Expected both churned and "
                    "retained users to learn from. Hint: move the cutoff or change the horizon."
                )
            self._fit_xy(frame, labels)
            self.cutoff_: pd.Timestamp | None = _stamp(log, cut)
            return self
        if cutoff is not None:
            raise InvalidParameterError(
                "ChurnRiskModel.fit: cutoff= applies to event logs, but X is a feature matrix. "
                "Hint: drop cutoff=, or pass the EventLog."
            )
        if y is None:
            raise InvalidParameterError(
                "ChurnRiskModel requires y to be passed, but the target y is None: got a feature "
                "matrix without labels. Expected fit(X, y), or an EventLog (or a frame with "
                "user_id, event and timestamp columns) to build features and labels from."
            )
        self._fit_xy(X, y)
        self.cutoff_ = None
        return self

    def _fit_xy(self, data: Any, y: Any) -> None:
        x_checked, y_checked = _validate_data(
            self, data, y, ensure_all_finite="allow-nan", reset=True
        )
        classes = np.unique(y_checked)
        if classes.size < 2:
            raise InsufficientDataError(
                f"ChurnRiskModel.fit: y holds only one class ({classes.tolist()}). Expected "
                "churned and retained examples. Hint: check the labels."
            )
        est = self._make_estimator()
        est.fit(x_checked, y_checked)
        self.estimator_ = est
        self.classes_ = est.classes_
        self.n_train_ = int(x_checked.shape[0])
        self.train_churn_rate_ = float(np.mean(y_checked == self.classes_[-1]))

    # ---------------------------------------------------------------- predict
    def _score_input(self, data: Any, as_of: Any) -> tuple[Any, pd.Index | None]:
        self._check_fitted()
        if _is_event_data(data, None):
            log = as_event_log(data)
            when = _instant(log, as_of, "as_of")
            frame = self._features(log, when, label=False)
            return frame, frame.index
        if as_of is not None:
            raise InvalidParameterError(
                "as_of= applies to event logs, but X is a feature matrix. Hint: drop as_of=."
            )
        return data, None

    def _proba(self, data: Any) -> FloatArray:
        x_checked = _validate_data(self, data, ensure_all_finite="allow-nan", reset=False)
        out: FloatArray = np.asarray(self.estimator_.predict_proba(x_checked), dtype=np.float64)
        return out

    def predict_proba(
        self,
        X: EventsLike | npt.ArrayLike,  # noqa: N803
        *,
        as_of: DateLike | None = None,
    ) -> Any:
        """Class probabilities; for an event log, of the users at ``as_of``.

        Parameters
        ----------
        X : EventLog, event DataFrame, or feature matrix
            An event log (features are built at ``as_of`` for the model's population) or
            features.
        as_of : str, datetime or Timestamp, optional
            For an event log: when to score; default the log's ``as_of``.

        Returns
        -------
        ndarray of shape (n, n_classes), or pandas.DataFrame
            For a log, a frame indexed by ``user_id`` with one column per class
            (``True`` = probability of churning within ``horizon``).

        Raises
        ------
        NotFittedError
            Before ``fit``.
        InvalidParameterError
            For ``as_of`` with a feature matrix, or an ``as_of`` outside the log.

        Examples
        --------
        >>> import numpy as np
        >>> from sklearn.linear_model import LogisticRegression
        >>> rng = np.random.default_rng(0)
        >>> X = rng.normal(size=(300, 2))
        >>> y = rng.random(300) < 1 / (1 + np.exp(-2 * X[:, 0]))
        >>> model = ChurnRiskModel(estimator=LogisticRegression()).fit(X, y)
        >>> model.predict_proba([[-2.0, 0.0], [2.0, 0.0]]).round(2)
        array([[0.98, 0.02],
               [0.03, 0.97]])
        """
        data, index = self._score_input(X, as_of)
        proba = self._proba(data)
        if index is None:
            return proba
        return pd.DataFrame(proba, index=index, columns=pd.Index(self.classes_, name="churned"))

    def predict(
        self,
        X: EventsLike | npt.ArrayLike,  # noqa: N803
        *,
        as_of: DateLike | None = None,
    ) -> Any:
        """Most likely class; for an event log, a Series of churn flags by user.

        Parameters
        ----------
        X : EventLog, event DataFrame, or feature matrix
            As in :meth:`predict_proba`.
        as_of : str, datetime or Timestamp, optional
            As in :meth:`predict_proba`.

        Returns
        -------
        ndarray or pandas.Series

        Raises
        ------
        NotFittedError
            Before ``fit``.

        Examples
        --------
        >>> import numpy as np
        >>> from sklearn.linear_model import LogisticRegression
        >>> rng = np.random.default_rng(0)
        >>> X = rng.normal(size=(300, 2))
        >>> y = rng.random(300) < 1 / (1 + np.exp(-2 * X[:, 0]))
        >>> model = ChurnRiskModel(estimator=LogisticRegression()).fit(X, y)
        >>> model.predict([[-2.0, 0.0], [2.0, 0.0]])
        array([False,  True])
        """
        data, index = self._score_input(X, as_of)
        labels = self.classes_[np.argmax(self._proba(data), axis=1)]
        if index is None:
            return labels
        return pd.Series(labels, index=index, name="churned")

    def churn_probability(self, events: EventsLike, *, as_of: DateLike | None = None) -> pd.Series:
        """Each current user's probability of churning within ``horizon``, highest first.

        Parameters
        ----------
        events : EventLog or DataFrame
            The events.
        as_of : str, datetime or Timestamp, optional
            When to score; default the log's ``as_of``.

        Returns
        -------
        pandas.Series
            Named ``churn_probability``, indexed by ``user_id``, sorted descending (ties in user
            order).

        Raises
        ------
        NotFittedError
            Before ``fit``.
        InvalidParameterError
            For input that is not an event log, or a bad ``as_of``.

        Examples
        --------
        >>> from sklearn.linear_model import LogisticRegression
        >>> from sklearn.pipeline import make_pipeline
        >>> from sklearn.preprocessing import StandardScaler
        >>> from useropslib.datasets import synthetic
        >>> log = synthetic(n_users=1000, days=120, seed=1).events
        >>> activity = [e for e in log.event_names if not e.startswith("message_")]
        >>> model = ChurnRiskModel(
        ...     activity_events=activity,
        ...     estimator=make_pipeline(StandardScaler(), LogisticRegression()),
        ... ).fit(log)
        >>> risk = model.churn_probability(log)
        >>> risk.index.name, bool(risk.is_monotonic_decreasing), bool(risk.between(0, 1).all())
        ('user_id', True, True)
        """
        self._check_fitted()
        if not _is_event_data(events, None):
            raise InvalidParameterError(
                "churn_probability expects an EventLog or an event DataFrame (user_id, event, "
                f"timestamp), got {type(events).__name__}. Hint: for a feature matrix use "
                "predict_proba."
            )
        proba = self.predict_proba(events, as_of=as_of)
        s = pd.Series(proba.iloc[:, -1].to_numpy(), index=proba.index, name="churn_probability")
        order = np.argsort(-s.to_numpy(), kind="stable")
        ranked: pd.Series = s.iloc[order]
        return ranked

    # ---------------------------------------------------------------- evaluate
    def evaluate(
        self,
        X: EventsLike | npt.ArrayLike,  # noqa: N803
        y: npt.ArrayLike | None = None,
        *,
        cutoff: DateLike | None = None,
        n_bins: int = 10,
        top_k: Sequence[int] | int | None = None,
    ) -> RiskEvaluation:
        """Score users whose outcome is known and compare with what happened.

        Parameters
        ----------
        X : EventLog, event DataFrame, or feature matrix
            An event log (features at ``cutoff``, labels from the ``horizon`` after it), or
            features with ``y``.
        y : array-like, optional
            Labels for a feature matrix.
        cutoff : str, datetime or Timestamp, optional
            Evaluation cutoff for a log; default the training cutoff plus ``horizon`` (when
            fitted on a log), else ``as_of - horizon``.
        n_bins : int, default 10
            Equal-width probability bins of the calibration table.
        top_k : int or sequence of int, optional
            Numbers of highest-scored users for precision at k; default 1%, 5%, 10% and 20% of
            the users.

        Returns
        -------
        RiskEvaluation

        Raises
        ------
        NotFittedError
            Before ``fit``.
        InvalidParameterError
            For a label window that ends after ``as_of``, a feature matrix without ``y``, or bad
            options.
        InsufficientDataError
            When the evaluated users all churned or all stayed.

        Warns
        -----
        UseropsWarning
            When the evaluation cutoff is before the end of the training labels (the two overlap,
            so the scores are optimistic).

        Examples
        --------
        >>> from sklearn.linear_model import LogisticRegression
        >>> from sklearn.pipeline import make_pipeline
        >>> from sklearn.preprocessing import StandardScaler
        >>> from useropslib.datasets import synthetic
        >>> log = synthetic(n_users=1000, days=120, seed=1).events
        >>> activity = [e for e in log.event_names if not e.startswith("message_")]
        >>> model = ChurnRiskModel(
        ...     activity_events=activity,
        ...     estimator=make_pipeline(StandardScaler(), LogisticRegression()),
        ... ).fit(log)
        >>> import pandas as pd
        >>> report = model.evaluate(log)  # at as_of - 30 days, on who churned since
        >>> report.as_of == log.as_of - pd.Timedelta("30D"), bool(report.roc_auc > 0.5)
        (True, True)
        >>> list(report.top_k_table.columns)
        ['k', 'share', 'precision', 'recall', 'lift']
        """
        self._check_fitted()
        horizon_ns = self._check_params()
        params: dict[str, Any] = {"horizon": str(self.horizon), "n_bins": n_bins}
        as_of = None
        if _is_event_data(X, y):
            log = as_event_log(X)
            if log.as_of_ns is None:
                raise InsufficientDataError("ChurnRiskModel.evaluate: the event log is empty.")
            trained = self.cutoff_
            default = (
                int(trained.value) + horizon_ns
                if trained is not None
                else int(log.as_of_ns) - horizon_ns
            )
            cut = default if cutoff is None else _instant(log, cutoff, "cutoff")
            if trained is not None and cut < int(trained.value) + horizon_ns:
                warnings.warn(
                    f"ChurnRiskModel.evaluate: the evaluation cutoff {_stamp(log, cut)} is before "
                    "the end of the training labels "
                    f"({_stamp(log, int(trained.value) + horizon_ns)}), so training and "
                    "evaluation overlap in time and the scores are optimistic. Hint: evaluate at "
                    "the training cutoff + horizon or later.",
                    UseropsWarning,
                    stacklevel=2,
                )
            frame = self._features(log, cut, label=True)
            labels = frame.pop("churned").to_numpy(dtype=bool)
            p = self._proba(frame)[:, -1]
            params["cutoff"] = _stamp(log, cut)
            as_of = _stamp(log, cut)
        else:
            if cutoff is not None:
                raise InvalidParameterError(
                    "ChurnRiskModel.evaluate: cutoff= applies to event logs. Hint: drop cutoff=."
                )
            if y is None:
                raise InvalidParameterError(
                    "ChurnRiskModel.evaluate: got a feature matrix without labels y. Expected "
                    "evaluate(X, y) or an EventLog."
                )
            y_arr = np.asarray(y)
            proba = self._proba(X)
            if y_arr.shape[0] != proba.shape[0]:
                raise InvalidParameterError(
                    f"ChurnRiskModel.evaluate: X has {proba.shape[0]} rows but y has "
                    f"{y_arr.shape[0]}. Expected one label per row."
                )
            positive_label = self.classes_[-1]
            labels = y_arr == positive_label
            p = proba[:, -1]
        stats = _evaluate_scores(labels.astype(bool), p, n_bins=n_bins, top_k=top_k)
        return RiskEvaluation(params=params, as_of=as_of, **stats)


# --------------------------------------------------------------------------------------------------
# early warning
# --------------------------------------------------------------------------------------------------


def early_warning(
    events: EventsLike,
    *,
    indicator: str = "active_days",
    baseline: WindowLike = "28D",
    recent: WindowLike = "7D",
    drop: float = 0.5,
    as_of: DateLike | None = None,
    min_baseline: float = 1,
    activity_events: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Flag users whose key indicator fell by at least ``drop`` against their own baseline.

    The recent window is ``(as_of - recent, as_of]``; the baseline is the ``baseline`` before it.
    Each user's rate per day in each window is compared (the baseline rate over the part of the
    baseline after the user's first activity, at least one day), and users whose recent rate is at
    most ``(1 - drop)`` times their baseline rate are flagged: the 流失预警 of the operations
    articles, "when a user's key indicator starts to slide".

    Parameters
    ----------
    events : EventLog, LazyEventLog or DataFrame
        The events.
    indicator : str, default "active_days"
        ``"active_days"`` (distinct calendar days with activity, in the log's time zone) or the
        name of one event, whose count is used (``"post"``, ``"purchase"`` ...).
    baseline : str or timedelta, default "28D"
        Length of the baseline window before the recent one.
    recent : str or timedelta, default "7D"
        Length of the recent window.
    drop : float, default 0.5
        Relative fall that raises a flag, in (0, 1]: 0.5 flags users at half their usual rate or
        less, 1.0 only those who stopped.
    as_of : str, datetime or Timestamp, optional
        The end of the recent window; default the log's ``as_of``.
    min_baseline : float, default 1
        Least indicator count in the baseline for a user to be judged (raise it to ignore
        occasional users).
    activity_events : sequence of str, optional
        Events that count as activity for ``"active_days"`` and for first activity; default every
        event.

    Returns
    -------
    pandas.DataFrame
        The flagged users, indexed by ``user_id``, most severe first (largest ``drop_rate``, then
        highest baseline rate): ``baseline_count``, ``recent_count``, ``baseline_days`` (days of
        baseline the user was around for), ``baseline_per_day``, ``recent_per_day``,
        ``drop_rate`` (``1 - recent_per_day / baseline_per_day``) and ``days_since_last``
        (days from the last activity to ``as_of``).

    Raises
    ------
    InvalidParameterError
        For an unknown indicator event (with close names), ``drop`` outside (0, 1], bad windows,
        or an ``as_of`` outside the log.

    See Also
    --------
    ChurnRiskModel : A learnt risk score.

    Examples
    --------
    ``a`` was active every day, then on one day of the last week; ``b`` kept going.

    >>> import pandas as pd
    >>> days = pd.date_range("2024-02-20 12:00", periods=44, freq="D", tz="UTC")
    >>> df = pd.DataFrame({
    ...     "user_id": ["a"] * 38 + ["b"] * 44,
    ...     "event": "open",
    ...     "timestamp": list(days[:38]) + list(days),
    ... })
    >>> flags = early_warning(df, baseline="28D", recent="7D", drop=0.5)
    >>> flags[["baseline_count", "recent_count", "drop_rate", "days_since_last"]].round(3)
             baseline_count  recent_count  drop_rate  days_since_last
    user_id
    a                    28             1      0.857              6.0
    """
    log = events if churn_engine_ready(events) else as_event_log(events)
    when = _instant(log, as_of, "as_of")
    base_ns = _window_ns(baseline, "baseline")
    recent_ns = _window_ns(recent, "recent")
    if isinstance(drop, bool) or not isinstance(drop, int | float) or not 0 < drop <= 1:
        raise InvalidParameterError(
            f"drop must be in (0, 1], got {drop!r}. Hint: 0.5 flags users whose indicator halved."
        )
    if (
        isinstance(min_baseline, bool)
        or not isinstance(min_baseline, int | float)
        or min_baseline < 0
    ):
        raise InvalidParameterError(f"min_baseline must be a number >= 0, got {min_baseline!r}.")
    if not isinstance(indicator, str):
        raise InvalidParameterError(
            f"indicator must be 'active_days' or an event name, got {indicator!r}."
        )
    if isinstance(log, LazyEventLog):  # per-user aggregates in the engine (one GROUP BY)
        return lazy_early_warning(
            log,
            indicator=indicator,
            when=when,
            base_ns=base_ns,
            recent_ns=recent_ns,
            drop=drop,
            min_baseline=min_baseline,
            activity_events=activity_events,
        )

    n_users = len(log.users)
    ts_all = log.timestamps_ns
    known = ts_all <= when
    activity = _activity_mask(log, activity_events)
    act = known if activity is None else known & activity
    u_act = log.user_codes[act].astype(np.int64)
    ts_act = ts_all[act]
    first = np.full(n_users, np.iinfo(np.int64).max, dtype=np.int64)
    np.minimum.at(first, u_act, ts_act)
    last = np.full(n_users, np.iinfo(np.int64).min, dtype=np.int64)
    np.maximum.at(last, u_act, ts_act)

    recent_start = when - recent_ns
    base_start = recent_start - base_ns
    if indicator == "active_days":
        sel = ts_act > base_start
        u, t = u_act[sel], ts_act[sel]
        in_recent = t > recent_start
        day = period_codes(t, "day", tz=log.tz, week_start=log.week_start)
        day0 = int(day.min()) if day.size else 0
        n_days = int(day.max()) - day0 + 1 if day.size else 1
        recent_count = _distinct_per_user(u[in_recent], day[in_recent] - day0, n_users, n_days)
        base_count = _distinct_per_user(u[~in_recent], day[~in_recent] - day0, n_users, n_days)
    else:
        code = int(log.event_code_of([indicator])[0])
        sel = known & (log.event_codes == code) & (ts_all > base_start)
        u = log.user_codes[sel].astype(np.int64)
        in_recent = ts_all[sel] > recent_start
        recent_count = np.bincount(u[in_recent], minlength=n_users)
        base_count = np.bincount(u[~in_recent], minlength=n_users)

    judged = (base_count > 0) & (base_count >= min_baseline) & (first <= recent_start)
    codes = np.flatnonzero(judged)
    return warning_table(
        log.users[codes],
        first[codes],
        last[codes],
        base_count[codes],
        recent_count[codes],
        when=when,
        base_ns=base_ns,
        recent_ns=recent_ns,
        drop=drop,
    )
