"""BG/NBD model of repeat buying: P(alive), expected purchases, and the RFM summary it is fitted on.

The beta-geometric / negative-binomial model of Fader, Hardie & Lee (2005) says that while a
customer is active they buy at a Poisson rate ``λ`` (gamma distributed across customers with shape
``r`` and rate ``alpha``) and that after each repeat purchase they drop out with probability ``p``
(beta distributed with ``a``, ``b``).  Fitted on each customer's repeat-purchase count ``x``, the
time of the last repeat purchase ``t_x`` and their age ``T``, it answers the churn questions of user
operations (流失预警): how likely is this customer still active, and how many purchases will they
make next.

Everything is written with numpy/scipy (the ``lifetimes`` package is unmaintained) and vectorised
over customers.
"""

from __future__ import annotations

import datetime as dt
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, overload

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy import optimize, special
from sklearn.base import BaseEstimator

from useropslib.churn._definition import resolve_as_of
from useropslib.events import EventLog, LazyEventLog, as_event_log, check_tz, period_codes
from useropslib.events._time import stamp, to_utc_ns
from useropslib.exceptions import (
    ConvergenceWarning,
    EventSchemaError,
    InsufficientDataError,
    InvalidParameterError,
    NotFittedError,
    did_you_mean,
)

if TYPE_CHECKING:
    from typing import TypeAlias

    from typing_extensions import Self

__all__ = ["BetaGeoModel", "rfm_summary"]

FloatArray: TypeAlias = "npt.NDArray[np.float64]"
#: What the prediction methods return: a float for scalar input, a Series aligned on the input's
#: index for pandas input, an ndarray otherwise.
Prediction: TypeAlias = "float | npt.NDArray[np.float64] | pd.Series[float]"
DateLike: TypeAlias = "str | dt.date | dt.datetime | pd.Timestamp | np.datetime64"

_Z95 = 1.959963984540054  # standard normal 97.5% quantile
_LOG_BOUND = 20.0  # parameters are searched in [exp(-20), exp(20)]
_MAX_RELATIVE_SE = 10.0  # a standard error this many times the estimate means "not identified"
_SUMMARY_COLUMNS = ("frequency", "recency", "T")
_PERIOD_DAYS = {"D": 1.0, "W": 7.0}


# --------------------------------------------------------------------------------------------------
# input handling shared by the BG/NBD and Gamma-Gamma models
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Inputs:
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


def _collect_inputs(where: str, first: Any, rest: dict[str, Any], names: Sequence[str]) -> _Inputs:
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
    return _Inputs(values=values, index=index, scalar=values[0].ndim == 0)


def _wrap(values: FloatArray, inputs: _Inputs, name: str) -> Prediction:
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


def _check_horizon(where: str, horizon: FloatArray, inputs: _Inputs) -> None:
    """Check that a horizon array is a scalar or matches the customers one to one."""
    if horizon.ndim == 0 or inputs.scalar or horizon.shape == inputs.values[0].shape:
        return
    raise InvalidParameterError(
        f"{where}: t has shape {horizon.shape} but there are {inputs.values[0].shape[0]} "
        "customers. Expected one horizon for all customers or one per customer. Hint: pass a "
        "single number, or loop over horizons."
    )


def _problem_line(
    inputs: _Inputs, mask: npt.NDArray[np.bool_], what: str, detail: str, shown: str
) -> str:
    count = int(np.count_nonzero(mask))
    rows = inputs.labels(mask)
    more = f" and {count - len(rows)} more" if count > len(rows) else ""
    first = int(np.flatnonzero(np.atleast_1d(mask))[0])
    got = shown.format(*(np.atleast_1d(v)[first] for v in inputs.values))
    return f" - {what} for {count} customer(s) at rows {rows}{more} (first: {got}). {detail}"


def _raise_problems(where: str, lines: list[str]) -> None:
    if lines:
        raise InvalidParameterError(
            f"{where}: invalid customer summary, {len(lines)} problem(s):\n" + "\n".join(lines)
        )


