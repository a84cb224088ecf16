"""Sample-ratio mismatch: the check that arms received their planned share of units."""

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
from useropslib.exceptions import InvalidParameterError

__all__ = ["SRMResult", "sample_ratio_mismatch"]

SRM_THRESHOLD = 0.001
"""GrowthBook's default: a p-value below 0.001 flags a sample-ratio mismatch."""


@dataclasses.dataclass(frozen=True, repr=False)
class SRMResult(MetricResult):
    """The sample-ratio-mismatch check.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per arm: ``users``, ``weight`` (as given), ``expected`` (users expected from the
        weights; NaN for an arm left out of the test) and ``included``.
    statistic : float
        Pearson's chi-square.
    dof : int
        Degrees of freedom (arms in the test minus one).
    p_value : float
        Chi-square survival probability; 1.0 when fewer than two arms or no units are tested.
    flagged : bool
        ``p_value < threshold``.
    params : dict
        ``threshold`` and ``zero_weight``.
    as_of : None
    """

    table: pd.DataFrame
    statistic: float
    dof: int
    p_value: float
    flagged: bool

    def to_frame(self) -> pd.DataFrame:
        """Return the per-arm table (a copy).

        Returns
        -------
        pandas.DataFrame
        """
        out: pd.DataFrame = self.table.copy()
        return out

    def plot(self, ax: Any = None) -> Any:
        """Bars of the users per arm with the expected counts as markers.

        Parameters
        ----------
        ax : matplotlib.axes.Axes, optional

        Returns
        -------
        matplotlib.axes.Axes
        """
        from useropslib.plotting import experiment_bars as bar_plot

        t = self.table
        return bar_plot(
            [str(i) for i in t.index],
            t["users"].to_numpy(float),
            t["expected"].to_numpy(float),
            ylabel="users",
            ax=axes_or_new(ax),
        )


def sample_ratio_mismatch(
    users: Sequence[float] | npt.ArrayLike,
    *,
    weights: Sequence[float] | npt.ArrayLike | None = None,
    arms: Sequence[str] | None = None,
    threshold: float = SRM_THRESHOLD,
    zero_weight: Literal["drop", "keep"] = "drop",
) -> SRMResult:
    """Test whether the units per arm match the planned split (Pearson's chi-square).

    Parameters
    ----------
    users : sequence of int
        Units observed per arm.
    weights : sequence of float, optional
        Planned share of each arm (any positive scale); default equal shares.
    arms : sequence of str, optional
        Arm names; default ``arm_0``, ``arm_1``, ...
    threshold : float, default 0.001
        Flag a mismatch when the p-value is below it (GrowthBook's default).
    zero_weight : {"drop", "keep"}, default "drop"
        ``"drop"``: arms with weight 0 leave the test, their units uncounted (GrowthBook's
        back-end ``checkSrm``). ``"keep"``: their units stay in the total and the degrees of
        freedom count every arm, while only arms with a positive weight contribute to the
        statistic (gbstats' Python ``check_srm``). Arms planned at 0 that receive units are a
        problem of their own under either choice.

    Returns
    -------
    SRMResult

    Raises
    ------
    InvalidParameterError
        Negative or non-finite counts or weights, weights not matching the arms, all weights 0,
        a threshold outside (0, 1).

    See Also
    --------
    compare_proportions : the comparison that should only be read when SRM does not flag.

    Notes
    -----
    With ``zero_weight="drop"``, matches GrowthBook's ``checkSrm`` on its own test cases: fewer
    than two arms with a positive weight and a count, or no units, give ``p = 1``.

    Examples
    --------
    >>> r = sample_ratio_mismatch([1000, 1200], weights=[0.5, 0.5])
    >>> round(r.p_value, 9), r.flagged
    (2.0079e-05, True)
    """
    from scipy import stats

    if not is_real(threshold) or not 0 < threshold < 1:
        raise InvalidParameterError(f"threshold must lie in (0, 1), got {threshold!r}.")
    if not isinstance(zero_weight, str) or zero_weight not in ("drop", "keep"):
        raise InvalidParameterError(f"zero_weight must be 'drop' or 'keep', got {zero_weight!r}.")
    try:
        u = np.asarray(users, dtype=np.float64)
        w = np.asarray(weights, dtype=np.float64) if weights is not None else np.ones(len(u))
    except (TypeError, ValueError):
        raise InvalidParameterError(
            f"users and weights must be numbers, got users={users!r}, weights={weights!r}."
        ) from None
    w_given = weights is not None
    if u.ndim != 1 or w.ndim != 1:
        raise InvalidParameterError("users and weights must be one-dimensional sequences.")
    if not np.isfinite(u).all() or (u < 0).any():
        raise InvalidParameterError(f"users must be non-negative finite counts, got {u.tolist()}.")
    if not np.isfinite(w).all() or (w < 0).any():
        raise InvalidParameterError(f"weights must be non-negative, got {w.tolist()}.")
    if len(w) and not (w > 0).any():
        raise InvalidParameterError(
            "every weight is 0, so no split was planned. Hint: pass each arm's planned share."
        )
    if w_given and len(u) > len(w):
        raise InvalidParameterError(
            f"{len(u)} arms of users but {len(w)} weights; give one weight per arm."
        )
    # GrowthBook: an arm with a weight but no user count (the list is shorter) is left out
    k = len(w)
    counts = np.full(k, np.nan)
    counts[: len(u)] = u
    names = list(arms) if arms is not None else [f"arm_{i}" for i in range(k)]
    if len(names) != k:
        raise InvalidParameterError(f"{len(names)} arm names for {k} arms.")
    valid = (w > 0) & np.isfinite(counts)
    total = float(np.nansum(counts[valid])) if zero_weight == "drop" else float(np.nansum(counts))
    expected = np.full(k, np.nan)
    if valid.sum() >= 2 and total > 0:
        expected[valid] = w[valid] / w[valid].sum() * total
        chi2 = float(np.sum((counts[valid] - expected[valid]) ** 2 / expected[valid]))
        dof = int(valid.sum() - 1) if zero_weight == "drop" else int(np.isfinite(counts).sum() - 1)
        p = float(stats.chi2.sf(chi2, dof))
    else:
        chi2, dof, p = 0.0, max(int(valid.sum()) - 1, 0), 1.0
    table = pd.DataFrame(
        {"users": counts, "weight": w, "expected": expected, "included": valid},
        index=pd.Index(names, name="arm"),
    )
    return SRMResult(
        params={"threshold": threshold, "zero_weight": zero_weight},
        as_of=None,
        table=table,
        statistic=chi2,
        dof=dof,
        p_value=p,
        flagged=bool(p < threshold) and not math.isnan(p),
    )
