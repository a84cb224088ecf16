"""Interrupted time series (segmented regression) and the naive same-period comparison.

Segmented regression (Lopez Bernal, Cummins & Gasparrini 2017): the outcome on a time trend, a
step at the launch (level change) and optionally a change of slope, with seasonality by
harmonic pairs or month (weekday) terms, by Poisson or quasi-Poisson GLM with a log offset for
counts, or by OLS; standard errors classical or autocorrelation-robust (Newey–West HAC).
The counterfactual is the fitted model with the step and slope terms set to zero.
"""

from __future__ import annotations

import dataclasses
import warnings
from typing import Any, Literal

import numpy as np
import pandas as pd

from useropslib.campaigns._cfdata import PreparedSeries, period_positions
from useropslib.exceptions import (
    CounterfactualWarning,
    InsufficientDataError,
    InvalidParameterError,
)

__all__ = ["ItsFit", "its_fit", "naive_draws"]

Family = Literal["quasipoisson", "poisson", "ols"]


@dataclasses.dataclass(frozen=True)
class ItsFit:
    """A fitted segmented regression.

    Attributes
    ----------
    coefficients : pandas.DataFrame
        Per term: ``coef``, ``se``, ``lower``, ``upper`` and, for log-link models, ``ratio``
        (exp(coef)) with its interval.
    step_ratio : float
        exp(step coefficient) for log-link models (the level change as a rate ratio), else NaN.
    dispersion : float
        Pearson chi-squared over residual degrees of freedom (quasi-Poisson), 1 for Poisson,
        the residual variance for OLS.
    samples : numpy.ndarray
        Draws of the counterfactual over the post-period.
    fitted_pre : numpy.ndarray
        The fit over the pre-period.
    """

    coefficients: pd.DataFrame
    step_ratio: float
    dispersion: float
    samples: np.ndarray
    fitted_pre: np.ndarray


def _seasonal_terms(
    index: pd.DatetimeIndex, freq: str, seasonality: str | None, harmonics: int
) -> tuple[np.ndarray, list[str]]:
    if seasonality is None:
        return np.empty((len(index), 0)), []
    if freq == "month":
        phase, period = index.month.to_numpy(), 12.0
    elif freq == "day":
        phase, period = index.dayofweek.to_numpy() + 1, 7.0
    else:
        phase, period = index.dayofyear.to_numpy(), 365.25
    if seasonality == "harmonics":
        cols, names = [], []
        for k in range(1, harmonics + 1):
            cols += [np.sin(2 * np.pi * k * phase / period), np.cos(2 * np.pi * k * phase / period)]
            names += [f"sin{k}", f"cos{k}"]
        return np.column_stack(cols), names
    if seasonality == "dummies":
        if freq == "week":
            raise InvalidParameterError(
                "seasonality='dummies' needs daily (weekday terms) or monthly (month terms) data; "
                "weekly data takes seasonality='harmonics'."
            )
        levels = np.unique(phase)
        cols = [(phase == lv).astype(float) for lv in levels[1:]]
        label = "month" if freq == "month" else "weekday"
        return np.column_stack(cols), [f"{label}{int(lv)}" for lv in levels[1:]]
    raise InvalidParameterError(
        f"seasonality must be 'harmonics', 'dummies' or None; got {seasonality!r}."
    )


