"""Figures of effects estimated against a counterfactual (plain frames in, Axes out)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd

from useropslib._results import require_matplotlib
from useropslib.exceptions import InvalidParameterError
from useropslib.plotting._style import axes_or_new, check_frame, check_position

__all__ = ["plot_counterfactual", "plot_event_study", "plot_synthetic_control"]


def _x_position(frame: pd.DataFrame, value: Any, name: str) -> Any:
    """Return ``value`` when it labels a row of ``frame``, else as a checked x position."""
    try:
        if value in frame.index:
            return value
    except (TypeError, ValueError):
        pass
    return check_position(value, name)


def _pyplot() -> Any:
    return require_matplotlib().pyplot


def plot_counterfactual(
    frame: pd.DataFrame, *, launch: Any, ax: Sequence[Any] | None = None
) -> Any:
    """Draw observed vs counterfactual, the pointwise effect and the cumulative effect.

    Parameters
    ----------
    frame : pandas.DataFrame
        Indexed by date, with columns ``observed``, ``predicted``, ``predicted_lower``,
        ``predicted_upper``, ``effect``, ``effect_lower``, ``effect_upper``,
        ``cumulative_effect``, ``cumulative_lower``, ``cumulative_upper``.
    launch : date-like
        Where to draw the launch line.
    ax : sequence of three matplotlib Axes, optional
        The panels; a new figure with three stacked panels when None.

    Returns
    -------
    numpy.ndarray of matplotlib.axes.Axes

    Raises
    ------
    InvalidParameterError
        When ``ax`` is not three Axes, ``frame`` is not a DataFrame, a column is missing or
        does not hold numbers, or ``launch`` is not an x position.
    """
    need = [
        "observed",
        "predicted",
        "predicted_lower",
        "predicted_upper",
        "effect",
        "effect_lower",
        "effect_upper",
        "cumulative_effect",
        "cumulative_lower",
        "cumulative_upper",
    ]
    check_frame(frame, "frame", need)
    launch = _x_position(frame, launch, "launch")
    import numpy as np

    if ax is None:
        _, axes = _pyplot().subplots(3, 1, sharex=True, figsize=(8, 7))
    else:
        axes = np.asarray(ax, dtype=object).ravel()
        if axes.size != 3:
            raise InvalidParameterError(
                f"ax must be three Axes (observed, pointwise, cumulative); got {axes.size}."
            )
    x = frame.index
    panels = [
        (
            "observed",
            "predicted",
            "predicted_lower",
            "predicted_upper",
            "observed vs counterfactual",
        ),
        (None, "effect", "effect_lower", "effect_upper", "pointwise effect"),
        (None, "cumulative_effect", "cumulative_lower", "cumulative_upper", "cumulative effect"),
    ]
    for a, (obs, mid, lo, hi, title) in zip(axes, panels, strict=True):
        a.fill_between(x, frame[lo], frame[hi], color="C0", alpha=0.2, linewidth=0)
        a.plot(x, frame[mid], color="C0", linestyle="--", label=mid)
        if obs is not None:
            a.plot(x, frame[obs], color="black", linewidth=1, label=obs)
            a.legend(loc="best", fontsize="small")
        else:
            a.axhline(0, color="grey", linewidth=0.8)
        a.axvline(launch, color="grey", linestyle=":", linewidth=1)
        a.set_title(title, fontsize="medium")
    return axes


def plot_synthetic_control(frame: pd.DataFrame, *, start: Any, ax: Any = None) -> Any:
    """Draw the treated unit's outcome against its synthetic control.

    Parameters
    ----------
    frame : pandas.DataFrame
        Indexed by time, with ``observed`` and ``synthetic``.
    start : object
        The first treated time (a vertical line).
    ax : matplotlib.axes.Axes, optional
        Where to draw.

    Returns
    -------
    matplotlib.axes.Axes

    Raises
    ------
    InvalidParameterError
        When ``frame`` is not a DataFrame or a column is missing or does not hold numbers.
    """
    check_frame(frame, "frame", ["observed", "synthetic"])
    start = _x_position(frame, start, "start")
    a = axes_or_new(ax)
    a.plot(frame.index, frame["observed"], color="black", label="treated")
    a.plot(frame.index, frame["synthetic"], color="C0", linestyle="--", label="synthetic")
    a.axvline(start, color="grey", linestyle=":")
    a.legend(loc="best", fontsize="small")
    return a


def plot_event_study(frame: pd.DataFrame, *, ax: Any = None) -> Any:
    """Draw effects by event time with their intervals.

    Parameters
    ----------
    frame : pandas.DataFrame
        Indexed by event time, with ``att``, ``lower`` and ``upper``.
    ax : matplotlib.axes.Axes, optional
        Where to draw.

    Returns
    -------
    matplotlib.axes.Axes

    Raises
    ------
    InvalidParameterError
        When ``frame`` is not a DataFrame or a column is missing or does not hold numbers.
    """
    check_frame(frame, "frame", ["att", "lower", "upper"])
    a = axes_or_new(ax)
    e = frame.index.to_numpy()
    a.errorbar(
        e,
        frame["att"],
        yerr=[frame["att"] - frame["lower"], frame["upper"] - frame["att"]],
        fmt="o",
        color="C0",
        capsize=3,
    )
    a.axhline(0, color="grey", linewidth=0.8)
    a.axvline(-0.5, color="grey", linestyle=":")
    a.set_xlabel("periods since treatment")
    return a
