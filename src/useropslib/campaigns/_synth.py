"""Synthetic control for one treated unit and a donor pool (Abadie, Diamond & Hainmueller).

Weights ``W`` lie on the simplex (non-negative, summing to one) and minimise
``(X1 - X0 W)' V (X1 - X0 W)`` over the standardised predictors, a quadratic programme solved by
SLSQP.  The predictor importance ``V`` (diagonal, non-negative, summing to one) is chosen by
Nelder–Mead to minimise the pre-period mean squared prediction error of the outcome, as R's
``Synth`` does.  Without predictors the pre-period outcomes themselves are the predictors with
equal importance (the common "outcome path" form).  Inference is the placebo-in-space test: the
same estimate with every donor in turn as the treated unit (the treated unit left out of the
pool, the treated unit's predictor importance V kept, so the placebos cost one quadratic
programme each), and the rank of the treated unit's post/pre RMSPE ratio among all of them.
"""

from __future__ import annotations

import dataclasses
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from useropslib._checks import check_name
from useropslib._results import MetricResult
from useropslib.exceptions import (
    CounterfactualWarning,
    InsufficientDataError,
    InvalidParameterError,
    did_you_mean,
)

__all__ = ["SyntheticControlResult", "simplex_weights", "synthetic_control"]

MIN_DONORS = 2
POOR_FIT_RATIO = 0.5  # pre-period RMSPE above half the outcome's pre-period s.d. is a poor fit


def _matrix(value: Any, name: str, ndim: int) -> np.ndarray:
    try:
        arr = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        arr = np.empty(0)
        ok = False
    else:
        ok = arr.ndim == ndim and bool(np.isfinite(arr).all())
    if not ok:
        raise InvalidParameterError(
            f"{name} must be a {ndim}-D array of finite numbers; got {type(value).__name__}. "
            "Hint: pass numpy arrays of the predictors."
        )
    return arr


def simplex_weights(x1: np.ndarray, x0: np.ndarray, v: np.ndarray | None = None) -> np.ndarray:
    """Return the weights on the simplex that bring ``x0 @ w`` closest to ``x1``.

    Parameters
    ----------
    x1 : numpy.ndarray
        The treated unit's predictors, shape ``(k,)``.
    x0 : numpy.ndarray
        The donors' predictors, shape ``(k, J)``.
    v : numpy.ndarray, optional
        Non-negative importance of each predictor (default equal).

    Returns
    -------
    numpy.ndarray
        ``J`` non-negative weights summing to one.

    Examples
    --------
    >>> import numpy as np
    >>> w = simplex_weights(np.array([1.0, 2.0]), np.array([[0.0, 2.0], [0.0, 4.0]]))
    >>> np.round(w, 6).tolist()
    [0.5, 0.5]
    """
    from scipy import optimize

    x1 = _matrix(x1, "x1", 1)
    x0 = _matrix(x0, "x0", 2)
    if x0.shape[0] != x1.shape[0] or x0.shape[1] == 0:
        raise InvalidParameterError(
            f"x0 must have one row per entry of x1 ({x1.shape[0]}) and at least one column; "
            f"got shape {x0.shape}."
        )
    k, j = x0.shape
    vv = np.ones(k) if v is None else np.asarray(v, dtype=float)
    h = x0.T @ (vv[:, None] * x0)
    c = x0.T @ (vv * x1)
    scale = max(float(np.abs(h).max()), 1e-12)
    h, c = h / scale, c / scale

    def fun(w: np.ndarray) -> tuple[float, np.ndarray]:
        hw = h @ w
        return float(w @ hw - 2 * c @ w), 2 * hw - 2 * c

    res = optimize.minimize(
        fun,
        np.full(j, 1 / j),
        jac=True,
        method="SLSQP",
        bounds=[(0.0, 1.0)] * j,
        constraints=[{"type": "eq", "fun": lambda w: w.sum() - 1, "jac": lambda w: np.ones(j)}],
        options={"ftol": 1e-12, "maxiter": 500},
    )
    w = np.clip(res.x, 0, None)
    return np.asarray(w / w.sum())


