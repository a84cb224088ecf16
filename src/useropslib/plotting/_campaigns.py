"""Figures of goals and campaign plans, drawn from plain arrays (matplotlib imported lazily)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from useropslib.exceptions import InvalidParameterError
from useropslib.plotting._style import (
    axes_or_new,
    check_labels,
    check_number,
    check_numbers,
    check_position,
)

__all__ = [
    "cost_items",
    "funnel_projection",
    "goal_attainment",
    "okr_grades",
    "pacing_curves",
    "target_history",
]


def _days(days: Any, name: str) -> list[Any]:
    """Return the x values (timestamps or numbers) of a curve, each checked."""
    if isinstance(days, (str, bytes, dict, set, frozenset)) or not hasattr(days, "__len__"):
        raise InvalidParameterError(
            f"Invalid {name}={type(days).__name__}. Expected a sequence of timestamps. "
            f"Hint: {name}=pd.date_range('2024-05-01', periods=3)."
        )
    return [check_position(d, f"{name}[{i}]") for i, d in enumerate(list(days))]


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
    x = _days(days, "days")
    actual = check_numbers(actual, "actual", length=len(x))
    linear = check_numbers(expected_linear, "expected_linear", length=len(x))
    hist = check_numbers(expected_history, "expected_history", length=len(x))
    target = check_number(target, "target")
    ax = axes_or_new(ax)
    ax.plot(x, actual, label="actual", linewidth=2)
    ax.plot(x, linear, linestyle="--", label="expected (linear)")
    if np.isfinite(hist).any():
        ax.plot(x, hist, linestyle=":", label="expected (history-shaped)")
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
    x = _days(periods, "periods")
    values = check_numbers(values, "values", length=len(x))
    period_start = check_position(period_start, "period_start")
    baseline = check_number(baseline, "baseline")
    target = check_number(target, "target")
    if not isinstance(band, (tuple, list)) or len(band) != 2:
        raise InvalidParameterError(
            f"Invalid band={type(band).__name__}. Expected a pair (low, high). "
            "Hint: band=(0.9, 1.1)."
        )
    band = (check_number(band[0], "band[0]"), check_number(band[1], "band[1]"))
    if not band[0] <= baseline <= band[1]:
        raise InvalidParameterError(
            f"Invalid band={band}: it does not contain baseline={baseline}. Expected "
            "low <= baseline <= high. Hint: pass the band computed with the baseline."
        )
    ax = axes_or_new(ax)
    ax.plot(x, values, marker="o", label="history")
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
    names = check_labels(objectives, "objectives")
    values = check_numbers(grades, "grades", length=len(names))
    ax = axes_or_new(ax)
    for lo, hi, colour in ((0.0, 0.4, "#f4cccc"), (0.4, 0.7, "#fff2cc"), (0.7, 1.0, "#d9ead3")):
        ax.axvspan(lo, hi, color=colour, zorder=0)
    y = np.arange(len(names))
    ax.barh(y, values, color="#3c78d8", zorder=1)
    ax.set_yticks(y, names)
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
    attainment = check_number(attainment, "attainment")
    if not isinstance(thresholds, Mapping) or not {"amber", "green"} <= set(thresholds):
        raise InvalidParameterError(
            f"Invalid thresholds={type(thresholds).__name__}. Expected a mapping with keys "
            "'amber' and 'green'. Hint: thresholds={'amber': 0.7, 'green': 1.0}."
        )
    amber = check_number(thresholds["amber"], "thresholds['amber']")
    green = check_number(thresholds["green"], "thresholds['green']")
    ax = axes_or_new(ax)
    ax.barh([0], [attainment])
    ax.axvline(amber, color="orange", linestyle="--", label="amber")
    ax.axvline(green, color="green", linestyle="--", label="green")
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
    names = check_labels(stages, "stages")
    values = check_numbers(users, "users", length=len(names))
    ax = axes_or_new(ax)
    ax.bar(names, values)
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
    names = check_labels(items, "items")
    values = check_numbers(amounts, "amounts", length=len(names))
    if not isinstance(currency, str):
        raise InvalidParameterError(
            f"Invalid currency={type(currency).__name__}. Expected a str. Hint: currency='CNY'."
        )
    ax = axes_or_new(ax)
    ax.barh(names, values)
    ax.set_xlabel(currency)
    ax.set_title("Campaign cost")
    return ax
