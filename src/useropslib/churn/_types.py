"""Types shared by the churn estimators: the one "not fitted" error.

Every estimator of :mod:`useropslib.churn` raises :class:`EstimatorNotFittedError` when used
before ``fit``: it is :class:`useropslib.exceptions.NotFittedError` (so ``except
useropslib.NotFittedError`` catches it) and scikit-learn's ``NotFittedError`` (so code written for
scikit-learn, such as ``sklearn.utils.validation`` callers, catches it too).  It lives here rather
than in :mod:`useropslib.exceptions` so that importing useropslib does not import scikit-learn.
"""

from __future__ import annotations

from sklearn.exceptions import NotFittedError as _SklearnNotFittedError

from useropslib.exceptions import NotFittedError

__all__ = ["EstimatorNotFittedError", "not_fitted"]


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
