"""Figures of goals and campaign plans, drawn from plain arrays (matplotlib imported lazily)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

__all__ = [
    "cost_items",
    "funnel_projection",
    "goal_attainment",
    "okr_grades",
    "pacing_curves",
    "target_history",
]


def _axes(ax: Any) -> Any:
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt

    return plt.subplots()[1]


def pacing_curves(
    days: Any,
    actual: Any,
    expected_linear: Any,
    expected_history: Any,
    *,
    target: float,
    ax: Any = None,
) -> Any:
    """Draw a goal's actual curve against the linear and history-shaped expectations.

    Parameters
    ----------
    days : sequence of timestamps
    actual, expected_linear, expected_history : array-like of float
        Same length as ``days``; NaN values are not drawn.
    target : float
        Drawn as a horizontal line.
    ax : matplotlib.axes.Axes, optional

    Returns
    -------
    matplotlib.axes.Axes
    """
    ax = _axes(ax)
    ax.plot(days, actual, label="actual", linewidth=2)
    ax.plot(days, expected_linear, linestyle="--", label="expected (linear)")
    hist = np.asarray(expected_history, dtype=float)
    if np.isfinite(hist).any():
        ax.plot(days, hist, linestyle=":", label="expected (history-shaped)")
    ax.axhline(target, color="grey", linewidth=1, label="target")
    ax.set_title("Pacing")
    ax.legend()
    return ax


def target_history(
    periods: Any,
    values: Any,
    *,
    period_start: Any,
    baseline: float,
    target: float,
    band: tuple[float, float],
    ax: Any = None,
) -> Any:
    """Draw a metric's history, the baseline's band and the target of the next period.

    Parameters
    ----------
    periods : sequence of timestamps
    values : array-like of float
    period_start : timestamp
        The target period.
    baseline, target : float
    band : (float, float)
    ax : matplotlib.axes.Axes, optional

    Returns
    -------
    matplotlib.axes.Axes
    """
    ax = _axes(ax)
    ax.plot(periods, values, marker="o", label="history")
    ax.errorbar(
        [period_start],
        [baseline],
        yerr=[[baseline - band[0]], [band[1] - baseline]],
        fmt="s",
        label="baseline and band",
    )
    ax.plot([period_start], [target], marker="*", markersize=12, linestyle="", label="target")
    ax.set_title("Target from history")
    ax.legend()
    return ax


def okr_grades(objectives: Sequence[str], grades: Any, *, ax: Any = None) -> Any:
    """Draw objectives' grades as horizontal bars over the red / yellow / green bands.

    Parameters
    ----------
    objectives : sequence of str
    grades : array-like of float in [0, 1]
    ax : matplotlib.axes.Axes, optional

    Returns
    -------
    matplotlib.axes.Axes
    """
    ax = _axes(ax)
    for lo, hi, colour in ((0.0, 0.4, "#f4cccc"), (0.4, 0.7, "#fff2cc"), (0.7, 1.0, "#d9ead3")):
        ax.axvspan(lo, hi, color=colour, zorder=0)
    y = np.arange(len(objectives))
    ax.barh(y, np.asarray(grades, dtype=float), color="#3c78d8", zorder=1)
    ax.set_yticks(y, list(objectives))
    ax.set_xlim(0, 1)
    ax.set_xlabel("grade")
    ax.set_title("OKR grades")
    return ax


def goal_attainment(attainment: float, thresholds: Mapping[str, float], *, ax: Any = None) -> Any:
    """Draw a goal's attainment as a bar with the amber and green thresholds.

    Parameters
    ----------
    attainment : float
    thresholds : mapping with keys "green" and "amber"
    ax : matplotlib.axes.Axes, optional

    Returns
    -------
    matplotlib.axes.Axes
    """
    ax = _axes(ax)
    ax.barh([0], [attainment])
    ax.axvline(thresholds["amber"], color="orange", linestyle="--", label="amber")
    ax.axvline(thresholds["green"], color="green", linestyle="--", label="green")
    ax.set_yticks([])
    ax.set_xlabel("attainment")
    ax.legend()
    return ax


def funnel_projection(stages: Sequence[str], users: Any, *, ax: Any = None) -> Any:
    """Draw the expected users per stage of a participation funnel.

    Parameters
    ----------
    stages : sequence of str
    users : array-like of float
    ax : matplotlib.axes.Axes, optional

    Returns
    -------
    matplotlib.axes.Axes
    """
    ax = _axes(ax)
    ax.bar(list(stages), np.asarray(users, dtype=float))
    ax.set_ylabel("expected users")
    ax.set_title("Funnel projection")
    return ax


def cost_items(items: Sequence[str], amounts: Any, *, currency: str, ax: Any = None) -> Any:
    """Draw a campaign's cost items as horizontal bars.

    Parameters
    ----------
    items : sequence of str
    amounts : array-like of float
    currency : str
    ax : matplotlib.axes.Axes, optional

    Returns
    -------
    matplotlib.axes.Axes
    """
    ax = _axes(ax)
    ax.barh(list(items), np.asarray(amounts, dtype=float))
    ax.set_xlabel(currency)
    ax.set_title("Campaign cost")
    return ax
