"""Charts of churn: the return curve, survival, drivers, calibration, BG/NBD and the RFM grid."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from useropslib.exceptions import InvalidParameterError
from useropslib.plotting._style import (
    COLORS,
    Language,
    axes_or_new,
    check_frame,
    check_number,
    check_numbers,
    check_text,
    finish,
    label,
    percent_axis,
    resolve_lang,
)

__all__ = [
    "at_risk_counts",
    "calibration_curve",
    "forest_plot",
    "frequency_recency_matrix",
    "purchases_calibration",
    "return_curve",
    "rfm_grid",
    "survival_curves",
]


def return_curve(
    days: npt.ArrayLike,
    rates: npt.ArrayLike,
    *,
    threshold: float | None = None,
    plateau_found: bool | None = None,
    rules: pd.DataFrame | None = None,
    horizon: str = "",
    ax: Any = None,
    title: str | None = None,
    lang: Language = "en",
) -> Any:
    """Draw the chance of returning after ``k`` silent days, with the chosen churn threshold.

    Parameters
    ----------
    days : sequence of float
        Days of silence ``k``.
    rates : sequence of float
        P(return | silent ``k`` days), in [0, 1].
    threshold : float, optional
        The chosen threshold in days: a dashed vertical line.
    plateau_found : bool, optional
        Whether the curve really levelled off at the threshold; False adds "(no plateau)" to
        the threshold's label, so the chart does not claim a plateau the data does not show.
    rules : pandas.DataFrame, optional
        Other rules' thresholds to compare (index: rule name; columns ``threshold_days``,
        ``chosen`` and optionally ``setting``), drawn as dotted lines; the chosen one solid.
        ``threshold`` is ignored when given.
    horizon : str, optional
        The return window (e.g. "30 days"), for the y label.
    ax : matplotlib.axes.Axes, optional
        Where to draw; default a new figure.
    title : str, optional
        Default "Chance of returning after a silence".
    lang : {"en", "zh"}, default "en"
        Language of the labels.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> ax = return_curve([1, 2, 3], [0.9, 0.5, 0.4], threshold=2)
    >>> ax.lines[0].get_ydata().tolist(), ax.lines[1].get_xdata().tolist()
    ([0.9, 0.5, 0.4], [2.0, 2.0])
    """
    check_text(horizon, "horizon", optional=False)
    check_text(title, "title")
    check_numbers(days, "days", allow_inf=True)
    check_numbers(rates, "rates", allow_inf=True)
    lang = resolve_lang(lang)
    ax = axes_or_new(ax)
    ax.plot(
        np.asarray(days, dtype=np.float64),
        np.asarray(rates, dtype=np.float64),
        marker=".",
        color=COLORS["main"],
    )
    if rules is not None:
        check_frame(rules, "rules", ["threshold_days"], present=["chosen"])
        for i, (name, row) in enumerate(rules.iterrows()):
            t = float(row["threshold_days"])
            if not np.isfinite(t):
                continue
            setting = f" ({row['setting']})" if "setting" in rules.columns else ""
            chosen = bool(row.get("chosen", False))
            ax.plot(
                [t, t],
                [0, 1],
                color=COLORS["threshold"] if chosen else f"C{(i + 2) % 10}",
                linestyle="-" if chosen else ":",
                label=f"{name}{setting}: {t:g} d",
            )
        ax.legend(loc="upper right", fontsize=8)
    elif threshold is not None:
        check_number(threshold, "threshold")
        text = label("threshold", lang, k=f"{threshold:g}")
        if plateau_found is False:
            text += label("no_plateau", lang)
        t = float(threshold)
        ax.plot([t, t], [0, 1], color=COLORS["threshold"], linestyle="--", label=text)
        ax.legend(loc="upper right")
    ax.set_ylim(0, 1)
    percent_axis(ax, "y")
    ax.set_xlabel(label("days_silent", lang))
    ax.set_ylabel(label("p_return", lang, horizon=horizon).strip())
    ax.set_title(title if title is not None else label("return_curve", lang))
    return finish(ax, lang)


def survival_curves(
    survival: pd.DataFrame,
    *,
    at_risk_times: Sequence[float] | None = None,
    time_unit: str = "days",
    ax: Any = None,
    title: str | None = None,
    legend_title: str | None = None,
    lang: Language = "en",
) -> Any:
    """Draw Kaplan–Meier curves as steps with their confidence bands and at-risk counts.

    Parameters
    ----------
    survival : pandas.DataFrame
        Tidy curves with columns ``group``, ``time``, ``survival``, ``lower``, ``upper`` and,
        for the at-risk row, ``at_risk`` (subjects at risk just before each time).
    at_risk_times : sequence of float, optional
        Times at which to print the number at risk under the axis (one row per group);
        default five evenly spaced times when the frame has ``at_risk``.
    time_unit : str, default "days"
        Unit of ``time``, for the x label.
    ax : matplotlib.axes.Axes, optional
        Where to draw; default a new figure.
    title, legend_title : str, optional
        Default "Survival (Kaplan–Meier)".
    lang : {"en", "zh"}, default "en"
        Language of the labels.

    Returns
    -------
    matplotlib.axes.Axes

    Notes
    -----
    The at-risk count at ``t`` is the number of subjects whose duration is at least ``t``
    (:func:`at_risk_counts`), as in lifelines' ``add_at_risk_counts``.

    Examples
    --------
    >>> import pandas as pd
    >>> s = pd.DataFrame({"group": "all", "time": [0.0, 5.0], "at_risk": [4, 4],
    ...                   "events": [0, 1], "censored": [0, 0],
    ...                   "survival": [1.0, 0.75], "lower": [1.0, 0.5], "upper": [1.0, 0.9]})
    >>> ax = survival_curves(s, at_risk_times=[0, 5])
    >>> ax.lines[0].get_ydata().tolist()
    [1.0, 0.75]
    """
    check_text(time_unit, "time_unit", optional=False)
    check_text(title, "title")
    check_text(legend_title, "legend_title")
    check_frame(survival, "survival", ["time", "survival"], present=["group"])
    lang = resolve_lang(lang)
    ax = axes_or_new(ax, figsize=(7.0, 4.6))
    groups = list(pd.unique(survival["group"]))
    for g in groups:
        s = survival[survival["group"] == g]
        t = s["time"].to_numpy(dtype=np.float64)
        (line,) = ax.step(t, s["survival"].to_numpy(dtype=np.float64), where="post", label=str(g))
        ax.fill_between(
            t,
            s["lower"].to_numpy(dtype=np.float64),
            s["upper"].to_numpy(dtype=np.float64),
            step="post",
            alpha=0.2,
            color=line.get_color(),
        )
    ax.set_ylim(0, 1.02)
    percent_axis(ax, "y")
    unit = label(time_unit, lang) if time_unit == "days" else time_unit
    ax.set_xlabel(unit)
    ax.set_ylabel(label("s_t", lang))
    ax.set_title(title if title is not None else label("survival", lang))
    if len(groups) > 1:
        ax.legend(title=legend_title)
    if "at_risk" in survival.columns and len(survival):
        tmax = float(survival["time"].max())
        if at_risk_times is None:
            from matplotlib.ticker import MaxNLocator

            ticks = np.asarray(
                MaxNLocator(nbins=5, integer=True).tick_values(0.0, tmax), dtype=np.float64
            )
            times: np.ndarray[Any, Any] = ticks[(ticks >= 0) & (ticks <= tmax)]
        else:
            times = np.asarray(at_risk_times, dtype=np.float64)
        _at_risk_table(ax, survival, groups, times, lang)
    return finish(ax, lang)


def at_risk_counts(
    survival: pd.DataFrame, group: Any, times: npt.ArrayLike
) -> np.ndarray[Any, Any]:
    """Subjects of ``group`` still at risk at each of ``times`` (duration ``>= t``).

    Parameters
    ----------
    survival : pandas.DataFrame
        Tidy curves with ``group``, ``time`` and ``at_risk`` (just before each time).
    group : object
        The group.
    times : sequence of float
        Times.

    Returns
    -------
    numpy.ndarray of int

    Notes
    -----
    The same count as ``at_risk`` of :func:`useropslib.churn.kaplan_meier`'s ``at_times`` and
    lifelines' ``add_at_risk_counts``: nobody is at risk beyond the last time.

    Examples
    --------
    >>> import pandas as pd
    >>> s = pd.DataFrame({"group": "all", "time": [0.0, 5.0, 9.0], "at_risk": [4, 4, 2]})
    >>> at_risk_counts(s, "all", [0, 5, 6, 10]).tolist()
    [4, 4, 2, 0]
    """
    check_frame(survival, "survival", ["time", "at_risk"], present=["group"])
    check_numbers(times, "times", allow_inf=True)
    s = survival[survival["group"] == group]
    t = s["time"].to_numpy(dtype=np.float64)
    n = np.append(s["at_risk"].to_numpy(dtype=np.float64), 0.0)
    pos = np.searchsorted(t, np.asarray(times, dtype=np.float64), side="left")
    out: np.ndarray[Any, Any] = n[pos].astype(np.int64)
    return out


def _at_risk_table(
    ax: Any, survival: pd.DataFrame, groups: list[Any], times: Any, lang: Language
) -> None:
    ax.set_xticks(times)
    rows = [
        f"{label('at_risk', lang)} {g}: " if len(groups) > 1 else f"{label('at_risk', lang)}: "
        for g in groups
    ]
    for i, g in enumerate(groups):
        counts = at_risk_counts(survival, g, times)
        y = -0.24 - 0.07 * i
        ax.annotate(
            rows[i],
            xy=(0.0, y),
            xycoords="axes fraction",
            ha="right",
            va="top",
            fontsize=8,
            annotation_clip=False,
        )
        for t, c in zip(times, counts, strict=True):
            ax.annotate(
                f"{int(c):,}",
                xy=(float(t), y),
                xycoords=("data", "axes fraction"),
                ha="center",
                va="top",
                fontsize=8,
                annotation_clip=False,
            )


def forest_plot(
    summary: pd.DataFrame,
    *,
    alpha: float = 0.05,
    ax: Any = None,
    title: str | None = None,
    lang: Language = "en",
) -> Any:
    """Draw hazard ratios with their confidence intervals on a log axis (a forest plot).

    Parameters
    ----------
    summary : pandas.DataFrame
        One row per covariate (index: name) with ``hazard_ratio``, ``hazard_ratio_lower`` and
        ``hazard_ratio_upper``.
    alpha : float, default 0.05
        The intervals' level, for the label.
    ax : matplotlib.axes.Axes, optional
        Where to draw; default a new figure.
    title : str, optional
        Default "Churn drivers".
    lang : {"en", "zh"}, default "en"
        Language of the labels.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import pandas as pd
    >>> s = pd.DataFrame({"hazard_ratio": [0.5, 2.0], "hazard_ratio_lower": [0.4, 1.5],
    ...                   "hazard_ratio_upper": [0.6, 2.5]}, index=["opens", "complaints"])
    >>> ax = forest_plot(s)
    >>> ax.lines[0].get_xdata().tolist(), [t.get_text() for t in ax.get_yticklabels()]
    ([2.0, 0.5], ['complaints', 'opens'])
    """
    check_text(title, "title")
    check_frame(summary, "summary", ["hazard_ratio", "hazard_ratio_lower", "hazard_ratio_upper"])
    lang = resolve_lang(lang)
    ax = axes_or_new(ax, figsize=(7.0, max(2.5, 0.4 * len(summary) + 1.2)))
    s = summary.iloc[::-1]
    pos = np.arange(len(s), dtype=np.float64)
    hr = s["hazard_ratio"].to_numpy(dtype=np.float64)
    err = np.vstack(
        [
            hr - s["hazard_ratio_lower"].to_numpy(dtype=np.float64),
            s["hazard_ratio_upper"].to_numpy(dtype=np.float64) - hr,
        ]
    )
    ax.errorbar(hr, pos, xerr=err, fmt="o", capsize=3, color=COLORS["main"])
    ax.axvline(1.0, color=COLORS["reference"], linestyle="--", linewidth=1)
    ax.set_xscale("log")
    ax.set_yticks(pos, [str(i) for i in s.index])
    ax.set_xlabel(label("hazard_ratio", lang, ci=f"{1 - alpha:.0%}"))
    ax.set_title(title if title is not None else label("drivers", lang))
    return finish(ax, lang, grid="x")


def calibration_curve(
    predicted: npt.ArrayLike,
    observed: npt.ArrayLike,
    *,
    ax: Any = None,
    title: str | None = None,
    lang: Language = "en",
) -> Any:
    """Draw observed churn rate against mean predicted probability per bin, with the diagonal.

    Parameters
    ----------
    predicted, observed : sequence of float
        Mean predicted probability and observed rate of each bin.
    ax : matplotlib.axes.Axes, optional
        Where to draw; default a new figure.
    title : str, optional
        Default "Calibration".
    lang : {"en", "zh"}, default "en"
        Language of the labels.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> ax = calibration_curve([0.1, 0.8], [0.2, 0.7])
    >>> ax.lines[1].get_ydata().tolist()
    [0.2, 0.7]
    """
    check_text(title, "title")
    check_numbers(predicted, "predicted", allow_inf=True)
    check_numbers(observed, "observed", allow_inf=True)
    lang = resolve_lang(lang)
    ax = axes_or_new(ax)
    ax.plot([0, 1], [0, 1], color=COLORS["reference"], linestyle="--", label=label("perfect", lang))
    ax.plot(
        np.asarray(predicted, dtype=np.float64),
        np.asarray(observed, dtype=np.float64),
        marker="o",
        color=COLORS["main"],
        label=label("model", lang),
    )
    ax.set_xlabel(label("predicted_p", lang))
    ax.set_ylabel(label("observed_rate", lang))
    ax.set_title(title if title is not None else label("calibration", lang))
    ax.legend()
    return finish(ax, lang, grid="both")


def rfm_grid(
    counts: pd.DataFrame,
    *,
    ax: Any = None,
    title: str | None = None,
    lang: Language = "en",
) -> Any:
    """Draw customers per recency × frequency score cell as an annotated heatmap.

    Parameters
    ----------
    counts : pandas.DataFrame
        Index: frequency score; columns: recency score; values: customers.  Build it with
        ``pd.crosstab(scores["f_score"], scores["r_score"])``.
    ax : matplotlib.axes.Axes, optional
        Where to draw; default a new figure.
    title : str, optional
        Default "RFM grid: customers".
    lang : {"en", "zh"}, default "en"
        Language of the labels.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import pandas as pd
    >>> ax = rfm_grid(pd.DataFrame([[1, 2], [3, 4]], index=[1, 2], columns=[1, 2]))
    >>> [t.get_text() for t in ax.texts]
    ['3', '4', '1', '2']
    """
    check_text(title, "title")
    check_frame(counts, "counts", None)
    lang = resolve_lang(lang)
    ax = axes_or_new(ax, figsize=(6.0, 4.5))
    grid = counts.sort_index(ascending=False).sort_index(axis=1)
    values = grid.to_numpy(dtype=np.float64)
    top = float(np.nanmax(values)) if values.size else 1.0
    ax.imshow(values, cmap="Blues", vmin=0.0, vmax=top or 1.0, aspect="auto")
    for i in range(values.shape[0]):
        for j in range(values.shape[1]):
            v = values[i, j]
            ax.text(
                j,
                i,
                f"{int(v):,}",
                ha="center",
                va="center",
                fontsize=8,
                color="white" if v > 0.6 * top else "black",
            )
    ax.set_xticks(np.arange(values.shape[1]), [str(c) for c in grid.columns])
    ax.set_yticks(np.arange(values.shape[0]), [str(i) for i in grid.index])
    ax.set_xlabel(label("r_score", lang))
    ax.set_ylabel(label("f_score", lang))
    ax.set_title(title if title is not None else label("rfm_grid", lang))
    return finish(ax, lang, grid="none")


def frequency_recency_matrix(
    matrix: pd.DataFrame,
    *,
    horizon: str = "",
    ax: Any = None,
    title: str | None = None,
    lang: Language = "en",
) -> Any:
    """Draw a BG/NBD prediction over frequency × recency as a heatmap (lifetimes' diagnostic).

    Parameters
    ----------
    matrix : pandas.DataFrame
        Index: frequency (repeat purchases); columns: recency; values: the prediction (expected
        purchases, or P(alive)).  Compute it with the model's
        ``conditional_expected_purchases`` over a grid.
    horizon : str, optional
        The prediction horizon, for the title.
    ax : matplotlib.axes.Axes, optional
        Where to draw; default a new figure.
    title : str, optional
        Default "Expected purchases in the next {horizon} (BG/NBD)".
    lang : {"en", "zh"}, default "en"
        Language of the labels.

    Returns
    -------
    matplotlib.axes.Axes

    Raises
    ------
    InvalidParameterError
        For an empty matrix.

    Examples
    --------
    >>> import pandas as pd
    >>> m = pd.DataFrame([[0.1, 0.2], [0.3, 0.9]], index=[0, 1], columns=[0, 10])
    >>> ax = frequency_recency_matrix(m)
    >>> ax.images[0].get_array().tolist()
    [[0.3, 0.9], [0.1, 0.2]]
    """
    check_text(horizon, "horizon", optional=False)
    check_text(title, "title")
    check_frame(matrix, "matrix", [])
    if matrix.size == 0:
        raise InvalidParameterError(
            "The frequency/recency matrix is empty. Expected at least one frequency and one "
            "recency value."
        )
    check_frame(matrix, "matrix", None)
    if not (
        pd.api.types.is_numeric_dtype(matrix.index)
        and pd.api.types.is_numeric_dtype(matrix.columns)
    ):
        raise InvalidParameterError(
            "Invalid matrix: its index (frequency) and columns (recency) must be numbers. "
            "Hint: pass BetaGeoModel.frequency_recency_matrix()'s table."
        )
    lang = resolve_lang(lang)
    ax = axes_or_new(ax, figsize=(6.5, 5.0))
    grid = matrix.sort_index(ascending=False)
    image = ax.imshow(grid.to_numpy(dtype=np.float64), cmap="viridis", aspect="auto")
    ax.figure.colorbar(image, ax=ax)
    n_r, n_c = grid.shape
    ys = np.unique(np.linspace(0, n_r - 1, min(n_r, 8)).astype(int))
    xs = np.unique(np.linspace(0, n_c - 1, min(n_c, 8)).astype(int))
    ax.set_yticks(ys, [f"{grid.index[i]:g}" for i in ys])
    ax.set_xticks(xs, [f"{grid.columns[i]:g}" for i in xs])
    ax.set_xlabel(label("recency", lang))
    ax.set_ylabel(label("frequency", lang))
    ax.set_title(
        title if title is not None else label("fr_matrix", lang, t=horizon).replace("  ", " ")
    )
    return finish(ax, lang, grid="none")


def purchases_calibration(
    frequency: npt.ArrayLike,
    actual: npt.ArrayLike,
    predicted: npt.ArrayLike,
    *,
    ax: Any = None,
    title: str | None = None,
    lang: Language = "en",
) -> Any:
    """Draw mean holdout purchases, actual and predicted, per calibration-period frequency.

    lifetimes' ``plot_calibration_purchases_vs_holdout_purchases``: customers are grouped by
    repeat purchases in the calibration period; a good model's line follows the actual one.

    Parameters
    ----------
    frequency : sequence of float
        Calibration-period frequency of each group.
    actual, predicted : sequence of float
        Mean holdout purchases of each group, observed and predicted.
    ax : matplotlib.axes.Axes, optional
        Where to draw; default a new figure.
    title : str, optional
        Default "Holdout purchases: actual vs model".
    lang : {"en", "zh"}, default "en"
        Language of the labels.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> ax = purchases_calibration([0, 1], [0.2, 0.9], [0.25, 0.8])
    >>> [line.get_ydata().tolist() for line in ax.lines]
    [[0.2, 0.9], [0.25, 0.8]]
    """
    check_text(title, "title")
    check_numbers(frequency, "frequency", allow_inf=True)
    check_numbers(actual, "actual", allow_inf=True)
    check_numbers(predicted, "predicted", allow_inf=True)
    lang = resolve_lang(lang)
    ax = axes_or_new(ax)
    f = np.asarray(frequency, dtype=np.float64)
    ax.plot(f, np.asarray(actual, dtype=np.float64), marker="o", label=label("actual", lang))
    ax.plot(
        f,
        np.asarray(predicted, dtype=np.float64),
        marker="s",
        linestyle="--",
        label=label("model", lang),
    )
    ax.set_xlabel(label("calibration_purchases", lang))
    ax.set_ylabel(label("holdout_purchases", lang))
    ax.set_title(title if title is not None else label("purchases_calibration", lang))
    ax.legend()
    return finish(ax, lang)
