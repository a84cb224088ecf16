"""Difference-in-differences: the 2x2 table, the regression form, and staggered adoption.

- :func:`did_table`: cell means of treated/control before/after and their difference of
  differences (treated-minus-control of after-minus-before), from unit rows or published means.
- :func:`did_regression`: OLS of ``y ~ post + treated + post:treated [+ covariates]`` with
  classical, heteroskedasticity-robust (HC1) or cluster-robust errors (statsmodels).
- :func:`staggered_did`: Callaway & Sant'Anna (2021) group-time effects ATT(g, t) for a
  campaign rolled out city by city or week by week, with never-treated or not-yet-treated
  comparison units, and the simple, group and dynamic (event-time) aggregations.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any, Literal

import numpy as np
import pandas as pd

from useropslib._checks import check_name
from useropslib._results import MetricResult
from useropslib.exceptions import InsufficientDataError, InvalidParameterError, did_you_mean

__all__ = [
    "DidRegressionResult",
    "DidTableResult",
    "StaggeredDidResult",
    "did_regression",
    "did_table",
    "staggered_did",
]


def _need_columns(frame: Any, cols: Sequence[str]) -> None:
    if not isinstance(frame, pd.DataFrame):
        raise InvalidParameterError(f"Expected a DataFrame; got {type(frame).__name__}.")
    for c in cols:
        check_name(c, "column")
        if c not in frame.columns:
            hint = did_you_mean(str(c), frame.columns)
            raise InvalidParameterError(
                f"Column {c!r} is not in the frame; available "
                f"{[str(x) for x in frame.columns][:12]}."
                + (f" Hint: did you mean {hint[0]!r}?" if hint else "")
            )


def _binary(frame: pd.DataFrame, col: str) -> np.ndarray:
    v = frame[col]
    values = set(pd.unique(v.dropna()))
    if v.isna().any() or not values <= {0, 1}:
        raise InvalidParameterError(
            f"Column {col!r} must hold 0/1 (or booleans) with no missing values; found "
            f"{sorted(map(str, values))[:5]}."
        )
    return v.to_numpy().astype(int)


@dataclasses.dataclass(frozen=True, repr=False)
class DidTableResult(MetricResult):
    """The 2x2 difference-in-differences table.

    Attributes
    ----------
    table : pandas.DataFrame
        Rows ``control``, ``treated``, ``difference``; columns ``before``, ``after``, ``change``
        (after minus before), with standard errors in ``*_se`` columns where known.
    effect : float
        (treated after - treated before) - (control after - control before).
    se : float
        Its standard error, the two groups' changes taken as independent.
    """

    table: pd.DataFrame
    effect: float
    se: float

    def to_frame(self) -> pd.DataFrame:
        """Return the table with the group as a column.

        Returns
        -------
        pandas.DataFrame
        """
        out: pd.DataFrame = self.table.reset_index()
        return out


def did_table(
    frame: pd.DataFrame | None = None,
    *,
    outcome: str | None = None,
    treated: str | None = None,
    post: str | None = None,
    means: dict[str, dict[str, float]] | None = None,
) -> DidTableResult:
    """Compute the 2x2 difference-in-differences from unit rows or from published cell means.

    Parameters
    ----------
    frame : pandas.DataFrame, optional
        One row per unit and period (repeated cross-sections or a panel).
    outcome, treated, post : str, optional
        Column names (``treated`` and ``post`` hold 0/1) when ``frame`` is given.
    means : dict, optional
        Instead of ``frame``: ``{"treated": {"before": m, "after": m, "se_change": s},
        "control": {...}}`` (``se_change`` optional), e.g. a paper's table.

    Returns
    -------
    DidTableResult

    Raises
    ------
    InvalidParameterError
        Neither or both inputs, unknown columns, non-binary indicators.
    InsufficientDataError
        A cell with fewer than two rows.

    Notes
    -----
    From rows, each cell mean's standard error is ``s / sqrt(n)`` and a change's the root sum of
    squares of its two cells' (repeated cross-sections); the effect's standard error is
    ``sqrt(se_change_treated^2 + se_change_control^2)``, the convention of Card & Krueger (1994)
    Table 3.  Equal to the interaction coefficient of :func:`did_regression` without covariates.

    Examples
    --------
    >>> res = did_table(means={"treated": {"before": 20.44, "after": 21.03, "se_change": 0.54},
    ...                        "control": {"before": 23.33, "after": 21.17, "se_change": 1.25}})
    >>> round(res.effect, 2), round(res.se, 2)
    (2.75, 1.36)
    """
    if (frame is None) == (means is None):
        raise InvalidParameterError(
            "Give either frame= (with outcome=, treated=, post=) or means=, not both or neither."
        )
    rows: dict[str, dict[str, float]] = {}
    if means is not None:
        for g in ("control", "treated"):
            if (
                not isinstance(means, Mapping)
                or g not in means
                or not isinstance(means[g], Mapping)
                or not {"before", "after"} <= set(means[g])
            ):
                raise InvalidParameterError(
                    "means must be {'treated': {'before': .., 'after': ..}, 'control': {...}}; "
                    f"got {sorted(means) if isinstance(means, Mapping) else type(means).__name__}."
                )
            m = means[g]
            rows[g] = {
                "before": float(m["before"]),
                "after": float(m["after"]),
                "change": float(m["after"]) - float(m["before"]),
                "change_se": float(m.get("se_change", np.nan)),
            }
    else:
        assert frame is not None
        if outcome is None or treated is None or post is None:
            raise InvalidParameterError("With frame=, give outcome=, treated= and post=.")
        _need_columns(frame, [outcome, treated, post])
        tr = _binary(frame, treated)
        po = _binary(frame, post)
        y = frame[outcome].to_numpy(dtype=float)
        for gi, g in ((0, "control"), (1, "treated")):
            cells = {}
            for pi, p in ((0, "before"), (1, "after")):
                v = y[(tr == gi) & (po == pi)]
                if v.size < 2:
                    raise InsufficientDataError(
                        f"The {g} {p} cell has {v.size} row(s); each cell needs at least two."
                    )
                cells[p] = (float(v.mean()), float(v.std(ddof=1) / np.sqrt(v.size)))
            rows[g] = {
                "before": cells["before"][0],
                "after": cells["after"][0],
                "before_se": cells["before"][1],
                "after_se": cells["after"][1],
                "change": cells["after"][0] - cells["before"][0],
                "change_se": float(np.hypot(cells["before"][1], cells["after"][1])),
            }
    table = pd.DataFrame.from_dict(rows, orient="index")
    diff = table.loc["treated"] - table.loc["control"]
    diff[[c for c in table.columns if c.endswith("_se")]] = np.nan
    table.loc["difference"] = diff
    table.index.name = "group"
    effect = float(table.loc["treated", "change"] - table.loc["control", "change"])
    se = float(np.hypot(table.loc["treated", "change_se"], table.loc["control", "change_se"]))
    table.loc["difference", "change_se"] = se
    return DidTableResult(
        params={
            "outcome": outcome,
            "treated": treated,
            "post": post,
            "source": "means" if means is not None else "rows",
            "se": "independent changes: sqrt(se_treated_change^2 + se_control_change^2)",
        },
        as_of=None,
        table=table,
        effect=effect,
        se=se,
    )


@dataclasses.dataclass(frozen=True, repr=False)
class DidRegressionResult(MetricResult):
    """The regression form of difference-in-differences.

    Attributes
    ----------
    coefficients : pandas.DataFrame
        Per term: ``coef``, ``se``, ``t``, ``p_value``, ``lower``, ``upper``.
    effect : float
        The interaction (treated x post) coefficient.
    se : float
        Its standard error under ``params["cov_type"]``.
    r2 : float
        R-squared.
    n : int
        Rows used.
    """

    coefficients: pd.DataFrame
    effect: float
    se: float
    r2: float
    n: int

    def to_frame(self) -> pd.DataFrame:
        """Return the coefficient table with the term as a column.

        Returns
        -------
        pandas.DataFrame
        """
        out: pd.DataFrame = self.coefficients.reset_index()
        return out


def did_regression(
    frame: pd.DataFrame,
    *,
    outcome: str,
    treated: str,
    post: str,
    covariates: Sequence[str] = (),
    cov_type: Literal["classical", "HC1", "cluster"] = "classical",
    cluster: str | None = None,
    alpha: float = 0.05,
) -> DidRegressionResult:
    """Fit ``outcome ~ post + treated + post x treated [+ covariates]`` by OLS.

    Parameters
    ----------
    frame : pandas.DataFrame
        One row per unit and period.
    outcome, treated, post : str
        Column names; ``treated`` and ``post`` hold 0/1.
    covariates : sequence of str, default ()
        Further numeric columns.  The result names them: the estimate changes with them.
    cov_type : {"classical", "HC1", "cluster"}, default "classical"
        Standard errors: homoskedastic (textbook), heteroskedasticity-robust, or clustered on
        ``cluster`` (statsmodels' small-sample correction).
    cluster : str, optional
        The cluster column (unit, store, city) for ``cov_type="cluster"``.
    alpha : float, default 0.05
        For the intervals.

    Returns
    -------
    DidRegressionResult

    Raises
    ------
    InvalidParameterError
        Unknown columns (with close names), non-binary indicators, a missing cluster column.
    InsufficientDataError
        Fewer rows than terms plus two, or missing values in the used columns.

    Notes
    -----
    With ``cov_type="classical"`` this is Wooldridge's Example 13.3 (statsmodels OLS); without
    covariates the effect equals :func:`did_table`'s.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"y": [1, 2, 3, 4, 2, 3, 6, 7], "t": [0, 0, 1, 1] * 2,
    ...                    "post": [0, 0, 0, 0, 1, 1, 1, 1]})
    >>> round(did_regression(df, outcome="y", treated="t", post="post").effect, 6)
    2.0
    """
    import statsmodels.api as sm

    if not isinstance(cov_type, str) or cov_type not in ("classical", "HC1", "cluster"):
        raise InvalidParameterError(
            f"cov_type must be 'classical', 'HC1' or 'cluster'; got {cov_type!r}."
        )
    if cov_type == "cluster" and cluster is None:
        raise InvalidParameterError(
            "cov_type='cluster' needs cluster= (the column of the unit the errors are "
            "correlated within, e.g. the store or the city)."
        )
    if isinstance(covariates, str) or not isinstance(covariates, (list, tuple)):
        raise InvalidParameterError(
            f"covariates must be a list of column names, got {type(covariates).__name__}. "
            "Hint: covariates=['age'] (or [] for none)."
        )
    cols = [outcome, treated, post, *covariates] + ([cluster] if cluster is not None else [])
    _need_columns(frame, cols)
    used = frame[cols]
    if used.isna().any().any():
        bad = [c for c in cols if used[c].isna().any()]
        raise InsufficientDataError(
            f"Columns {bad} have missing values; rows are never dropped silently. Hint: "
            "frame.dropna(subset=...) first, and report how many you dropped."
        )
    tr = _binary(frame, treated)
    po = _binary(frame, post)
    x = pd.DataFrame(
        {"intercept": 1.0, post: po, treated: tr, f"{post}:{treated}": po * tr},
        index=frame.index,
    )
    for c in covariates:
        x[c] = frame[c].astype(float)
    if len(x) < x.shape[1] + 2:
        raise InsufficientDataError(
            f"{len(x)} rows for {x.shape[1]} terms; the regression needs at least two more rows."
        )
    model = sm.OLS(frame[outcome].astype(float), x)
    if cov_type == "classical":
        res = model.fit()
    elif cov_type == "HC1":
        res = model.fit(cov_type="HC1")
    else:
        assert cluster is not None
        groups = pd.factorize(frame[cluster])[0]
        res = model.fit(cov_type="cluster", cov_kwds={"groups": groups})
    ci = res.conf_int(alpha=alpha)
    coef = pd.DataFrame(
        {
            "coef": res.params,
            "se": res.bse,
            "t": res.tvalues,
            "p_value": res.pvalues,
            "lower": ci[0],
            "upper": ci[1],
        }
    )
    coef.index.name = "term"
    term = f"{post}:{treated}"
    return DidRegressionResult(
        params={
            "outcome": outcome,
            "treated": treated,
            "post": post,
            "covariates": list(covariates),
            "cov_type": cov_type,
            "cluster": cluster,
            "alpha": alpha,
        },
        as_of=None,
        coefficients=coef,
        effect=float(res.params[term]),
        se=float(res.bse[term]),
        r2=float(res.rsquared),
        n=int(res.nobs),
    )


@dataclasses.dataclass(frozen=True, repr=False)
class StaggeredDidResult(MetricResult):
    """Group-time average treatment effects and their aggregations.

    Attributes
    ----------
    att_gt : pandas.DataFrame
        One row per (group ``g`` = first treated period, time ``t``): ``att``, ``se``,
        ``lower``, ``upper``, ``n_treated``, ``n_control``, ``post`` (t >= g).
    simple : pandas.Series
        ``att`` and ``se`` of the post-treatment cells' average weighted by group size.
    group : pandas.DataFrame
        Per group: the average of its post-treatment ATT(g, t).
    dynamic : pandas.DataFrame
        Per event time ``e = t - g``: the group-size-weighted average of ATT(g, g + e).
    """

    att_gt: pd.DataFrame
    simple: pd.Series
    group: pd.DataFrame
    dynamic: pd.DataFrame

    def to_frame(self) -> pd.DataFrame:
        """Return the group-time table.

        Returns
        -------
        pandas.DataFrame
        """
        out: pd.DataFrame = self.att_gt.reset_index()
        return out

    def plot(self, ax: Any = None) -> Any:
        """Draw the dynamic (event-time) effects with their intervals.

        Parameters
        ----------
        ax : matplotlib.axes.Axes, optional
            Where to draw.

        Returns
        -------
        matplotlib.axes.Axes
        """
        from useropslib.plotting import plot_event_study

        return plot_event_study(self.dynamic, ax=ax)


def staggered_did(
    panel: pd.DataFrame,
    *,
    unit: str,
    time: str,
    outcome: str,
    first_treated: str,
    control: Literal["never_treated", "not_yet_treated"] = "never_treated",
    alpha: float = 0.05,
) -> StaggeredDidResult:
    """Callaway & Sant'Anna group-time effects ATT(g, t) for a staggered roll-out.

    Parameters
    ----------
    panel : pandas.DataFrame
        Balanced panel: one row per unit and time.
    unit, time, outcome : str
        Column names (``time`` integer periods, e.g. years or week numbers).
    first_treated : str
        Column with each unit's first treated period; 0 or NaN for never treated.
    control : {"never_treated", "not_yet_treated"}, default "never_treated"
        Comparison units: those never treated, or also those not treated yet by period
        ``max(t, g - 1)``.
    alpha : float, default 0.05
        For the pointwise intervals (normal).

    Returns
    -------
    StaggeredDidResult

    Raises
    ------
    InvalidParameterError
        Unknown columns, an unbalanced panel, a first-treated period that varies within a unit.
    InsufficientDataError
        No comparison units for some cell (e.g. no never-treated units).

    Notes
    -----
    Unconditional parallel trends, no anticipation, ``base_period="varying"`` as R ``did``'s
    default: for ``t >= g`` the change from ``g - 1`` to ``t``; for ``t < g`` the change from
    ``t - 1`` to ``t`` (pre-trend cells).  ATT(g, t) is the mean change of group g minus that of
    the comparison units.  Standard errors from the influence function (analytical, not R's
    default multiplier bootstrap); aggregations use group-size weights taken as fixed, so their
    standard errors leave out the weights' estimation noise that R ``aggte`` adds.

    Examples
    --------
    >>> import pandas as pd
    >>> rows = [(u, t, g, t + (2.0 if g and t >= g else 0.0) + u)
    ...         for u, g in [(1, 2), (2, 2), (3, 0), (4, 0)] for t in (1, 2, 3)]
    >>> panel = pd.DataFrame(rows, columns=["id", "t", "g", "y"])
    >>> res = staggered_did(panel, unit="id", time="t", outcome="y", first_treated="g")
    >>> res.att_gt["att"].round(6).tolist()
    [2.0, 2.0]
    """
    from scipy import stats

    if not isinstance(control, str) or control not in ("never_treated", "not_yet_treated"):
        raise InvalidParameterError(
            f"control must be 'never_treated' or 'not_yet_treated'; got {control!r}."
        )
    _need_columns(panel, [unit, time, outcome, first_treated])
    if panel.duplicated([unit, time]).any():
        raise InvalidParameterError(f"The panel has several rows for one ({unit}, {time}).")
    wide = panel.pivot(index=unit, columns=time, values=outcome).sort_index(axis=1)
    if wide.isna().any().any():
        raise InvalidParameterError(
            "The panel is not balanced (some units miss some periods or outcomes); this "
            "estimator needs every unit observed in every period."
        )
    g_per_unit = panel.groupby(unit)[first_treated].agg(["min", "max"])
    varying = g_per_unit.index[
        (g_per_unit["min"] != g_per_unit["max"])
        & ~(g_per_unit["min"].isna() & g_per_unit["max"].isna())
    ]
    if len(varying):
        raise InvalidParameterError(
            f"{first_treated!r} varies within unit(s) {list(varying[:5])}; it must be each "
            "unit's one first treated period."
        )
    g = g_per_unit["min"].reindex(wide.index).fillna(0).to_numpy(dtype=float)
    times = wide.columns.to_numpy()
    y = wide.to_numpy(dtype=float)
    n = y.shape[0]
    groups = sorted({float(v) for v in g if v > 0})
    never = g == 0
    zq = stats.norm.ppf(1 - alpha / 2)
    rows = []
    infl = []
    t_pos = {float(t): i for i, t in enumerate(times)}
    for gv in groups:
        if gv - 1 not in t_pos:
            continue  # treated from the first period: no base period
        treated_m = g == gv
        for j in range(1, len(times)):
            t = float(times[j])
            base = gv - 1 if t >= gv else float(times[j - 1])
            if control == "never_treated":
                ctrl = never
            else:
                ctrl = never | (g > max(t, base))
                ctrl &= ~treated_m
            n_t, n_c = int(treated_m.sum()), int(ctrl.sum())
            if n_c == 0:
                raise InsufficientDataError(
                    f"No comparison units for group {gv:g} at time {t:g} ({control}). Hint: "
                    "control='not_yet_treated' uses units treated later, or add untreated units."
                )
            dy = y[:, t_pos[t]] - y[:, t_pos[base]]
            m_t, m_c = dy[treated_m].mean(), dy[ctrl].mean()
            psi = np.zeros(n)
            psi[treated_m] = n / n_t * (dy[treated_m] - m_t)
            psi[ctrl] -= n / n_c * (dy[ctrl] - m_c)
            se = float(np.sqrt(np.sum(psi**2)) / n)
            att = float(m_t - m_c)
            rows.append((gv, t, att, se, att - zq * se, att + zq * se, n_t, n_c, t >= gv))
            infl.append(psi)
    if not rows:
        raise InsufficientDataError(
            "No group-time effect can be computed: no unit is treated after the first period."
        )
    att = pd.DataFrame(
        rows,
        columns=["g", "t", "att", "se", "lower", "upper", "n_treated", "n_control", "post"],
    ).set_index(["g", "t"])
    psi_all = np.vstack(infl)  # cells x units

    def aggregate(weights: np.ndarray) -> tuple[float, float]:
        w = weights / weights.sum()
        est = float(w @ att["att"].to_numpy())
        se = float(np.sqrt(np.sum((w @ psi_all) ** 2)) / n)
        return est, se

    size = att["n_treated"].to_numpy(dtype=float)
    is_post = att["post"].to_numpy()
    gs = att.index.get_level_values("g").to_numpy()
    ts = att.index.get_level_values("t").to_numpy()
    est, se = aggregate(size * is_post)
    simple = pd.Series({"att": est, "se": se}, name="simple")
    grp_rows = []
    for gv in groups:
        sel = (gs == gv) & is_post
        if sel.any():
            e, s = aggregate(sel.astype(float))
            grp_rows.append((gv, e, s, e - zq * s, e + zq * s))
    group = pd.DataFrame(grp_rows, columns=["g", "att", "se", "lower", "upper"]).set_index("g")
    dyn_rows = []
    ev = ts - gs
    for e_val in np.unique(ev):
        sel = ev == e_val
        e, s = aggregate(size * sel)
        dyn_rows.append((e_val, e, s, e - zq * s, e + zq * s))
    dynamic = pd.DataFrame(dyn_rows, columns=["e", "att", "se", "lower", "upper"]).set_index("e")
    return StaggeredDidResult(
        params={
            "unit": unit,
            "time": time,
            "outcome": outcome,
            "first_treated": first_treated,
            "control": control,
            "base_period": "varying",
            "se": "analytical influence function; aggregation weights taken as fixed",
            "alpha": alpha,
        },
        as_of=None,
        att_gt=att,
        simple=simple,
        group=group,
        dynamic=dynamic,
    )