def _fit(
    x1: np.ndarray, x0: np.ndarray, z1: np.ndarray, z0: np.ndarray, optimise_v: bool
) -> tuple[np.ndarray, np.ndarray]:
    """Weights and importance: V by Nelder–Mead on the pre-period outcome MSPE."""
    from scipy import optimize

    k = x1.shape[0]
    if not optimise_v or k == 1:
        v = np.full(k, 1 / k)
        return simplex_weights(x1, x0, v), v

    def to_v(theta: np.ndarray) -> np.ndarray:
        e = np.exp(theta - theta.max())
        return np.asarray(e / e.sum())

    def loss(theta: np.ndarray) -> float:
        w = simplex_weights(x1, x0, to_v(theta))
        return float(np.mean((z1 - z0 @ w) ** 2))

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        # log-importance simplex of unit steps, so the search leaves equal importance at once
        simplex = np.vstack([np.zeros(k), np.eye(k) * 2.0])
        best = optimize.minimize(
            loss,
            np.zeros(k),
            method="Nelder-Mead",
            options={"maxiter": 40 * k, "xatol": 1e-2, "fatol": 1e-8, "initial_simplex": simplex},
        )
    v = to_v(best.x)
    return simplex_weights(x1, x0, v), v


@dataclasses.dataclass(frozen=True, repr=False)
class SyntheticControlResult(MetricResult):
    """A synthetic control: weights, predictor balance, fit, gaps and the placebo test.

    Attributes
    ----------
    weights : pandas.Series
        Donor weights (on the simplex), largest first.
    predictors : pandas.DataFrame
        Per predictor: ``treated``, ``synthetic``, ``donor_mean`` and ``importance`` (V).
    series : pandas.DataFrame
        Per time: ``observed``, ``synthetic``, ``gap`` and ``period`` (pre/post).
    pre_rmspe, post_rmspe : float
        Root mean squared prediction error before and after the treatment.
    placebos : pandas.DataFrame
        Per unit (the treated one first): ``pre_rmspe``, ``post_rmspe``, ``ratio``.
    p_value : float
        The placebo-in-space p-value: the share of units whose post/pre RMSPE ratio is at
        least the treated unit's (the treated unit counted), so ``p >= 1 / (J + 1)``.
    """

    weights: pd.Series
    predictors: pd.DataFrame
    series: pd.DataFrame
    pre_rmspe: float
    post_rmspe: float
    placebos: pd.DataFrame
    p_value: float

    @property
    def effect(self) -> float:
        """Mean gap (observed minus synthetic) over the post-period.

        Returns
        -------
        float
        """
        post = self.series["period"] == "post"
        return float(self.series.loc[post, "gap"].mean())

    def to_frame(self) -> pd.DataFrame:
        """Return the per-time frame.

        Returns
        -------
        pandas.DataFrame
        """
        out: pd.DataFrame = self.series.reset_index()
        return out

    def plot(self, ax: Any = None) -> Any:
        """Draw the treated unit against its synthetic control.

        Parameters
        ----------
        ax : matplotlib.axes.Axes, optional
            Where to draw.

        Returns
        -------
        matplotlib.axes.Axes
        """
        from useropslib.plotting import plot_synthetic_control

        start = self.series.index[self.series["period"] == "post"][0]
        return plot_synthetic_control(self.series, start=start, ax=ax)


def _predictor_matrix(
    panel: pd.DataFrame,
    *,
    unit: str,
    time: str,
    outcome: str,
    units: list[Any],
    pre_times: np.ndarray,
    predictors: Sequence[str] | None,
    predictor_times: Any,
) -> tuple[np.ndarray, list[str]]:
    if not predictors:
        wide = panel.pivot(index=time, columns=unit, values=outcome).loc[pre_times, units]
        return wide.to_numpy(dtype=float), [f"{outcome}@{t}" for t in pre_times]
    rows = []
    names = []
    for p in predictors:
        sel = panel
        if predictor_times is not None:
            window = (
                predictor_times.get(p, (None, None))
                if isinstance(predictor_times, dict)
                else predictor_times
            )
            lo, hi = window
            if lo is not None:
                sel = sel[(sel[time] >= lo) & (sel[time] <= hi)]
        else:
            sel = sel[sel[time].isin(pre_times)]
        means = sel.groupby(unit)[p].mean().reindex(units)
        if means.isna().any():
            missing = [str(u) for u in means.index[means.isna()][:5]]
            raise InsufficientDataError(
                f"Predictor {p!r} has no value in its window for unit(s) {missing}. Hint: pick "
                "a predictor window where every unit has data (predictor_times=...)."
            )
        rows.append(means.to_numpy(dtype=float))
        names.append(p)
    return np.vstack(rows), names