def its_fit(
    prep: PreparedSeries,
    *,
    family: Family,
    offset: np.ndarray | None,
    seasonality: str | None,
    harmonics: int,
    slope_change: bool,
    hac_lags: int | None,
    alpha: float,
    draws: int,
    rng: np.random.Generator,
) -> ItsFit:
    """Fit the segmented regression over pre and post and draw the counterfactual.

    Parameters
    ----------
    prep : PreparedSeries
        The checked input (no after-window).
    family : {"quasipoisson", "poisson", "ols"}
        Model family.
    offset : numpy.ndarray, optional
        Exposure (e.g. population) over the dates; its log is the offset of log-link models.
    seasonality : {"harmonics", "dummies"} or None
        Seasonal terms.
    harmonics : int
        Number of sine/cosine pairs.
    slope_change : bool
        Add the change of slope after the launch.
    hac_lags : int, optional
        Newey–West lags for autocorrelation-robust errors (None: classical).
    alpha : float
        One minus the interval coverage.
    draws : int
        Counterfactual draws.
    rng : numpy.random.Generator
        Randomness for the draws.

    Returns
    -------
    ItsFit
    """
    import statsmodels.api as sm
    from scipy import stats

    n = len(prep.y)
    post = prep.post.astype(float)
    # time in periods from the dates: a gap between pre and post keeps its length
    t = 1 + period_positions(prep.index, prep.freq)
    t_launch = t[prep.pre][-1]
    cols = [np.ones(n), t, post]
    names = ["intercept", "time", "step"]
    if slope_change:
        cols.append((t - t_launch) * post)
        names.append("slope_change")
    seas, seas_names = _seasonal_terms(prep.index, prep.freq, seasonality, harmonics)
    design = np.column_stack([*cols, seas]) if seas.size else np.column_stack(cols)
    names += seas_names
    if n - design.shape[1] < 3:
        raise InsufficientDataError(
            f"The segmented regression has {design.shape[1]} terms but only {n} points; it needs "
            "at least three more points than terms. Hint: fewer harmonics, no slope change, or a "
            "longer series."
        )
    cov_kw: dict[str, Any] = {}
    if hac_lags is not None:
        cov_kw = {"cov_type": "HAC", "cov_kwds": {"maxlags": int(hac_lags)}}
    if family == "ols":
        res = sm.OLS(prep.y, design).fit(**cov_kw)
        dispersion = float(res.scale)
        log_link = False
    elif family in ("poisson", "quasipoisson"):
        if np.any(prep.y < 0):
            raise InvalidParameterError(
                "A Poisson model needs non-negative counts; the outcome has negative values. "
                "Hint: family='ols'."
            )
        off = None
        if offset is not None:
            if np.any(offset <= 0):
                raise InvalidParameterError("offset must be positive (it enters as its log).")
            off = np.log(offset)
        model = sm.GLM(prep.y, design, family=sm.families.Poisson(), offset=off)
        scale = "X2" if family == "quasipoisson" else 1.0
        res = model.fit(scale=scale, **cov_kw)
        dispersion = float(res.scale)
        log_link = True
    else:
        raise InvalidParameterError(
            f"family must be 'quasipoisson', 'poisson' or 'ols'; got {family!r}."
        )
    b = np.asarray(res.params, dtype=float)
    cov = np.asarray(res.cov_params(), dtype=float)
    se = np.sqrt(np.diag(cov))
    zq = stats.norm.ppf(1 - alpha / 2)
    coef = pd.DataFrame(
        {"coef": b, "se": se, "lower": b - zq * se, "upper": b + zq * se},
        index=pd.Index(names, name="term"),
    )
    if log_link:
        coef["ratio"] = np.exp(b)
        coef["ratio_lower"] = np.exp(b - zq * se)
        coef["ratio_upper"] = np.exp(b + zq * se)
    # counterfactual: the step and slope terms set to zero
    cf_design = design.copy()
    cf_design[:, 2] = 0.0
    if slope_change:
        cf_design[:, 3] = 0.0
    b_draws = rng.multivariate_normal(b, cov, size=draws, method="eigh")
    lin = b_draws @ cf_design[prep.post].T
    if log_link:
        off_post = np.log(offset[prep.post]) if offset is not None else 0.0
        mu = np.exp(lin + off_post)
        samples = mu + np.sqrt(dispersion * mu) * rng.standard_normal(mu.shape)
        fitted = np.exp(
            design[prep.pre] @ b + (np.log(offset[prep.pre]) if offset is not None else 0)
        )
    else:
        samples = lin + np.sqrt(dispersion) * rng.standard_normal(lin.shape)
        fitted = design[prep.pre] @ b
    return ItsFit(
        coefficients=coef,
        step_ratio=float(np.exp(b[2])) if log_link else float("nan"),
        dispersion=dispersion,
        samples=samples,
        fitted_pre=fitted,
    )