def _check_frequency(
    inputs: _Inputs, frequency: FloatArray, shown: str
) -> tuple[list[str], npt.NDArray[np.bool_]]:
    """Check the repeat-purchase count; return the problem lines and the finite-row mask."""
    lines = []
    finite = np.all([np.isfinite(v) for v in inputs.values], axis=0)
    if not np.all(finite):
        lines.append(
            _problem_line(
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
            lines.append(_problem_line(inputs, bad, what, detail, shown))
    return lines, finite


def _validate_rfm(where: str, inputs: _Inputs, *, fitting: bool = False) -> None:
    """Check (frequency, recency, T) and raise one error listing every problem found.

    ``fitting`` adds the rule only the likelihood needs: repeat purchases at recency 0 (the
    predictions are defined there; the fit has no finite maximum).
    """
    freq, rec, age = inputs.values[:3]
    shown = "frequency={}, recency={}, T={}"
    lines, finite = _check_frequency(inputs, freq, shown)
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
            lines.append(_problem_line(inputs, bad, what, detail, shown))
    _raise_problems(where, lines)


def _nonnegative_time(where: str, name: str, t: Any) -> FloatArray:
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


def _sample_weight(where: str, sample_weight: Any, n: int) -> FloatArray:
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


def _check_hyperparameters(where: str, penalizer: Any, max_iter: Any, tol: Any) -> None:
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
    names: Sequence[str], params: FloatArray, covariance: FloatArray
) -> pd.DataFrame:
    se = np.sqrt(np.diag(covariance))
    spread = np.exp(_Z95 * se / params)
    frame: pd.DataFrame = pd.DataFrame(
        {
            "coef": params,
            "se(coef)": se,
            "lower 95% bound": params / spread,
            "upper 95% bound": params * spread,
        },
        index=pd.Index(list(names), name="param"),
    )
    return frame


def _not_fitted(model: str, how: str) -> NotFittedError:
    return NotFittedError(
        f"This {model} is not fitted yet. Expected fit(...) to have been called before using it. "
        f"Hint: call {how}, or build one from known parameters with {model}.from_params(...)."
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


def _bgnbd_loglik(p: FloatArray, x: FloatArray, tx: FloatArray, age: FloatArray) -> FloatArray:
    a1, a2, a3 = _bgnbd_terms(p, x, tx, age)
    return np.asarray(a1 + np.logaddexp(a2, a3), dtype=np.float64)


def _wsum(w: FloatArray, values: FloatArray) -> float:
    """Weighted sum without BLAS (whose threads stall on busy machines for 1-D dot products)."""
    return float(np.sum(w * values))


def _unique_counts(x: FloatArray) -> tuple[FloatArray, npt.NDArray[np.intp]]:
    """Distinct purchase counts and the map back to customers.

    Purchase counts take few distinct values, so the special functions of a likelihood that depend
    on ``x`` only are evaluated once per distinct count, not once per customer.
    """
    unique, inverse = np.unique(x, return_inverse=True)
    return unique, inverse.reshape(-1)


def _bgnbd_loglik_and_grad(
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
    grad = np.array([_wsum(w, d_r), _wsum(w, d_alpha), _wsum(w, d_a), _wsum(w, d_b)])
    value = _wsum(w, u_a1[inverse] + log_sum) + r * np.log(alpha) * float(w.sum())
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


def _bgnbd_p_alive(p: FloatArray, x: FloatArray, tx: FloatArray, age: FloatArray) -> FloatArray:
    return np.asarray(special.expit(-_bgnbd_logodds_dropped(p, x, tx, age)), dtype=np.float64)


def _bgnbd_expected_if_alive(
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


def _bgnbd_p_no_purchase(
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

_BG_NAMES = ("r", "alpha", "a", "b")


class _MLEModel(BaseEstimator):  # type: ignore[misc]
    """What the maximum-likelihood customer models share: options, parameters, fit, summary.

    Subclasses set ``_names`` (parameter names), ``_fit_call`` (how to fit, for the not-fitted
    error) and ``_summary_hint`` (how to get standard errors).
    """

    _names: tuple[str, ...]
    _fit_call: str
    _summary_hint: str

    def __init__(self, *, penalizer: float = 0.0, max_iter: int = 1000, tol: float = 1e-10) -> None:
        self.penalizer = penalizer
        self.max_iter = max_iter
        self.tol = tol

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
            raise NotFittedError(
                f"{type(self).__name__}.summary needs the standard errors of a fit, but this "
                f"model was built with from_params() and has none. Hint: {self._summary_hint}"
            )
        return _summary_frame(self._names, params, covariance.to_numpy())


class BetaGeoModel(_MLEModel):
    """BG/NBD model of repeat purchasing (Fader, Hardie & Lee 2005), fitted by maximum likelihood.

    Parameters
    ----------
    penalizer : float, default 0.0
        Strength of an L2 penalty on the log-parameters, added to the per-customer average negative
        log-likelihood.  ``0`` gives the plain maximum-likelihood fit of the paper; a small value
        (``0.001``) keeps the fit finite on data where a parameter would run off to infinity.
    max_iter : int, default 1000
        Iteration limit of the L-BFGS-B optimiser.
    tol : float, default 1e-10
        Convergence tolerance: the fit has converged when the log-likelihood could rise by less
        than ``tol * (1 + |log-likelihood|)`` (half the Newton decrement).

    Attributes
    ----------
    params_ : pandas.Series
        Fitted ``r``, ``alpha`` (gamma prior of the purchase rate; ``alpha`` is in the time unit of
        the data), ``a`` and ``b`` (beta prior of the drop-out probability).
    log_likelihood_ : float
        Log-likelihood of the data at ``params_`` (FHL 2005 Eq. 7, summed over customers with their
        weights; the penalty is not included).
    covariance_ : pandas.DataFrame
        Inverse Hessian of the negative (penalised) log-likelihood: the asymptotic covariance of
        ``params_``.
    n_customers_ : float
        Number of customers (sum of weights) the model was fitted on.
    n_iter_ : int
        Optimiser iterations used.

    See Also
    --------
    rfm_summary : Build ``frequency``, ``recency`` and ``T`` from a transaction log.
    useropslib.churn.GammaGammaModel : Spend per transaction, for customer lifetime value.

    Notes
    -----
    ``frequency`` is the number of repeat purchases ``x`` in the calibration period, ``recency`` the
    time ``t_x`` of the last of them measured from the first purchase (0 when ``x = 0``) and ``T``
    the time from the first purchase to the end of the calibration period, all in one time unit
    (weeks in the paper).  The optimiser works on log-parameters (L-BFGS-B with the analytic
    gradient, started from all parameters equal to 1), so fits are deterministic.  Standard errors
    come from the numerical Hessian of the analytic gradient; the 95% bounds are Wald intervals on
    the log scale, ``coef * exp(+-1.96 se / coef)``, so they stay positive (``lifetimes`` uses the
    natural scale).  ``log_likelihood_`` is the paper's log-likelihood, not the rescaled
    per-customer mean that ``lifetimes`` minimises, so it can be compared with published values.

    References
    ----------
    Fader, P. S., Hardie, B. G. S. and Lee, K. L. (2005). "Counting Your Customers" the Easy Way:
    An Alternative to the Pareto/NBD Model. Marketing Science 24(2), 275-284.

    Examples
    --------
    The paper's CDNOW estimates and its customer with 2 repeat purchases, the last at week 30.43,
    observed for 38.86 weeks:

    >>> from useropslib.churn import BetaGeoModel
    >>> model = BetaGeoModel.from_params(r=0.243, alpha=4.414, a=0.793, b=2.426)
    >>> round(model.conditional_expected_purchases(39, 2, 30.43, 38.86), 3)
    1.226
    >>> round(model.conditional_probability_alive(2, 30.43, 38.86), 3)
    0.727

    Fitting takes a summary frame (or three arrays); ``sample_weight`` counts identical customers:

    >>> import pandas as pd
    >>> summary = pd.DataFrame({
    ...     "frequency": [0, 1, 1, 2, 2, 3, 5, 8],
    ...     "recency": [0, 2, 30, 5, 35, 36, 37, 38],
    ...     "T": [39, 39, 39, 39, 39, 39, 39, 39],
    ... })
    >>> model = BetaGeoModel().fit(summary, sample_weight=[60, 15, 10, 8, 6, 5, 3, 2])
    >>> model.params_.round(3)
    r        0.263
    alpha    4.309
    a        0.724
    b        1.168
    Name: coef, dtype: float64
    >>> model.predict(10, summary.iloc[[0, 2, 3]]).round(3)
       probability_alive  expected_purchases  probability_no_purchase
    0              1.000               0.058                    0.947
    2              0.546               0.150                    0.874
    3              0.085               0.041                    0.968
    """

    _names = _BG_NAMES
    _fit_call = "BetaGeoModel().fit(summary)"
    _summary_hint = "call fit(summary) on your data."

    # ---------------------------------------------------------------- construction and fitting
    @classmethod
    def from_params(cls, *, r: float, alpha: float, a: float, b: float) -> BetaGeoModel:
        """Build a model from known parameters (e.g. published ones) without fitting.

        Parameters
        ----------
        r, alpha : float
            Shape and rate of the gamma distribution of purchase rates (``alpha`` in the time unit
            you will predict in).
        a, b : float
            Parameters of the beta distribution of the drop-out probability.

        Returns
        -------
        BetaGeoModel
            A model whose ``params_`` are set; ``summary`` needs a fit and is not available.

        Raises
        ------
        InvalidParameterError
            If a parameter is not a finite positive number.

        Examples
        --------
        >>> BetaGeoModel.from_params(r=0.243, alpha=4.414, a=0.793, b=2.426).params_
        r        0.243
        alpha    4.414
        a        0.793
        b        2.426
        Name: coef, dtype: float64
        """
        return cls._from_values({"r": r, "alpha": alpha, "a": a, "b": b})

    def fit(
        self,
        frequency: npt.ArrayLike | pd.DataFrame,
        recency: npt.ArrayLike | None = None,
        T: npt.ArrayLike | None = None,  # noqa: N803 - the paper's and lifetimes' name
        *,
        sample_weight: npt.ArrayLike | None = None,
    ) -> Self:
        """Estimate ``r``, ``alpha``, ``a``, ``b`` by maximum likelihood.

        Parameters
        ----------
        frequency : array-like or pandas.DataFrame
            Repeat purchases per customer (whole numbers >= 0), or a frame with columns
            ``frequency``, ``recency`` and ``T`` (as from :func:`rfm_summary`); then leave
            ``recency`` and ``T`` unset.
        recency : array-like, optional
            Time of the last repeat purchase since the first purchase (0 when ``frequency`` is 0).
        T : array-like, optional
            Time from the first purchase to the end of the calibration period (>= ``recency``).
        sample_weight : array-like, optional
            Number of customers each row stands for (rows of identical customers can be merged).

        Returns
        -------
        BetaGeoModel
            ``self``, fitted.

        Raises
        ------
        InvalidParameterError
            If a hyper-parameter is invalid, columns are missing, or the summary breaks the model's
            conventions (negative or non-integer frequency, negative recency or T, recency > T,
            recency != 0 when frequency is 0, NaN); the message lists every problem.
        InsufficientDataError
            If there are no customers, or none with a repeat purchase.

        Warns
        -----
        ConvergenceWarning
            If the optimiser stops before converging, a parameter runs to infinity, or the Hessian
            is singular.

        Examples
        --------
        >>> model = BetaGeoModel().fit([0, 1, 1, 2, 2, 3, 5, 8], [0, 2, 30, 5, 35, 36, 37, 38],
        ...                            [39] * 8, sample_weight=[60, 15, 10, 8, 6, 5, 3, 2])
        >>> round(model.log_likelihood_, 2)
        -440.24
        """
        where = "BetaGeoModel.fit"
        _check_hyperparameters(where, self.penalizer, self.max_iter, self.tol)
        inputs = _collect_inputs(where, frequency, {"recency": recency, "T": T}, _SUMMARY_COLUMNS)
        _validate_rfm(where, inputs, fitting=True)
        x, tx, age = (np.atleast_1d(v) for v in inputs.values)
        w = _sample_weight(where, sample_weight, x.shape[0])
        total = float(w.sum())
        if total <= 0:
            raise InsufficientDataError(
                f"{where}: no customers to fit on (got {x.shape[0]} row(s) with total weight "
                f"{total:g}). Expected at least one customer. Hint: check the calibration period "
                "and any filtering applied before fitting."
            )
        if not np.any((x > 0) & (w > 0)):
            raise InsufficientDataError(
                f"{where}: none of the {total:g} customer(s) made a repeat purchase (all "
                "frequency == 0), so purchase rates and drop-out cannot be estimated. Expected "
                "some customers with frequency >= 1. Hint: use a longer calibration period."
            )
        counts = _unique_counts(x)
        return self._solve(
            lambda p: _bgnbd_loglik_and_grad(p, x, tx, age, w, counts),
            lambda p: _wsum(w, _bgnbd_loglik(p, x, tx, age)),
            total,
        )

    # ---------------------------------------------------------------- helpers

    def _customers(
        self,
        where: str,
        frequency: Any,
        recency: Any,
        T: Any,  # noqa: N803
    ) -> tuple[_Inputs, FloatArray, FloatArray, FloatArray]:
        inputs = _collect_inputs(where, frequency, {"recency": recency, "T": T}, _SUMMARY_COLUMNS)
        _validate_rfm(where, inputs)
        x, tx, age = inputs.values
        return inputs, x, tx, age

    # ---------------------------------------------------------------- results
    @property
    def summary(self) -> pd.DataFrame:
        """Estimates with standard errors and 95% bounds.

        Returns
        -------
        pandas.DataFrame
            One row per parameter (``r``, ``alpha``, ``a``, ``b``) with columns ``coef``,
            ``se(coef)``, ``lower 95% bound``, ``upper 95% bound`` (Wald bounds on the log scale).

        Raises
        ------
        NotFittedError
            Before ``fit``, or for a model built with :meth:`from_params`.

        Examples
        --------
        >>> model = BetaGeoModel().fit([0, 1, 1, 2, 2, 3, 5, 8], [0, 2, 30, 5, 35, 36, 37, 38],
        ...                            [39] * 8, sample_weight=[60, 15, 10, 8, 6, 5, 3, 2])
        >>> model.summary.round(3)
                coef  se(coef)  lower 95% bound  upper 95% bound
        param
        r      0.263     0.064            0.163            0.424
        alpha  4.309     1.931            1.791           10.370
        a      0.724     0.544            0.166            3.161
        b      1.168     1.021            0.210            6.486
        """
        return self._summary()

    @overload
    def log_likelihood(
        self,
        frequency: pd.DataFrame,
        recency: None = None,
        T: None = None,  # noqa: N803
    ) -> pd.Series[float]: ...
    @overload
    def log_likelihood(self, frequency: float, recency: float, T: float) -> float: ...  # noqa: N803
    @overload
    def log_likelihood(
        self,
        frequency: npt.ArrayLike | pd.DataFrame,
        recency: npt.ArrayLike | None = None,
        T: npt.ArrayLike | None = None,  # noqa: N803
    ) -> Prediction: ...
    def log_likelihood(
        self,
        frequency: npt.ArrayLike | pd.DataFrame,
        recency: npt.ArrayLike | None = None,
        T: npt.ArrayLike | None = None,  # noqa: N803
    ) -> Prediction:
        """Log-likelihood of each customer's history under the model (FHL 2005 Eq. 6).

        Parameters
        ----------
        frequency, recency, T : array-like or pandas.DataFrame
            As in :meth:`fit`.

        Returns
        -------
        float, numpy.ndarray or pandas.Series
            One value per customer (a Series on the input's index for pandas input).

        Raises
        ------
        NotFittedError
            Before ``fit``.
        InvalidParameterError
            If the summary breaks the model's conventions.

        Examples
        --------
        >>> model = BetaGeoModel.from_params(r=0.243, alpha=4.414, a=0.793, b=2.426)
        >>> model.log_likelihood([0, 2], [0, 30.43], [38.86, 38.86]).round(4)
        array([-0.5547, -9.4586])
        """
        p = self._params()
        inputs, x, tx, age = self._customers("BetaGeoModel.log_likelihood", frequency, recency, T)
        return _wrap(_bgnbd_loglik(p, x, tx, age), inputs, "log_likelihood")

    @overload
    def conditional_probability_alive(
        self,
        frequency: pd.DataFrame,
        recency: None = None,
        T: None = None,  # noqa: N803
    ) -> pd.Series[float]: ...
    @overload
    def conditional_probability_alive(
        self,
        frequency: float,
        recency: float,
        T: float,  # noqa: N803
    ) -> float: ...
    @overload
    def conditional_probability_alive(
        self,
        frequency: npt.ArrayLike | pd.DataFrame,
        recency: npt.ArrayLike | None = None,
        T: npt.ArrayLike | None = None,  # noqa: N803
    ) -> Prediction: ...
    def conditional_probability_alive(
        self,
        frequency: npt.ArrayLike | pd.DataFrame,
        recency: npt.ArrayLike | None = None,
        T: npt.ArrayLike | None = None,  # noqa: N803
    ) -> Prediction:
        """Probability that each customer is still active at the end of calibration, P(alive).

        Parameters
        ----------
        frequency, recency, T : array-like or pandas.DataFrame
            As in :meth:`fit`.

        Returns
        -------
        float, numpy.ndarray or pandas.Series
            Values in ``[0, 1]``; exactly 1 for customers without repeat purchases (under BG/NBD a
            customer can only drop out right after a repeat purchase).

        Raises
        ------
        NotFittedError
            Before ``fit``.
        InvalidParameterError
            If the summary breaks the model's conventions.

        Notes
        -----
        ``1 / (1 + [x > 0] a / (b + x - 1) ((alpha + T) / (alpha + t_x)) ** (r + x))``, from
        Fader, Hardie & Lee, "Computing P(alive) Using the BG/NBD Model" (note 021); computed on the
        log scale.

        Examples
        --------
        >>> model = BetaGeoModel.from_params(r=0.243, alpha=4.414, a=0.793, b=2.426)
        >>> model.conditional_probability_alive([0, 2, 2], [0, 30.43, 5.0], [38.86] * 3).round(3)
        array([1.   , 0.727, 0.124])
        """
        p = self._params()
        inputs, x, tx, age = self._customers(
            "BetaGeoModel.conditional_probability_alive", frequency, recency, T
        )
        return _wrap(_bgnbd_p_alive(p, x, tx, age), inputs, "probability_alive")

    @overload
    def expected_purchases(self, t: float) -> float: ...
    @overload
    def expected_purchases(self, t: pd.Series[float]) -> pd.Series[float]: ...
    @overload
    def expected_purchases(self, t: npt.ArrayLike) -> Prediction: ...
    def expected_purchases(self, t: npt.ArrayLike) -> Prediction:
        """Compute the expected repeat purchases of a new customer in ``(0, t]`` after the first.

        Parameters
        ----------
        t : float or array-like
            Length(s) of time in the model's unit, >= 0.

        Returns
        -------
        float, numpy.ndarray or pandas.Series
            Unconditional ``E[X(t)]`` (FHL 2005 Eq. 9), shaped like ``t``.

        Raises
        ------
        NotFittedError
            Before ``fit``.
        InvalidParameterError
            If ``t`` is negative or not finite.

        Examples
        --------
        >>> model = BetaGeoModel.from_params(r=0.243, alpha=4.414, a=0.793, b=2.426)
        >>> model.expected_purchases([1, 32, 78]).round(4)
        array([0.0533, 1.0452, 1.8605])
        """
        p = self._params()
        arr = _nonnegative_time("BetaGeoModel.expected_purchases", "t", t)
        zero = np.zeros_like(arr)
        values = _bgnbd_expected_if_alive(p, arr, zero, zero)
        index = t.index if isinstance(t, pd.Series) else None
        return _wrap(values, _Inputs((arr,), index, arr.ndim == 0), "expected_purchases")

    @overload
    def conditional_expected_purchases(
        self,
        t: float,
        frequency: pd.DataFrame,
        recency: None = None,
        T: None = None,  # noqa: N803
    ) -> pd.Series[float]: ...
    @overload
    def conditional_expected_purchases(
        self,
        t: float,
        frequency: float,
        recency: float,
        T: float,  # noqa: N803
    ) -> float: ...
    @overload
    def conditional_expected_purchases(
        self,
        t: npt.ArrayLike,
        frequency: npt.ArrayLike | pd.DataFrame,
        recency: npt.ArrayLike | None = None,
        T: npt.ArrayLike | None = None,  # noqa: N803
    ) -> Prediction: ...
    def conditional_expected_purchases(
        self,
        t: npt.ArrayLike,
        frequency: npt.ArrayLike | pd.DataFrame,
        recency: npt.ArrayLike | None = None,
        T: npt.ArrayLike | None = None,  # noqa: N803
    ) -> Prediction:
        """Compute each customer's expected purchases in the next ``t`` after calibration, E[Y(t)].

        Parameters
        ----------
        t : float or array-like
            Horizon(s) in the model's unit, >= 0; broadcast against the customers.
        frequency, recency, T : array-like or pandas.DataFrame
            As in :meth:`fit`.

        Returns
        -------
        float, numpy.ndarray or pandas.Series
            FHL (2005) Eq. 10, one value per customer.

        Raises
        ------
        NotFittedError
            Before ``fit``.
        InvalidParameterError
            If ``t`` is negative or the summary breaks the model's conventions.

        Examples
        --------
        >>> model = BetaGeoModel.from_params(r=0.243, alpha=4.414, a=0.793, b=2.426)
        >>> round(model.conditional_expected_purchases(39, 2, 30.43, 38.86), 4)
        1.2259
        """
        p = self._params()
        where = "BetaGeoModel.conditional_expected_purchases"
        horizon = _nonnegative_time(where, "t", t)
        inputs, x, tx, age = self._customers(where, frequency, recency, T)
        _check_horizon(where, horizon, inputs)
        values = _bgnbd_expected_if_alive(p, horizon, x, age) * _bgnbd_p_alive(p, x, tx, age)
        return _wrap(np.asarray(values, dtype=np.float64), inputs, "expected_purchases")

    @overload
    def conditional_probability_no_purchase(
        self,
        t: float,
        frequency: pd.DataFrame,
        recency: None = None,
        T: None = None,  # noqa: N803
    ) -> pd.Series[float]: ...
    @overload
    def conditional_probability_no_purchase(
        self,
        t: float,
        frequency: float,
        recency: float,
        T: float,  # noqa: N803
    ) -> float: ...
    @overload
    def conditional_probability_no_purchase(
        self,
        t: npt.ArrayLike,
        frequency: npt.ArrayLike | pd.DataFrame,
        recency: npt.ArrayLike | None = None,
        T: npt.ArrayLike | None = None,  # noqa: N803
    ) -> Prediction: ...
    def conditional_probability_no_purchase(
        self,
        t: npt.ArrayLike,
        frequency: npt.ArrayLike | pd.DataFrame,
        recency: npt.ArrayLike | None = None,
        T: npt.ArrayLike | None = None,  # noqa: N803
    ) -> Prediction:
        """Probability that each customer makes no purchase in the next ``t`` after calibration.

        This is the "will not come back within ``t``" churn probability used for early warning
        (流失预警): it counts customers who have dropped out and active customers who simply do
        not buy within the horizon.

        Parameters
        ----------
        t : float or array-like
            Horizon(s) in the model's unit, >= 0; broadcast against the customers.
        frequency, recency, T : array-like or pandas.DataFrame
            As in :meth:`fit`.

        Returns
        -------
        float, numpy.ndarray or pandas.Series
            Values in ``[0, 1]``, non-increasing in ``t``; 1 when ``t`` is 0.

        Raises
        ------
        NotFittedError
            Before ``fit``.
        InvalidParameterError
            If ``t`` is negative or the summary breaks the model's conventions.

        Notes
        -----
        ``P(Y(t) = 0 | x, t_x, T) = L(x, t_x, T + t) / L(x, t_x, T)`` where ``L`` is the likelihood
        of Eq. 6 with the "still active" branch observed up to ``T + t``; the same quantity as
        PyMC-Marketing's ``BetaGeoModel.expected_probability_no_purchase``.

        Examples
        --------
        >>> model = BetaGeoModel.from_params(r=0.243, alpha=4.414, a=0.793, b=2.426)
        >>> p0 = model.conditional_probability_no_purchase(39, [2, 0], [30.43, 0], [38.86, 38.86])
        >>> p0.round(4)
        array([0.4454, 0.8554])
        """
        p = self._params()
        where = "BetaGeoModel.conditional_probability_no_purchase"
        horizon = _nonnegative_time(where, "t", t)
        inputs, x, tx, age = self._customers(where, frequency, recency, T)
        _check_horizon(where, horizon, inputs)
        values = _bgnbd_p_no_purchase(p, horizon, x, tx, age)
        return _wrap(values, inputs, "probability_no_purchase")

    def probability_of_purchases(self, n: npt.ArrayLike, t: npt.ArrayLike) -> Prediction:
        """Probability that a new customer makes exactly ``n`` repeat purchases in ``(0, t]``.

        Parameters
        ----------
        n : int or array-like of int
            Number(s) of repeat purchases, >= 0.
        t : float or array-like
            Length(s) of time in the model's unit, >= 0; broadcast against ``n``.

        Returns
        -------
        float or numpy.ndarray
            ``P(X(t) = n)`` (FHL 2005 Eq. 8).

        Raises
        ------
        NotFittedError
            Before ``fit``.
        InvalidParameterError
            If ``n`` is not a whole number >= 0 or ``t`` is negative.

        Examples
        --------
        Expected share of customers with 0, 1, 2 repeat purchases in their first 38.86 weeks:

        >>> model = BetaGeoModel.from_params(r=0.243, alpha=4.414, a=0.793, b=2.426)
        >>> model.probability_of_purchases([0, 1, 2], 38.86).round(3)
        array([0.574, 0.199, 0.085])
        """
        r, alpha, a, b = self._params()
        where = "BetaGeoModel.probability_of_purchases"
        horizon = _nonnegative_time(where, "t", t)
        try:
            count = np.asarray(n, dtype=np.float64)
        except (TypeError, ValueError) as exc:
            raise InvalidParameterError(
                f"{where}: n must be a whole number >= 0 or an array of them, got "
                f"{type(n).__name__}. Hint: pass e.g. n=[0, 1, 2]."
            ) from exc
        if not np.all(np.isfinite(count)) or np.any((count < 0) | (count != np.floor(count))):
            raise InvalidParameterError(
                f"{where}: n must hold whole numbers >= 0 (counts of repeat purchases), got "
                f"{np.atleast_1d(count)[:5].tolist()}. Hint: pass e.g. n=[0, 1, 2]."
            )
        count, horizon = np.broadcast_arrays(count, horizon)
        q = alpha / (alpha + horizon)  # negative-binomial "success" probability
        log_nb = (
            special.gammaln(r + count)
            - special.gammaln(r)
            - special.gammaln(count + 1)
            + r * np.log(q)
            + special.xlogy(count, 1.0 - q)
        )
        active = np.exp(special.betaln(a, b + count) - special.betaln(a, b) + log_nb)
        has = count > 0
        n_safe = np.where(has, count, 1.0)
        # P(at least n purchases while active) for NB(r, q): regularized incomplete beta
        at_least = special.betainc(n_safe, r, 1.0 - q)
        dropped = np.where(
            has,
            np.exp(special.betaln(a + 1, b + n_safe - 1) - special.betaln(a, b)) * at_least,
            0.0,
        )
        values = np.asarray(active + dropped, dtype=np.float64)
        return float(values) if values.ndim == 0 else values

    def predict(
        self,
        t: float,
        frequency: npt.ArrayLike | pd.DataFrame,
        recency: npt.ArrayLike | None = None,
        T: npt.ArrayLike | None = None,  # noqa: N803
    ) -> pd.DataFrame:
        """Score customers for a horizon ``t``: P(alive), expected purchases, P(no purchase).

        Parameters
        ----------
        t : float
            Horizon in the model's unit, >= 0.
        frequency, recency, T : array-like or pandas.DataFrame
            As in :meth:`fit`.

        Returns
        -------
        pandas.DataFrame
            One row per customer (on the input's index for pandas input) with columns
            ``probability_alive``, ``expected_purchases`` and ``probability_no_purchase``.

        Raises
        ------
        NotFittedError
            Before ``fit``.
        InvalidParameterError
            If ``t`` is negative or the summary breaks the model's conventions.

        Examples
        --------
        >>> model = BetaGeoModel.from_params(r=0.243, alpha=4.414, a=0.793, b=2.426)
        >>> model.predict(39, [2, 0], [30.43, 0], [38.86, 38.86]).round(3)
           probability_alive  expected_purchases  probability_no_purchase
        0              0.727               1.226                    0.445
        1              1.000               0.195                    0.855
        """
        p = self._params()
        where = "BetaGeoModel.predict"
        horizon = _nonnegative_time(where, "t", t)
        if horizon.ndim != 0:
            raise InvalidParameterError(
                f"{where}: t must be a single horizon, got shape {horizon.shape}. Hint: call "
                "predict once per horizon, or use conditional_expected_purchases for arrays."
            )
        inputs, x, tx, age = self._customers(where, frequency, recency, T)
        x, tx, age = (np.atleast_1d(v) for v in (x, tx, age))
        alive = _bgnbd_p_alive(p, x, tx, age)
        expected = _bgnbd_expected_if_alive(p, horizon, x, age) * alive
        no_purchase = _bgnbd_p_no_purchase(p, horizon, x, tx, age)
        index = inputs.index if inputs.index is not None else pd.RangeIndex(x.shape[0])
        frame: pd.DataFrame = pd.DataFrame(
            {
                "probability_alive": alive,
                "expected_purchases": expected,
                "probability_no_purchase": no_purchase,
            },
            index=index,
        )
        return frame


# --------------------------------------------------------------------------------------------------
# frequency / recency / T from a transaction log
# --------------------------------------------------------------------------------------------------


def _rfm_from_days(
    codes: npt.NDArray[np.int64],
    days: npt.NDArray[np.int64],
    values: FloatArray | None,
    *,
    n_customers: int,
    calibration_end: int,
    observation_end: int | None,
    period_days: float,
) -> dict[str, npt.NDArray[Any]]:
    """Array kernel of :func:`rfm_summary`.

    ``codes`` are customer codes in ``[0, n_customers)``, ``days`` integer calendar days (any
    origin), ``calibration_end`` / ``observation_end`` the last day of each period (inclusive).
    Returns ``customer`` (the codes of the calibration cohort, ascending) and one array per output
    column.
    """
    last_day = calibration_end if observation_end is None else observation_end
    keep = days <= last_day
    codes, days = codes[keep], days[keep]
    vals = values[keep] if values is not None else None
    day_value: FloatArray | None
    if days.size:
        origin = int(days.min())
        span = int(last_day) - origin + 1
        key = codes.astype(np.int64) * span + (days - origin)
        unique_key, inverse = np.unique(key, return_inverse=True)
        cust = unique_key // span
        day = unique_key % span + origin
        day_value = (
            np.bincount(inverse, weights=vals, minlength=unique_key.size).astype(np.float64)
            if vals is not None
            else None
        )
    else:
        cust = np.zeros(0, dtype=np.int64)
        day = np.zeros(0, dtype=np.int64)
        day_value = np.zeros(0) if vals is not None else None

    # calibration: one row per (customer, purchase day), sorted by customer then day
    cal = day <= calibration_end
    c_cust, c_day = cust[cal], day[cal]
    if c_cust.size:
        starts = np.flatnonzero(np.r_[True, c_cust[1:] != c_cust[:-1]])
        ends = np.r_[starts[1:], c_cust.size] - 1
    else:
        starts = ends = np.zeros(0, dtype=np.int64)
    cohort = c_cust[starts]
    first, last = c_day[starts], c_day[ends]
    frequency = (ends - starts).astype(np.int64)
    out: dict[str, npt.NDArray[Any]] = {
        "customer": cohort,
        "frequency": frequency,
        "recency": (last - first) / period_days,
        "T": (calibration_end - first) / period_days,
    }
    if day_value is not None:
        c_value = day_value[cal]
        total = np.add.reduceat(c_value, starts) if starts.size else np.zeros(0)
        repeat = total - c_value[starts] if starts.size else np.zeros(0)
        out["monetary_value"] = np.where(frequency > 0, repeat / np.maximum(frequency, 1), 0.0)
    if observation_end is not None:
        hold = ~cal
        counts = np.bincount(cust[hold], minlength=n_customers)
        out["frequency_holdout"] = counts[cohort].astype(np.int64)
        out["duration_holdout"] = np.full(
            cohort.size, (observation_end - calibration_end) / period_days
        )
        if day_value is not None:
            spend = np.bincount(cust[hold], weights=day_value[hold], minlength=n_customers)[cohort]
            n_hold = out["frequency_holdout"]
            out["monetary_value_holdout"] = np.where(n_hold > 0, spend / np.maximum(n_hold, 1), 0.0)
    return out


def _to_day(where: str, name: str, value: Any, tz: Any) -> int:
    """Convert a date-like value to a calendar day number (days since 1970-01-01) in ``tz``."""
    try:
        stamp = pd.Timestamp(value)
    except (TypeError, ValueError) as exc:
        raise InvalidParameterError(
            f"rfm_summary: {name} must be a date, got {value!r}. Hint: pass e.g. "
            f"{name}='1997-09-30' (the last day of the period, inclusive)."
        ) from exc
    if stamp is pd.NaT:
        raise InvalidParameterError(
            f"rfm_summary: {name} must be a date, got {value!r}. Hint: pass e.g. "
            f"{name}='1997-09-30'."
        )
    if stamp.tzinfo is not None:
        if tz is None:
            raise InvalidParameterError(
                f"rfm_summary: {name}={value!r} is time-zone aware but the {where!r} column is "
                "naive, so the calendar day is ambiguous. Hint: pass a naive date, or localise "
                "the column with .dt.tz_localize(...)."
            )
        stamp = stamp.tz_convert(tz).tz_localize(None)
    return int((stamp.normalize() - pd.Timestamp("1970-01-01")) // pd.Timedelta(days=1))


def rfm_summary(
    transactions: pd.DataFrame | EventLog,
    *,
    customer_col: str = "user_id",
    time_col: str = "timestamp",
    value_col: str | None = None,
    calibration_end: DateLike | None = None,
    period: Literal["D", "W"] = "W",
    observation_end: DateLike | None = None,
    purchase_event: str | Sequence[str] | None = None,
    as_of: DateLike | None = None,
    monetary: bool = False,
    tz: str | None = None,
) -> pd.DataFrame:
    """Per-customer ``frequency``, ``recency`` and ``T`` for the BG/NBD model, from transactions.

    Uses the conventions of Fader, Hardie & Lee (2005) on CDNOW: all purchases of a customer on
    one calendar day count as one purchase (their values are summed); only *repeat* purchases
    count, so ``frequency`` is the number of distinct purchase days minus one; the cohort is every
    customer whose first purchase falls on or before the end of the calibration period.

    Two inputs are accepted:

    - a **transactions frame** (one row per purchase) with ``calibration_end`` and, optionally,
      ``observation_end`` for a holdout period;
    - an :class:`~useropslib.events.EventLog` with ``purchase_event`` (the event name(s) that
      record a purchase) and ``as_of``: purchases at or before ``as_of`` count, and ``as_of``'s
      calendar day ends the calibration period.  The log's values are the purchase values.

    Parameters
    ----------
    transactions : pandas.DataFrame or EventLog
        One row per transaction, or an event log.  Neither is modified.
    customer_col : str, default "user_id"
        Frame only: column with the customer id.
    time_col : str, default "timestamp"
        Frame only: column with the transaction time (``datetime64``, naive or time-zone aware;
        calendar days are taken in the column's own time zone).
    value_col : str, optional
        Frame only: column with the transaction value; adds ``monetary_value`` (and
        ``monetary_value_holdout``).
    calibration_end : date-like
        Frame only, required there: last calendar day of the calibration period, inclusive (a
        time of day is ignored).
    period : {"D", "W"}, default "W"
        Unit of ``recency``, ``T`` and ``duration_holdout``: days, or weeks of 7 days (fractional,
        as in the paper).  Purchases are always counted per calendar day.
    observation_end : date-like, optional
        Frame only: last day of a holdout period after ``calibration_end``; adds the holdout
        columns.  Transactions after it (or after ``calibration_end`` when it is not given) are
        ignored.
    purchase_event : str or sequence of str
        EventLog only, required there: the event name(s) that record a purchase.
    as_of : date-like, optional
        EventLog only: the analysis instant (naive values are read in ``tz``).
        Later events are ignored; ``T`` runs to ``as_of``'s calendar day.  Default: the log's
        ``as_of``.
    monetary : bool, default False
        EventLog only: add ``monetary_value`` from the log's values.
    tz : str, optional
        EventLog only: IANA time zone of the calendar days; default the log's.

    Returns
    -------
    pandas.DataFrame
        Indexed by customer id (sorted; named ``customer_col``, or ``"user_id"`` for a log), with
        columns

        - ``frequency``: repeat purchase days in calibration (purchase days minus 1),
        - ``recency``: time from the first to the last purchase day in calibration,
        - ``T``: time from the first purchase day to the end of calibration,
        - ``monetary_value``: mean value of the repeat purchase days (first purchase excluded;
          0 when ``frequency`` is 0), if ``value_col`` is given or ``monetary=True``,
        - ``frequency_holdout``, ``duration_holdout`` and ``monetary_value_holdout``: purchase days
          in the holdout, its length, their mean value (0 when none), if ``observation_end`` is
          given.

    Raises
    ------
    EventSchemaError
        If a column is missing (with a "did you mean" hint), the time column is not datetime, the
        value column is not numeric, or ids, times or values are null (for a log: a purchase event
        without a value when ``monetary=True``); ``failure_cases`` lists the offending rows.
    InvalidParameterError
        If ``period`` is unknown, a date cannot be parsed, ``observation_end`` is not after
        ``calibration_end``, ``purchase_event`` names an event the log does not have (with close
        names), ``as_of`` is before the log's first event, ``monetary=True`` for a log without
        values, or an option of one input kind is given with the other.
    InsufficientDataError
        If no customer made a first purchase by the end of the calibration period, or the log has
        no events.

    See Also
    --------
    BetaGeoModel : Fit on the result.
    GammaGammaModel : Spend per transaction, fitted on ``frequency`` and ``monetary_value``.

    Notes
    -----
    Matches ``lifetimes.utils.calibration_and_holdout_data(..., freq="D")`` with ``recency`` and
    ``T`` divided by 7 for weeks; the calibration columns keep the names ``frequency``, ``recency``,
    ``T`` so the result can be passed straight to :meth:`BetaGeoModel.fit`.  An EventLog gives
    the same numbers as a frame of its purchase events with ``calibration_end`` set to ``as_of``'s
    calendar day, as long as no purchase falls later on that day (the log ignores those, since
    they are after ``as_of``).

    Examples
    --------
    >>> import pandas as pd
    >>> tx = pd.DataFrame({
    ...     "user_id": [1, 1, 1, 1, 2, 3],
    ...     "timestamp": pd.to_datetime(["1997-01-01", "1997-01-01", "1997-01-15", "1997-02-26",
    ...                                  "1997-01-08", "1997-03-10"]),
    ...     "value": [10.0, 5.0, 20.0, 30.0, 12.0, 8.0],
    ... })
    >>> rfm_summary(tx, value_col="value", calibration_end="1997-02-26")
             frequency  recency    T  monetary_value
    user_id
    1                2      8.0  8.0            25.0
    2                0      0.0  7.0             0.0

    The same from an event log, where purchases sit among other events:

    >>> from useropslib import EventLog
    >>> events = pd.DataFrame({
    ...     "user_id": [1, 1, 1, 1, 1, 2, 2],
    ...     "event": ["purchase", "app_open", "purchase", "purchase", "purchase", "purchase",
    ...               "app_open"],
    ...     "timestamp": ["1997-01-01", "1997-01-02", "1997-01-15", "1997-02-26", "1997-01-01",
    ...                   "1997-01-08", "1997-03-01"],
    ...     "value": [10.0, None, 20.0, 30.0, 5.0, 12.0, None],
    ... })
    >>> log = EventLog.from_pandas(events, tz="UTC")
    >>> rfm_summary(log, purchase_event="purchase", as_of="1997-02-26", period="D",
    ...             monetary=True)
             frequency  recency     T  monetary_value
    user_id
    1                2     56.0  56.0            25.0
    2                0      0.0  49.0             0.0
    """
    where = "rfm_summary"
    if not isinstance(period, str) or period not in _PERIOD_DAYS:
        close = did_you_mean(str(period), list(_PERIOD_DAYS))
        hint = f"did you mean {close[0]!r}?" if close else "use 'D' for days or 'W' for weeks."
        raise InvalidParameterError(
            f"{where}: period must be one of {list(_PERIOD_DAYS)}, got {period!r}. Hint: {hint}"
        )
    if isinstance(transactions, EventLog | LazyEventLog):
        frame_only = {
            "customer_col": customer_col != "user_id",
            "time_col": time_col != "timestamp",
            "value_col": value_col is not None,
            "calibration_end": calibration_end is not None,
            "observation_end": observation_end is not None,
        }
        given = [name for name, is_set in frame_only.items() if is_set]
        if given:
            raise InvalidParameterError(
                f"{where}: {given} apply to a transactions frame, but an EventLog was given. "
                "Expected purchase_event=, as_of= and monetary= with a log (it already knows its "
                "users, times and values). Hint: as_of= ends the calibration period; for a "
                "holdout, pass the purchases as a frame, e.g. "
                "rfm_summary(log.filter_events('purchase').to_pandas(), value_col='value', "
                "calibration_end=..., observation_end=...)."
            )
        if isinstance(transactions, LazyEventLog):
            # only the purchase rows leave the engine (unknown names are reported below)
            wanted = [purchase_event] if isinstance(purchase_event, str) else purchase_event
            names = [n for n in wanted or [] if isinstance(n, str)]
            transactions = as_event_log(transactions, names=names)
        return _rfm_from_log(
            transactions,
            purchase_event=purchase_event,
            as_of=as_of,
            period=period,
            monetary=monetary,
            tz=tz,
        )
    log_only = {
        "purchase_event": purchase_event is not None,
        "as_of": as_of is not None,
        "tz": tz is not None,
    }
    given = [name for name, is_set in log_only.items() if is_set]
    if given:
        raise InvalidParameterError(
            f"{where}: {given} apply to an EventLog, but a transactions frame was given. "
            "Expected calibration_end= (and optionally observation_end=) with a frame of "
            "purchases. Hint: pass calibration_end= instead of as_of=, or build a log with "
            "EventLog.from_pandas(df, tz=...) to pick the purchases by event name."
        )
    if calibration_end is None:
        raise InvalidParameterError(
            f"{where}: calibration_end is required with a transactions frame, got None. Expected "
            "the last day of the calibration period. Hint: pass e.g. calibration_end='1997-09-30'."
        )
    if monetary and value_col is None:
        raise InvalidParameterError(
            f"{where}: monetary=True needs the transaction values, but value_col is None. "
            "Expected value_col naming the column of values. Hint: pass value_col='value'."
        )
    return _rfm_from_frame(
        transactions,
        customer_col=customer_col,
        time_col=time_col,
        value_col=value_col,
        calibration_end=calibration_end,
        period=period,
        observation_end=observation_end,
    )


def _rfm_from_log(
    log: EventLog,
    *,
    purchase_event: str | Sequence[str] | None,
    as_of: DateLike | None,
    period: Literal["D", "W"],
    monetary: bool,
    tz: str | None,
) -> pd.DataFrame:
    """Compute :func:`rfm_summary` from an EventLog, in one pass over its purchase events."""
    where = "rfm_summary"
    names = _purchase_names(log, purchase_event)
    zone = log.tz if tz is None else check_tz(tz)
    try:
        # a naive as_of is read in the zone of the calendar days
        given = None if as_of is None else to_utc_ns(as_of, tz=zone, name="as_of")
        as_of_ns = resolve_as_of(log, None if given is None else pd.Timestamp(given, tz="UTC"))
    except (InvalidParameterError, InsufficientDataError) as exc:
        raise type(exc)(f"{where}: {exc}") from None
    values = log.values
    if monetary and values is None:
        raise InvalidParameterError(
            f"{where}: monetary=True needs purchase values, but the event log has none. Expected "
            "a log built with a value column. Hint: build it with EventLog.from_pandas(df, "
            "value_col='amount', ...), or leave monetary=False."
        )
    lookup = np.zeros(len(log.event_names), dtype=bool)
    lookup[log.event_code_of(names)] = True
    ts = log.timestamps_ns
    is_purchase = lookup[log.event_codes]
    mask = is_purchase & (ts <= as_of_ns)
    positions = np.flatnonzero(mask)
    vals: FloatArray | None = None
    if monetary and values is not None:
        vals = values[positions]
        bad = ~np.isfinite(vals)
        if bad.any():
            rows = positions[bad]
            raise EventSchemaError(
                f"{where}: monetary=True, but {rows.size} purchase event(s) have no value, e.g. "
                f"at positions {rows[:5].tolist()} of the log. Expected a finite value on every "
                f"event named {names}. Hint: fill the missing values (0 for free orders) before "
                "building the log, or leave monetary=False.",
                failure_cases=pd.DataFrame(
                    {"row": rows, "column": "value", "check": "null_value", "value": "nan"}
                ),
            )
    days = period_codes(ts[positions], "day", tz=zone)
    cal_end = int(period_codes(np.array([as_of_ns], dtype=np.int64), "day", tz=zone)[0])
    result = _rfm_from_days(
        log.user_codes[positions].astype(np.int64),
        days,
        vals,
        n_customers=len(log.users),
        calibration_end=cal_end,
        observation_end=None,
        period_days=_PERIOD_DAYS[period],
    )
    cohort = result.pop("customer")
    if cohort.size == 0:
        n_purchases = int(np.count_nonzero(is_purchase))
        first = (
            f"the first at {stamp(int(ts[is_purchase].min()), zone)}"
            if n_purchases
            else "none at all"
        )
        raise InsufficientDataError(
            f"{where}: no purchase event {names} at or before as_of={stamp(as_of_ns, zone)}: the "
            f"log has {log.n_events:,} events from {log.n_users:,} users and {n_purchases:,} "
            f"purchase events ({first}). Expected at least one purchase. Hint: move as_of later "
            "or check purchase_event against log.event_names."
        )
    index = pd.Index(log.users.take(cohort), name="user_id")
    summary: pd.DataFrame = pd.DataFrame(result, index=index)
    try:
        order = np.argsort(index.to_numpy(), kind="stable")
    except TypeError:  # ids of mixed, unorderable types: keep the log's order
        return summary
    sorted_summary: pd.DataFrame = summary.iloc[order]
    return sorted_summary


def _purchase_names(log: EventLog, purchase_event: Any) -> list[str]:
    """Validate ``purchase_event`` against the log's event names."""
    where = "rfm_summary"
    known = [str(n) for n in log.event_names]
    shown = f"{known[:20]}{' ...' if len(known) > 20 else ''}"
    if purchase_event is None:
        close = did_you_mean("purchase", known)
        hint = (
            f"did you mean purchase_event={close[0]!r}?"
            if close
            else "pass the name of the event that records a purchase."
        )
        raise InvalidParameterError(
            f"{where}: purchase_event is required with an EventLog, got None. Expected the event "
            f"name(s) that record a purchase, one of {shown}. Hint: {hint}"
        )
    names = [purchase_event] if isinstance(purchase_event, str) else purchase_event
    try:
        names = list(names)
    except TypeError:
        names = [purchase_event]
    if not names or not all(isinstance(n, str) for n in names):
        raise InvalidParameterError(
            f"{where}: purchase_event must be an event name or a list of them, got "
            f"{purchase_event!r}. Expected names from {shown}. Hint: pass e.g. "
            "purchase_event='purchase'."
        )
    unknown = [n for n in names if n not in set(known)]
    if unknown:
        hints = []
        for u in unknown:
            close = did_you_mean(u, known)
            if close:
                hints.append(f"did you mean {close[0]!r} for {u!r}?")
        hint = " ".join(hints) if hints else "pick the purchase event from log.event_names."
        raise InvalidParameterError(
            f"{where}: purchase_event names event(s) the log does not have: {unknown}. Expected "
            f"names from {shown}. Hint: {hint}"
        )
    return names


def _rfm_from_frame(
    transactions: pd.DataFrame,
    *,
    customer_col: str,
    time_col: str,
    value_col: str | None,
    calibration_end: DateLike,
    period: Literal["D", "W"],
    observation_end: DateLike | None,
) -> pd.DataFrame:
    """Compute :func:`rfm_summary` from a transactions frame."""
    where = "rfm_summary"
    if not isinstance(transactions, pd.DataFrame):
        raise EventSchemaError(
            f"{where}: transactions must be a pandas DataFrame or an EventLog, got "
            f"{type(transactions).__name__}. Hint: build one with pd.DataFrame(...) or "
            "EventLog.from_pandas(...)."
        )
    required = {customer_col: "customer_col", time_col: "time_col"}
    if value_col is not None:
        required[value_col] = "value_col"
    missing = [c for c in required if c not in transactions.columns]
    if missing:
        raise EventSchemaError.missing_columns(
            missing=missing, available=transactions.columns, param=required
        )

    customers = transactions[customer_col]
    times = transactions[time_col]
    problems: list[pd.DataFrame] = []
    messages: list[str] = []

    def record(mask: npt.NDArray[np.bool_], column: str, check: str, what: str) -> None:
        rows = transactions.index[mask]
        problems.append(
            pd.DataFrame(
                {
                    "row": rows,
                    "column": column,
                    "check": check,
                    "value": transactions.loc[mask, column].astype(str).to_numpy(),
                }
            )
        )
        messages.append(f"{what} in {int(mask.sum())} row(s), e.g. rows {list(rows[:5])}")

    null_customer = customers.isna().to_numpy()
    if null_customer.any():
        record(null_customer, customer_col, "null_customer_id", f"null {customer_col!r}")
    is_datetime = pd.api.types.is_datetime64_any_dtype(times.dtype)
    if not is_datetime:
        messages.append(
            f"{time_col!r} has dtype {times.dtype}, expected datetime64; convert it with "
            f"pd.to_datetime(df[{time_col!r}], format=...)"
        )
    else:
        null_time = times.isna().to_numpy()
        if null_time.any():
            record(null_time, time_col, "null_timestamp", f"null {time_col!r}")
    vals: FloatArray | None = None
    if value_col is not None:
        raw_values = transactions[value_col]
        if not (
            pd.api.types.is_numeric_dtype(raw_values.dtype)
            and not pd.api.types.is_bool_dtype(raw_values.dtype)
        ):
            messages.append(
                f"{value_col!r} has dtype {raw_values.dtype}, expected numbers; convert it with "
                f"pd.to_numeric(df[{value_col!r}])"
            )
        else:
            vals = raw_values.to_numpy(dtype=np.float64, na_value=np.nan)
            bad_value = ~np.isfinite(vals)
            if bad_value.any():
                record(bad_value, value_col, "null_value", f"null or infinite {value_col!r}")
    if messages:
        failure_cases = (
            pd.concat(problems, ignore_index=True)
            if problems
            else pd.DataFrame(columns=["row", "column", "check", "value"])
        )
        raise EventSchemaError(
            f"{where}: the transaction table has {len(messages)} problem(s): "
            + "; ".join(messages)
            + ". Hint: drop or fix these rows (see the error's failure_cases).",
            failure_cases=failure_cases,
        )

    tz = getattr(times.dtype, "tz", None)
    local = times.dt.tz_localize(None) if tz is not None else times  # wall time in the column's tz
    days = local.to_numpy().astype("datetime64[D]").astype(np.int64)
    cal_end = _to_day(time_col, "calibration_end", calibration_end, tz)
    obs_end = None
    if observation_end is not None:
        obs_end = _to_day(time_col, "observation_end", observation_end, tz)
        if obs_end <= cal_end:
            raise InvalidParameterError(
                f"{where}: observation_end ({observation_end!r}) must be after calibration_end "
                f"({calibration_end!r}). Expected a holdout period of at least one day. Hint: "
                "swap them, or leave observation_end unset for calibration only."
            )

    codes, uniques = pd.factorize(customers, sort=True)
    result = _rfm_from_days(
        codes.astype(np.int64),
        days,
        vals,
        n_customers=len(uniques),
        calibration_end=cal_end,
        observation_end=obs_end,
        period_days=_PERIOD_DAYS[period],
    )
    cohort = result.pop("customer")
    if cohort.size == 0:
        first = times.min() if len(times) else None
        raise InsufficientDataError(
            f"{where}: no customer made a first purchase on or before calibration_end "
            f"({calibration_end!r}); the earliest transaction is {first}. Expected at least one. "
            "Hint: move calibration_end later."
        )
    index = pd.Index(uniques.take(cohort), name=customer_col)
    summary: pd.DataFrame = pd.DataFrame(result, index=index)
    return summary
