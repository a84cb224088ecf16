"""Types shared by the churn estimators: the one "not fitted" error and the one ``summary_``.

Every estimator of :mod:`useropslib.churn` raises :class:`EstimatorNotFittedError` when used
before ``fit``: it is :class:`useropslib.exceptions.NotFittedError` (so ``except
useropslib.NotFittedError`` catches it) and scikit-learn's ``NotFittedError`` (so code written for
scikit-learn, such as ``sklearn.utils.validation`` callers, catches it too).  It lives here rather
than in :mod:`useropslib.exceptions` so that importing useropslib does not import scikit-learn.

Every estimator's ``summary_`` is a DataFrame with one row per coefficient and the columns
:data:`ESTIMATE_COLUMNS` first: ``coef``, ``se`` and the ``lower``/``upper`` bounds of the
``1 - ci_alpha`` interval of ``coef``, where ``ci_alpha`` is the estimator's own hyper-parameter
(checked by :func:`check_alpha`).
"""

from __future__ import annotations

from typing import Any

from scipy import stats
from sklearn.exceptions import NotFittedError as _SklearnNotFittedError

from useropslib.exceptions import InvalidParameterError, NotFittedError

__all__ = ["ESTIMATE_COLUMNS", "EstimatorNotFittedError", "check_alpha", "not_fitted", "z_critical"]

ESTIMATE_COLUMNS = ("coef", "se", "lower", "upper")
"""The leading columns of every churn estimator's ``summary_``."""


class EstimatorNotFittedError(NotFittedError, _SklearnNotFittedError):  # type: ignore[misc]
    """Ours, and scikit-learn's, so callers of either catch it."""


def not_fitted(model: str, how: str = "fit(...)", *, extra: str = "") -> EstimatorNotFittedError:
    """Return the error for ``model`` used before ``fit``.

    Parameters
    ----------
    model : str
        The estimator's class name.
    how : str, default "fit(...)"
        How to fit it, for the hint.
    extra : str, optional
        A further hint (e.g. ``from_params``).

    Returns
    -------
    EstimatorNotFittedError

    Examples
    --------
    >>> from sklearn.exceptions import NotFittedError as SkNotFitted
    >>> isinstance(not_fitted("BetaGeoModel"), SkNotFitted)
    True
    """
    tail = f" {extra}" if extra else ""
    return EstimatorNotFittedError(
        f"This {model} is not fitted yet. Expected fit(...) to have been called before using it. "
        f"Hint: call {how}.{tail}"
    )


def check_alpha(where: str, alpha: Any, name: str = "ci_alpha") -> float:
    """Return the significance level ``alpha`` as a float, or raise for one outside (0, 1).

    Every churn estimator names it ``ci_alpha`` (the model parameters keep their names from the
    literature, and BG/NBD has a parameter ``alpha``).

    Examples
    --------
    >>> check_alpha("ChurnDrivers", 0.1)
    0.1
    """
    if isinstance(alpha, bool) or not isinstance(alpha, int | float) or not 0 < alpha < 1:
        raise InvalidParameterError(
            f"{where}: {name} must be in (0, 1), got {alpha!r}. Expected the significance level "
            "of the confidence intervals in summary_. Hint: 0.05 gives 95% confidence intervals."
        )
    return float(alpha)


def z_critical(alpha: float) -> float:
    """Return the standard normal ``1 - alpha / 2`` quantile (1.96 for ``alpha = 0.05``).

    Examples
    --------
    >>> round(z_critical(0.05), 4)
    1.96
    """
    return float(stats.norm.ppf(1.0 - alpha / 2.0))