def synthetic_control(
    panel: pd.DataFrame,
    *,
    unit: str,
    time: str,
    outcome: str,
    treated: Any,
    start: Any,
    donors: Sequence[Any] | None = None,
    predictors: Sequence[str] | None = None,
    predictor_times: Any = None,
    end: Any = None,
    fit_times: tuple[Any, Any] | None = None,
    placebo: bool = True,
) -> SyntheticControlResult:
    """Estimate the effect on one treated unit as the gap to a weighted mix of donors.

    Parameters
    ----------
    panel : pandas.DataFrame
        Long panel: one row per unit and time.
    unit, time, outcome : str
        Column names.
    treated : object
        The treated unit's label in ``unit``.
    start : object
        The first treated time (same type as the ``time`` column).
    donors : sequence, optional
        Donor units (default every other unit with a complete outcome series).
    predictors : sequence of str, optional
        Columns averaged per unit over ``predictor_times`` (default the pre-period); without
        them the pre-period outcomes are the predictors with equal importance.
    predictor_times : tuple or dict, optional
        ``(first, last)`` times over which predictors are averaged, or a dict per predictor.
    end : object, optional
        The last time used (default the panel's last).
    fit_times : tuple, optional
        ``(first, last)`` pre-period times whose outcome MSPE chooses V (R ``Synth``'s
        ``time.optimize.ssr``); default the whole pre-period.
    placebo : bool, default True
        Run the placebo-in-space test (each donor treated in turn).

    Returns
    -------
    SyntheticControlResult

    Raises
    ------
    InvalidParameterError
        Unknown columns or units (with close names).
    InsufficientDataError
        Fewer than two donors, or fewer than two pre-period times.

    Warns
    -----
    CounterfactualWarning
        When the pre-period fit is poor (RMSPE above half the outcome's pre-period s.d.).

    Notes
    -----
    Matches R ``Synth`` (Abadie, Diamond & Hainmueller 2011): predictors standardised by their
    standard deviation across units, V by Nelder–Mead on the pre-period outcome MSPE, W on the
    simplex.  The placebo p-value ranks the post/pre RMSPE ratio (Abadie et al. 2010).

    Examples
    --------
    >>> import pandas as pd
    >>> rows = [(u, t, b + (5 if (u == "T" and t >= 4) else 0) + s * t)
    ...         for u, b, s in [("T", 2, 1.0), ("A", 1, 1.0), ("B", 3, 1.0), ("C", 9, 0.5)]
    ...         for t in range(6)]
    >>> panel = pd.DataFrame(rows, columns=["unit", "time", "y"])
    >>> res = synthetic_control(panel, unit="unit", time="time", outcome="y", treated="T",
    ...                         start=4, placebo=False)
    >>> res.weights.round(3).to_dict()
    {'A': 0.5, 'B': 0.5, 'C': 0.0}
    >>> round(res.effect, 6)
    5.0
    """
    if not isinstance(panel, pd.DataFrame):
        raise InvalidParameterError(f"panel must be a DataFrame; got {type(panel).__name__}.")
    for label, col in (("unit", unit), ("time", time), ("outcome", outcome)):
        check_name(col, label)
        if col not in panel.columns:
            hint = did_you_mean(str(col), panel.columns)
            raise InvalidParameterError(
                f"{label}={col!r} is not a column of the panel; available "
                f"{[str(c) for c in panel.columns][:10]}."
                + (f" Hint: did you mean {hint[0]!r}?" if hint else "")
            )
    for p in predictors or ():
        if p not in panel.columns:
            hint = did_you_mean(str(p), panel.columns)
            raise InvalidParameterError(
                f"Predictor {p!r} is not a column of the panel."
                + (f" Hint: did you mean {hint[0]!r}?" if hint else "")
            )
    if panel.duplicated([unit, time]).any():
        raise InvalidParameterError(
            f"The panel has several rows for the same ({unit}, {time}); expected one each."
        )
    units_all = list(pd.unique(panel[unit]))
    if treated not in units_all:
        hint = did_you_mean(str(treated), units_all)
        raise InvalidParameterError(
            f"treated={treated!r} is not a unit of the panel."
            + (f" Hint: did you mean {hint[0]!r}?" if hint else "")
        )
    data = panel if end is None else panel[panel[time] <= end]
    wide = data.pivot(index=time, columns=unit, values=outcome).sort_index()
    times = wide.index.to_numpy()
    pre_times = times[times < start]
    if len(pre_times) < 2:
        raise InsufficientDataError(
            f"The panel has {len(pre_times)} time(s) before start={start!r}; a synthetic control "
            "needs a pre-period of several times (the more, the better the fit is judged)."
        )
    if donors is None:
        donors = [u for u in wide.columns if u != treated and wide[u].notna().all()]
    else:
        unknown = [d for d in donors if d not in wide.columns]
        if unknown:
            raise InvalidParameterError(f"donors {unknown} are not units of the panel.")
        donors = [d for d in donors if d != treated]
    if len(donors) < MIN_DONORS:
        raise InsufficientDataError(
            f"A synthetic control needs at least {MIN_DONORS} donors with a complete outcome "
            f"series; got {len(donors)}. Hint: add untreated units to the panel (regions, "
            "channels or segments the campaign did not reach)."
        )
    if wide[treated].isna().any():
        raise InvalidParameterError(
            f"The treated unit {treated!r} has missing outcomes at times "
            f"{list(wide.index[wide[treated].isna()][:5])}."
        )
    units = [treated, *donors]
    x, names = _predictor_matrix(
        data,
        unit=unit,
        time=time,
        outcome=outcome,
        units=units,
        pre_times=pre_times,
        predictors=predictors,
        predictor_times=predictor_times,
    )
    sd = x.std(axis=1, ddof=1)
    sd[sd == 0] = 1.0
    xs = x / sd[:, None]
    z = wide.loc[:, units].to_numpy(dtype=float)
    pre_mask = times < start
    fit_mask = pre_mask.copy()
    if fit_times is not None:
        fit_mask &= (times >= fit_times[0]) & (times <= fit_times[1])
    optimise_v = bool(predictors)

    def estimate(i: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        others = [j for j in range(len(units)) if j != i]
        w, v = _fit(xs[:, i], xs[:, others], z[fit_mask, i], z[fit_mask][:, others], optimise_v)
        return w, v, z[:, i] - z[:, others] @ w

    w, v, gap = estimate(0)
    rmspe = np.sqrt(np.mean(gap[pre_mask] ** 2))
    post_rmspe = np.sqrt(np.mean(gap[~pre_mask] ** 2)) if (~pre_mask).any() else np.nan
    rows = [(treated, rmspe, post_rmspe)]
    if placebo:
        # each donor as if treated, with the treated unit left out of its donor pool
        for i in range(1, len(units)):
            others = [j for j in range(1, len(units)) if j != i]
            w_i = simplex_weights(xs[:, i], xs[:, others], v)
            g = z[:, i] - z[:, others] @ w_i
            rows.append(
                (
                    units[i],
                    np.sqrt(np.mean(g[pre_mask] ** 2)),
                    np.sqrt(np.mean(g[~pre_mask] ** 2)),
                )
            )
    plac = pd.DataFrame(rows, columns=["unit", "pre_rmspe", "post_rmspe"]).set_index("unit")
    with np.errstate(divide="ignore", invalid="ignore"):
        plac["ratio"] = plac["post_rmspe"] / plac["pre_rmspe"]
    p_value = (
        float(np.mean(plac["ratio"].to_numpy() >= plac["ratio"].iloc[0])) if placebo else np.nan
    )
    synthetic = z[:, 1:] @ w
    series = pd.DataFrame(
        {
            "period": np.where(pre_mask, "pre", "post"),
            "observed": z[:, 0],
            "synthetic": synthetic,
            "gap": gap,
        },
        index=pd.Index(times, name=str(time)),
    )
    weights = pd.Series(w, index=pd.Index(donors, name=str(unit)), name="weight")
    weights = weights.sort_values(ascending=False, kind="stable")
    predictors_tab = pd.DataFrame(
        {
            "treated": x[:, 0],
            "synthetic": x[:, 1:] @ w,
            "donor_mean": x[:, 1:].mean(axis=1),
            "importance": v,
        },
        index=pd.Index(names, name="predictor"),
    )
    y_sd = float(np.std(z[pre_mask, 0], ddof=1))
    if y_sd > 0 and rmspe > POOR_FIT_RATIO * y_sd:
        warnings.warn(
            f"The synthetic control fits the pre-period poorly: RMSPE {rmspe:.4g} is "
            f"{rmspe / y_sd:.0%} of the outcome's pre-period s.d. ({y_sd:.4g}); the post-period "
            "gap mixes the effect with this misfit. Hint: add donors that resemble the treated "
            "unit, or use the structural time-series method.",
            CounterfactualWarning,
            stacklevel=2,
        )
    params = {
        "unit": unit,
        "time": time,
        "outcome": outcome,
        "treated": treated,
        "start": start,
        "predictors": list(predictors) if predictors else None,
        "importance": "nelder_mead" if optimise_v else "equal (pre-period outcomes)",
        "p_value": "placebo-in-space rank of post/pre RMSPE ratio (Abadie et al. 2010)",
    }
    return SyntheticControlResult(
        params=params,
        as_of=None,
        weights=weights,
        predictors=predictors_tab,
        series=series,
        pre_rmspe=float(rmspe),
        post_rmspe=float(post_rmspe),
        placebos=plac,
        p_value=p_value,
    )
