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

from typing import TYPE_CHECKING, Any, overload

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy import special

from useropslib.exceptions import (
    InsufficientDataError,
    InvalidParameterError,
)

if TYPE_CHECKING:
    from typing_extensions import Self


from useropslib.churn._likelihood import (
    BG_NAMES,
    SUMMARY_COLUMNS,
    FloatArray,
    Inputs,
    MLEModel,
    Prediction,
    bgnbd_expected_if_alive,
    bgnbd_loglik,
    bgnbd_loglik_and_grad,
    bgnbd_p_alive,
    bgnbd_p_no_purchase,
    check_horizon,
    check_hyperparameters,
    check_sample_weight,
    collect_inputs,
    nonnegative_time,
    unique_counts,
    validate_rfm,
    weighted_sum,
    wrap_prediction,
)

__all__ = ["BetaGeoModel"]


class BetaGeoModel(MLEModel):
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
    ci_alpha : float, default 0.05
        Significance level of the bounds in ``summary_`` (they cover ``1 - ci_alpha``), named
        as in :class:`~useropslib.churn.ChurnDrivers`.  Not a model parameter: the fitted
        parameters keep their names from the literature in ``params_`` (BG/NBD's ``r``,
        ``alpha``, ``a``, ``b``; Gamma-Gamma's ``p``, ``q``, ``v``).

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
    come from the numerical Hessian of the analytic gradient; the ``1 - ci_alpha`` bounds are Wald
    intervals on the log scale, ``coef * exp(+-z se / coef)``, so they stay positive (``lifetimes``
    uses the natural scale).  ``log_likelihood_`` is the paper's log-likelihood, not the rescaled
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

    _names = BG_NAMES
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
        check_hyperparameters(where, self.penalizer, self.max_iter, self.tol)
        inputs = collect_inputs(where, frequency, {"recency": recency, "T": T}, SUMMARY_COLUMNS)
        validate_rfm(where, inputs, fitting=True)
        x, tx, age = (np.atleast_1d(v) for v in inputs.values)
        w = check_sample_weight(where, sample_weight, x.shape[0])
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
        counts = unique_counts(x)
        return self._solve(
            lambda p: bgnbd_loglik_and_grad(p, x, tx, age, w, counts),
            lambda p: weighted_sum(w, bgnbd_loglik(p, x, tx, age)),
            total,
        )

    # ---------------------------------------------------------------- helpers

    def _customers(
        self,
        where: str,
        frequency: Any,
        recency: Any,
        T: Any,  # noqa: N803
    ) -> tuple[Inputs, FloatArray, FloatArray, FloatArray]:
        inputs = collect_inputs(where, frequency, {"recency": recency, "T": T}, SUMMARY_COLUMNS)
        validate_rfm(where, inputs)
        x, tx, age = inputs.values
        return inputs, x, tx, age

    # ---------------------------------------------------------------- results
    @property
    def summary_(self) -> pd.DataFrame:
        """Estimates with standard errors and ``1 - ci_alpha`` bounds (``ci_alpha`` of the model).

        Returns
        -------
        pandas.DataFrame
            One row per parameter (``r``, ``alpha``, ``a``, ``b``) with columns ``coef``,
            ``se``, ``lower``, ``upper`` (the ``1 - ci_alpha`` Wald bounds on the log scale), the
            columns every churn estimator's ``summary_`` has.  ``summary`` is the same frame.

        Raises
        ------
        NotFittedError
            Before ``fit``, or for a model built with :meth:`from_params`.

        Examples
        --------
        >>> model = BetaGeoModel().fit([0, 1, 1, 2, 2, 3, 5, 8], [0, 2, 30, 5, 35, 36, 37, 38],
        ...                            [39] * 8, sample_weight=[60, 15, 10, 8, 6, 5, 3, 2])
        >>> model.summary_.round(3)
                coef     se  lower   upper
        param
        r      0.263  0.064  0.163   0.424
        alpha  4.309  1.931  1.791  10.370
        a      0.724  0.544  0.166   3.161
        b      1.168  1.021  0.210   6.486
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
        return wrap_prediction(bgnbd_loglik(p, x, tx, age), inputs, "log_likelihood")

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
        return wrap_prediction(bgnbd_p_alive(p, x, tx, age), inputs, "probability_alive")

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
        arr = nonnegative_time("BetaGeoModel.expected_purchases", "t", t)
        zero = np.zeros_like(arr)
        values = bgnbd_expected_if_alive(p, arr, zero, zero)
        index = t.index if isinstance(t, pd.Series) else None
        return wrap_prediction(values, Inputs((arr,), index, arr.ndim == 0), "expected_purchases")

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
        horizon = nonnegative_time(where, "t", t)
        inputs, x, tx, age = self._customers(where, frequency, recency, T)
        check_horizon(where, horizon, inputs)
        values = bgnbd_expected_if_alive(p, horizon, x, age) * bgnbd_p_alive(p, x, tx, age)
        return wrap_prediction(np.asarray(values, dtype=np.float64), inputs, "expected_purchases")

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
        horizon = nonnegative_time(where, "t", t)
        inputs, x, tx, age = self._customers(where, frequency, recency, T)
        check_horizon(where, horizon, inputs)
        values = bgnbd_p_no_purchase(p, horizon, x, tx, age)
        return wrap_prediction(values, inputs, "probability_no_purchase")

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
        horizon = nonnegative_time(where, "t", t)
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
        horizon = nonnegative_time(where, "t", t)
        if horizon.ndim != 0:
            raise InvalidParameterError(
                f"{where}: t must be a single horizon, got shape {horizon.shape}. Hint: call "
                "predict once per horizon, or use conditional_expected_purchases for arrays."
            )
        inputs, x, tx, age = self._customers(where, frequency, recency, T)
        x, tx, age = (np.atleast_1d(v) for v in (x, tx, age))
        alive = bgnbd_p_alive(p, x, tx, age)
        expected = bgnbd_expected_if_alive(p, horizon, x, age) * alive
        no_purchase = bgnbd_p_no_purchase(p, horizon, x, tx, age)
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
