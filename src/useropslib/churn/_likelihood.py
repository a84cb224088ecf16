"""Maximum-likelihood machinery shared by the BG/NBD and Gamma-Gamma models.

Input collection and checks (every problem of a summary table reported at once), the bounded
positive-parameter fit with standard errors, the summary frame, the BG/NBD likelihood terms
that the Gamma-Gamma model also reads (P(alive), expected purchases), and the estimator base
``MLEModel`` (options, ``from_params``, fit storage, not-fitted and summary errors).  The names
here are the package's internal API for ``_bgnbd``, ``_gamma_gamma`` and ``_rfm_summary``.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy import optimize, special
from sklearn.base import BaseEstimator

from useropslib.churn._types import (
    ESTIMATE_COLUMNS,
    EstimatorNotFittedError,
    check_alpha,
    not_fitted,
    z_critical,
)
from useropslib.exceptions import (
    ConvergenceWarning,
    InvalidParameterError,
    NotFittedError,
    did_you_mean,
)

if TYPE_CHECKING:
    from typing import TypeAlias

    from typing_extensions import Self


__all__ = [
    "BG_NAMES",
    "PERIOD_DAYS",
    "SUMMARY_COLUMNS",
    "FloatArray",
    "Inputs",
    "MLEModel",
    "Prediction",
    "bgnbd_expected_if_alive",
    "bgnbd_loglik",
    "bgnbd_loglik_and_grad",
    "bgnbd_p_alive",
    "bgnbd_p_no_purchase",
    "check_frequency",
    "check_horizon",
    "check_hyperparameters",
    "check_sample_weight",
    "collect_inputs",
    "nonnegative_time",
    "problem_line",
    "raise_problems",
    "unique_counts",
    "validate_rfm",
    "weighted_sum",
    "wrap_prediction",
]

FloatArray: TypeAlias = "npt.NDArray[np.float64]"
#: What the prediction methods return: a float for scalar input, a Series aligned on the input's
#: index for pandas input, an ndarray otherwise.
Prediction: TypeAlias = "float | npt.NDArray[np.float64] | pd.Series[float]"

_LOG_BOUND = 20.0  # parameters are searched in [exp(-20), exp(20)]
_MAX_RELATIVE_SE = 10.0  # a standard error this many times the estimate means "not identified"
SUMMARY_COLUMNS = ("frequency", "recency", "T")
PERIOD_DAYS = {"D": 1.0, "W": 7.0}


# --------------------------------------------------------------------------------------------------
# input handling shared by the BG/NBD and Gamma-Gamma models
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Inputs:
    """Customer-level inputs as aligned float arrays plus what is needed to shape the output."""

    values: tuple[FloatArray, ...]
    index: pd.Index | None
    scalar: bool

    def labels(self, mask: npt.NDArray[np.bool_], limit: int = 5) -> list[Any]:
        """Row labels (index labels for pandas input, positions otherwise) where ``mask`` holds."""
        positions = np.flatnonzero(np.atleast_1d(mask))[:limit]
        if self.index is not None:
            return [self.index[int(i)] for i in positions]
        return [int(i) for i in positions]


def _missing_columns_message(
    where: str, missing: Sequence[str], available: Sequence[Any], expected: Sequence[str]
) -> str:
    avail = [str(c) for c in available]
    hints = []
    for col in missing:
        close = did_you_mean(col, avail)
        if close:
            hints.append(
                f"did you mean {close[0]!r} for {col!r}? rename it: "
                f"df.rename(columns={{{close[0]!r}: {col!r}}})"
            )
    hint = (
        "; ".join(hints)
        if hints
        else (
            "build the summary with useropslib.churn.rfm_summary(), or pass the columns as arrays"
        )
    )
    return (
        f"{where}: the summary frame is missing column(s) {list(missing)}. Expected columns "
        f"{list(expected)}; available: {avail}. Hint: {hint}."
    )


def collect_inputs(where: str, first: Any, rest: dict[str, Any], names: Sequence[str]) -> Inputs:
    """Resolve ``(frame)`` or ``(array, array, ...)`` call forms into aligned float arrays."""
    if isinstance(first, pd.DataFrame):
        given = [k for k, v in rest.items() if v is not None]
        if given:
            raise InvalidParameterError(
                f"{where}: got a DataFrame as {names[0]!r} and also {given}. Expected either one "
                f"frame with columns {list(names)} or separate arrays. Hint: drop {given} (the "
                "frame's columns are used) or pass the columns as arrays."
            )
        missing = [n for n in names if n not in first.columns]
        if missing:
            raise InvalidParameterError(
                _missing_columns_message(where, missing, list(first.columns), names)
            )
        raw: list[Any] = [first[n] for n in names]
    else:
        absent = [k for k, v in rest.items() if v is None]
        if absent:
            raise InvalidParameterError(
                f"{where}: {absent} not given. Expected arrays for {list(names)} or a DataFrame "
                f"with those columns as the first argument; got {type(first).__name__} for "
                f"{names[0]!r}. Hint: pass all of {list(names)}."
            )
        raw = [first, *rest.values()]

    index: pd.Index | None = None
    for name, value in zip(names, raw, strict=True):
        if isinstance(value, (pd.Series, pd.DataFrame)):
            if index is None:
                index = value.index
            elif not index.equals(value.index):
                raise InvalidParameterError(
                    f"{where}: {name!r} has a different index from the other inputs. Expected "
                    "Series that share one index (rows are matched by position). Hint: align "
                    "them first, e.g. take all columns from one frame."
                )
    arrays = []
    for name, value in zip(names, raw, strict=True):
        try:
            if isinstance(value, pd.Series):  # also nullable dtypes: pd.NA becomes NaN
                arrays.append(value.to_numpy(dtype=np.float64, na_value=np.nan))
            else:
                arrays.append(np.asarray(value, dtype=np.float64))
        except (TypeError, ValueError) as exc:
            kind = getattr(value, "dtype", type(value).__name__)
            raise InvalidParameterError(
                f"{where}: {name!r} must be numeric, got {kind}. Hint: convert it with "
                "pd.to_numeric(...) first."
            ) from exc
    try:
        broadcast = np.broadcast_arrays(*arrays)
    except ValueError as exc:
        shapes = {n: a.shape for n, a in zip(names, arrays, strict=True)}
        raise InvalidParameterError(
            f"{where}: inputs have incompatible shapes {shapes}. Expected equal lengths (one value "
            "per customer) or scalars. Hint: pass one entry per customer in every input."
        ) from exc
    if broadcast[0].ndim > 1:
        raise InvalidParameterError(
            f"{where}: inputs must be one-dimensional (one value per customer), got shape "
            f"{broadcast[0].shape}. Hint: pass flat arrays or DataFrame columns."
        )
    values = tuple(np.array(a, dtype=np.float64) for a in broadcast)
    return Inputs(values=values, index=index, scalar=values[0].ndim == 0)


def wrap_prediction(values: FloatArray, inputs: Inputs, name: str) -> Prediction:
    """Shape a result like the input: float for scalars, Series for pandas, ndarray otherwise."""
    if inputs.index is not None:
        series: pd.Series[float] = pd.Series(
            np.broadcast_to(values, (len(inputs.index),)),
            index=inputs.index,
            name=name,
            dtype=np.float64,
        )
        return series
    if inputs.scalar and np.ndim(values) == 0:
        return float(values)
    return np.asarray(values, dtype=np.float64)


def check_horizon(where: str, horizon: FloatArray, inputs: Inputs) -> None:
    """Check that a horizon array is a scalar or matches the customers one to one."""
    if horizon.ndim == 0 or inputs.scalar or horizon.shape == inputs.values[0].shape:
        return
    raise InvalidParameterError(
        f"{where}: t has shape {horizon.shape} but there are {inputs.values[0].shape[0]} "
        "customers. Expected one horizon for all customers or one per customer. Hint: pass a "
        "single number, or loop over horizons."
    )


def problem_line(
    inputs: Inputs, mask: npt.NDArray[np.bool_], what: str, detail: str, shown: str
) -> str:
    count = int(np.count_nonzero(mask))
    rows = inputs.labels(mask)
    more = f" and {count - len(rows)} more" if count > len(rows) else ""
    first = int(np.flatnonzero(np.atleast_1d(mask))[0])
    got = shown.format(*(np.atleast_1d(v)[first] for v in inputs.values))
    return f" - {what} for {count} customer(s) at rows {rows}{more} (first: {got}). {detail}"


def raise_problems(where: str, lines: list[str]) -> None:
    if lines:
        raise InvalidParameterError(
            f"{where}: invalid customer summary, {len(lines)} problem(s):\n" + "\n".join(lines)
        )


def check_frequency(
    inputs: Inputs, frequency: FloatArray, shown: str
) -> tuple[list[str], npt.NDArray[np.bool_]]:
    """Check the repeat-purchase count; return the problem lines and the finite-row mask."""
    lines = []
    finite = np.all([np.isfinite(v) for v in inputs.values], axis=0)
    if not np.all(finite):
        lines.append(
            problem_line(
                inputs,
                ~finite,
                "NaN or infinite values",
                "Expected finite numbers. Hint: drop or fill the missing rows before calling.",
                shown,
            )
        )
    checks = [
        (frequency < 0, "frequency < 0", "frequency counts repeat purchases, so it must be >= 0."),
        (
            frequency != np.floor(frequency),
            "non-integer frequency",
            "frequency counts repeat purchases (transactions or purchase periods after the "
            "first), so it must be a whole number. Hint: do not pass an average or a scaled value.",
        ),
    ]
    for mask, what, detail in checks:
        bad = finite & mask
        if np.any(bad):
            lines.append(problem_line(inputs, bad, what, detail, shown))
    return lines, finite


def validate_rfm(where: str, inputs: Inputs, *, fitting: bool = False) -> None:
    """Check (frequency, recency, T) and raise one error listing every problem found.

    ``fitting`` adds the rule only the likelihood needs: repeat purchases at recency 0 (the
    predictions are defined there; the fit has no finite maximum).
    """
    freq, rec, age = inputs.values[:3]
    shown = "frequency={}, recency={}, T={}"
    lines, finite = check_frequency(inputs, freq, shown)
    checks = [
        (
            rec < 0,
            "recency < 0",
            "recency is the time of the last repeat purchase measured from "
            "the first purchase, so it must be >= 0.",
        ),
        (
            age < 0,
            "T < 0",
            "T is the time from the first purchase to the end of the calibration "
            "period, so it must be >= 0. Hint: check that calibration ends after every first "
            "purchase.",
        ),
        (
            rec > age,
            "recency > T",
            "The last repeat purchase cannot come after the end of the "
            "calibration period. Hint: compute recency and T from the same first-purchase date and "
            "calibration end, e.g. with rfm_summary().",
        ),
        (
            (freq == 0) & (rec != 0),
            "frequency == 0 with recency != 0",
            "A customer without "
            "repeat purchases has recency 0 by convention (Fader, Hardie & Lee 2005). Hint: set "
            "recency to 0 for them, or check that recency is not measured from the calibration "
            "start or to the end of the period.",
        ),
        (
            (freq > 0) & (rec == 0) & fitting,
            "frequency > 0 with recency == 0",
            "Repeat purchases come after the first one, so a customer with repeat purchases has "
            "recency > 0; at recency 0 the likelihood has no finite maximum. Hint: count "
            "purchases in distinct periods as rfm_summary() does, or measure time in a finer "
            "unit.",
        ),
    ]
    for mask, what, detail in checks:
        bad = finite & mask
        if np.any(bad):
            lines.append(problem_line(inputs, bad, what, detail, shown))
    raise_problems(where, lines)


def nonnegative_time(where: str, name: str, t: Any) -> FloatArray:
    try:
        arr = np.asarray(t, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise InvalidParameterError(
            f"{where}: {name} must be a number or array of numbers (time in the model's unit), "
            f"got {type(t).__name__}. Hint: pass e.g. {name}=39 for 39 weeks."
        ) from exc
    if not np.all(np.isfinite(arr)) or np.any(arr < 0):
        bad = arr[~(np.isfinite(arr) & (arr >= 0))]
        raise InvalidParameterError(
            f"{where}: {name} must be finite and >= 0 (a length of time in the model's unit), "
            f"got {bad.ravel()[:5].tolist()}. Hint: pass the horizon as a non-negative number."
        )
    return arr


def check_sample_weight(where: str, sample_weight: Any, n: int) -> FloatArray:
    if sample_weight is None:
        return np.ones(n, dtype=np.float64)
    try:
        w = np.asarray(sample_weight, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise InvalidParameterError(
            f"{where}: sample_weight must be numeric, got {type(sample_weight).__name__}. "
            "Hint: pass one non-negative number per customer."
        ) from exc
    if w.shape != (n,):
        raise InvalidParameterError(
            f"{where}: sample_weight must have one entry per customer ({n}), got shape {w.shape}. "
            "Hint: pass an array aligned with the summary rows."
        )
    if not np.all(np.isfinite(w)) or np.any(w < 0):
        raise InvalidParameterError(
            f"{where}: sample_weight must be finite and >= 0, got "
            f"{w[~(np.isfinite(w) & (w >= 0))][:5].tolist()}. Hint: weights count identical "
            "customers; use 0 to leave a row out."
        )
    return w


def check_hyperparameters(where: str, penalizer: Any, max_iter: Any, tol: Any) -> None:
    if (
        isinstance(penalizer, bool)
        or not isinstance(penalizer, (int, float))
        or not (np.isfinite(penalizer) and penalizer >= 0)
    ):
        raise InvalidParameterError(
            f"{where}: penalizer must be a finite number >= 0, got {penalizer!r}. Hint: use 0 for "
            "the plain maximum-likelihood fit, or a small value such as 0.001 to stabilise it."
        )
    if isinstance(max_iter, bool) or not isinstance(max_iter, (int, np.integer)) or max_iter < 1:
        raise InvalidParameterError(
            f"{where}: max_iter must be an integer >= 1, got {max_iter!r}. Hint: the default 1000 "
            "is ample; raise it only after a ConvergenceWarning."
        )
    if (
        isinstance(tol, bool)
        or not isinstance(tol, (int, float))
        or not (np.isfinite(tol) and tol > 0)
    ):
        raise InvalidParameterError(
            f"{where}: tol must be a finite number > 0, got {tol!r}. Hint: the default is 1e-10."
        )


def _positive_params(where: str, values: dict[str, Any]) -> FloatArray:
    out = []
    for name, value in values.items():
        try:
            v = float(value)
        except (TypeError, ValueError) as exc:
            raise InvalidParameterError(
                f"{where}: {name} must be a positive number, got {value!r}. Hint: pass the "
                "published or previously fitted value, e.g. from model.params_."
            ) from exc
        if not (np.isfinite(v) and v > 0):
            raise InvalidParameterError(
                f"{where}: {name} must be a finite number > 0, got {value!r}. Hint: all model "
                "parameters are shapes or scales of gamma/beta distributions and are positive."
            )
        out.append(v)
    return np.array(out, dtype=np.float64)


# --------------------------------------------------------------------------------------------------
# maximum likelihood on log-parameters, shared by the BG/NBD and Gamma-Gamma models
# --------------------------------------------------------------------------------------------------

#: (natural parameters) -> (weighted total log-likelihood, its gradient)
_LogLik = Callable[[FloatArray], tuple[float, FloatArray]]


@dataclass(frozen=True)
class _FitResult:
    params: FloatArray
    covariance: FloatArray  # NaN when the Hessian is not positive definite
    n_iter: int


def _fit_positive(
    loglik: _LogLik,
    *,
    names: Sequence[str],
    total_weight: float,
    penalizer: float,
    max_iter: int,
    tol: float,
    model: str,
) -> _FitResult:
    """Maximise a log-likelihood over positive parameters: L-BFGS-B on the logs, then Newton.

    The objective is ``-loglik / total_weight + penalizer * sum(log(params) ** 2)``: a per-customer
    average (so the tolerances do not depend on the number of customers) plus an L2 penalty that
    shrinks each parameter towards 1 on the log scale.  L-BFGS-B (analytic gradient, started from
    all parameters equal to 1) gets close; a few damped Newton steps with the numerical Hessian of
    the analytic gradient polish the optimum.  The fit counts as converged when the Newton
    decrement (the predicted remaining gain in log-likelihood) is below ``tol * (1 + |LL|)``.
    """
    k = len(names)
    where = f"{model}.fit"

    def objective(u: FloatArray) -> tuple[float, FloatArray]:
        p = np.exp(u)
        value, grad = loglik(p)
        if not np.isfinite(value):
            return 1e300, np.zeros(k)
        f = -value / total_weight + penalizer * float(u @ u)
        g = -(grad * p) / total_weight + 2.0 * penalizer * u
        return f, g

    def total_gradient(p: FloatArray) -> FloatArray:
        """Gradient of the total penalised negative log-likelihood in natural parameters."""
        return -loglik(p)[1] + total_weight * penalizer * 2.0 * np.log(p) / p

    def total_hessian(p: FloatArray) -> FloatArray:
        hessian = np.empty((k, k))
        for j in range(k):  # k <= 4 parameters, not a loop over data
            h = 1e-5 * p[j]
            step = np.zeros(k)
            step[j] = h
            hessian[:, j] = (total_gradient(p + step) - total_gradient(p - step)) / (2 * h)
        return np.asarray((hessian + hessian.T) / 2, dtype=np.float64)

    res = optimize.minimize(
        objective,
        np.zeros(k),
        jac=True,
        method="L-BFGS-B",
        bounds=[(-_LOG_BOUND, _LOG_BOUND)] * k,
        options={"maxiter": int(max_iter), "gtol": 1e-10, "ftol": 1e-13},
    )
    u = np.clip(np.asarray(res.x, dtype=np.float64), -_LOG_BOUND, _LOG_BOUND)
    n_iter = int(res.nit)
    at_bound = [n for n, ui in zip(names, u, strict=True) if abs(ui) >= _LOG_BOUND - 1e-3]
    hit_limit = res.status == 1
    decrement = np.inf
    positive_definite = False
    for _ in range(0 if (at_bound or hit_limit) else 10):
        p = np.exp(u)
        hessian = total_hessian(p)
        grad_u = p * total_gradient(p)
        hessian_u = p[:, None] * hessian * p[None, :] + np.diag(grad_u)
        positive_definite = bool(np.all(np.isfinite(hessian_u)))
        if positive_definite:
            try:
                chol = np.linalg.cholesky(hessian_u)
            except np.linalg.LinAlgError:
                positive_definite = False
        if not positive_definite:
            break
        step = np.linalg.solve(chol.T, np.linalg.solve(chol, grad_u))
        decrement = float(grad_u @ step)
        loglik_now = loglik(p)[0]
        if decrement / 2 <= tol * (1.0 + abs(loglik_now)):
            break
        f_now = objective(u)[0]
        scale = 1.0
        while scale > 1e-6:
            trial = np.clip(u - scale * step, -_LOG_BOUND, _LOG_BOUND)
            if objective(trial)[0] < f_now:
                u = trial
                n_iter += 1
                break
            scale /= 2
        else:
            break
    params = np.exp(u)
    converged = positive_definite and decrement / 2 <= tol * (1.0 + abs(loglik(params)[0]))

    if at_bound:
        warnings.warn(
            f"{where}: parameter(s) {at_bound} ran to the search bound (exp(+-{_LOG_BOUND:g})); "
            "the maximum likelihood does not exist on this data, so the estimates are not "
            "meaningful. Hint: set a small penalizer (e.g. 0.001); the data may be too few or "
            "too homogeneous to identify every parameter.",
            ConvergenceWarning,
            stacklevel=3,
        )
    elif hit_limit or (positive_definite and not converged):
        detail = (
            f"stopped at max_iter={max_iter} ({res.message})"
            if hit_limit
            else f"the log-likelihood may still rise by about {decrement / 2:.3g}"
        )
        warnings.warn(
            f"{where} did not converge after {n_iter} iteration(s): {detail}. Expected a maximum "
            "of the log-likelihood. Hint: raise max_iter, or set a small penalizer (e.g. 0.001).",
            ConvergenceWarning,
            stacklevel=3,
        )
    elif not positive_definite:
        warnings.warn(
            f"{where}: the Hessian of the log-likelihood is not positive definite at the "
            "estimate, so it is not a proper maximum and standard errors are NaN. Hint: the data "
            "may not identify all parameters; set a small penalizer (e.g. 0.001).",
            ConvergenceWarning,
            stacklevel=3,
        )

    covariance = np.full((k, k), np.nan)
    if converged:
        hessian = total_hessian(params)
        try:
            chol = np.linalg.cholesky(hessian)
            inverse = np.linalg.inv(chol)
            covariance = inverse.T @ inverse
        except np.linalg.LinAlgError:
            pass
        relative_se = np.sqrt(np.abs(np.diag(covariance))) / params
        weak = [
            n for n, ratio in zip(names, relative_se, strict=True) if not ratio <= _MAX_RELATIVE_SE
        ]
        if weak:
            warnings.warn(
                f"{where}: parameter(s) {weak} are not identified by this data (standard error "
                f"more than {_MAX_RELATIVE_SE:g} times the estimate); the likelihood is nearly "
                "flat and its maximum may lie at infinity. Hint: set a small penalizer (e.g. "
                "0.001), or fit on more customers.",
                ConvergenceWarning,
                stacklevel=3,
            )
    return _FitResult(params=params, covariance=covariance, n_iter=n_iter)


def _summary_frame(
    names: Sequence[str], params: FloatArray, covariance: FloatArray, alpha: float
) -> pd.DataFrame:
    se = np.sqrt(np.diag(covariance))
    spread = np.exp(z_critical(alpha) * se / params)
    frame: pd.DataFrame = pd.DataFrame(
        dict(zip(ESTIMATE_COLUMNS, (params, se, params / spread, params * spread), strict=True)),
        index=pd.Index(list(names), name="param"),
    )
    return frame


def _not_fitted(model: str, how: str) -> NotFittedError:
    return not_fitted(
        model, how, extra=f"Or build one from known parameters with {model}.from_params(...)."
    )


# --------------------------------------------------------------------------------------------------
# BG/NBD formulas (vectorised; every argument broadcasts)
# --------------------------------------------------------------------------------------------------


def _bgnbd_terms(
    p: FloatArray, x: FloatArray, tx: FloatArray, age: FloatArray
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Return the three log-terms of FHL (2005) Eq. 6: ``LL = A1 + logaddexp(A2, A3)``."""
    r, alpha, a, b = p
    has = x > 0
    x_safe = np.where(has, x, 1.0)
    a1 = special.gammaln(r + x) - special.gammaln(r) + r * np.log(alpha)
    a2 = special.betaln(a, b + x) - special.betaln(a, b) - (r + x) * np.log(alpha + age)
    a3 = np.where(
        has,
        special.betaln(a + 1, b + x_safe - 1) - special.betaln(a, b) - (r + x) * np.log(alpha + tx),
        -np.inf,
    )
    return a1, a2, a3


