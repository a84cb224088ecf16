"""Figures of experiment results: forest plots of lifts, Qini curves, SRM bars."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from useropslib.exceptions import InvalidParameterError
from useropslib.plotting._style import (
    axes_or_new,
    check_labels,
    check_number,
    check_numbers,
    check_text,
)

__all__ = ["experiment_bars", "experiment_curves", "experiment_forest"]


def experiment_forest(
    labels: Sequence[str],
    estimate: npt.ArrayLike,
    low: npt.ArrayLike,
    high: npt.ArrayLike,
    *,
    xlabel: str = "lift",
    reference: float = 0.0,
    ax: Any = None,
) -> Any:
    """Point estimates with their intervals, one row per label, and a reference line.

    Parameters
    ----------
    labels : sequence of str
        One label per row, drawn top to bottom.
    estimate, low, high : array-like of float
        The estimates and interval bounds (infinite bounds are clipped to the axes).
    xlabel : str, default "lift"
        Label of the x axis.
    reference : float, default 0.0
        Where the "no effect" line is drawn.
    ax : matplotlib.axes.Axes, optional

    Returns
    -------
    matplotlib.axes.Axes
    """
    check_text(xlabel, "xlabel", optional=False)
    names = check_labels(labels, "labels")
    est = check_numbers(estimate, "estimate", length=len(names))
    lo = check_numbers(low, "low", length=len(names), allow_inf=True)
    hi = check_numbers(high, "high", length=len(names), allow_inf=True)
    reference = check_number(reference, "reference")
    ax = axes_or_new(ax)
    finite = np.concatenate([est, lo[np.isfinite(lo)], hi[np.isfinite(hi)]])
    span = (finite.min(), finite.max()) if finite.size else (-1.0, 1.0)
    pad = (span[1] - span[0]) * 0.1 or 1.0
    lo = np.where(np.isfinite(lo), lo, span[0] - pad)
    hi = np.where(np.isfinite(hi), hi, span[1] + pad)
    y = np.arange(len(names))[::-1]
    ax.hlines(y, lo, hi, color="C0")
    ax.plot(est, y, "o", color="C0")
    ax.axvline(reference, color="grey", linestyle="--", linewidth=1)
    ax.set_yticks(y)
    ax.set_yticklabels(names)
    ax.set_xlabel(xlabel)
    return ax


def experiment_curves(
    x: npt.ArrayLike,
    curves: dict[str, npt.ArrayLike],
    *,
    xlabel: str = "",
    ylabel: str = "",
    ax: Any = None,
) -> Any:
    """Several curves over the same x (a Qini curve and its random baseline, for instance).

    Parameters
    ----------
    x : array-like of float
    curves : dict of str to array-like
        Label to y values, each as long as ``x``.
    xlabel, ylabel : str
    ax : matplotlib.axes.Axes, optional

    Returns
    -------
    matplotlib.axes.Axes
    """
    check_text(xlabel, "xlabel", optional=False)
    check_text(ylabel, "ylabel", optional=False)
    xs = check_numbers(x, "x")
    if not isinstance(curves, dict) or not curves:
        raise InvalidParameterError(
            f"Invalid curves={type(curves).__name__}. Expected a non-empty dict of label to "
            "y values. Hint: curves={'model': [0.0, 0.4, 1.0]}."
        )
    ys_by_label = {
        label: check_numbers(ys, f"curves[{label!r}]", length=xs.size)
        for label, ys in zip(
            check_labels(list(curves), "curves' keys"), curves.values(), strict=True
        )
    }
    ax = axes_or_new(ax)
    for label, ys in ys_by_label.items():
        ax.plot(xs, ys, label=label)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.legend()
    return ax


def experiment_bars(
    labels: Sequence[str],
    observed: npt.ArrayLike,
    expected: npt.ArrayLike | None = None,
    *,
    ylabel: str = "",
    ax: Any = None,
) -> Any:
    """Observed values per label as bars, with expected values as markers.

    Parameters
    ----------
    labels : sequence of str
    observed : array-like of float
    expected : array-like of float, optional
    ylabel : str
    ax : matplotlib.axes.Axes, optional

    Returns
    -------
    matplotlib.axes.Axes
    """
    check_text(ylabel, "ylabel", optional=False)
    names = check_labels(labels, "labels")
    obs = check_numbers(observed, "observed", length=len(names))
    exp = None if expected is None else check_numbers(expected, "expected", length=len(names))
    ax = axes_or_new(ax)
    pos = np.arange(len(names))
    ax.bar(pos, obs, color="C0", label="observed")
    if exp is not None:
        ax.plot(pos, exp, "D", color="C3", label="expected")
        ax.legend()
    ax.set_xticks(pos)
    ax.set_xticklabels(names)
    ax.set_ylabel(ylabel)
    return ax
