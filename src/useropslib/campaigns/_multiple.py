"""Multiple-testing corrections across a campaign's secondary goals."""

from __future__ import annotations

from typing import Literal

import numpy as np
import numpy.typing as npt

from useropslib.exceptions import InvalidParameterError

__all__ = ["adjust_p_values"]

CorrectionMethod = Literal["holm", "benjamini_hochberg", "bonferroni", "none"]


def adjust_p_values(
    p_values: npt.ArrayLike, *, method: CorrectionMethod = "holm"
) -> npt.NDArray[np.float64]:
    """Adjust p-values for testing several goals at once.

    Parameters
    ----------
    p_values : array-like of float
        One p-value per hypothesis, each in [0, 1]; NaN entries (a goal that could not be
        tested) stay NaN and do not count as hypotheses.
    method : {"holm", "benjamini_hochberg", "bonferroni", "none"}, default "holm"
        ``"holm"``: Holm's step-down family-wise error control; ``"benjamini_hochberg"``: the
        false discovery rate step-up of Benjamini & Hochberg (1995); ``"bonferroni"``:
        ``min(1, m p)``; ``"none"``: unchanged.

    Returns
    -------
    numpy.ndarray
        Adjusted p-values in the input order; compare them with the unadjusted ``alpha``.

    Raises
    ------
    InvalidParameterError
        A p-value outside [0, 1] or an unknown method.

    Notes
    -----
    Matches R's ``p.adjust(p, method="holm" | "BH" | "bonferroni")`` and statsmodels'
    ``multipletests`` (``"holm"``, ``"fdr_bh"``): adjusted values are made monotone in the
    order of the raw p-values and capped at 1.

    Examples
    --------
    >>> adjust_p_values([0.01, 0.04, 0.03], method="holm").round(4).tolist()
    [0.03, 0.06, 0.06]
    >>> adjust_p_values([0.01, 0.04, 0.03], method="benjamini_hochberg").round(4).tolist()
    [0.03, 0.04, 0.04]
    """
    if not isinstance(method, str) or method not in (
        "holm",
        "benjamini_hochberg",
        "bonferroni",
        "none",
    ):
        raise InvalidParameterError(
            f"method must be 'holm', 'benjamini_hochberg', 'bonferroni' or 'none', got {method!r}."
        )
    try:
        p = np.asarray(p_values, dtype=np.float64).reshape(-1)
    except (TypeError, ValueError):
        raise InvalidParameterError("p_values must be numbers.") from None
    ok = ~np.isnan(p)
    if ((p[ok] < 0) | (p[ok] > 1)).any():
        raise InvalidParameterError(
            f"p-values must lie in [0, 1], got {p[ok][(p[ok] < 0) | (p[ok] > 1)].tolist()}."
        )
    out = np.full(p.shape, np.nan)
    q = p[ok]
    m = q.size
    if m == 0 or method == "none":
        out[ok] = q
        return out
    if method == "bonferroni":
        out[ok] = np.minimum(1.0, q * m)
        return out
    if method == "holm":
        order = np.argsort(q, kind="stable")
        adj = np.maximum.accumulate((m - np.arange(m)) * q[order])
    else:
        order = np.argsort(q, kind="stable")[::-1]
        adj = np.minimum.accumulate(m / np.arange(m, 0, -1) * q[order])
    res = np.empty(m)
    res[order] = np.minimum(1.0, adj)
    out[ok] = res
    return out