def bgnbd_loglik(p: FloatArray, x: FloatArray, tx: FloatArray, age: FloatArray) -> FloatArray:
    a1, a2, a3 = _bgnbd_terms(p, x, tx, age)
    return np.asarray(a1 + np.logaddexp(a2, a3), dtype=np.float64)


def weighted_sum(w: FloatArray, values: FloatArray) -> float:
    """Weighted sum without BLAS (whose threads stall on busy machines for 1-D dot products)."""
    return float(np.sum(w * values))


def unique_counts(x: FloatArray) -> tuple[FloatArray, npt.NDArray[np.intp]]:
    """Distinct purchase counts and the map back to customers.

    Purchase counts take few distinct values, so the special functions of a likelihood that depend
    on ``x`` only are evaluated once per distinct count, not once per customer.
    """
    unique, inverse = np.unique(x, return_inverse=True)
    return unique, inverse.reshape(-1)


def bgnbd_loglik_and_grad(
    p: FloatArray,
    x: FloatArray,
    tx: FloatArray,
    age: FloatArray,
    w: FloatArray,
    counts: tuple[FloatArray, npt.NDArray[np.intp]],
) -> tuple[float, FloatArray]:
    """Weighted log-likelihood (Eq. 6 summed) and its analytic gradient in ``(r, alpha, a, b)``."""
    r, alpha, a, b = p
    ux, inverse = counts
    has = ux > 0
    ux_safe = np.where(has, ux, 1.0)
    base = special.betaln(a, b)
    # per distinct count
    u_a1 = special.gammaln(r + ux) - special.gammaln(r)
    u_b2 = special.betaln(a, b + ux) - base
    u_b3 = np.where(has, special.betaln(a + 1, b + ux_safe - 1) - base, -np.inf)
    u_psi_r = special.digamma(r + ux) - special.digamma(r)
    u_psi_ab = special.digamma(a + b) - special.digamma(a + b + ux)
    u_psi_b = special.digamma(b + ux) - special.digamma(b)
    u_inv_b = np.where(has, 1.0 / (b + ux_safe - 1), 0.0)
    # per customer
    log_age, log_tx = np.log(alpha + age), np.log(alpha + tx)
    a2 = u_b2[inverse] - (r + x) * log_age
    a3 = u_b3[inverse] - (r + x) * log_tx
    log_sum = np.logaddexp(a2, a3)
    s3 = np.exp(a3 - log_sum)  # posterior weight of "dropped out right after the last purchase"
    s2 = 1.0 - s3
    d_r = u_psi_r[inverse] + np.log(alpha) - s2 * log_age - s3 * log_tx
    d_alpha = r / alpha - (r + x) * (s2 / (alpha + age) + s3 / (alpha + tx))
    psi_ab = u_psi_ab[inverse]
    d_a = psi_ab + s3 / a
    d_b = u_psi_b[inverse] - s3 * u_inv_b[inverse] + psi_ab
    grad = np.array(
        [weighted_sum(w, d_r), weighted_sum(w, d_alpha), weighted_sum(w, d_a), weighted_sum(w, d_b)]
    )
    value = weighted_sum(w, u_a1[inverse] + log_sum) + r * np.log(alpha) * float(w.sum())
    return float(value), grad


