"""Evaluating targeting: uplift by score decile, the Qini curve and the area under it."""

from __future__ import annotations

import dataclasses
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import pandas as pd

from useropslib._results import MetricResult, axes_or_new
from useropslib.exceptions import InsufficientDataError, InvalidParameterError

__all__ = ["QiniResult", "qini_curve", "uplift_by_decile"]


def _inputs(
    outcome: npt.ArrayLike, treatment: npt.ArrayLike, score: npt.ArrayLike, what: str
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.bool_], npt.NDArray[np.float64]]:
    try:
        y = np.asarray(outcome, dtype=np.float64).reshape(-1)
        s = np.asarray(score, dtype=np.float64).reshape(-1)
        t_raw = np.asarray(treatment).reshape(-1)
    except (TypeError, ValueError):
        raise InvalidParameterError(f"{what}: outcome and score must be numbers.") from None
    if not (y.size == s.size == t_raw.size):
        raise InvalidParameterError(
            f"{what}: outcome ({y.size}), treatment ({t_raw.size}) and score ({s.size}) must "
            "have one entry per unit."
        )
    if not (np.isfinite(y).all() and np.isfinite(s).all()):
        raise InvalidParameterError(f"{what}: outcome and score must be finite (no NaN).")
    if t_raw.dtype != bool:
        uniq = set(pd.unique(t_raw).tolist())
        if not uniq <= {0, 1}:
            raise InvalidParameterError(
                f"{what}: treatment must be boolean or 0/1 (1 = treated, 0 = holdout), got "
                f"values {sorted(map(str, uniq))[:5]}."
            )
    t = t_raw.astype(bool)
    if t.all() or not t.any():
        raise InsufficientDataError(
            f"{what}: need both treated and holdout units, got {int(t.sum())} treated and "
            f"{int((~t).sum())} holdout. Hint: a targeting model is judged against a holdout."
        )
    return y, t, s


@dataclasses.dataclass(frozen=True, repr=False)
class QiniResult(MetricResult):
    """The Qini curve of a score and the area between it and random targeting.

    Attributes
    ----------
    curve : pandas.DataFrame
        One row per distinct score threshold (highest score first, ties targeted together),
        starting with a row of zeros: ``n`` (units targeted), ``n_treatment``,
        ``n_control``, ``y_treatment``, ``y_control`` (outcome sums), ``qini``
        (``y_treatment - y_control * n_treatment / n_control``, 0 while no control unit is
        targeted), ``random`` (the straight line to the final gain), and ``fraction`` (``n``
        over all units).
    auuc : float
        Area between the Qini curve and the random line (trapezoid rule), scaled as
        ``normalize`` says.
    params : dict
        ``normalize``.
    as_of : None
    """

    curve: pd.DataFrame
    auuc: float

    def to_frame(self) -> pd.DataFrame:
        """Return the curve (a copy).

        Returns
        -------
        pandas.DataFrame
        """
        out: pd.DataFrame = self.curve.copy()
        return out

    def plot(self, ax: Any = None) -> Any:
        """Draw the Qini curve and the random line against the share of units targeted.

        Parameters
        ----------
        ax : matplotlib.axes.Axes, optional

        Returns
        -------
        matplotlib.axes.Axes
        """
        from useropslib.plotting import experiment_curves as curve_plot

        c = self.curve
        return curve_plot(
            c["fraction"].to_numpy(float),
            {"model": c["qini"].to_numpy(float), "random": c["random"].to_numpy(float)},
            xlabel="share of units targeted",
            ylabel="incremental outcome (Qini)",
            ax=axes_or_new(ax),
        )


