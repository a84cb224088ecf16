"""Pooling campaign effects: fixed-effect and DerSimonian–Laird random-effects meta-analysis."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import pandas as pd

from useropslib._checks import is_real
from useropslib._results import MetricResult, axes_or_new
from useropslib.exceptions import InsufficientDataError, InvalidParameterError

__all__ = ["PooledEffect", "pool_effects"]


@dataclasses.dataclass(frozen=True, repr=False)
class PooledEffect(MetricResult):
    """Effects of several campaigns and their pooled effect.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per study (campaign): ``estimate``, ``se``, ``ci_low``, ``ci_high`` and
        ``weight`` (share of the pooled estimate, random-effects weights for
        ``method="random"``).
    estimate, se, ci_low, ci_high, p_value : float
        The pooled effect, its standard error, normal interval and two-sided p-value.
    tau2 : float
        Between-campaign variance (DerSimonian–Laird; 0 for ``method="fixed"``).
    q : float
        Cochran's Q.
    i2 : float
        Heterogeneity ``I² = max(0, (Q - (k - 1)) / Q)`` in [0, 1].
    params : dict
        ``method`` and ``alpha``.
    as_of : None
    """

    table: pd.DataFrame
    estimate: float
    se: float
    ci_low: float
    ci_high: float
    p_value: float
    tau2: float
    q: float
    i2: float

    def to_frame(self) -> pd.DataFrame:
        """Return the studies' rows plus a ``pooled`` row.

        Returns
        -------
        pandas.DataFrame
        """
        pooled = pd.DataFrame(
            {
                "estimate": [self.estimate],
                "se": [self.se],
                "ci_low": [self.ci_low],
                "ci_high": [self.ci_high],
                "weight": [1.0],
            },
            index=pd.Index(["pooled"], name=self.table.index.name),
        )
        out: pd.DataFrame = pd.concat([self.table, pooled])
        return out

    def plot(self, ax: Any = None) -> Any:
        """Forest plot of each campaign and the pooled effect.

        Parameters
        ----------
        ax : matplotlib.axes.Axes, optional

        Returns
        -------
        matplotlib.axes.Axes
        """
        from useropslib.plotting import experiment_forest as forest_plot

        f = self.to_frame()
        return forest_plot(
            [str(i) for i in f.index],
            f["estimate"].to_numpy(float),
            f["ci_low"].to_numpy(float),
            f["ci_high"].to_numpy(float),
            xlabel="effect",
            ax=axes_or_new(ax),
        )


def pool_effects(
    estimates: npt.ArrayLike,
    *,
    standard_errors: npt.ArrayLike,
    labels: Sequence[str] | None = None,
    method: Literal["random", "fixed"] = "random",
    alpha: float = 0.05,
) -> PooledEffect:
    """Pool effect estimates across campaigns (inverse-variance meta-analysis).

    Parameters
    ----------
    estimates : array-like of float
        Each campaign's effect (all on the same scale: relative lifts, or differences).
    standard_errors : array-like of float
        Their standard errors, each positive.
    labels : sequence of str, optional
        Campaign names; default ``study_0``, ...
    method : {"random", "fixed"}, default "random"
        DerSimonian–Laird random effects (campaigns of one type differ in their true effect), or
        the fixed-effect (common effect) inverse-variance mean.
    alpha : float, default 0.05
        ``1 - alpha`` is the interval's level (normal quantile).

    Returns
    -------
    PooledEffect

    Raises
    ------
    InvalidParameterError
        Lengths that differ, non-finite values, a standard error that is not positive, an
        unknown method, alpha outside (0, 1).
    InsufficientDataError
        Fewer than two campaigns.

    Notes
    -----
    DerSimonian & Laird (1986): ``tau² = max(0, (Q - (k - 1)) / (Σw - Σw²/Σw))`` with fixed
    weights ``w = 1/se²``; random weights ``1/(se² + tau²)``; normal (z) interval. Matches R's
    ``metafor::rma(method="DL")`` and statsmodels' ``combine_effects(method_re="dl")``; the
    Hartung–Knapp adjustment is not applied.

    Examples
    --------
    >>> r = pool_effects([0.10, 0.30, 0.20], standard_errors=[0.05, 0.05, 0.05], method="fixed")
    >>> round(r.estimate, 6), round(r.i2, 4)
    (0.2, 0.75)
    """
    from scipy import stats

    if not isinstance(method, str) or method not in ("random", "fixed"):
        raise InvalidParameterError(f"method must be 'random' or 'fixed', got {method!r}.")
    if not is_real(alpha) or not 0 < alpha < 1:
        raise InvalidParameterError(f"alpha must lie in (0, 1), got {alpha!r}.")
    try:
        y = np.asarray(estimates, dtype=np.float64).reshape(-1)
        se = np.asarray(standard_errors, dtype=np.float64).reshape(-1)
    except (TypeError, ValueError):
        raise InvalidParameterError("estimates and standard_errors must be numbers.") from None
    if y.shape != se.shape:
        raise InvalidParameterError(
            f"{y.size} estimates but {se.size} standard errors; give one of each per campaign."
        )
    if y.size < 2:
        raise InsufficientDataError(
            f"pooling needs at least 2 campaigns, got {y.size}. Hint: read a single campaign's "
            "own interval instead."
        )
    if not (np.isfinite(y).all() and np.isfinite(se).all()) or (se <= 0).any():
        raise InvalidParameterError(
            "estimates must be finite and standard errors positive and finite, got "
            f"estimates {y.tolist()} and standard errors {se.tolist()}."
        )
    names = list(labels) if labels is not None else [f"study_{i}" for i in range(y.size)]
    if len(names) != y.size:
        raise InvalidParameterError(f"{len(names)} labels for {y.size} estimates.")
    w = 1 / se**2
    fixed = float(np.sum(w * y) / np.sum(w))
    q = float(np.sum(w * (y - fixed) ** 2))
    k = y.size
    i2 = max(0.0, (q - (k - 1)) / q) if q > 0 else 0.0
    tau2 = 0.0
    if method == "random":
        c = float(np.sum(w) - np.sum(w**2) / np.sum(w))
        tau2 = max(0.0, (q - (k - 1)) / c) if c > 0 else 0.0
    wr = 1 / (se**2 + tau2)
    est = float(np.sum(wr * y) / np.sum(wr))
    pooled_se = math.sqrt(1 / float(np.sum(wr)))
    z = float(stats.norm.ppf(1 - alpha / 2))
    zs = float(stats.norm.ppf(1 - alpha / 2))
    table = pd.DataFrame(
        {
            "estimate": y,
            "se": se,
            "ci_low": y - zs * se,
            "ci_high": y + zs * se,
            "weight": wr / wr.sum(),
        },
        index=pd.Index(names, name="study"),
    )
    return PooledEffect(
        params={"method": method, "alpha": alpha},
        as_of=None,
        table=table,
        estimate=est,
        se=pooled_se,
        ci_low=est - z * pooled_se,
        ci_high=est + z * pooled_se,
        p_value=float(2 * stats.norm.sf(abs(est / pooled_se))),
        tau2=tau2,
        q=q,
        i2=i2,
    )
