"""One entry point for a campaign's effect without a control group, and the pull-forward share."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any, Literal

import numpy as np
import pandas as pd

from useropslib._results import MetricResult
from useropslib.campaigns._cfdata import (
    PreparedSeries,
    parse_window,
    period_positions,
    prepare_series,
    warn_moving_controls,
)
from useropslib.campaigns._counterfactual import (
    CounterfactualResult,
    pointwise_frame,
    summarize_draws,
    two_sided_p_value,
)
from useropslib.campaigns._its import its_fit, naive_draws
from useropslib.campaigns._sts import sts_draws, sts_min_pre
from useropslib.campaigns._synth import simplex_weights
from useropslib.exceptions import InsufficientDataError, InvalidParameterError
from useropslib.models import DateLike

__all__ = ["PullForwardResult", "counterfactual_effect", "pull_forward"]

Method = Literal["sts", "synthetic_control", "its", "naive", "did"]
METHODS = ("sts", "synthetic_control", "its", "naive", "did")
MAX_DRAWS = 100_000

P_CONVENTION = (
    "two-sided posterior tail probability of the cumulative effect, 2 min(P(effect <= 0), "
    "P(effect >= 0)), the draws read with the interval's type-7 interpolation, so that "
    "p < alpha exactly when the 1 - alpha interval excludes zero"
)
CAUSALIMPACT_P_CONVENTION = (
    "CausalImpact's one-sided posterior tail-area probability: min(#{s: sum_s >= sum(y)} + 1, "
    "#{s: sum_s <= sum(y)} + 1) / (S + 1) over the post-period sums"
)
SIGNIFICANT_CONVENTION = (
    "the 1 - alpha interval of the cumulative effect excludes zero, equivalently p < alpha "
    "(two-sided); R CausalImpact's rule is causalimpact_significant"
)


def _check_common(alpha: float, draws: int, seed: Any) -> None:
    if not isinstance(alpha, float | int) or not 0 < alpha < 0.5:
        raise InvalidParameterError(f"alpha must lie in (0, 0.5); got {alpha!r}.")
    if isinstance(draws, bool) or not isinstance(draws, int | np.integer) or draws < 100:
        raise InvalidParameterError(
            f"draws must be an integer of at least 100 (the interval's quantiles need them); "
            f"got {draws!r}. Hint: draws=1000 (R CausalImpact's default niter)."
        )
    if draws > MAX_DRAWS:
        raise InvalidParameterError(
            f"draws must be at most {MAX_DRAWS:,} (every draw's path over the post-period is "
            f"held in memory); got {draws:,}. Hint: draws=1000 (R CausalImpact's default niter) "
            "gives p-values down to 0.001."
        )
    if seed is not None and not isinstance(seed, int | np.integer | np.random.Generator):
        raise InvalidParameterError(
            f"seed must be an int, a numpy Generator or None; got {seed!r}."
        )


def _series_from(data: Any, events: Any, every: str, first: Any, last: Any) -> Any:
    """Return the outcome series: as given, or measured from the log for a spec or goal."""
    if isinstance(data, pd.Series | pd.DataFrame):
        if events is not None:
            raise InvalidParameterError(
                "events is only used with a MetricSpec, Goal or Campaign (to measure the series "
                "from the log); the outcome was given as a series. Hint: drop events=."
            )
        return data
    from useropslib.campaigns._measure import measure
    from useropslib.models import Campaign, Goal

    spec: Any = data
    if isinstance(data, Campaign):
        spec = data.primary_goal.metric
    elif isinstance(data, Goal):
        spec = data.metric
        if spec is None:
            raise InvalidParameterError(
                f"The goal {data.name or ''!r} has no metric to measure. Hint: give the goal a "
                "MetricSpec, or pass the outcome as a Series."
            )
    if not hasattr(spec, "required_events"):
        raise InvalidParameterError(
            "The outcome must be a pandas Series indexed by date, or a MetricSpec, Goal or "
            f"Campaign with an event log; got {type(data).__name__}."
        )
    if events is None:
        raise InvalidParameterError(
            "A MetricSpec, Goal or Campaign is measured from an event log: pass events=log."
        )
    if not isinstance(every, str) or every not in ("day", "week"):
        raise InvalidParameterError(f"every must be 'day' or 'week'; got {every!r}.")
    start, _ = parse_window(first, "pre")
    _, end = parse_window(last, "post")
    step = pd.Timedelta(days=1 if every == "day" else 7)
    series = measure(spec, events, start=start, end=end + step, every=every)
    if not isinstance(series, pd.Series):
        raise InvalidParameterError("measure returned no per-period series.")
    # the windows are given as dates of the log's local calendar
    out = series.copy()
    out.index = pd.DatetimeIndex(out.index).tz_localize(None)
    return out


def _windows(
    data: Any, pre: Any, post: Any, *, every: str, as_of: Any, events: Any = None
) -> tuple[tuple[Any, Any], tuple[Any, Any]]:
    """Return ``(pre, post)``; a campaign's launch phase fills them when they are left out.

    A default ``pre`` starts no earlier than the first event of ``events`` (an event log): days
    before the log began are not days with no activity.
    """
    if pre is not None and post is not None:
        return pre, post
    from useropslib.models import Campaign

    if not isinstance(data, Campaign):
        raise InvalidParameterError(
            "pre= and post= are required (inclusive (start, end) date pairs); only a Campaign "
            "with a launch phase can fill them from its plan."
        )
    launch = data.phase("launch")
    if launch is None:
        raise InvalidParameterError(
            f"Campaign {data.id!r} has no launch phase to take the post-period from. Hint: "
            "give post=(first day, last day) and pre=."
        )
    step = pd.Timedelta(days=1 if every == "day" else 7)
    first = pd.Timestamp(launch.start).tz_localize(None).normalize()
    last = (pd.Timestamp(launch.end).tz_localize(None) - pd.Timedelta(1, "ns")).normalize()
    if as_of is not None:
        cut = pd.Timestamp(as_of).tz_localize(None).normalize()
        if cut < first:
            raise InvalidParameterError(
                f"as_of {cut.date()} is before the launch {first.date()}: there is no "
                "post-period yet."
            )
        last = min(last, cut)
    if post is None:
        post = (first, last)
    if pre is None:
        n_post = int((pd.Timestamp(post[1]) - pd.Timestamp(post[0])) / step) + 1
        n_pre = max(28, 4 * n_post)
        start = pd.Timestamp(post[0])
        pre_start = start - n_pre * step
        first_event = getattr(events, "start", None)
        if isinstance(first_event, pd.Timestamp):
            log_start = first_event.tz_localize(None).normalize()
            if pre_start < log_start < start:
                pre_start = log_start
        pre = (pre_start, start - step)
    return pre, post


def _trim_leading_zeros(outcome: Any, pre: tuple[Any, Any]) -> tuple[Any, Any]:
    """Start a default pre-period at the first period where the measured goal is not zero.

    Periods before the goal's events first appear in the log are not evidence of a zero
    outcome (the event was not tracked yet, or the product had not started): a run of zeros
    followed by activity would read as a level shift before the launch.
    """
    if not isinstance(outcome, pd.Series) or outcome.empty:
        return pre
    start, end = pd.Timestamp(pre[0]), pd.Timestamp(pre[1])
    window = outcome[(outcome.index >= start) & (outcome.index <= end)]
    nonzero = window[window.fillna(0) != 0]
    if nonzero.empty or nonzero.index[0] <= start:
        return pre
    return (nonzero.index[0], pre[1])


def _sts_part(
    prep: PreparedSeries,
    proj: np.ndarray,
    *,
    seasonality: int | None,
    draws: int,
    rng: np.random.Generator,
    alpha: float,
    level_sd: float,
    expected_r2: float = 0.8,
    prior_df: float = 50.0,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, dict[str, Any], dict[str, Any]]:
    if not isinstance(level_sd, float | int) or not 0 < level_sd <= 1:
        raise InvalidParameterError(
            f"level_sd must lie in (0, 1] (a share of the outcome's pre-period s.d.); got "
            f"{level_sd!r}. Hint: 0.01 (CausalImpact's default) for stable series, 0.1 for "
            "series whose level drifts."
        )
    if (
        isinstance(expected_r2, bool)
        or not isinstance(expected_r2, float | int)
        or not (0 < expected_r2 < 1)
    ):
        raise InvalidParameterError(
            f"expected_r2 must lie in (0, 1) (the share of the outcome's variance the "
            f"comparison series are expected to explain); got {expected_r2!r}. Hint: 0.8 "
            "(CausalImpact's default); 0.5 when they explain about half."
        )
    if (
        isinstance(prior_df, bool)
        or not isinstance(prior_df, float | int)
        or not (0 < prior_df <= 1e6)
    ):
        raise InvalidParameterError(
            f"prior_df must be a positive number of observations (at most 1e6); got "
            f"{prior_df!r}. Hint: 50 (CausalImpact's default); 1 for a weak prior."
        )
    # periods elapsed before each projected point: a gap between the windows is simulated
    pos = period_positions(prep.index, prep.freq)
    steps = np.diff(np.concatenate([pos[prep.pre][-1:], pos[proj]])).astype(int)
    d = sts_draws(
        prep.y[prep.pre],
        prep.x[prep.pre],
        prep.x[proj],
        seasonality=seasonality,
        draws=draws,
        rng=rng,
        alpha=alpha,
        level_sd=float(level_sd),
        steps=steps,
        expected_r2=float(expected_r2),
        prior_df=float(prior_df),
    )
    conventions = {
        "model": "local level"
        + (f" + stochastic seasonal (period {seasonality})" if seasonality else "")
        + (" + static regression on the comparison series" if prep.x.shape[1] else ""),
        "standardisation": "outcome and comparison series by their pre-period mean and s.d.",
        "level_prior": f"inverse-gamma on the level variance, s.d. guess {level_sd:g} "
        "(standardised), prior sample size 32, upper bound 1 (CausalImpact prior.level.sd)",
        "observation_prior": (
            f"inverse-gamma, s.d. guess sqrt(1 - {expected_r2:g}) (standardised), sample size "
            f"{prior_df:g} (expected_r2 and prior_df; CausalImpact's expected.r2 = 0.8, "
            "prior.df = 50)"
            if prep.x.shape[1]
            else "inverse-gamma, s.d. guess 1 (standardised), sample size 1 (weak; no regression)"
        ),
        "coefficient_prior": "normal(0, 1) on standardised coefficients, integrated by the filter",
        "posterior": "variances by sampling-importance-resampling on the log scale (a t proposal "
        "around the posterior mode, weights from the exact posterior); per draw the Kalman "
        "filter's exact state posterior at the launch and a simulated path of state and "
        "observation noise",
        "interval": "equal-tailed quantiles (type 7) of the posterior predictive draws",
    }
    details = {
        "posterior_mode": d.params,
        "posterior_sd_unconstrained": d.param_sd,
        "converged": d.converged,
        "effective_parameter_draws": d.ess,
    }
    return d.samples, d.pre_pred, d.pre_lower, d.pre_upper, conventions, details


def counterfactual_effect(
    data: Any,
    events: Any = None,
    *,
    pre: tuple[Any, Any] | None = None,
    post: tuple[Any, Any] | None = None,
    controls: pd.DataFrame | pd.Series | None = None,
    method: Method = "sts",
    alpha: float = 0.05,
    seasonality: int | None = None,
    level_sd: float = 0.01,
    expected_r2: float = 0.8,
    prior_df: float = 50.0,
    draws: int = 1000,
    seed: int | np.random.Generator | None = 0,
    history: pd.Series | None = None,
    reference: Literal["year", "month"] = "year",
    align: Literal["same_date", "same_weekday"] = "same_weekday",
    family: Literal["quasipoisson", "poisson", "ols"] = "ols",
    offset: pd.Series | None = None,
    its_seasonality: Literal["harmonics", "dummies"] | None = "harmonics",
    harmonics: int = 2,
    slope_change: bool = True,
    hac_lags: int | None = None,
    every: str = "day",
    as_of: DateLike | None = None,
) -> CounterfactualResult:
    """Estimate a campaign's effect on a series against a counterfactual, without a holdout.

    Parameters
    ----------
    data : pandas.Series, MetricSpec, Goal or Campaign
        The outcome indexed by date (daily, weekly or monthly, no gaps), or what to measure
        from ``events`` with :func:`measure` per ``every`` (a goal's metric; a campaign's
        primary goal's metric).
    events : EventLog or DataFrame, optional
        The log, when ``data`` is a spec, goal or campaign.
    pre, post : tuple of two dates
        Inclusive windows before and during the campaign; ``post`` starts at the launch.  For a
        ``Campaign`` they may be left out: ``post`` is its launch phase (cut at ``as_of``) and
        ``pre`` the ``max(28, 4 x len(post))`` days (or weeks) before it, starting no earlier
        than the log's first event nor before the first period in which the goal is not zero
        (periods before its events first appear are not zeros of the outcome).
    controls : pandas.DataFrame, optional
        Comparison series (regions, channels, segments the campaign did not reach) over the same
        dates, one column each.  Used by ``"sts"`` (regression), ``"synthetic_control"``
        (donors) and ``"did"`` (their mean).
    method : {"sts", "synthetic_control", "its", "naive", "did"}, default "sts"
        ``"sts"``: Bayesian structural time series (local level, optional seasonality,
        regression on the controls).  ``"synthetic_control"``: simplex weights on the controls
        fitted to the pre-period.  ``"its"``: segmented regression on time (no controls).
        ``"naive"``: the same dates a year (or month) earlier.  ``"did"``: the mean of the
        controls plus the pre-period gap.
    alpha : float, default 0.05
        One minus the intervals' coverage.
    seasonality : int, optional
        Seasonal period of the ``"sts"`` model (7 for a weekly cycle in daily data).
    level_sd : float, default 0.01
        Prior guess of the ``"sts"`` level's daily (weekly) innovation s.d., as a share of the
        outcome's pre-period s.d. (R CausalImpact's ``prior.level.sd``): 0.01 for stable
        series, 0.1 when the level drifts (wider, honest intervals).
    expected_r2 : float, default 0.8
        For ``"sts"`` with comparison series: the share of the outcome's pre-period variance
        they are expected to explain; the observation s.d.'s prior guess is
        ``sqrt(1 - expected_r2)`` (CausalImpact's ``expected.r2``).  Lower it when they
        explain less: R's 0.8 then pulls the noise below the truth and the interval is too
        narrow.
    prior_df : float, default 50
        For ``"sts"`` with comparison series: that prior's weight in observations
        (CausalImpact's ``prior.df``); 1 makes it weak.
    draws : int, default 1000
        Posterior (or sampling) draws.
    seed : int or numpy.random.Generator, default 0
        Randomness of the draws; the same seed gives the same answer.
    history : pandas.Series, optional
        For ``"naive"``: the longer history reaching a year (month) before ``pre`` (default
        ``data``).
    reference : {"year", "month"}, default "year"
        For ``"naive"``: compare with last year or last month.
    align : {"same_weekday", "same_date"}, default "same_weekday"
        For ``"naive"``: 364 (28) days earlier, or the same calendar date.
    family : {"ols", "quasipoisson", "poisson"}, default "ols"
        For ``"its"``.
    offset : pandas.Series, optional
        For ``"its"`` count models: the exposure (e.g. population) over the same dates.
    its_seasonality : {"harmonics", "dummies"} or None, default "harmonics"
        For ``"its"``.
    harmonics : int, default 2
        For ``"its"``: sine/cosine pairs.
    slope_change : bool, default True
        For ``"its"``: a change of slope after the launch.
    hac_lags : int, optional
        For ``"its"``: Newey–West lags for autocorrelation-robust errors.
    every : {"day", "week"}, default "day"
        The period of a measured spec (local calendar days or weeks of the log).
    as_of : date-like, optional
        For a ``Campaign`` without ``post``: the last date to look at (default the launch
        phase's last day).  Nothing reads the clock.

    Returns
    -------
    CounterfactualResult
        ``series`` (per date), ``table`` (average and cumulative effect), ``p_value``
        (two-sided), ``causalimpact_p`` (R's one-sided tail area), ``conventions``;
        ``estimate`` and ``ci`` (the relative effect), ``significant``,
        ``summary("en" | "zh")``, ``to_frame()``, ``to_dict()``, ``plot()``.

    Raises
    ------
    InvalidParameterError
        Windows out of order or overlapping, gaps or duplicated dates (named), constant
        series, unknown method.
    InsufficientDataError
        A pre-period too short for the model (the message says how many points and why).

    Warns
    -----
    CounterfactualWarning
        Comparison series that move at the launch (they may be treated too); a naive comparison
        on a trending history; a counterfactual whose draws reach zero (the relative effect is
        then undefined, NaN).

    See Also
    --------
    pull_forward : the same counterfactual over the campaign and an after-window.
    synthetic_control, did_regression, staggered_did

    Notes
    -----
    The summary table follows R CausalImpact's conventions (average and cumulative rows,
    relative effect as the mean over draws of ``sum(y) / sum(draw) - 1``, equal-tailed
    two-sided ``1 - alpha`` intervals).  "Finds an effect" means one thing throughout:
    ``significant`` is true when the ``1 - alpha`` interval of the cumulative effect excludes
    zero, which is exactly ``p_value < alpha`` for the two-sided tail probability
    ``p_value``.  R's one-sided tail area is kept as ``causalimpact_p``, and R's rule
    ``causalimpact_p < alpha`` (a two-sided test at ``2 alpha``) as
    ``causalimpact_significant``, for comparison with R.
    The ``"sts"`` interval comes from posterior simulation with parameter uncertainty, never
    from the plug-in forecast interval of one fitted model.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(1)
    >>> days = pd.date_range("2024-01-01", periods=90, freq="D")
    >>> x = pd.Series(100 + np.cumsum(rng.normal(0, 1, 90)), index=days, name="other_city")
    >>> y = pd.Series(1.2 * x.to_numpy() + rng.normal(0, 1, 90), index=days, name="orders")
    >>> y.iloc[70:] += 10
    >>> res = counterfactual_effect(y, pre=("2024-01-01", "2024-03-10"),
    ...                             post=("2024-03-11", "2024-03-30"), controls=x, draws=200)
    >>> res.significant, bool(5 < res.table.loc["average", "abs_effect"] < 15)
    (True, True)
    """
    _check_common(alpha, draws, seed)
    pre_defaulted = pre is None
    pre, post = _windows(data, pre, post, every=every, as_of=as_of, events=events)
    if method not in METHODS:
        raise InvalidParameterError(f"method must be one of {list(METHODS)}; got {method!r}.")
    outcome = _series_from(data, events, every, pre, post)
    if pre_defaulted and events is not None:
        pre = _trim_leading_zeros(outcome, pre)
    rng = np.random.default_rng(seed)
    n_ctrl = (
        0 if controls is None else (1 if isinstance(controls, pd.Series) else controls.shape[1])
    )
    if method == "sts":
        need, why = sts_min_pre(n_ctrl, seasonality)
        if seasonality is not None and (
            isinstance(seasonality, bool) or not isinstance(seasonality, int) or seasonality < 2
        ):
            raise InvalidParameterError(
                f"seasonality must be an integer period of at least 2 or None; got {seasonality!r}."
            )
    elif method == "synthetic_control":
        need, why = 5, "enough points to judge the donors' fit"
    elif method == "its":
        need, why = 8, "a trend and seasonal terms need several points before the launch"
    elif method == "did":
        need, why = 3, "the pre-period gap and its variability"
    else:
        need, why = 1, ""
    if method in ("its", "naive") and controls is not None:
        raise InvalidParameterError(
            f"method={method!r} uses no comparison series; got controls. Hint: method='sts' or "
            "'synthetic_control' uses them."
        )
    if method in ("synthetic_control", "did") and controls is None:
        raise InvalidParameterError(
            f"method={method!r} needs comparison series (controls=). Hint: without any, use "
            "method='sts' (local level only), 'its' or 'naive'."
        )
    prep = prepare_series(outcome, controls=controls, pre=pre, post=post, min_pre=need, why=why)
    warn_moving_controls(prep)
    y_post = prep.y[prep.post]
    point_pred = None
    conventions: dict[str, Any]
    details: dict[str, Any] = {}
    if method == "sts":
        samples, pre_pred, pre_lo, pre_hi, conventions, details = _sts_part(
            prep,
            prep.post,
            seasonality=seasonality,
            draws=draws,
            rng=rng,
            alpha=alpha,
            level_sd=level_sd,
            expected_r2=expected_r2,
            prior_df=prior_df,
        )
    elif method == "synthetic_control":
        samples, pre_pred, pre_lo, pre_hi, conventions, details = _synth_part(prep, alpha=alpha)
    elif method == "did":
        samples, pre_pred, pre_lo, pre_hi, conventions, details = _did_part(
            prep, draws=draws, rng=rng, alpha=alpha
        )
    elif method == "its":
        off = None
        if offset is not None:
            off_s = offset.reindex(prep.index)
            if off_s.isna().any():
                raise InvalidParameterError("offset must cover every date of pre and post.")
            off = off_s.to_numpy(dtype=float)
        fit = its_fit(
            prep,
            family=family,
            offset=off,
            seasonality=its_seasonality,
            harmonics=harmonics,
            slope_change=slope_change,
            hac_lags=hac_lags,
            alpha=alpha,
            draws=draws,
            rng=rng,
        )
        samples = fit.samples
        pre_pred = fit.fitted_pre
        pre_lo = pre_hi = np.full(pre_pred.shape, np.nan)
        conventions = {
            "model": f"segmented {family} regression: time trend + step"
            + (" + slope change" if slope_change else "")
            + (f" + {its_seasonality} seasonality" if its_seasonality else ""),
            "errors": f"Newey-West HAC, {hac_lags} lags" if hac_lags is not None else "classical",
            "counterfactual": "the fit with the step and slope-change terms set to zero",
            "interval": "coefficient draws from their estimated normal distribution plus "
            "observation noise (quasi-Poisson: variance dispersion x mean)",
        }
        details = {
            "coefficients": fit.coefficients,
            "step_ratio": fit.step_ratio,
            "dispersion": fit.dispersion,
        }
    else:
        hist = outcome if history is None else history
        samples, info = naive_draws(hist, prep, reference=reference, align=align, alpha=alpha)
        point_pred = _aligned_values(hist, prep.index[prep.post], reference=reference, align=align)
        pre_pred = np.full(int(prep.pre.sum()), np.nan)
        pre_lo = pre_hi = pre_pred
        conventions = {
            "counterfactual": f"the value {info['lag']} earlier ({align} alignment)",
            "interval": "the history's own variability: the ratio of each earlier window's sum "
            f"to its {reference}-earlier window's sum (windows of the post-period's length), "
            "over the ratios' median",
        }
        details = info
    conventions["p_value"] = P_CONVENTION
    conventions["causalimpact_p"] = CAUSALIMPACT_P_CONVENTION
    conventions["relative_effect"] = "mean over draws of sum(y) / sum(draw) - 1 (CausalImpact)"
    conventions["significant"] = SIGNIFICANT_CONVENTION
    conventions["estimate"] = (
        "estimate and ci are the relative effect over the post-period and its interval (the "
        "counterpart of CampaignEvaluation's relative lift; a counterfactual of the whole "
        "series has no per-user absolute difference)"
    )
    conventions["causalimpact_significant"] = (
        "causalimpact_p < alpha (R CausalImpact's rule; a two-sided test at level 2 alpha)"
    )
    conventions["interval"] = (
        f"{conventions.get('interval', 'equal-tailed quantiles of the draws')}; two-sided, "
        f"level 1 - alpha = {1 - alpha:g}"
    )
    table, p_one = summarize_draws(y_post, samples, point_pred=point_pred, alpha=alpha)
    # the same arithmetic as the table's cumulative effect, so p < alpha exactly when its
    # interval excludes zero
    p = two_sided_p_value(float(np.sum(y_post)) - np.sum(samples, axis=1))
    frame = pointwise_frame(
        prep.index,
        prep.y,
        prep.post,
        samples,
        pre_pred=pre_pred,
        pre_lower=pre_lo,
        pre_upper=pre_hi,
        alpha=alpha,
        point_pred=point_pred,
    )
    params = {
        "method": method,
        "pre": [str(prep.index[prep.pre][0].date()), str(prep.index[prep.pre][-1].date())],
        "post": [str(prep.index[prep.post][0].date()), str(prep.index[prep.post][-1].date())],
        "controls": prep.control_names,
        "alpha": alpha,
        "draws": int(samples.shape[0]),
        "seed": seed if not isinstance(seed, np.random.Generator) else "Generator",
        "seasonality": seasonality,
        "frequency": prep.freq,
    }
    return CounterfactualResult(
        params=params,
        as_of=None,
        method=method,
        series=frame,
        table=table,
        p_value=p,
        alpha=float(alpha),
        conventions=conventions,
        details=details,
        causalimpact_p=p_one,
        _draws=samples,
    )


def _aligned_values(
    hist: pd.Series, dates: pd.DatetimeIndex, *, reference: str, align: str
) -> np.ndarray:
    if align == "same_weekday":
        lag = dates - pd.Timedelta(days=364 if reference == "year" else 28)
    else:
        off = pd.DateOffset(years=1) if reference == "year" else pd.DateOffset(months=1)
        lag = pd.DatetimeIndex(dates - off)
    return hist.astype(float).reindex(lag).to_numpy()


def _synth_part(
    prep: PreparedSeries, *, alpha: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, dict[str, Any], dict[str, Any]]:
    x, y, pre = prep.x, prep.y, prep.pre
    if x.shape[1] < 2:
        raise InsufficientDataError(
            f"A synthetic control needs at least 2 comparison series (donors); got {x.shape[1]}."
        )
    w = simplex_weights(y[pre], x[pre])
    synth = x @ w
    resid = y[pre] - synth[pre]
    # the spread: pre-period residuals resampled in blocks the length of the post-period
    h = int(prep.post.sum())
    n_pre = int(pre.sum())
    starts = np.arange(0, max(n_pre - h + 1, 1))
    blocks = np.array([np.resize(resid[s : s + h], h) for s in starts])
    samples = synth[prep.post][None, :] + blocks
    rmspe = float(np.sqrt(np.mean(resid**2)))
    conventions = {
        "model": "synthetic control: simplex weights on the comparison series fitted to the "
        "pre-period outcome path (equal importance)",
        "interval": "pre-period residuals in blocks of the post-period's length added to the "
        "synthetic path (one draw per block start)",
    }
    details = {
        "weights": dict(zip(prep.control_names, map(float, w), strict=True)),
        "pre_rmspe": rmspe,
    }
    nan = np.full(n_pre, np.nan)
    return samples, synth[pre], nan, nan, conventions, details


def _did_part(
    prep: PreparedSeries, *, draws: int, rng: np.random.Generator, alpha: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, dict[str, Any], dict[str, Any]]:
    comp = prep.x.mean(axis=1)
    gap = prep.y[prep.pre] - comp[prep.pre]
    n_pre = gap.size
    g_mean = float(gap.mean())
    g_sd = float(gap.std(ddof=1))
    h = int(prep.post.sum())
    # the counterfactual gap is the pre-period mean (uncertain by sd/sqrt(n)) plus a new day's
    # deviation from it, drawn from a t distribution with n - 1 degrees of freedom
    shift = g_sd / np.sqrt(n_pre) * rng.standard_t(n_pre - 1, size=(draws, 1))
    noise = g_sd * rng.standard_t(n_pre - 1, size=(draws, h))
    samples = comp[prep.post][None, :] + g_mean + shift + noise
    conventions = {
        "model": "difference-in-differences on series: counterfactual = mean of the comparison "
        "series + the mean pre-period gap",
        "interval": "t draws of the mean gap (s.d./sqrt(n_pre)) and of each period's deviation",
    }
    details = {"pre_gap_mean": g_mean, "pre_gap_sd": g_sd}
    nan = np.full(n_pre, np.nan)
    return samples, comp[prep.pre] + g_mean, nan, nan, conventions, details


@dataclasses.dataclass(frozen=True, repr=False)
class PullForwardResult(MetricResult):
    """Pull-forward: how much of the campaign's lift was taken from the weeks after it.

    Attributes
    ----------
    table : pandas.DataFrame
        Rows ``campaign`` (window C), ``after`` (window P), ``net`` (C and P) and
        ``pull_forward_share``; columns ``estimate``, ``lower``, ``upper``, ``sd``.
    share : float
        ``-sum_P(y - yhat) / sum_C(y - yhat)`` at the point counterfactual.
    series : pandas.DataFrame
        Per date, as the ``series`` of a ``CounterfactualResult``, with ``period``
        pre/campaign/after.
    conventions : dict
        The conventions used.
    """

    table: pd.DataFrame
    share: float
    series: pd.DataFrame
    conventions: Mapping[str, Any]

    def to_frame(self) -> pd.DataFrame:
        """Return the summary table with the quantity as a column.

        Returns
        -------
        pandas.DataFrame
        """
        out: pd.DataFrame = self.table.reset_index()
        return out

    def plot(self, ax: Any = None) -> Any:
        """Draw the three counterfactual panels over the campaign and after-windows.

        Parameters
        ----------
        ax : sequence of three matplotlib Axes, optional
            Where to draw.

        Returns
        -------
        numpy.ndarray of matplotlib.axes.Axes
        """
        from useropslib.plotting import plot_counterfactual

        frame = self.series.copy()
        launch = frame.index[frame["period"] == "campaign"][0]
        frame["period"] = np.where(frame["period"] == "pre", "pre", "post")
        return plot_counterfactual(frame, launch=launch, ax=ax)


def pull_forward(
    data: Any,
    events: Any = None,
    *,
    pre: tuple[Any, Any],
    campaign: tuple[Any, Any],
    after: tuple[Any, Any],
    controls: pd.DataFrame | pd.Series | None = None,
    seasonality: int | None = None,
    level_sd: float = 0.01,
    alpha: float = 0.05,
    draws: int = 1000,
    seed: int | np.random.Generator | None = 0,
    every: str = "day",
    expected_r2: float = 0.8,
    prior_df: float = 50.0,
) -> PullForwardResult:
    """Estimate the pull-forward share of a campaign and its net effect, with joint intervals.

    One structural time-series counterfactual is fitted on the pre-period only and projected
    across the campaign window C and the after-window P.  From the same posterior draws:
    the effect over C, the effect over P (negative when purchases were only moved earlier), the
    pull-forward share ``-sum_P(y - yhat) / sum_C(y - yhat)`` and the net effect over C and P.

    Parameters
    ----------
    data : pandas.Series, MetricSpec, Goal or Campaign
        The outcome indexed by date (daily or weekly, no gaps), or what to measure from
        ``events`` per ``every``.
    events : EventLog or DataFrame, optional
        The log, when ``data`` is a spec, goal or campaign.
    pre, campaign, after : tuple of two dates
        Inclusive windows, in this order, not overlapping.
    controls : pandas.DataFrame, optional
        Comparison series the campaign did not reach.
    seasonality : int, optional
        Seasonal period (7 for daily data with a weekly cycle).
    level_sd : float, default 0.01
        Prior guess of the level's innovation s.d. as a share of the pre-period s.d.
        (CausalImpact's ``prior.level.sd``).
    alpha : float, default 0.05
        One minus the intervals' coverage.
    draws : int, default 1000
        Posterior draws.
    seed : int or numpy.random.Generator, default 0
        Randomness of the draws.
    every : {"day", "week"}, default "day"
        The period of a measured spec.
    expected_r2, prior_df : float, default 0.8 and 50
        The observation prior with comparison series (see :func:`counterfactual_effect`).

    Returns
    -------
    PullForwardResult

    Raises
    ------
    InvalidParameterError
        Windows out of order or overlapping, gaps, constant series.
    InsufficientDataError
        A pre-period too short for the model.

    See Also
    --------
    counterfactual_effect

    Notes
    -----
    A share of 0 means no pull-forward, 1 that the whole lift was taken from the after-window
    (net effect zero), above 1 a net loss.  The share's interval is taken from its per-draw
    values; when the campaign's own effect is not clearly positive the share is unstable (its
    denominator crosses zero) and the interval says so by being wide.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(3)
    >>> days = pd.date_range("2024-01-01", periods=100, freq="D")
    >>> y = pd.Series(50 + rng.normal(0, 1, 100), index=days)
    >>> y.iloc[70:80] += 10
    >>> y.iloc[80:90] -= 5
    >>> res = pull_forward(y, pre=("2024-01-01", "2024-03-10"),
    ...                    campaign=("2024-03-11", "2024-03-20"),
    ...                    after=("2024-03-21", "2024-03-30"), draws=300)
    >>> bool(0.2 < res.share < 0.8)
    True
    """
    _check_common(alpha, draws, seed)
    outcome = _series_from(data, events, every, pre, after)
    n_ctrl = (
        0 if controls is None else (1 if isinstance(controls, pd.Series) else controls.shape[1])
    )
    need, why = sts_min_pre(n_ctrl, seasonality)
    prep = prepare_series(
        outcome, controls=controls, pre=pre, post=campaign, after=after, min_pre=need, why=why
    )
    warn_moving_controls(prep)
    rng = np.random.default_rng(seed)
    proj = prep.post | prep.after
    samples, pre_pred, pre_lo, pre_hi, conventions, details = _sts_part(
        prep,
        proj,
        seasonality=seasonality,
        draws=draws,
        rng=rng,
        alpha=alpha,
        level_sd=level_sd,
        expected_r2=expected_r2,
        prior_df=prior_df,
    )
    y_proj = prep.y[proj]
    in_c = prep.post[proj]
    in_p = prep.after[proj]
    eff = y_proj[None, :] - samples
    eff_c = eff[:, in_c].sum(axis=1)
    eff_p = eff[:, in_p].sum(axis=1)
    net = eff_c + eff_p
    with np.errstate(divide="ignore", invalid="ignore"):
        share_draws = -eff_p / eff_c
    point = y_proj - samples.mean(axis=0)
    pc, pp = float(point[in_c].sum()), float(point[in_p].sum())
    share = -pp / pc if pc != 0 else float("nan")
    lo_q, hi_q = alpha / 2, 1 - alpha / 2

    def row(values: np.ndarray, estimate: float) -> list[float]:
        v = values[np.isfinite(values)]
        return [
            estimate,
            float(np.quantile(v, lo_q)),
            float(np.quantile(v, hi_q)),
            float(np.std(v, ddof=1)),
        ]

    table = pd.DataFrame.from_dict(
        {
            "campaign": row(eff_c, pc),
            "after": row(eff_p, pp),
            "net": row(net, pc + pp),
            "pull_forward_share": row(share_draws, share),
        },
        orient="index",
        columns=["estimate", "lower", "upper", "sd"],
    )
    table.index.name = "quantity"
    frame = pointwise_frame(
        prep.index[prep.pre | proj],
        prep.y[prep.pre | proj],
        proj[prep.pre | proj],
        samples,
        pre_pred=pre_pred,
        pre_lower=pre_lo,
        pre_upper=pre_hi,
        alpha=alpha,
    )
    frame["period"] = np.where(prep.pre, "pre", np.where(prep.post, "campaign", "after"))
    conventions = {
        **conventions,
        "share": "-sum over P of (y - yhat) / sum over C of (y - yhat), per posterior draw; "
        "the point estimate at the posterior mean counterfactual",
        "joint": "campaign, after, net and share come from the same draws",
    }
    params = {
        "pre": [str(prep.index[prep.pre][0].date()), str(prep.index[prep.pre][-1].date())],
        "campaign": [str(prep.index[prep.post][0].date()), str(prep.index[prep.post][-1].date())],
        "after": [str(prep.index[prep.after][0].date()), str(prep.index[prep.after][-1].date())],
        "controls": prep.control_names,
        "seasonality": seasonality,
        "alpha": alpha,
        "draws": draws,
    }
    del details
    return PullForwardResult(
        params=params, as_of=None, table=table, share=share, series=frame, conventions=conventions
    )
