"""Gamma-Gamma model of spend per transaction, and customer lifetime value (CLV).

Fader & Hardie's gamma-gamma model: a customer's transaction values are gamma distributed with
shape ``p`` around a customer-specific mean, and the customers' scale parameters are gamma
distributed with shape ``q`` and rate ``v``.  Fitted on the mean spend of each customer's repeat
purchases it gives a shrunk estimate of what each customer spends per purchase; combined with a
BG/NBD model of how often they buy, it gives the discounted value of their next months (付费 /
value tiers).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal, overload

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy import special

from useropslib.churn._bgnbd import BetaGeoModel
from useropslib.churn._likelihood import (
    PERIOD_DAYS,
    FloatArray,
    Inputs,
    MLEModel,
    Prediction,
    bgnbd_expected_if_alive,
    bgnbd_p_alive,
    check_frequency,
    check_hyperparameters,
    check_sample_weight,
    collect_inputs,
    problem_line,
    raise_problems,
    unique_counts,
    validate_rfm,
    weighted_sum,
    wrap_prediction,
)
from useropslib.exceptions import InsufficientDataError, InvalidParameterError

if TYPE_CHECKING:
    from typing_extensions import Self

__all__ = ["GammaGammaModel"]

_GG_NAMES = ("p", "q", "v")
_GG_COLUMNS = ("frequency", "monetary_value")
_DAYS_PER_MONTH = 30.0


def _validate_spend(
    where: str,
    inputs: Inputs,
    frequency: FloatArray,
    monetary: FloatArray,
    *,
    rfm_checked: bool = False,
) -> None:
    """Check (frequency, monetary_value): whole counts >= 0, positive spend for repeat buyers."""
    names = (
        _GG_COLUMNS if len(inputs.values) == 2 else ("frequency", "recency", "T", "monetary_value")
    )
    shown = ", ".join(f"{n}={{}}" for n in names)
    if rfm_checked:
        finite = np.all([np.isfinite(v) for v in inputs.values], axis=0)
        lines: list[str] = []
    else:
        lines, finite = check_frequency(inputs, frequency, shown)
    bad = finite & (frequency > 0) & ~(monetary > 0)
    if np.any(bad):
        lines.append(
            problem_line(
                inputs,
                bad,
                "monetary_value <= 0 with frequency > 0",
                "The model describes positive spend per repeat purchase. Hint: leave out refunds "
                "and zero-value orders, or the customers whose repeat purchases net to zero.",
                shown,
            )
        )
    raise_problems(where, lines)


def _gg_loglik(params: FloatArray, x: FloatArray, m: FloatArray) -> FloatArray:
    p, q, v = params
    px = p * x
    value = (
        special.gammaln(px + q)
        - special.gammaln(px)
        - special.gammaln(q)
        + q * np.log(v)
        + (px - 1) * np.log(m)
        + px * np.log(x)
        - (px + q) * np.log(x * m + v)
    )
    return np.asarray(value, dtype=np.float64)


def _gg_loglik_and_grad(
    params: FloatArray,
    x: FloatArray,
    m: FloatArray,
    w: FloatArray,
    counts: tuple[FloatArray, npt.NDArray[np.intp]],
) -> tuple[float, FloatArray]:
    """Weighted log-likelihood of the mean repeat spend and its gradient in ``(p, q, v)``."""
    p, q, v = params
    ux, inverse = counts
    upx = p * ux
    # per distinct count
    u_const = special.gammaln(upx + q) - special.gammaln(upx) + upx * np.log(ux)
    u_psi_all = special.digamma(upx + q)
    u_dp = ux * (u_psi_all - special.digamma(upx) + np.log(ux))
    # per customer
    px = p * x
    log_m, log_total = np.log(m), np.log(x * m + v)
    value = weighted_sum(w, u_const[inverse] + (px - 1) * log_m - (px + q) * log_total) + (
        q * np.log(v) - special.gammaln(q)
    ) * float(w.sum())
    d_p = u_dp[inverse] + x * (log_m - log_total)
    d_q = u_psi_all[inverse] - special.digamma(q) + np.log(v) - log_total
    d_v = q / v - (px + q) / (x * m + v)
    return float(value), np.array(
        [weighted_sum(w, d_p), weighted_sum(w, d_q), weighted_sum(w, d_v)]
    )


def _gg_expected_spend(params: FloatArray, x: FloatArray, m: FloatArray) -> FloatArray:
    p, q, v = params
    px = p * x
    denominator = px + q - 1
    # For customers without repeat purchases this is the population mean p * v / (q - 1), which is
    # infinite when q <= 1.
    safe = denominator > 0
    value = np.where(
        safe, p * (v + x * np.where(x > 0, m, 0.0)) / np.where(safe, denominator, 1.0), np.inf
    )
    return np.asarray(value, dtype=np.float64)


class GammaGammaModel(MLEModel):
    """Gamma-Gamma model of spend per repeat purchase (Fader & Hardie), and CLV.

    Parameters
    ----------
    penalizer : float, default 0.0
        Strength of an L2 penalty on the log-parameters (see :class:`BetaGeoModel`).
    max_iter : int, default 1000
        Iteration limit of the L-BFGS-B optimiser.
    tol : float, default 1e-10
        Convergence tolerance: the fit has converged when the log-likelihood could rise by less
        than ``tol * (1 + |log-likelihood|)`` (half the Newton decrement).
    ci_alpha : float, default 0.05
        Significance level of the bounds in ``summary_`` (they cover ``1 - ci_alpha``), named
        as in :class:`~useropslib.churn.ChurnDrivers`.  Not a model parameter: the fitted
        parameters keep their names from the literature in ``params_`` (BG/NBD's ``r``,
        ``alpha``, ``a``, ``b``; Gamma-Gamma's ``p``, ``q``, ``v``).

    Attributes
    ----------
    params_ : pandas.Series
        Fitted ``p`` (shape of the transaction-value distribution), ``q`` and ``v`` (shape and rate
        of the gamma distribution of its scale across customers; ``v`` is in currency).
    log_likelihood_ : float
        Log-likelihood of the mean repeat spend of the customers fitted on.
    covariance_ : pandas.DataFrame
        Asymptotic covariance of ``params_`` (inverse Hessian).
    n_customers_ : float
        Number (sum of weights) of customers with ``frequency > 0`` used by the fit.
    n_iter_ : int
        Optimiser iterations used.

    See Also
    --------
    BetaGeoModel : How often customers buy, for :meth:`customer_lifetime_value`.
    rfm_summary : Builds ``frequency`` and ``monetary_value`` from transactions.

    Notes
    -----
    ``monetary_value`` is the mean value of a customer's *repeat* purchases in the calibration
    period (the first purchase excluded, as in :func:`rfm_summary`).  The model assumes spend per
    purchase is independent of how often a customer buys; check the correlation of
    ``frequency`` and ``monetary_value`` among repeat buyers before relying on it.

    References
    ----------
    Fader, P. S. and Hardie, B. G. S. (2013). The Gamma-Gamma Model of Monetary Value.
    http://brucehardie.com/notes/025/

    Examples
    --------
    >>> from useropslib.churn import GammaGammaModel
    >>> spend = GammaGammaModel.from_params(p=6.25, q=3.74, v=15.44)
    >>> spend.conditional_expected_average_profit([0, 1, 10], [0, 20.0, 20.0]).round(2)
    array([35.22, 24.64, 20.64])

    Fitting uses the customers with at least one repeat purchase:

    >>> model = GammaGammaModel().fit(
    ...     [2, 3, 6, 2, 8, 4, 1, 5, 3, 7, 0, 0],
    ...     [12.0, 35.5, 20.0, 8.0, 62.0, 15.0, 60.0, 30.0, 90.0, 11.0, 0.0, 0.0],
    ... )
    >>> model.n_customers_
    10.0
    """

    _names = _GG_NAMES
    _fit_call = "GammaGammaModel().fit(frequency, monetary_value)"
    _summary_hint = "call fit(frequency, monetary_value)."

    @classmethod
    def from_params(cls, *, p: float, q: float, v: float) -> GammaGammaModel:
        """Build a model from known parameters without fitting.

        Parameters
        ----------
        p, q, v : float
            Positive model parameters (``v`` in the currency of the spend).

        Returns
        -------
        GammaGammaModel
            A model whose ``params_`` are set; ``summary`` needs a fit and is not available.

        Raises
        ------
        InvalidParameterError
            If a parameter is not a finite positive number.

        Examples
        --------
        >>> GammaGammaModel.from_params(p=6.25, q=3.74, v=15.44).params_
        p     6.25
        q     3.74
        v    15.44
        Name: coef, dtype: float64
        """
        return cls._from_values({"p": p, "q": q, "v": v})

    def fit(
        self,
        frequency: npt.ArrayLike | pd.DataFrame,
        monetary_value: npt.ArrayLike | None = None,
        *,
        sample_weight: npt.ArrayLike | None = None,
    ) -> Self:
        """Estimate ``p``, ``q``, ``v`` by maximum likelihood on the repeat buyers.

        Parameters
        ----------
        frequency : array-like or pandas.DataFrame
            Repeat purchases per customer, or a frame with columns ``frequency`` and
            ``monetary_value`` (then leave ``monetary_value`` unset).  Customers with frequency 0
            carry no information on repeat spend and are left out.
        monetary_value : array-like, optional
            Mean value of each customer's repeat purchases (> 0 when frequency > 0).
        sample_weight : array-like, optional
            Number of customers each row stands for.

        Returns
        -------
        GammaGammaModel
            ``self``, fitted.

        Raises
        ------
        InvalidParameterError
            If a hyper-parameter is invalid, columns are missing, frequency is negative, not a
            whole number or NaN, or a repeat buyer has ``monetary_value <= 0``.
        InsufficientDataError
            If no customer has a repeat purchase.

        Warns
        -----
        ConvergenceWarning
            If the optimiser stops before converging or a parameter runs to infinity.

        Examples
        --------
        >>> model = GammaGammaModel().fit(
        ...     [2, 3, 6, 2, 8, 4, 1, 5, 3, 7],
        ...     [12.0, 35.5, 20.0, 8.0, 62.0, 15.0, 60.0, 30.0, 90.0, 11.0],
        ... )
        >>> model.params_.round(2)
        p     2.81
        q     2.47
        v    18.99
        Name: coef, dtype: float64
        """
        where = "GammaGammaModel.fit"
        check_hyperparameters(where, self.penalizer, self.max_iter, self.tol)
        inputs = collect_inputs(where, frequency, {"monetary_value": monetary_value}, _GG_COLUMNS)
        x_all, m_all = (np.atleast_1d(v) for v in inputs.values)
        _validate_spend(where, inputs, x_all, m_all)
        w_all = check_sample_weight(where, sample_weight, x_all.shape[0])
        use = (x_all > 0) & (w_all > 0)
        if not np.any(use):
            raise InsufficientDataError(
                f"{where}: none of the {x_all.shape[0]} customer(s) has a repeat purchase "
                "(frequency > 0), and only repeat purchases inform the model. Expected at least "
                "one. Hint: use a longer calibration period."
            )
        x, m, w = x_all[use], m_all[use], w_all[use]
        total = float(w.sum())
        counts = unique_counts(x)
        return self._solve(
            lambda params: _gg_loglik_and_grad(params, x, m, w, counts),
            lambda params: weighted_sum(w, _gg_loglik(params, x, m)),
            total,
        )

    @property
    def summary_(self) -> pd.DataFrame:
        """Estimates with standard errors and ``1 - ci_alpha`` bounds (``ci_alpha`` of the model).

        Returns
        -------
        pandas.DataFrame
            One row per parameter (``p``, ``q``, ``v``) with columns ``coef``, ``se``,
            ``lower``, ``upper`` (the ``1 - ci_alpha`` Wald bounds on the log scale), the columns
            every churn estimator's ``summary_`` has.  ``summary`` is the same frame.

        Raises
        ------
        NotFittedError
            Before ``fit``, or for a model built with :meth:`from_params`.

        Examples
        --------
        >>> model = GammaGammaModel().fit(
        ...     [2, 3, 6, 2, 8, 4, 1, 5, 3, 7],
        ...     [12.0, 35.5, 20.0, 8.0, 62.0, 15.0, 60.0, 30.0, 90.0, 11.0],
        ... )
        >>> list(model.summary_.index)
        ['p', 'q', 'v']
        """
        return self._summary()

    @overload
    def conditional_expected_average_profit(
        self, frequency: pd.DataFrame, monetary_value: None = None
    ) -> pd.Series[float]: ...
    @overload
    def conditional_expected_average_profit(
        self, frequency: float, monetary_value: float
    ) -> float: ...
    @overload
    def conditional_expected_average_profit(
        self, frequency: npt.ArrayLike | pd.DataFrame, monetary_value: npt.ArrayLike | None = None
    ) -> Prediction: ...
    def conditional_expected_average_profit(
        self,
        frequency: npt.ArrayLike | pd.DataFrame,
        monetary_value: npt.ArrayLike | None = None,
    ) -> Prediction:
        """Compute each customer's expected spend per future purchase, ``E[Z | x, m]``.

        Parameters
        ----------
        frequency : array-like or pandas.DataFrame
            Repeat purchases, or a frame with ``frequency`` and ``monetary_value``.
        monetary_value : array-like, optional
            Mean value of the customer's repeat purchases (ignored when frequency is 0).

        Returns
        -------
        float, numpy.ndarray or pandas.Series
            ``p (v + x m) / (p x + q - 1)``: a weighted mean of the population mean
            ``p v / (q - 1)`` and the customer's own mean ``m``, shifting towards ``m`` as ``x``
            grows.  Customers with ``x = 0`` get the population mean (infinite if ``q <= 1``).

        Raises
        ------
        NotFittedError
            Before ``fit``.
        InvalidParameterError
            If frequency is invalid or a repeat buyer has ``monetary_value <= 0``.

        Examples
        --------
        >>> model = GammaGammaModel.from_params(p=6.25, q=3.74, v=15.44)
        >>> round(model.conditional_expected_average_profit(2, 30.0), 2)
        30.94
        """
        params = self._params()
        where = "GammaGammaModel.conditional_expected_average_profit"
        inputs = collect_inputs(where, frequency, {"monetary_value": monetary_value}, _GG_COLUMNS)
        x, m = inputs.values
        _validate_spend(where, inputs, x, m)
        return wrap_prediction(_gg_expected_spend(params, x, m), inputs, "expected_average_profit")

    @overload
    def customer_lifetime_value(
        self,
        transaction_model: BetaGeoModel,
        frequency: pd.DataFrame,
        recency: None = None,
        T: None = None,  # noqa: N803
        monetary_value: None = None,
        *,
        time: int = 12,
        discount_rate: float = 0.01,
        time_unit: Literal["D", "W"] = "W",
    ) -> pd.Series[float]: ...
    @overload
    def customer_lifetime_value(
        self,
        transaction_model: BetaGeoModel,
        frequency: float,
        recency: float,
        T: float,  # noqa: N803
        monetary_value: float,
        *,
        time: int = 12,
        discount_rate: float = 0.01,
        time_unit: Literal["D", "W"] = "W",
    ) -> float: ...
    @overload
    def customer_lifetime_value(
        self,
        transaction_model: BetaGeoModel,
        frequency: npt.ArrayLike | pd.DataFrame,
        recency: npt.ArrayLike | None = None,
        T: npt.ArrayLike | None = None,  # noqa: N803
        monetary_value: npt.ArrayLike | None = None,
        *,
        time: int = 12,
        discount_rate: float = 0.01,
        time_unit: Literal["D", "W"] = "W",
    ) -> Prediction: ...
    def customer_lifetime_value(
        self,
        transaction_model: BetaGeoModel,
        frequency: npt.ArrayLike | pd.DataFrame,
        recency: npt.ArrayLike | None = None,
        T: npt.ArrayLike | None = None,  # noqa: N803 - the paper's and lifetimes' name
        monetary_value: npt.ArrayLike | None = None,
        *,
        time: int = 12,
        discount_rate: float = 0.01,
        time_unit: Literal["D", "W"] = "W",
    ) -> Prediction:
        """Discounted expected value of each customer over the next ``time`` months.

        Parameters
        ----------
        transaction_model : BetaGeoModel
            A fitted model of purchase counts, in the time unit ``time_unit``.
        frequency : array-like or pandas.DataFrame
            Repeat purchases, or a frame with ``frequency``, ``recency``, ``T`` and
            ``monetary_value`` (then leave the others unset).
        recency, T : array-like, optional
            As in :meth:`BetaGeoModel.fit`.
        monetary_value : array-like, optional
            Mean value of the customer's repeat purchases.
        time : int, default 12
            Number of months to sum over.
        discount_rate : float, default 0.01
            Discount rate per month (0.01 = 1% a month); month ``i`` is divided by
            ``(1 + discount_rate) ** i``.
        time_unit : {"D", "W"}, default "W"
            Time unit ``transaction_model`` was fitted in; a month is 30 days.

        Returns
        -------
        float, numpy.ndarray or pandas.Series
            ``sum_i E[Z] (E[Y(i month)] - E[Y((i-1) month)]) / (1 + d) ** i`` per customer.

        Raises
        ------
        NotFittedError
            If either model is not fitted.
        InvalidParameterError
            If ``transaction_model`` is not a :class:`BetaGeoModel`, ``time``, ``discount_rate``
            or ``time_unit`` is invalid, or the summary breaks the models' conventions.

        Notes
        -----
        The monthly discounting of ``lifetimes.GammaGammaFitter.customer_lifetime_value`` (30-day
        months, end-of-month discounting).

        Examples
        --------
        >>> from useropslib.churn import BetaGeoModel
        >>> bgnbd = BetaGeoModel.from_params(r=0.243, alpha=4.414, a=0.793, b=2.426)
        >>> spend = GammaGammaModel.from_params(p=6.25, q=3.74, v=15.44)
        >>> spend.customer_lifetime_value(bgnbd, [2, 0], [30.43, 0], [38.86, 38.86], [30.0, 0.0],
        ...                               time=12, discount_rate=0.01).round(2)
        array([45.01,  8.27])
        """
        where = "GammaGammaModel.customer_lifetime_value"
        params = self._params()
        if not isinstance(transaction_model, BetaGeoModel):
            raise InvalidParameterError(
                f"{where}: transaction_model must be a BetaGeoModel, got "
                f"{type(transaction_model).__name__}. Hint: fit BetaGeoModel() on the same "
                "customers and pass it."
            )
        bg_params = transaction_model._params()
        if isinstance(time, bool) or not isinstance(time, (int, np.integer)) or time < 1:
            raise InvalidParameterError(
                f"{where}: time must be a whole number of months >= 1, got {time!r}. Hint: "
                "time=12 for one year."
            )
        if (
            isinstance(discount_rate, bool)
            or not isinstance(discount_rate, (int, float))
            or not (np.isfinite(discount_rate) and discount_rate >= 0)
        ):
            raise InvalidParameterError(
                f"{where}: discount_rate must be a finite number >= 0 (per month), got "
                f"{discount_rate!r}. Hint: 0.01 for 1% a month."
            )
        if not isinstance(time_unit, str) or time_unit not in PERIOD_DAYS:
            raise InvalidParameterError(
                f"{where}: time_unit must be one of {list(PERIOD_DAYS)} (the unit the transaction "
                f"model was fitted in), got {time_unit!r}. Hint: 'W' if recency and T are weeks."
            )
        inputs = collect_inputs(
            where,
            frequency,
            {"recency": recency, "T": T, "monetary_value": monetary_value},
            ("frequency", "recency", "T", "monetary_value"),
        )
        validate_rfm(where, inputs)
        x, tx, age, m = inputs.values
        _validate_spend(where, inputs, x, m, rfm_checked=True)
        month = _DAYS_PER_MONTH / PERIOD_DAYS[time_unit]
        steps = (np.arange(time + 1, dtype=np.float64) * month).reshape(-1, *([1] * x.ndim))
        cumulative = bgnbd_expected_if_alive(bg_params, steps, x, age) * bgnbd_p_alive(
            bg_params, x, tx, age
        )
        discount = (1.0 + float(discount_rate)) ** -np.arange(1, time + 1, dtype=np.float64)
        purchases = np.sum(
            discount.reshape(-1, *([1] * x.ndim)) * np.diff(cumulative, axis=0), axis=0
        )
        value = _gg_expected_spend(params, x, m) * purchases
        return wrap_prediction(np.asarray(value, dtype=np.float64), inputs, "clv")