def naive_draws(
    series: pd.Series,
    prep: PreparedSeries,
    *,
    reference: Literal["year", "month"],
    align: Literal["same_date", "same_weekday"],
    alpha: float,
) -> tuple[np.ndarray, dict[str, Any]]:
    """Draws of the naive counterfactual: the same dates one year (or month) earlier.

    The counterfactual of each post date is the value at the aligned earlier date.  Its spread
    comes from the history's own variability of that comparison: for every earlier window of the
    post-period's length (not overlapping the post-period), the ratio of its sum to the sum of
    its own aligned earlier window.  Each ratio over the ratios' median is one draw; the
    counterfactual draws are the aligned values times these, so the naive point (ratio 1) is
    their median.

    Parameters
    ----------
    series : pandas.Series
        The whole outcome history (it must reach back one year or month before the post start,
        plus enough windows for the spread).
    prep : PreparedSeries
        The checked pre/post cut.
    reference : {"year", "month"}
        Compare with last year or last month.
    align : {"same_date", "same_weekday"}
        Calendar alignment: the same calendar date (``DateOffset(years=1)`` or ``months=1``), or
        the same weekday (364 or 28 days earlier).
    alpha : float
        One minus the interval coverage.

    Returns
    -------
    tuple of (numpy.ndarray, dict)
        Draws ``(S, H)`` and diagnostics (the lag, the number of historical windows, the ratio
        quantiles).
    """
    if not isinstance(reference, str) or reference not in ("year", "month"):
        raise InvalidParameterError(f"reference must be 'year' or 'month'; got {reference!r}.")
    if not isinstance(align, str) or align not in ("same_date", "same_weekday"):
        raise InvalidParameterError(f"align must be 'same_date' or 'same_weekday'; got {align!r}.")
    if align == "same_weekday" and prep.freq != "day":
        raise InvalidParameterError(
            "align='same_weekday' is for daily series; weekly and monthly series take "
            "align='same_date'."
        )
    s = series.astype(float)
    idx = pd.DatetimeIndex(s.index)

    def lagged(dates: pd.DatetimeIndex) -> pd.DatetimeIndex:
        if align == "same_weekday":
            shifted: pd.DatetimeIndex = dates - pd.Timedelta(
                days=364 if reference == "year" else 28
            )
            return shifted
        off = pd.DateOffset(years=1) if reference == "year" else pd.DateOffset(months=1)
        out: pd.DatetimeIndex = pd.DatetimeIndex(dates - off)
        return out

    post_dates = prep.index[prep.post]
    h = len(post_dates)
    lag_post = lagged(post_dates)
    missing = lag_post.difference(idx)
    if len(missing):
        raise InsufficientDataError(
            f"The naive comparison needs the {reference} before the post-period; the series "
            f"lacks {len(missing)} of those dates (first {missing[0].date()}). Hint: measure "
            f"the series from at least {lag_post.min().date()}."
        )
    base = s.reindex(lag_post).to_numpy()
    # historical windows: every start whose window and lagged window lie in the history
    hist = s[idx < post_dates[0]]
    hidx = pd.DatetimeIndex(hist.index)
    ratios = []
    lag_all = lagged(hidx)
    ok = lag_all.isin(idx)
    cur = hist.to_numpy()
    prev = s.reindex(lag_all).to_numpy()
    valid = ok & np.isfinite(prev)
    cs_cur = np.concatenate([[0.0], np.cumsum(np.where(valid, cur, 0))])
    cs_prev = np.concatenate([[0.0], np.cumsum(np.where(valid, prev, 0))])
    cs_ok = np.concatenate([[0], np.cumsum(valid)])
    starts = np.arange(0, len(hist) - h + 1)
    full = (cs_ok[starts + h] - cs_ok[starts]) == h
    num = (cs_cur[starts + h] - cs_cur[starts])[full]
    den = (cs_prev[starts + h] - cs_prev[starts])[full]
    good = den > 0
    ratios = num[good] / den[good]
    min_windows = int(np.ceil(2 / alpha))
    if ratios.size < min_windows:
        raise InsufficientDataError(
            f"The naive comparison's interval needs at least {min_windows} earlier windows of "
            f"{h} {prep.freq}s that have their own {reference}-earlier window (2 / alpha, so the "
            f"{1 - alpha:.0%} interval has support); the history gives {ratios.size}. Hint: "
            f"a longer history, a shorter post-period, or reference='month'."
        )
    lo, hi = np.quantile(ratios, [alpha / 2, 1 - alpha / 2])
    if not lo <= 1.0 <= hi:
        warnings.warn(
            f"In the history, a window's sum over its {reference}-earlier sum ran from {lo:.3f} "
            f"to {hi:.3f} ({1 - alpha:.0%} range), which excludes 1: the series has a trend or "
            f"drift, so comparing with the same period a {reference} earlier misattributes it "
            "to the campaign. Hint: method='its' or 'sts' models the trend.",
            CounterfactualWarning,
            stacklevel=4,
        )
    # centred on the naive counterfactual (ratio 1): the spread of the history's ratios around
    # their median; a median far from 1 is the trend the warning above names
    samples = base[None, :] * (ratios / np.median(ratios))[:, None]
    info = {
        "lag": "364 days"
        if (align == "same_weekday" and reference == "year")
        else ("28 days" if align == "same_weekday" else f"1 {reference}"),
        "history_windows": int(ratios.size),
        "ratio_quantiles": [float(lo), float(hi)],
        "ratio_median": float(np.median(ratios)),
    }
    return samples, info