def qini_curve(
    outcome: npt.ArrayLike,
    *,
    treatment: npt.ArrayLike,
    score: npt.ArrayLike,
    normalize: Literal["none", "population"] = "none",
) -> QiniResult:
    """Compute the Qini curve of a targeting score against a holdout, and its area (AUUC).

    Parameters
    ----------
    outcome : array-like of float
        Each unit's outcome (1/0 reactivated, or a value).
    treatment : array-like of bool or 0/1
        True for units the campaign reached, False for the holdout.
    score : array-like of float
        The targeting score (higher = target first), e.g. churn risk.
    normalize : {"none", "population"}, default "none"
        ``"none"``: x counts units and y counts incremental outcomes (Radcliffe's Qini curve,
        the curve of scikit-uplift's ``qini_curve``); the area is in units × outcome.
        ``"population"``: x is the share of units targeted and y is divided by the absolute final
        gain, so the random line ends at ±1 and the area lies roughly in [-1, 1] (the scaling
        causalml's ``get_qini(normalize=True)`` applies to its curves).

    Returns
    -------
    QiniResult

    Raises
    ------
    InvalidParameterError
        Arrays of different lengths, NaN, a treatment flag that is not boolean.
    InsufficientDataError
        No treated or no holdout unit.

    See Also
    --------
    uplift_by_decile : the same comparison in ten score bands.

    Notes
    -----
    Peers disagree on the single number: scikit-uplift's ``qini_auc_score`` divides the area
    above the random line by the area of a *perfect* ordering, causalml's ``qini_score``
    averages the normalised curve over its rows minus the random one. Here the area is the
    trapezoid area between the curve and the random line, with the axes scaled by
    ``normalize``; compare scores only under the same convention.

    Examples
    --------
    >>> r = qini_curve([1, 0, 1, 0], treatment=[1, 1, 0, 0], score=[0.9, 0.1, 0.2, 0.8])
    >>> r.curve["qini"].round(3).tolist()
    [0.0, 0.0, 1.0, 0.5, 0.0]
    """
    if not isinstance(normalize, str) or normalize not in ("none", "population"):
        raise InvalidParameterError(f"normalize must be 'none' or 'population', got {normalize!r}.")
    y, t, s = _inputs(outcome, treatment, score, "qini_curve")
    order = np.argsort(-s, kind="stable")
    ys, ts, ss = y[order], t[order], s[order]
    n_t = np.cumsum(ts)
    n_c = np.cumsum(~ts)
    y_t = np.cumsum(np.where(ts, ys, 0.0))
    y_c = np.cumsum(np.where(ts, 0.0, ys))
    # one point per distinct score: the last position of each run of ties
    last = np.r_[ss[1:] != ss[:-1], True]
    n_t, n_c, y_t, y_c = n_t[last], n_c[last], y_t[last], y_c[last]
    with np.errstate(divide="ignore", invalid="ignore"):
        qini = np.where(n_c > 0, y_t - y_c * n_t / np.maximum(n_c, 1), 0.0)
    n = n_t + n_c
    curve = pd.DataFrame(
        {
            "n": np.r_[0, n],
            "n_treatment": np.r_[0, n_t],
            "n_control": np.r_[0, n_c],
            "y_treatment": np.r_[0.0, y_t],
            "y_control": np.r_[0.0, y_c],
            "qini": np.r_[0.0, qini],
        }
    )
    total = float(curve["n"].iloc[-1])
    final = float(curve["qini"].iloc[-1])
    curve["random"] = curve["n"] / total * final
    curve["fraction"] = curve["n"] / total
    x = curve["n"].to_numpy(float)
    gap = (curve["qini"] - curve["random"]).to_numpy(float)
    if normalize == "population":
        scale = abs(final) if final != 0 else 1.0
        curve["qini"] = curve["qini"] / scale
        curve["random"] = curve["random"] / scale
        x = curve["fraction"].to_numpy(float)
        gap = gap / scale
    auuc = float(np.sum((gap[1:] + gap[:-1]) / 2 * np.diff(x)))
    return QiniResult(params={"normalize": normalize}, as_of=None, curve=curve, auuc=auuc)


def uplift_by_decile(
    outcome: npt.ArrayLike,
    *,
    treatment: npt.ArrayLike,
    score: npt.ArrayLike,
    bins: int = 10,
) -> pd.DataFrame:
    """Outcome rates of treated and holdout units by score band, highest scores first.

    Parameters
    ----------
    outcome : array-like of float
    treatment : array-like of bool or 0/1
    score : array-like of float
    bins : int, default 10
        Number of equal-count bands (deciles by default), cut on the score's rank so ties never
        empty a band.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``band`` (1 = highest scores): ``n_treatment``, ``n_control``,
        ``rate_treatment``, ``rate_control`` (mean outcome; NaN with no unit) and ``uplift``
        (their difference).

    Raises
    ------
    InvalidParameterError
        As :func:`qini_curve`, or ``bins`` below 1 or above the number of units.
    InsufficientDataError
        No treated or no holdout unit.

    Examples
    --------
    >>> t = uplift_by_decile([1, 0, 0, 0], treatment=[1, 0, 1, 0], score=[4, 3, 2, 1], bins=2)
    >>> t["uplift"].tolist()
    [1.0, 0.0]
    """
    y, t, s = _inputs(outcome, treatment, score, "uplift_by_decile")
    if not isinstance(bins, int) or bins < 1 or bins > y.size:
        raise InvalidParameterError(
            f"bins must be a whole number between 1 and the number of units ({y.size}), got "
            f"{bins!r}."
        )
    rank = np.empty(y.size, dtype=np.int64)
    rank[np.argsort(-s, kind="stable")] = np.arange(y.size)
    band = rank * bins // y.size
    k = bins
    nt = np.bincount(band, weights=t, minlength=k)
    nc = np.bincount(band, weights=~t, minlength=k)
    yt = np.bincount(band, weights=np.where(t, y, 0.0), minlength=k)
    yc = np.bincount(band, weights=np.where(t, 0.0, y), minlength=k)
    with np.errstate(divide="ignore", invalid="ignore"):
        rt = np.where(nt > 0, yt / np.maximum(nt, 1), np.nan)
        rc = np.where(nc > 0, yc / np.maximum(nc, 1), np.nan)
    out: pd.DataFrame = pd.DataFrame(
        {
            "n_treatment": nt.astype(np.int64),
            "n_control": nc.astype(np.int64),
            "rate_treatment": rt,
            "rate_control": rc,
            "uplift": rt - rc,
        },
        index=pd.Index(np.arange(1, k + 1), name="band"),
    )
    return out
