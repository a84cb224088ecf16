"""Structural time-series counterfactual: local level (+ seasonality) + regression on controls.

The model is statsmodels' ``UnobservedComponents`` fitted on the pre-period only, on the outcome
and comparison series standardised with their pre-period mean and standard deviation (as R
CausalImpact does).  Uncertainty comes from posterior simulation that includes the parameters:

1. the regression coefficients are constant states of the Kalman filter with a N(0, 1) prior,
   so given the variances the filter gives their exact Gaussian posterior jointly with the
   level (and seasonal terms);
2. the two or three variances are drawn by sampling-importance-resampling on the log scale: a
   multivariate t proposal (4 d.f.) around the posterior mode with the Laplace covariance
   widened by 1.5, weighted by the exact posterior (the filter run for each draw gives its
   likelihood) and resampled;
3. for each draw, the filter's state posterior at the launch gives a starting state, and a path
   of state and observation noise is simulated across the projected periods.

So each of the ``S`` counterfactual paths carries its own parameters: the interval is never the
plug-in forecast interval of a single fitted model.

Priors (standardised units, named in the result):

- level (and seasonal) innovation s.d.: inverse-gamma on the variance with prior guess
  ``level_sd`` (default 0.01) and prior sample size 32, bounded above by 1 (CausalImpact's
  ``prior.level.sd``);
- observation s.d. with comparison series: inverse-gamma with prior guess
  ``sqrt(1 - expected.r2) = sqrt(0.2)`` and prior sample size ``prior.df = 50``, the values
  CausalImpact passes to bsts for its regression (the model "expects" the comparison series to
  explain 80 % of the outcome's variance).  This prior is what makes R's intervals as wide as
  they are: with a weak prior the posterior of the observation s.d. follows the small
  pre-period residuals and the interval on R's ``comparison_data`` example is a third
  narrower than R's (p = 0.04 against R's 0.20);
- observation s.d. without comparison series: weak inverse-gamma, guess 1 (the outcome's
  pre-period s.d.) and sample size 1;
- regression coefficients: independent normal, mean 0, s.d. 1, integrated exactly by the
  filter (CausalImpact uses a spike-and-slab prior; this is the dense, Gaussian counterpart).
"""

from __future__ import annotations

import dataclasses
import warnings
from typing import Any

import numpy as np

from useropslib._checks import check_int
from useropslib.exceptions import ConvergenceWarning, InvalidParameterError

__all__ = ["StsDraws", "obs_prior", "sts_draws", "sts_min_pre"]

LEVEL_SD_GUESS = 0.01
LEVEL_PRIOR_N = 32.0
# bsts' regression prior as CausalImpact sets it: expected.r2 = 0.8, prior.df = 50
EXPECTED_R2 = 0.8
OBS_PRIOR_DF = 50.0
# without comparison series: a weak prior around the outcome's own s.d.
OBS_SD_GUESS_NO_REG = 1.0
OBS_PRIOR_N_NO_REG = 1.0
BETA_PRIOR_SD = 1.0
# distinct parameter draws; each carries draws / PARAMETER_DRAWS paths of its exact conditional
# state posterior (the variances' posterior is two- or three-dimensional, so a few hundred
# draws describe it well; the filter per draw is the cost)
PARAMETER_DRAWS = 200
PROPOSAL_DF = 4.0
PROPOSAL_SCALE = 2.5


def obs_prior(
    n_controls: int, expected_r2: float = EXPECTED_R2, prior_df: float = OBS_PRIOR_DF
) -> tuple[float, float]:
    """Return the observation s.d.'s prior guess (standardised units) and prior sample size.

    Parameters
    ----------
    n_controls : int
        Number of comparison series.
    expected_r2 : float, default 0.8
        The share of the outcome's variance the comparison series are expected to explain.
    prior_df : float, default 50
        The prior's weight in observations.

    Returns
    -------
    tuple of (float, float)
        ``(sqrt(1 - expected_r2), prior_df)`` with comparison series (CausalImpact's
        ``expected.r2 = 0.8`` and ``prior.df = 50`` by default), ``(1, 1)`` without.
    """
    if n_controls:
        return float(np.sqrt(1.0 - expected_r2)), float(prior_df)
    return OBS_SD_GUESS_NO_REG, OBS_PRIOR_N_NO_REG