def _bgnbd_logodds_dropped(
    p: FloatArray, x: FloatArray, tx: FloatArray, age: FloatArray
) -> FloatArray:
    """Log P(dropped out) / P(alive) given the history; -inf for customers without repeat buys."""
    r, alpha, a, b = p
    has = x > 0
    x_safe = np.where(has, x, 1.0)
    log_ratio = (
        np.log(a) - np.log(b + x_safe - 1) + (r + x) * (np.log(alpha + age) - np.log(alpha + tx))
    )
    return np.asarray(np.where(has, log_ratio, -np.inf), dtype=np.float64)


def bgnbd_p_alive(p: FloatArray, x: FloatArray, tx: FloatArray, age: FloatArray) -> FloatArray:
    return np.asarray(special.expit(-_bgnbd_logodds_dropped(p, x, tx, age)), dtype=np.float64)


def bgnbd_expected_if_alive(
    p: FloatArray, t: FloatArray, x: FloatArray, age: FloatArray
) -> FloatArray:
    """E[purchases in (T, T+t] | alive at T, x] (FHL 2005 Eq. 10 without the P(alive) factor).

    Uses Euler's transformation ``((alpha+T)/(alpha+T+t))**(r+x) * 2F1(r+x, b+x; c; z)
    = (1-z)**(a-1) * 2F1(c-r-x, a-1; c; z)`` with ``c = a+b+x-1``, which stays finite and accurate
    for large ``x`` where the textbook form overflows.
    """
    r, alpha, a, b = p
    c = a + b + x - 1
    z = t / (alpha + age + t)
    tail = np.exp((a - 1) * np.log1p(-z)) * special.hyp2f1(c - r - x, a - 1, c, z)
    return np.asarray(c / (a - 1) * (1.0 - tail), dtype=np.float64)


