"""Churn drivers (流失原因): which covariates raise or lower the hazard of churning, and how much.

- :class:`ChurnDrivers` wraps lifelines' Cox proportional-hazards model (Efron ties) as a
  scikit-learn-style estimator: hazard ratios with confidence intervals and p-values, concordance,
  partial log-likelihood, the likelihood-ratio test and a proportional-hazards check, with input
  checks that say how to fix the data.
- :func:`indicator_comparison` compares each behaviour between churned and retained users
  (prevalence or mean, their ratio, a significance test with Benjamini-Hochberg adjustment): the
  operations article's "20% of churned users uploaded an avatar against 80% of retained users".

Two pieces are computed here rather than by lifelines because lifelines' versions do not scale:
the concordance index (lifelines walks a Python binary tree, about 30 s for a million users) and
the scaled Schoenfeld residuals behind the proportional-hazards test (a Python loop that grows its
result row by row, about 20 s for 100,000 users).  Both are vectorised here, checked against
lifelines in the tests, and the test statistic itself is still lifelines'
``proportional_hazard_test``.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy import stats
from sklearn.base import BaseEstimator

from useropslib import plotting
from useropslib.churn._checks import survival_column, survival_target
from useropslib.churn._types import check_alpha, not_fitted, z_critical
from useropslib.exceptions import (
    ConvergenceWarning,
    InsufficientDataError,
    InsufficientDataWarning,
    InvalidParameterError,
    NotFittedError,
    UseropsWarning,
    did_you_mean,
)

if TYPE_CHECKING:
    from typing_extensions import Self


__all__ = ["ChurnDrivers", "indicator_comparison"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

#: |correlation| at or above this names a pair of covariates as collinear.
_COLLINEAR_CORRELATION = 0.999
#: An eigenvalue of the correlation matrix below this (relative to the number of covariates)
#: means one covariate is a linear combination of others.
_RANK_TOLERANCE = 1e-8
#: Fewer events per covariate than this gives an InsufficientDataWarning.
_EVENTS_PER_COVARIATE = 10
_DURATION = "__duration__"
_EVENT = "__event__"
_DAY_NS = 86_400 * 10**9


# --------------------------------------------------------------------------------------------------
# vectorised pieces: concordance and Schoenfeld residuals
# --------------------------------------------------------------------------------------------------


def _dense_rank(values: npt.NDArray[Any]) -> IntArray:
    """Return 0-based dense ranks (equal values share a rank) with one sort."""
    order = np.argsort(values, kind="stable")
    sorted_values = values[order]
    step = np.empty(values.size, dtype=np.int64)
    if values.size:
        step[0] = 0
        step[1:] = sorted_values[1:] != sorted_values[:-1]
    ranks = np.empty(values.size, dtype=np.int64)
    ranks[order] = np.cumsum(step)
    return ranks


def _count_larger_before(a: IntArray, mask: BoolArray) -> int:
    """Count pairs (j, i) with j before i, ``a[j] > a[i]`` and ``mask[i]``.

    Offline dominance counting without a loop over elements: for each bit of ``a`` from the
    highest, elements sharing the higher bits form groups; inside a group, a 1-bit element placed
    before a 0-bit element is a larger value before a smaller one.  A stable sort on the group key
    (a radix sort while the keys fit 16 bits) keeps the order inside each group, so every level is
    a handful of linear passes.
    """
    if a.size < 2:
        return 0
    top = int(a.max()).bit_length()
    total = 0
    for k in range(top - 1, -1, -1):
        prefix = a >> (k + 1)
        n_groups = int(prefix.max()) + 1
        key = prefix.astype(np.int16) if n_groups < 2**15 else prefix
        perm = np.argsort(key, kind="stable")
        group = prefix[perm]
        bits = (a[perm] >> k) & 1
        before = np.cumsum(bits) - bits  # ones strictly before, over the whole array
        sizes = np.bincount(group, minlength=n_groups)
        starts = np.cumsum(sizes) - sizes
        ones_before = before - before[starts[group]]
        wanted = (bits == 0) & mask[perm]
        total += int(ones_before[wanted].sum())
    return total


def concordance_counts(
    durations: FloatArray, events: BoolArray, risk: FloatArray
) -> tuple[int, int, int]:
    """Return ``(concordant, tied, comparable)`` pair counts of Harrell's C, as lifelines counts.

    A pair is comparable when the shorter duration ends in an event; a censored subject also
    compares with events at its own time.  It is concordant when the subject with the shorter
    duration has the higher ``risk`` and tied when the risks are equal.

    Parameters
    ----------
    durations : ndarray of float
        Observed durations.
    events : ndarray of bool
        Whether each duration ended in the event (churn).
    risk : ndarray of float
        Predicted risk (higher means sooner), e.g. the linear predictor of a Cox model.

    Returns
    -------
    tuple of int
        Counts; the C-index is ``(concordant + tied / 2) / comparable``.

    Examples
    --------
    >>> import numpy as np
    >>> concordance_counts(np.array([1.0, 2.0, 3.0]), np.array([True, True, False]),
    ...                    np.array([3.0, 1.0, 2.0]))
    (2, 0, 3)
    """
    n = durations.size
    if n == 0 or not events.any():
        return 0, 0, 0
    # exit order: at equal times, events come before censored subjects
    key = 2 * _dense_rank(durations) + (~events).astype(np.int64)
    n_keys = int(key.max()) + 1
    per_key = np.bincount(key, minlength=n_keys)
    later = n - np.cumsum(per_key)  # subjects with a strictly larger key
    comparable = int(later[key[events]].sum())

    rank = _dense_rank(risk)
    order = np.argsort(rank * n_keys + key, kind="stable")
    r_sorted, k_sorted, e_sorted = rank[order], key[order], events[order]
    # tied risks: within a block of equal risk (sorted by key), subjects with a larger key
    block_end = np.flatnonzero(np.r_[r_sorted[1:] != r_sorted[:-1], True])
    pair_end = np.flatnonzero(
        np.r_[(r_sorted[1:] != r_sorted[:-1]) | (k_sorted[1:] != k_sorted[:-1]), True]
    )
    block_of = np.repeat(np.arange(block_end.size), np.diff(np.r_[-1, block_end]))
    pair_of = np.repeat(np.arange(pair_end.size), np.diff(np.r_[-1, pair_end]))
    tied_each = block_end[block_of] - pair_end[pair_of]
    tied = int(tied_each[e_sorted].sum())
    # concordant: lower risk and a larger key, i.e. a larger key placed before in risk order
    concordant = _count_larger_before(k_sorted, e_sorted)
    return concordant, tied, comparable


def concordance_index(durations: FloatArray, events: BoolArray, risk: FloatArray) -> float:
    """Harrell's C-index of ``risk`` against censored durations (NaN without comparable pairs).

    Parameters
    ----------
    durations : ndarray of float
        Observed durations.
    events : ndarray of bool
        Whether each duration ended in the event.
    risk : ndarray of float
        Predicted risk, higher meaning sooner.

    Returns
    -------
    float
        Between 0 and 1; 0.5 is random ordering.

    Examples
    --------
    >>> import numpy as np
    >>> concordance_index(np.array([1.0, 2.0, 3.0]), np.array([True, True, False]),
    ...                   np.array([3.0, 1.0, 2.0]))
    0.666...
    """
    concordant, tied, comparable = concordance_counts(durations, events, risk)
    if comparable == 0:
        return float("nan")
    return (concordant + 0.5 * tied) / comparable


def _schoenfeld_residuals(
    covariates: FloatArray, durations: FloatArray, events: BoolArray, coef: FloatArray
) -> FloatArray:
    """Schoenfeld residuals (Efron ties) of the event rows, in the row order given.

    For each event at time ``t`` the residual is ``x - xbar(t)``, where ``xbar`` is the Efron
    average over the ``d`` tied events of the risk-weighted covariate means,
    ``(1/d) sum_l (S1 - l/d D1) / (S0 - l/d D0)`` for ``l = 0 .. d-1``, with ``S`` summed over the
    risk set and ``D`` over the events at ``t`` -- what lifelines computes row by row.  Written as
    ``(S1 A - D1 B) / d`` with ``A = sum_l 1/(S0 - l/d D0)`` and ``B = sum_l (l/d)/(S0 - l/d D0)``,
    every sum is one ``bincount``.
    """
    lin = covariates @ coef
    phi = np.exp(lin - lin.max())  # the means are invariant to a common factor
    t_code = _dense_rank(durations)
    n_t = int(t_code.max()) + 1
    p = covariates.shape[1]
    ev_code = t_code[events]
    phi_ev = phi[events]
    s0 = np.bincount(t_code, weights=phi, minlength=n_t)[::-1].cumsum()[::-1]
    d0 = np.bincount(ev_code, weights=phi_ev, minlength=n_t)
    d = np.bincount(ev_code, minlength=n_t).astype(np.float64)
    # l = 0 .. d-1 for the events of each time (which event gets which l does not matter)
    order = np.argsort(ev_code, kind="stable")
    sorted_codes = ev_code[order]
    ell = np.empty(ev_code.size, dtype=np.float64)
    ell[order] = np.arange(ev_code.size) - np.searchsorted(sorted_codes, sorted_codes, "left")
    frac = ell / d[ev_code]
    inv = 1.0 / (s0[ev_code] - frac * d0[ev_code])
    a = np.bincount(ev_code, weights=inv, minlength=n_t)
    b = np.bincount(ev_code, weights=frac * inv, minlength=n_t)
    mean = np.empty((n_t, p))
    for j in range(p):  # a loop over covariates, not over users
        s1 = np.bincount(t_code, weights=covariates[:, j] * phi, minlength=n_t)[::-1].cumsum()[::-1]
        d1 = np.bincount(ev_code, weights=covariates[events, j] * phi_ev, minlength=n_t)
        with np.errstate(invalid="ignore", divide="ignore"):
            mean[:, j] = (s1 * a - d1 * b) / d
    resid: FloatArray = covariates[events] - mean[ev_code]
    return resid


# --------------------------------------------------------------------------------------------------
# input handling
# --------------------------------------------------------------------------------------------------


def _as_frame(data: Any, where: str) -> pd.DataFrame:
    if isinstance(data, pd.DataFrame):
        return data
    if isinstance(data, pd.Series):
        out: pd.DataFrame = data.to_frame()
        return out
    try:
        arr = np.asarray(data)
    except (TypeError, ValueError) as exc:
        raise InvalidParameterError(
            f"{where}: cannot read X of type {type(data).__name__} as a table. Expected a pandas "
            "DataFrame or a 2-D array of covariates."
        ) from exc
    if arr.ndim == 1:
        arr = arr.reshape(-1, 1)
    if arr.ndim != 2:
        raise InvalidParameterError(
            f"{where}: X must be 2-D (one row per user, one column per covariate), got shape "
            f"{arr.shape}. Hint: pass a DataFrame."
        )
    frame: pd.DataFrame = pd.DataFrame(arr, columns=[f"x{i}" for i in range(arr.shape[1])])
    return frame


def _missing_column(where: str, what: str, name: Any, available: Sequence[Any], kw: str) -> str:
    close = did_you_mean(str(name), available)
    hint = (
        f"did you mean {close[0]!r}? pass {kw}={close[0]!r}"
        if close
        else f"pass {kw}= naming your column"
    )
    return (
        f"{where}: the {what} column {name!r} is not in the data. Available columns: "
        f"{[str(c) for c in available]}. Hint: {hint}."
    )


def _numeric_column(
    where: str, name: str, values: pd.Series | npt.NDArray[Any], role: str
) -> FloatArray:
    """Return a column as float64 (timedeltas in days), or raise the non-numeric error."""
    dtype = getattr(values, "dtype", None)
    if dtype is not None and pd.api.types.is_timedelta64_dtype(dtype):
        td = pd.to_timedelta(pd.Series(values))
        days = td.to_numpy(dtype="timedelta64[ns]").astype(np.int64) / _DAY_NS
        return np.where(td.isna().to_numpy(), np.nan, days)
    if dtype is not None and (
        pd.api.types.is_bool_dtype(dtype) or pd.api.types.is_numeric_dtype(dtype)
    ):
        if isinstance(values, pd.Series):
            return values.to_numpy(dtype=np.float64, na_value=np.nan)
        return np.asarray(values, dtype=np.float64)
    raise InvalidParameterError(
        f"{where}: the {role} column {name!r} is not numeric (dtype {dtype}). Expected numbers or "
        "booleans. Hint: convert it with pd.to_numeric(...)."
    )


def _covariate_matrix(
    where: str, frame: pd.DataFrame, names: Sequence[Any]
) -> tuple[FloatArray, list[str]]:
    """Check covariates (present, numeric, finite) and return them as a float matrix."""
    missing = [c for c in names if c not in frame.columns]
    if missing:
        hints = []
        for c in missing:
            close = did_you_mean(str(c), frame.columns)
            if close:
                hints.append(f"{c!r} -> did you mean {close[0]!r}?")
        hint = "; ".join(hints) if hints else "pass the same covariates the model was fitted on"
        raise InvalidParameterError(
            f"{where}: covariate column(s) {[str(c) for c in missing]} are missing. Available: "
            f"{[str(c) for c in frame.columns]}. Hint: {hint}."
        )
    bad = {
        str(c): str(frame[c].dtype)
        for c in names
        if not (
            pd.api.types.is_bool_dtype(frame[c].dtype)
            or pd.api.types.is_numeric_dtype(frame[c].dtype)
        )
    }
    if bad:
        cols = list(bad)
        raise InvalidParameterError(
            f"{where}: covariate(s) {bad} are not numeric. Expected numbers or booleans (a Cox "
            "model multiplies each covariate by a coefficient). Hint: one-hot encode categories, "
            f"e.g. pd.get_dummies(frame, columns={cols}, drop_first=True, dtype=float), or drop "
            "id and text columns (covariates=[...] picks the ones to use)."
        )
    matrix = np.empty((len(frame), len(names)), dtype=np.float64)
    for j, c in enumerate(names):
        col = frame[c]
        matrix[:, j] = (
            col.to_numpy(dtype=np.float64, na_value=np.nan)
            if isinstance(col, pd.Series)
            else np.asarray(col, dtype=np.float64)
        )
    return matrix, [str(c) for c in names]


def _nan_error(where: str, counts: dict[str, int], n_rows: int, rows: int) -> InvalidParameterError:
    return InvalidParameterError(
        f"{where}: missing or infinite values in {counts} ({rows} of {n_rows} rows affected). "
        "Expected finite numbers everywhere. Hint: drop those rows "
        f"(frame.dropna(subset={list(counts)})) or impute the values first."
    )


def _survival_data(
    where: str,
    X: Any,  # noqa: N803
    y: Any,
    duration_col: str,
    event_col: str,
    covariates: Sequence[Any] | None,
) -> tuple[FloatArray, FloatArray, BoolArray, list[str], pd.Index]:
    """Resolve ``fit(frame)`` and ``fit(X, y)`` into covariates, durations, events."""
    if y is None:
        if not isinstance(X, pd.DataFrame):
            raise InvalidParameterError(
                f"{where}: got {type(X).__name__} without y. Expected a DataFrame holding the "
                f"{duration_col!r} and {event_col!r} columns, or covariates X with y = durations "
                "and events. Hint: fit(frame, duration_col=..., event_col=...)."
            )
        frame = X
        dur_raw: Any = survival_column(where, frame, duration_col, "duration_col")
        ev_raw: Any = survival_column(where, frame, event_col, "event_col")
        names = (
            [c for c in frame.columns if c not in (duration_col, event_col)]
            if covariates is None
            else list(covariates)
        )
    else:
        frame = _as_frame(X, where)
        dur_raw, ev_raw = _split_target(where, y, duration_col, event_col)
        names = list(frame.columns) if covariates is None else list(covariates)
        if len(dur_raw) != len(frame):
            raise InvalidParameterError(
                f"{where}: X has {len(frame)} rows but y has {len(dur_raw)}. Expected one "
                "duration and event per row of X."
            )
    for reserved in (duration_col, event_col):
        if reserved in names and y is None:
            raise InvalidParameterError(
                f"{where}: {reserved!r} is the duration or event column and cannot also be a "
                "covariate. Hint: leave it out of covariates=[...]."
            )
    if not names:
        raise InvalidParameterError(
            f"{where}: no covariates. Expected at least one column besides {duration_col!r} and "
            f"{event_col!r}. Hint: add the behaviours or segments to compare."
        )
    matrix, str_names = _covariate_matrix(where, frame, names)
    bad_rows = ~np.isfinite(matrix)
    counts = {n: int(c) for n, c in zip(str_names, bad_rows.sum(axis=0), strict=True) if c}
    if counts:
        raise _nan_error(where, counts, len(frame), int(bad_rows.any(axis=1).sum()))
    durations, events = survival_target(
        where, dur_raw, ev_raw, duration_col=duration_col, event_col=event_col
    )
    index = frame.index
    return matrix, durations, events, str_names, index


def _split_target(where: str, y: Any, duration_col: str, event_col: str) -> tuple[Any, Any]:
    """Return (durations, events) from a frame, a structured array or an (n, 2) array."""
    if isinstance(y, pd.DataFrame):
        survival_column(where, y, duration_col, "duration_col")
        survival_column(where, y, event_col, "event_col")
        return y[duration_col], y[event_col]
    arr = np.asarray(y)
    if arr.dtype.names is not None:
        fields = list(arr.dtype.names)
        if duration_col in fields and event_col in fields:
            return arr[duration_col], arr[event_col]
        if len(fields) == 2:
            kinds = [arr.dtype[f].kind for f in fields]
            if kinds.count("b") == 1:  # scikit-survival's (event: bool, time: float)
                ev_field = fields[kinds.index("b")]
                dur_field = fields[1 - kinds.index("b")]
                return arr[dur_field], arr[ev_field]
        raise InvalidParameterError(
            f"{where}: cannot tell durations from events in the structured y with fields "
            f"{fields}. Expected fields {duration_col!r} and {event_col!r}, or one boolean event "
            "field and one duration field. Hint: pass duration_col= and event_col=."
        )
    if arr.ndim == 2 and arr.shape[1] == 2:
        return arr[:, 0].astype(np.float64), arr[:, 1].astype(np.float64)
    raise InvalidParameterError(
        f"{where}: y has shape {arr.shape}. Expected a DataFrame with columns {duration_col!r} "
        f"and {event_col!r}, a structured array, or an (n, 2) array of [duration, event]. Hint: "
        "survival targets need both the duration and whether it ended in churn."
    )


def _collinear_groups(matrix: FloatArray, names: Sequence[str]) -> list[str]:
    """Describe collinear covariates: pairs with |r| ~ 1 and exact linear combinations."""
    if matrix.shape[1] < 2:
        return []
    corr = np.atleast_2d(np.asarray(np.corrcoef(matrix, rowvar=False), dtype=np.float64))
    found: list[str] = []
    named: set[str] = set()
    p = len(names)
    for i in range(p):
        for j in range(i + 1, p):
            if abs(corr[i, j]) >= _COLLINEAR_CORRELATION:
                found.append(f"{names[i]!r} and {names[j]!r} (correlation {corr[i, j]:+.4f})")
                named.update((names[i], names[j]))
    eigval, eigvec = np.linalg.eigh(corr)
    for k in np.flatnonzero(eigval < _RANK_TOLERANCE * p).tolist():
        vec = eigvec[:, k] / np.abs(eigvec[:, k]).max()
        members = [names[i] for i in np.flatnonzero(np.abs(vec) > 1e-3).tolist()]
        if len(members) > 2 or not set(members) <= named:
            found.append(f"{members} (one is a linear combination of the others)")
            named.update(members)
    return found


def _not_fitted() -> NotFittedError:
    return not_fitted(
        "ChurnDrivers", "ChurnDrivers().fit(frame, duration_col=..., event_col=...) first"
    )


def _check_params(penalizer: Any, l1_ratio: Any, ci_alpha: Any) -> None:
    if not isinstance(penalizer, int | float) or isinstance(penalizer, bool) or not penalizer >= 0:
        raise InvalidParameterError(
            f"penalizer must be a number >= 0, got {penalizer!r}. Hint: 0 for the plain Cox "
            "model, e.g. 0.1 to shrink coefficients (helps with collinear covariates)."
        )
    if (
        not isinstance(l1_ratio, int | float)
        or isinstance(l1_ratio, bool)
        or not 0 <= l1_ratio <= 1
    ):
        raise InvalidParameterError(
            f"l1_ratio must be in [0, 1], got {l1_ratio!r}. Hint: 0 is a ridge penalty, 1 a lasso."
        )
    check_alpha("ChurnDrivers", ci_alpha)


# --------------------------------------------------------------------------------------------------
# the estimator
# --------------------------------------------------------------------------------------------------


class ChurnDrivers(BaseEstimator):  # type: ignore[misc]
    """Cox proportional-hazards model of time to churn: which covariates drive churn, and how much.

    A scikit-learn-style estimator over lifelines' ``CoxPHFitter`` (Efron's method for tied
    durations, as R's ``coxph`` default).  A hazard ratio of 0.6 for ``uploaded_avatar`` means users
    who uploaded an avatar churn at 60% of the rate of those who did not, at any point in their
    life, other covariates held equal.

    Parameters
    ----------
    penalizer : float, default 0.0
        Strength of the elastic-net penalty on the coefficients (lifelines' ``penalizer``).
    l1_ratio : float, default 0.0
        Share of the L1 part of the penalty: 0 is ridge, 1 is lasso.
    ci_alpha : float, default 0.05
        Significance level: confidence intervals cover ``1 - ci_alpha``, and covariates whose
        proportional-hazards test has ``p < ci_alpha`` are named in a warning.  lifelines calls
        it ``alpha``; every churn estimator here calls it ``ci_alpha``, because ``alpha`` is a
        fitted parameter of :class:`BetaGeoModel`.
    batch_mode : bool or None, default True
        lifelines' batch computation, faster when many users share a duration (whole days).
        ``None`` lets lifelines choose.
    check_assumptions : bool, default False
        Run the proportional-hazards test inside ``fit`` and warn about the covariates that fail
        it.  When False, ``fit`` skips the test (it costs about as much as a third of the fit on
        a million users) and ``ph_test_`` computes it on first access, without a warning.

    Attributes
    ----------
    summary_ : pandas.DataFrame
        One row per covariate: ``coef`` (log hazard ratio), ``se``, ``lower`` and ``upper`` (the
        ``1 - ci_alpha`` Wald interval of ``coef``; the columns every churn estimator's ``summary_``
        starts with), ``hazard_ratio``, ``hazard_ratio_lower``, ``hazard_ratio_upper`` (the same
        interval on the hazard-ratio scale), ``z`` and ``p_value`` (Wald test).
    coef_, hazard_ratios_ : pandas.Series
        Coefficients and hazard ratios by covariate.
    concordance_index_ : float
        Harrell's C on the training data (0.5 is no better than chance); computed on first
        access and then cached.
    log_likelihood_ : float
        Partial log-likelihood at the estimate.
    aic_partial_ : float
        ``-2 * log_likelihood_ + 2 * n_covariates``.
    log_likelihood_ratio_test_ : pandas.Series
        ``statistic``, ``df`` and ``p_value`` of the test against the model without covariates.
    ph_test_ : pandas.DataFrame
        Proportional-hazards test per covariate (scaled Schoenfeld residuals against the rank of
        time, lifelines' ``proportional_hazard_test``): ``test_statistic``, ``p_value``,
        ``violated``.  Computed in ``fit`` with ``check_assumptions=True``, else on first access;
        cached either way.
    n_observations_, n_events_ : int
        Rows and churn events used.
    feature_names_in_ : ndarray of str
        Covariate names, in order.
    n_features_in_ : int
        Number of covariates.
    lifelines_ : lifelines.CoxPHFitter
        The fitted lifelines model, for its plots and everything else it offers.

    See Also
    --------
    indicator_comparison : Behaviours of churned against retained users, one at a time.

    Notes
    -----
    Coefficients, standard errors, the partial likelihood and the likelihood-ratio test are
    lifelines' (they match R ``survival::coxph`` with ``ties = "efron"``).  Efron's method is the
    only one offered: lifelines has no Breslow or exact tie handling for the Cox model.  The
    concordance index counts pairs as lifelines does.  The proportional-hazards test is
    lifelines' (the pre-2019 ``cox.zph`` approximation with a rank time transform); with a very
    large sample even a negligible departure is significant, so read the statistic as well as the
    p-value.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(0)
    >>> avatar = rng.random(400) < 0.5
    >>> days = np.ceil(rng.exponential(np.where(avatar, 60.0, 20.0)))
    >>> frame = pd.DataFrame({"uploaded_avatar": avatar, "duration": np.minimum(days, 90),
    ...                       "churned": days <= 90})
    >>> drivers = ChurnDrivers().fit(frame, duration_col="duration", event_col="churned")
    >>> drivers.summary_[["hazard_ratio", "hazard_ratio_lower", "hazard_ratio_upper"]].round(2)
                     hazard_ratio  hazard_ratio_lower  hazard_ratio_upper
    covariate
    uploaded_avatar          0.29                0.23                0.37
    >>> round(drivers.concordance_index_, 3)
    0.642
    """

    def __init__(
        self,
        *,
        penalizer: float = 0.0,
        l1_ratio: float = 0.0,
        ci_alpha: float = 0.05,
        batch_mode: bool | None = True,
        check_assumptions: bool = False,
    ) -> None:
        self.penalizer = penalizer
        self.l1_ratio = l1_ratio
        self.ci_alpha = ci_alpha
        self.batch_mode = batch_mode
        self.check_assumptions = check_assumptions

    # ---------------------------------------------------------------- fitting
    def fit(
        self,
        X: pd.DataFrame | npt.ArrayLike,  # noqa: N803
        y: pd.DataFrame | npt.ArrayLike | None = None,
        *,
        duration_col: str = "duration",
        event_col: str = "observed",
        covariates: Sequence[str] | None = None,
    ) -> Self:
        """Fit the Cox model.

        Parameters
        ----------
        X : pandas.DataFrame or array-like
            Either one frame holding the covariates and the ``duration_col`` and ``event_col``
            columns (lifelines style; leave ``y`` unset), or the covariates alone with ``y``.
        y : DataFrame, structured array or array of shape (n, 2), optional
            Durations and events: a frame with ``duration_col`` and ``event_col``, a structured
            array with those fields (or scikit-survival's boolean event and float time fields),
            or columns ``[duration, event]``.
        duration_col : str, default "duration"
            Time from the start of observation to churn or censoring (numbers, or timedeltas,
            read in days).
        event_col : str, default "observed"
            1/True when the duration ended in churn, 0/False when censored.  The defaults match
            the columns of :func:`~useropslib.churn.survival_frame`.
        covariates : sequence of str, optional
            Columns to use; default every column except the duration and event.

        Returns
        -------
        ChurnDrivers
            ``self``, fitted.

        Raises
        ------
        InvalidParameterError
            For a bad parameter, missing columns, non-numeric covariates (with a one-hot
            encoding hint), missing or infinite values (naming the columns and counts), negative
            durations, an event column that is not 0/1, constant covariates, or a fit that fails
            (usually collinear covariates).
        InsufficientDataError
            With no churn events, or no more events than covariates.

        Warns
        -----
        UseropsWarning
            Naming collinear covariates (before fitting), and, with ``check_assumptions=True``,
            covariates that fail the proportional-hazards test.
        InsufficientDataWarning
            With fewer than 10 events per covariate.
        ConvergenceWarning
            When lifelines reports a convergence problem.

        Examples
        --------
        >>> from lifelines.datasets import load_rossi
        >>> rossi = load_rossi()
        >>> model = ChurnDrivers().fit(
        ...     rossi, duration_col="week", event_col="arrest", covariates=["fin", "prio"]
        ... )
        >>> model.hazard_ratios_.round(3)
        covariate
        fin     0.671
        prio    1.110
        Name: hazard_ratio, dtype: float64
        >>> model.ph_test_["violated"].tolist(), model.n_events_
        ([False, False], 114)
        """
        from lifelines import CoxPHFitter

        where = "ChurnDrivers.fit"
        _check_params(self.penalizer, self.l1_ratio, self.ci_alpha)
        matrix, durations, events, names, _ = _survival_data(
            where, X, y, duration_col, event_col, covariates
        )
        n, p = matrix.shape
        n_events = int(events.sum())
        if n_events == 0:
            raise InsufficientDataError(
                f"{where}: none of the {n} rows is a churn event (all censored). Expected some "
                "users who churned. Hint: check the event column, or use a longer observation "
                "window or a shorter churn threshold."
            )
        if n_events <= p:
            raise InsufficientDataError(
                f"{where}: {n_events} churn event(s) among {n} rows for {p} covariates. Expected "
                "more events than covariates to estimate a hazard ratio for each. Hint: use fewer "
                "covariates or more users."
            )
        std = matrix.std(axis=0)
        constant = [names[j] for j in np.flatnonzero(std == 0)]
        if constant:
            raise InvalidParameterError(
                f"{where}: covariate(s) {constant} take a single value in every row, so their "
                "effect cannot be estimated. Expected covariates that vary between users. Hint: "
                "drop them."
            )
        collinear = _collinear_groups(matrix, names)
        if collinear:
            warnings.warn(
                f"{where}: collinear covariates {'; '.join(collinear)}: their separate hazard "
                "ratios are not identified (huge standard errors or a failed fit). Hint: drop "
                "all but one of each group, or set penalizer > 0 (e.g. 0.1).",
                UseropsWarning,
                stacklevel=2,
            )
        if n_events < _EVENTS_PER_COVARIATE * p:
            warnings.warn(
                f"{where}: {n_events} churn events for {p} covariates ({n_events / p:.1f} per "
                f"covariate, fewer than {_EVENTS_PER_COVARIATE}); estimates and p-values may be "
                "unreliable. Hint: use fewer covariates or more users.",
                InsufficientDataWarning,
                stacklevel=2,
            )

        # a view of the matrix (lifelines copies and sorts the frame itself): one copy, not two
        data = pd.DataFrame(matrix, columns=names, copy=False)
        data[_DURATION] = durations
        data[_EVENT] = events
        model = CoxPHFitter(
            penalizer=float(self.penalizer),
            l1_ratio=float(self.l1_ratio),
            alpha=float(self.ci_alpha),
        )
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                model.fit(data, _DURATION, _EVENT, batch_mode=self.batch_mode)
            except (ValueError, np.linalg.LinAlgError) as exc:  # lifelines' ConvergenceError
                hint = (
                    "drop all but one of the collinear covariates named above, or set "
                    "penalizer > 0 (e.g. 0.1)"
                    if collinear
                    else "set penalizer > 0 (e.g. 0.1), or look for a covariate that separates "
                    "churned from retained users perfectly"
                )
                reason = str(exc).split(". ")[0].strip().rstrip(".")
                raise InvalidParameterError(
                    f"{where}: the Cox fit failed (lifelines: {reason}). Expected covariates "
                    f"that are not linear combinations of each other. Hint: {hint}."
                ) from exc
        _reissue(caught, where, {_DURATION: str(duration_col), _EVENT: str(event_col)})

        coef = model.params_.to_numpy(dtype=np.float64)
        se = model.standard_errors_.to_numpy(dtype=np.float64)
        z_crit = z_critical(float(self.ci_alpha))
        lower, upper = coef - z_crit * se, coef + z_crit * se
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            z = coef / se
            bounds = np.exp(lower), np.exp(upper)  # inf if se is huge
        index = pd.Index(names, name="covariate")
        self.summary_ = pd.DataFrame(
            {
                "coef": coef,
                "se": se,
                "lower": lower,
                "upper": upper,
                "hazard_ratio": np.exp(coef),
                "hazard_ratio_lower": bounds[0],
                "hazard_ratio_upper": bounds[1],
                "z": z,
                "p_value": stats.chi2.sf(z**2, 1),
            },
            index=index,
        )
        self.coef_ = pd.Series(coef, index=index, name="coef")
        self.hazard_ratios_ = pd.Series(np.exp(coef), index=index, name="hazard_ratio")
        self.log_likelihood_ = float(model.log_likelihood_)
        self.aic_partial_ = float(-2 * self.log_likelihood_ + 2 * p)
        lr = model.log_likelihood_ratio_test()
        self.log_likelihood_ratio_test_ = pd.Series(
            {
                "statistic": float(lr.test_statistic),
                "df": int(lr.degrees_freedom),
                "p_value": float(lr.p_value),
            },
            name="log_likelihood_ratio_test",
            dtype=object,
        )
        self.n_observations_ = n
        self.n_events_ = n_events
        self.feature_names_in_ = np.asarray(names, dtype=object)
        self.n_features_in_ = p
        self.lifelines_ = model
        # the training data, kept for the diagnostics computed on first access
        self._training = (matrix, durations, events)
        self._diagnostics: dict[str, Any] = {}
        if self.check_assumptions:
            self._diagnostics["ph_test"] = self._ph_test(warn=True)
        return self

    @property
    def concordance_index_(self) -> float:
        """Harrell's C on the training data (computed on first access, then cached)."""
        self._fitted()
        if "concordance" not in self._diagnostics:
            matrix, durations, events = self._training
            self._diagnostics["concordance"] = concordance_index(
                durations, events, matrix @ self.coef_.to_numpy()
            )
        value: float = self._diagnostics["concordance"]
        return value

    @property
    def ph_test_(self) -> pd.DataFrame:
        """Proportional-hazards test per covariate (computed on first access, then cached)."""
        self._fitted()
        if "ph_test" not in self._diagnostics:
            self._diagnostics["ph_test"] = self._ph_test(warn=False)
        frame: pd.DataFrame = self._diagnostics["ph_test"]
        return frame

    def _ph_test(self, *, warn: bool) -> pd.DataFrame:
        from lifelines.statistics import proportional_hazard_test

        model = self.lifelines_
        matrix, durations, _ = self._training
        coef = self.coef_.to_numpy()
        names = [str(n) for n in self.feature_names_in_]

        # lifelines' own row order (sorted by duration, then event): the rank transform of time
        # pairs with the residuals by position
        order = model.durations.index.to_numpy()
        ordered_events = model.event_observed.to_numpy(dtype=bool)
        events = np.zeros(matrix.shape[0], dtype=bool)
        events[order[ordered_events]] = True
        resid = _schoenfeld_residuals(matrix, durations, events, coef)
        # residual rows follow the data's order; put them in lifelines' order
        event_row = np.cumsum(events) - 1
        resid = resid[event_row[order[ordered_events]]]
        scaled = pd.DataFrame(
            ordered_events.sum() * resid @ model.variance_matrix_.to_numpy(), columns=names
        )
        result = proportional_hazard_test(
            model, None, time_transform="rank", precomputed_residuals=scaled
        )
        summary = result.summary.loc[names]  # lifelines sorts the rows by name
        frame: pd.DataFrame = pd.DataFrame(
            {
                "test_statistic": summary["test_statistic"].to_numpy(dtype=np.float64),
                "p_value": summary["p"].to_numpy(dtype=np.float64),
            },
            index=pd.Index(names, name="covariate"),
        )
        frame["violated"] = frame["p_value"] < self.ci_alpha
        bad = frame.index[frame["violated"]].tolist()
        if bad and warn:
            warnings.warn(
                f"ChurnDrivers.fit: covariate(s) {bad} may violate the proportional-hazards "
                f"assumption (p < {self.ci_alpha:g} in the scaled-Schoenfeld test against the rank "
                "of time): their effect changes over a user's life and the hazard ratio is an "
                "average. Hint: see ph_test_; stratify or split the users on them, or bin the "
                "durations (with very many users tiny departures also test significant).",
                UseropsWarning,
                stacklevel=3,
            )
        return frame

    # ---------------------------------------------------------------- prediction
    def _fitted(self) -> Any:
        model = self.__dict__.get("lifelines_")
        if model is None:
            raise _not_fitted()
        return model

    def _frame_for_prediction(self, where: str, data: Any) -> tuple[pd.DataFrame, pd.Index]:
        self._fitted()
        frame = _as_frame(data, where)
        names = list(self.feature_names_in_)
        if not isinstance(data, pd.DataFrame):
            if frame.shape[1] != len(names):
                raise InvalidParameterError(
                    f"{where}: X has {frame.shape[1]} columns but the model was fitted on "
                    f"{len(names)} covariates {names}. Hint: pass a DataFrame with those columns."
                )
            frame.columns = names
        matrix, _ = _covariate_matrix(where, frame, names)
        bad = ~np.isfinite(matrix)
        if bad.any():
            counts = {n: int(c) for n, c in zip(names, bad.sum(axis=0), strict=True) if c}
            raise _nan_error(where, counts, len(frame), int(bad.any(axis=1).sum()))
        return pd.DataFrame(matrix, columns=names, index=frame.index), frame.index

    def predict_partial_hazard(self, X: pd.DataFrame | npt.ArrayLike) -> pd.Series:  # noqa: N803
        """Relative churn hazard of each row: ``exp((x - mean) . coef)`` as in lifelines.

        Parameters
        ----------
        X : pandas.DataFrame or array-like
            Rows with the fitted covariates (extra columns are ignored).

        Returns
        -------
        pandas.Series
            Named ``partial_hazard``, on the index of ``X``; 1 is the hazard of a user at the
            training means, 2 twice that.

        Raises
        ------
        NotFittedError
            Before ``fit``.
        InvalidParameterError
            For missing, non-numeric or non-finite covariates.

        Examples
        --------
        >>> from lifelines.datasets import load_rossi
        >>> rossi = load_rossi()
        >>> model = ChurnDrivers().fit(
        ...     rossi, duration_col="week", event_col="arrest", covariates=["fin", "prio"]
        ... )
        >>> model.predict_partial_hazard(rossi.head(3)).round(3)
        0    1.223
        1    2.058
        2    3.463
        Name: partial_hazard, dtype: float64
        """
        model = self._fitted()
        frame, index = self._frame_for_prediction("ChurnDrivers.predict_partial_hazard", X)
        values = np.asarray(model.predict_partial_hazard(frame), dtype=np.float64)
        return pd.Series(values, index=index, name="partial_hazard")

    def predict_survival(
        self,
        X: pd.DataFrame | npt.ArrayLike,  # noqa: N803
        *,
        times: npt.ArrayLike | None = None,
    ) -> pd.DataFrame:
        """Probability of not having churned by each time, per row.

        Parameters
        ----------
        X : pandas.DataFrame or array-like
            Rows with the fitted covariates.
        times : array-like of float, optional
            Durations at which to evaluate; default every distinct training duration.

        Returns
        -------
        pandas.DataFrame
            One row per row of ``X`` (same index), one column per time.

        Raises
        ------
        NotFittedError
            Before ``fit``.
        InvalidParameterError
            For missing, non-numeric or non-finite covariates, or negative times.

        Examples
        --------
        >>> from lifelines.datasets import load_rossi
        >>> rossi = load_rossi()
        >>> model = ChurnDrivers().fit(
        ...     rossi, duration_col="week", event_col="arrest", covariates=["fin", "prio"]
        ... )
        >>> model.predict_survival(rossi.head(2), times=[10, 30, 52]).round(3)
        time   10.0   30.0   52.0
        0     0.961  0.842  0.699
        1     0.935  0.748  0.547
        """
        model = self._fitted()
        frame, index = self._frame_for_prediction("ChurnDrivers.predict_survival", X)
        grid = None
        if times is not None:
            grid = np.atleast_1d(np.asarray(times, dtype=np.float64))
            if not np.isfinite(grid).all() or (grid < 0).any():
                raise InvalidParameterError(
                    f"ChurnDrivers.predict_survival: times must be finite and >= 0, got "
                    f"{grid.tolist()[:5]}. Hint: pass durations in the unit of the training data."
                )
        surv = model.predict_survival_function(frame, times=grid)
        out: pd.DataFrame = pd.DataFrame(
            surv.to_numpy(dtype=np.float64).T,
            index=index,
            columns=pd.Index(surv.index.to_numpy(dtype=np.float64), name="time"),
        )
        return out

    def score(
        self,
        X: pd.DataFrame | npt.ArrayLike,  # noqa: N803
        y: pd.DataFrame | npt.ArrayLike | None = None,
        *,
        duration_col: str = "duration",
        event_col: str = "observed",
    ) -> float:
        """Concordance index of the fitted model on (new) data; higher is better.

        Parameters
        ----------
        X, y, duration_col, event_col
            As in :meth:`fit`.

        Returns
        -------
        float

        Raises
        ------
        NotFittedError
            Before ``fit``.
        InvalidParameterError
            For bad input, as in :meth:`fit`.

        Examples
        --------
        >>> from lifelines.datasets import load_rossi
        >>> rossi = load_rossi()
        >>> model = ChurnDrivers().fit(
        ...     rossi, duration_col="week", event_col="arrest", covariates=["fin", "prio"]
        ... )
        >>> round(model.score(rossi, duration_col="week", event_col="arrest"), 3)
        0.594
        """
        self._fitted()
        names = list(self.feature_names_in_)
        matrix, durations, events, _, _ = _survival_data(
            "ChurnDrivers.score", X, y, duration_col, event_col, names
        )
        return concordance_index(durations, events, matrix @ self.coef_.to_numpy())

    def plot(self, ax: Any = None) -> Any:
        """Forest plot of hazard ratios with their confidence intervals (log scale).

        Parameters
        ----------
        ax : matplotlib.axes.Axes, optional
            Where to draw; default a new figure.

        Returns
        -------
        matplotlib.axes.Axes

        Raises
        ------
        NotFittedError
            Before ``fit``.
        UseropsError
            When matplotlib is not installed.
        """
        self._fitted()
        return plotting.forest_plot(self.summary_, alpha=self.ci_alpha, ax=ax)


def _shorten(text: str, limit: int = 400) -> str:
    return text if len(text) <= limit else text[:limit].rstrip() + " ..."


def _reissue(caught: list[warnings.WarningMessage], where: str, rename: dict[str, str]) -> None:
    """Turn lifelines' runtime warnings into ours; drop third-party deprecation noise."""
    seen: set[str] = set()
    for w in caught:
        if not issubclass(w.category, RuntimeWarning):
            continue
        text = " ".join(str(w.message).split())
        for internal, name in rename.items():
            text = text.replace(internal, name)
        if text in seen:
            continue
        seen.add(text)
        category: type[Warning] = (
            ConvergenceWarning if "onverge" in w.category.__name__ + text else UseropsWarning
        )
        warnings.warn(
            f"{where}: lifelines reports: {_shorten(text)} Hint: set penalizer > 0 (e.g. 0.1) or "
            "drop covariates that barely vary or separate churned from retained users perfectly.",
            category,
            stacklevel=3,
        )


# --------------------------------------------------------------------------------------------------
# indicator comparison
# --------------------------------------------------------------------------------------------------


def indicator_comparison(
    frame: pd.DataFrame,
    *,
    churned_col: str,
    features: Sequence[str] | None = None,
    alpha: float = 0.05,
    binary_test: Literal["auto", "z", "fisher"] = "auto",
) -> pd.DataFrame:
    """Compare each behaviour between churned and retained users (关键指标对比).

    For a binary feature (booleans, or numbers that are all 0 or 1) the prevalence among churned
    and among retained users; for a numeric feature the means.  Their ratio and difference say how
    far apart the groups are; a test says whether the gap is more than chance, with p-values
    adjusted for testing many features at once (Benjamini-Hochberg).

    Parameters
    ----------
    frame : pandas.DataFrame
        One row per user.
    churned_col : str
        1/True for churned users, 0/False for retained ones.
    features : sequence of str, optional
        Columns to compare; default every numeric or boolean column except ``churned_col``
        (text columns are left out: one-hot encode them with ``pd.get_dummies`` to compare
        categories).
    alpha : float, default 0.05
        Level for the ``significant`` column (on the adjusted p-value).
    binary_test : {"auto", "z", "fisher"}, default "auto"
        Test for binary features: the pooled two-proportion z-test, Fisher's exact test, or
        ``"auto"``: the z-test when every expected cell count is at least 5, else Fisher.
        Numeric features use the two-sided Mann-Whitney U test.

    Returns
    -------
    pandas.DataFrame
        Indexed by feature, sorted by adjusted p-value: ``kind`` ("binary"/"numeric"),
        ``churned`` and ``retained`` (prevalence or mean), ``difference`` (churned - retained),
        ``ratio`` (churned / retained), ``test``, ``statistic`` (z, odds ratio or U),
        ``p_value``, ``p_adjusted``, ``significant``, ``n_churned``, ``n_retained`` (rows with a
        value; missing values are left out feature by feature).

    Raises
    ------
    InvalidParameterError
        For a missing column, a non-numeric feature (with a one-hot encoding hint), a churned
        column that is not 0/1 or has missing values, or a bad option.
    InsufficientDataError
        Without at least one churned and one retained user.

    See Also
    --------
    ChurnDrivers : All covariates at once, on time to churn.

    Notes
    -----
    The ratio and difference are descriptive and do not adjust for other features; a feature can
    look protective only because it goes with another one.  Fit :class:`ChurnDrivers` to weigh
    them together.

    Examples
    --------
    The article's example: 20% of churned users uploaded an avatar against 80% of retained users.

    >>> import pandas as pd
    >>> users = pd.DataFrame({
    ...     "churned": [True] * 50 + [False] * 50,
    ...     "uploaded_avatar": [1] * 10 + [0] * 40 + [1] * 40 + [0] * 10,
    ...     "posts": list(range(50)) + list(range(20, 70)),
    ... })
    >>> table = indicator_comparison(users, churned_col="churned")
    >>> table[["kind", "churned", "retained", "ratio", "test"]]
                        kind  churned  retained  ratio          test
    feature
    uploaded_avatar   binary      0.2       0.8   0.25             z
    posts            numeric     24.5      44.5   0.55  mann-whitney
    >>> bool(table.loc["uploaded_avatar", "significant"])
    True
    """
    where = "indicator_comparison"
    if not isinstance(frame, pd.DataFrame):
        raise InvalidParameterError(
            f"{where}: expected a pandas DataFrame with one row per user, got "
            f"{type(frame).__name__}."
        )
    if not isinstance(binary_test, str) or binary_test not in ("auto", "z", "fisher"):
        raise InvalidParameterError(
            f"{where}: binary_test must be 'auto', 'z' or 'fisher', got {binary_test!r}."
        )
    if not isinstance(alpha, int | float) or not 0 < alpha < 1:
        raise InvalidParameterError(f"{where}: alpha must be in (0, 1), got {alpha!r}.")
    if not isinstance(churned_col, str) or churned_col not in frame.columns:
        raise InvalidParameterError(
            _missing_column(where, "churned", churned_col, list(frame.columns), "churned_col")
        )
    churned_f = _numeric_column(where, churned_col, frame[churned_col], "churned")
    if np.isnan(churned_f).any() or not np.isin(churned_f, (0.0, 1.0)).all():
        raise InvalidParameterError(
            f"{where}: {churned_col!r} must hold 0/1 or True/False for every user (1 = churned), "
            f"got {int(np.isnan(churned_f).sum())} missing and other values "
            f"{sorted({float(v) for v in churned_f[~np.isin(churned_f, (0.0, 1.0))][:5]})}. "
            "Hint: build it as a boolean column."
        )
    is_churned = churned_f == 1.0
    n1, n0 = int(is_churned.sum()), int((~is_churned).sum())
    if n1 == 0 or n0 == 0:
        raise InsufficientDataError(
            f"{where}: {n1} churned and {n0} retained user(s). Expected both groups to be "
            "non-empty to compare them. Hint: check the churn definition and the date range."
        )
    if features is None:
        names = [
            c
            for c in frame.columns
            if c != churned_col
            and (
                pd.api.types.is_bool_dtype(frame[c].dtype)
                or pd.api.types.is_numeric_dtype(frame[c].dtype)
            )
        ]
    else:
        names = [features] if isinstance(features, str) else list(features)
    if not names:
        raise InvalidParameterError(
            f"{where}: no numeric or boolean feature columns to compare besides {churned_col!r}. "
            "Hint: pass features=[...], one-hot encoding categories with pd.get_dummies."
        )
    matrix, str_names = _covariate_matrix(where, frame, names)

    rows = []
    for j, name in enumerate(str_names):
        col = matrix[:, j]
        ok = np.isfinite(col)
        a, b = col[ok & is_churned], col[ok & ~is_churned]
        rows.append(_compare_one(name, a, b, binary_test))
    table = pd.DataFrame(rows).set_index("feature")
    p = table["p_value"].to_numpy(dtype=np.float64)
    adjusted = np.full(p.size, np.nan)
    finite = np.isfinite(p)
    if finite.any():
        adjusted[finite] = stats.false_discovery_control(p[finite], method="bh")
    table["p_adjusted"] = adjusted
    table["significant"] = table["p_adjusted"] < alpha
    order = np.lexsort((np.arange(len(table)), np.nan_to_num(adjusted, nan=2.0)))
    columns = [
        "kind",
        "churned",
        "retained",
        "difference",
        "ratio",
        "test",
        "statistic",
        "p_value",
        "p_adjusted",
        "significant",
        "n_churned",
        "n_retained",
    ]
    result: pd.DataFrame = table.iloc[order][columns]
    return result


def _compare_one(name: str, a: FloatArray, b: FloatArray, binary_test: str) -> dict[str, Any]:
    """Statistics of one feature: a = churned values, b = retained values (finite only)."""
    n1, n0 = a.size, b.size
    binary = bool(np.isin(a, (0.0, 1.0)).all() and np.isin(b, (0.0, 1.0)).all())
    m1 = float(a.mean()) if n1 else float("nan")
    m0 = float(b.mean()) if n0 else float("nan")
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = float(np.float64(m1) / np.float64(m0)) if n1 and n0 else float("nan")
    stat, pval = float("nan"), float("nan")
    if binary:
        x1, x0 = float(a.sum()), float(b.sum())
        total = n1 + n0
        expected = (
            np.array([x1 + x0, total - x1 - x0])[:, None] * np.array([n1, n0])[None, :] / total
            if total
            else np.zeros((2, 2))
        )
        test = (
            "z"
            if binary_test == "z" or (binary_test == "auto" and expected.min() >= 5)
            else "fisher"
        )
        if n1 and n0:
            if test == "z":
                pooled = (x1 + x0) / total
                se = np.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n0))
                if se > 0:
                    stat = (m1 - m0) / se
                    pval = float(2 * stats.norm.sf(abs(stat)))
                else:  # every user has the same value: no difference to test
                    stat, pval = 0.0, 1.0
            else:
                res = stats.fisher_exact([[x1, n1 - x1], [x0, n0 - x0]])
                stat, pval = float(res.statistic), float(res.pvalue)
    else:
        test = "mann-whitney"
        if n1 and n0:
            if np.ptp(np.concatenate([a, b])) == 0:
                stat, pval = n1 * n0 / 2, 1.0
            else:
                res = stats.mannwhitneyu(a, b, alternative="two-sided")
                stat, pval = float(res.statistic), float(res.pvalue)
    return {
        "feature": name,
        "kind": "binary" if binary else "numeric",
        "churned": m1,
        "retained": m0,
        "difference": m1 - m0,
        "ratio": ratio,
        "test": test,
        "statistic": float(stat),
        "p_value": float(pval),
        "n_churned": int(n1),
        "n_retained": int(n0),
    }