def sts_min_pre(n_controls: int, seasonality: int | None) -> tuple[int, str]:
    """Return the fewest pre-period points the model needs, and why.

    Parameters
    ----------
    n_controls : int
        Number of comparison series.
    seasonality : int or None
        Seasonal period.

    Returns
    -------
    tuple of (int, str)
    """
    if seasonality is not None:
        seasonality = check_int(seasonality, "seasonality", minimum=2, hint="seasonality=7")
    n_params = 2 + n_controls + (1 if seasonality else 0)
    need = max(10, 3 * n_params)
    why = f"about three points for each of its {n_params} parameters"
    if seasonality and 2 * seasonality > need:
        need = 2 * seasonality
        why = f"two full seasonal cycles of {seasonality} points"
    return need, why


@dataclasses.dataclass(frozen=True)
class StsDraws:
    """Counterfactual draws of the structural time-series model, in the outcome's units.

    Attributes
    ----------
    samples : numpy.ndarray
        Draws over the projected periods, shape ``(S, H)``.
    pre_pred, pre_lower, pre_upper : numpy.ndarray
        One-step-ahead predictions over the pre-period at the posterior mode and their band
        (NaN over the diffuse start).
    params : dict
        The posterior mode of the variances (standardised units) by statsmodels' parameter
        name, and the posterior means of the coefficients (``beta.1`` ...) at that mode.
    param_sd : dict
        The Laplace posterior standard deviations of the log-variances.
    ess : float
        Effective number of parameter draws after importance weighting.
    converged : bool
        Whether the optimiser met its criterion.
    """

    samples: np.ndarray
    pre_pred: np.ndarray
    pre_lower: np.ndarray
    pre_upper: np.ndarray
    params: dict[str, float]
    param_sd: dict[str, float]
    ess: float
    converged: bool


def _log_inv_gamma(var: np.ndarray | float, guess: float, n: float) -> Any:
    a = n / 2
    b = n * guess**2 / 2
    return -(a + 1) * np.log(var) - b / var


def _fixed(matrix: Any) -> np.ndarray:
    m = np.asarray(matrix)
    return m[:, :, 0] if m.ndim == 3 else m


def _standardise(a: np.ndarray, ref: np.ndarray) -> tuple[np.ndarray, Any, Any]:
    mu = ref.mean(axis=0)
    sd = ref.std(axis=0, ddof=1)
    return (a - mu) / sd, mu, sd