def bgnbd_p_no_purchase(
    p: FloatArray, t: FloatArray, x: FloatArray, tx: FloatArray, age: FloatArray
) -> FloatArray:
    """P(no purchase in (T, T+t] | x, t_x, T) = L(x, t_x, T+t) / L(x, t_x, T)."""
    _, a2, a3 = _bgnbd_terms(p, x, tx, age)
    _, a2_later, _ = _bgnbd_terms(p, x, tx, age + t)
    ratio = np.exp(np.logaddexp(a2_later, a3) - np.logaddexp(a2, a3))
    return np.asarray(np.minimum(ratio, 1.0), dtype=np.float64)


# --------------------------------------------------------------------------------------------------
# the estimator
# --------------------------------------------------------------------------------------------------

BG_NAMES = ("r", "alpha", "a", "b")


class MLEModel(BaseEstimator):  # type: ignore[misc]
    """What the maximum-likelihood customer models share: options, parameters, fit, summary.

    Subclasses set ``_names`` (parameter names), ``_fit_call`` (how to fit, for the not-fitted
    error) and ``_summary_hint`` (how to get standard errors).
    """

    _names: tuple[str, ...]
    _fit_call: str
    _summary_hint: str

    def __init__(
        self,
        *,
        penalizer: float = 0.0,
        max_iter: int = 1000,
        tol: float = 1e-10,
        ci_alpha: float = 0.05,
    ) -> None:
        self.penalizer = penalizer
        self.max_iter = max_iter
        self.tol = tol
        self.ci_alpha = ci_alpha

    @classmethod
    def _from_values(cls, values: dict[str, Any]) -> Self:
        """Build a model whose ``params_`` are checked known values (no fit, no summary)."""
        params = _positive_params(f"{cls.__name__}.from_params", values)
        model = cls()
        model.params_ = pd.Series(params, index=list(cls._names), name="coef")
        return model

    def _solve(
        self,
        objective: Callable[[FloatArray], tuple[float, FloatArray]],
        loglik: Callable[[FloatArray], float],
        total: float,
    ) -> Self:
        """Maximise the likelihood and store ``params_``, ``covariance_`` and the fit counts."""
        check_alpha(type(self).__name__, self.ci_alpha)
        result = _fit_positive(
            objective,
            names=self._names,
            total_weight=total,
            penalizer=float(self.penalizer),
            max_iter=int(self.max_iter),
            tol=float(self.tol),
            model=type(self).__name__,
        )
        names = list(self._names)
        self.params_ = pd.Series(result.params, index=names, name="coef")
        self.log_likelihood_ = loglik(result.params)
        self.covariance_ = pd.DataFrame(result.covariance, index=names, columns=names)
        self.n_customers_ = total
        self.n_iter_ = result.n_iter
        return self

    def _params(self) -> FloatArray:
        params = getattr(self, "params_", None)
        if params is None:
            raise _not_fitted(type(self).__name__, self._fit_call)
        return np.asarray(params.to_numpy(), dtype=np.float64)

    def _summary(self) -> pd.DataFrame:
        params = self._params()
        covariance = getattr(self, "covariance_", None)
        if covariance is None:
            raise EstimatorNotFittedError(
                f"{type(self).__name__}.summary_ needs the standard errors of a fit, but this "
                f"model was built with from_params() and has none. Hint: {self._summary_hint}"
            )
        alpha = check_alpha(type(self).__name__, self.ci_alpha)
        return _summary_frame(self._names, params, covariance.to_numpy(), alpha)

    @property
    def summary_(self) -> pd.DataFrame:
        """Estimates with standard errors and ``1 - ci_alpha`` bounds (see the subclasses)."""
        return self._summary()

    @property
    def summary(self) -> pd.DataFrame:
        """The same frame as ``summary_`` (kept for code written against earlier releases)."""
        return self.summary_