def sts_draws(
    y_pre: np.ndarray,
    x_pre: np.ndarray,
    x_proj: np.ndarray,
    *,
    seasonality: int | None,
    draws: int,
    rng: np.random.Generator,
    alpha: float,
    level_sd: float = LEVEL_SD_GUESS,
    steps: np.ndarray | None = None,
    expected_r2: float = EXPECTED_R2,
    prior_df: float = OBS_PRIOR_DF,
) -> StsDraws:
    """Fit the model on the pre-period and draw counterfactual paths over the projection.

    Parameters
    ----------
    y_pre : numpy.ndarray
        The outcome over the pre-period.
    x_pre, x_proj : numpy.ndarray
        Comparison series over the pre-period and the projected periods (``(n, k)``).
    seasonality : int or None
        Seasonal period (7 for a weekly cycle in daily data), None for none.
    draws : int
        Number of posterior draws ``S``.
    rng : numpy.random.Generator
        The source of randomness.
    alpha : float
        For the pre-period band.
    level_sd : float, default 0.01
        Prior guess of the level's (and seasonal terms') innovation s.d. in units of the
        outcome's pre-period s.d. (R CausalImpact's ``prior.level.sd``).
    steps : numpy.ndarray of int, optional
        Periods elapsed before each projected point (from the last pre-period point for the
        first); default all 1.  A gap between the pre-period and the projection is
        simulated through (the level keeps drifting over it), not skipped.
    expected_r2, prior_df : float
        The observation prior with comparison series (see :func:`obs_prior`).

    Returns
    -------
    StsDraws
    """
    from scipy import optimize, stats
    from statsmodels.tools.numdiff import approx_hess3
    from statsmodels.tsa.statespace.initialization import Initialization
    from statsmodels.tsa.statespace.structural import UnobservedComponents

    z, my, sy = _standardise(y_pre, y_pre)
    k = x_pre.shape[1]
    exog_pre = exog_proj = None
    if k:
        exog_pre, mx, sx = _standardise(x_pre, x_pre)
        exog_proj = (x_proj - mx) / sx
    # the coefficients are states of the filter (constant over time) with a N(0, 1) prior, so
    # given the variances the filter gives their exact Gaussian posterior jointly with the level
    model = UnobservedComponents(
        z,
        level="llevel",
        exog=exog_pre,
        seasonal=seasonality,
        stochastic_seasonal=bool(seasonality),
        mle_regression=False,
    )
    n_states = model.k_states
    n_dyn = n_states - k
    init = Initialization(n_states)
    init.set((0, n_dyn), "diffuse")
    if k:
        init.set((n_dyn, n_states), "known", constant=np.zeros(k), stationary_cov=np.eye(k))
    model.ssm.initialization = init
    names: list[str] = list(model.param_names)
    i_obs = names.index("sigma2.irregular")
    i_state = [names.index(n) for n in names if n in ("sigma2.level", "sigma2.seasonal")]
    obs_guess, obs_n = obs_prior(k, expected_r2, prior_df)

    # the variances are sampled on the log scale: theta = log(sigma^2); every parameter of this
    # model is a variance, in statsmodels' order
    def log_post(theta: np.ndarray, ll: float | None = None) -> float:
        var = np.exp(theta)
        if np.any(var[i_state] > 1.0) or not np.all(np.isfinite(var)):
            return -np.inf
        if ll is None:
            ll = float(model.loglike(var, transformed=True))
        lp = _log_inv_gamma(var[i_obs], obs_guess, obs_n)
        lp = lp + np.sum(_log_inv_gamma(var[i_state], level_sd, LEVEL_PRIOR_N))
        value = ll + lp + np.sum(theta)  # + log Jacobian of sigma^2 = exp(theta)
        return float(value) if np.isfinite(value) else -np.inf

    def neg(theta: np.ndarray) -> float:
        v = log_post(theta)
        return -v if np.isfinite(v) else 1e10

    theta0 = np.empty(len(names))
    theta0[i_obs] = np.log(0.5)
    theta0[i_state] = np.log(level_sd**2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        opt = optimize.minimize(neg, theta0, method="BFGS", options={"gtol": 1e-4})
        theta_hat = opt.x
        hess = approx_hess3(theta_hat, neg)
    hess = 0.5 * (hess + hess.T)
    evals, evecs = np.linalg.eigh(hess)
    if not np.all(np.isfinite(evals)):
        raise InvalidParameterError(
            "The structural time-series fit failed (the curvature of its posterior is not "
            "finite). Hint: check the comparison series for near-duplicates, or drop them."
        )
    # status 2 is "precision loss" of the numerical gradient at an optimum; accepted when the
    # curvature there is positive
    converged = opt.status in (0, 2) and bool(evals.min() > 0)
    if not converged:
        warnings.warn(
            "The structural time-series fit did not fully converge "
            f"({opt.message}; smallest curvature {evals.min():.3g}); intervals may be "
            "inaccurate. Hint: use a longer pre-period or drop the seasonality.",
            ConvergenceWarning,
            stacklevel=4,
        )
    # proposal: multivariate t (4 d.f.) around the mode with the Laplace covariance widened by
    # PROPOSAL_SCALE; importance weights from the exact log posterior (the filter run for each
    # draw gives its likelihood), then resampling: sampling-importance-resampling
    evals = np.maximum(evals, 1e-8)
    cov_root = evecs @ np.diag(PROPOSAL_SCALE / np.sqrt(evals))
    n_par = min(draws, PARAMETER_DRAWS)
    dim = theta_hat.size
    zz = rng.standard_normal((n_par, dim))
    chi = rng.chisquare(PROPOSAL_DF, size=(n_par, 1))
    t_steps = zz * np.sqrt(PROPOSAL_DF / chi)
    theta_draws = theta_hat + t_steps @ cov_root.T
    maha = np.sum(t_steps**2, axis=1)
    log_q = -0.5 * (PROPOSAL_DF + dim) * np.log1p(maha / PROPOSAL_DF)

    # the state at the launch (level, seasonal, coefficients) under every parameter draw
    a = np.zeros((n_par, n_states))
    p_cov = np.tile(np.eye(n_states), (n_par, 1, 1))
    par = np.ones((n_par, len(names)))
    log_w = np.full(n_par, -np.inf)
    for m in range(n_par):
        var = np.exp(theta_draws[m])
        if np.any(var[i_state] > 1.0) or not np.all(np.isfinite(var)):
            continue  # outside the prior's support: weight zero
        par[m] = var
        model.update(var, transformed=True)
        filt = model.ssm.filter()
        a[m] = filt.predicted_state[:, -1]
        p_cov[m] = filt.predicted_state_cov[:, :, -1]
        log_w[m] = log_post(theta_draws[m], ll=float(filt.llf)) - log_q[m]
    w = np.exp(log_w - np.max(log_w))
    w /= w.sum()
    ess = float(1 / np.sum(w**2))
    owner = rng.choice(n_par, size=draws, p=w)
    design = _fixed(model.ssm["design"])[0][:n_dyn]
    transition = _fixed(model.ssm["transition"])[:n_dyn, :n_dyn]
    selection = _fixed(model.ssm["selection"])[:n_dyn]
    p_cov = 0.5 * (p_cov + p_cov.transpose(0, 2, 1))
    evals_p, evecs_p = np.linalg.eigh(p_cov)
    root = evecs_p * np.sqrt(np.maximum(evals_p, 0))[:, None, :]
    state_all = a[owner] + np.einsum(
        "sij,sj->si", root[owner], rng.standard_normal((draws, n_states))
    )
    state = state_all[:, :n_dyn]
    beta = state_all[:, n_dyn:]
    state_sd = np.sqrt(par[owner][:, i_state])
    obs_sd = np.sqrt(par[owner, i_obs])
    horizon = x_proj.shape[0]
    reg = beta @ exog_proj.T if exog_proj is not None else np.zeros((draws, horizon))
    out = np.empty((draws, horizon))
    skips = np.zeros(horizon, dtype=int) if steps is None else np.asarray(steps, int) - 1
    for h in range(horizon):
        for _ in range(int(skips[h])):  # periods left out between the windows
            eta = state_sd * rng.standard_normal((draws, len(i_state)))
            state = state @ transition.T + eta @ selection.T
        out[:, h] = state @ design + reg[:, h] + obs_sd * rng.standard_normal(draws)
        eta = state_sd * rng.standard_normal((draws, len(i_state)))
        state = state @ transition.T + eta @ selection.T

    # one-step-ahead fit over the pre-period at the mode (display only)
    mode = np.exp(theta_hat)
    model.update(mode, transformed=True)
    filt = model.ssm.filter()
    fc = np.array(filt.forecasts[0], dtype=float)
    fsd = np.sqrt(filt.forecasts_error_cov[0, 0])
    diffuse = max(int(getattr(filt, "nobs_diffuse", 0) or 0), n_dyn)
    fc[:diffuse] = np.nan
    zq = stats.norm.ppf(1 - alpha / 2)
    with np.errstate(invalid="ignore"):
        lower, upper = fc - zq * fsd, fc + zq * fsd
    diag = np.diag(hess)
    sd_u = np.where(diag > 0, 1 / np.sqrt(np.abs(diag)), np.nan)
    if ess < 20:
        warnings.warn(
            f"The posterior simulation rests on few effective parameter draws ({ess:.0f} of "
            f"{n_par}); intervals may be rough. Hint: a longer pre-period sharpens the posterior.",
            ConvergenceWarning,
            stacklevel=4,
        )
    coef = {f"beta.{i + 1}": float(v) for i, v in enumerate(filt.predicted_state[n_dyn:, -1])}
    return StsDraws(
        samples=my + sy * out,
        pre_pred=my + sy * fc,
        pre_lower=my + sy * lower,
        pre_upper=my + sy * upper,
        params={**{n: float(v) for n, v in zip(names, mode, strict=True)}, **coef},
        param_sd={n: float(v) for n, v in zip(names, sd_u, strict=True)},
        ess=ess,
        converged=converged,
    )
