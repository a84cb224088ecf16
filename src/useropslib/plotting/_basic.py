"""Generic charts: bars, grouped bars, flows in and out, lines by group."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from useropslib._checks import check_bool
from useropslib.exceptions import InvalidParameterError
from useropslib.plotting._style import (
    COLORS,
    Language,
    axes_or_new,
    check_frame,
    check_labels,
    check_numbers,
    check_sequence,
    check_text,
    date_ticks,
    finish,
    label,
    percent_axis,
    resolve_lang,
)

__all__ = ["bars", "flow_bars", "grouped_bars", "lines"]


def bars(
    labels: Iterable[Any],
    values: npt.ArrayLike,
    *,
    ax: Any = None,
    horizontal: bool = False,
    xlabel: str | None = None,
    ylabel: str | None = None,
    title: str | None = None,
    percent: bool = False,
    lang: Language = "en",
) -> Any:
    """Draw one bar per label.

    Parameters
    ----------
    labels : sequence
        One label per bar (shown as text).
    values : sequence of float
        Bar heights (NaN draws no bar).
    ax : matplotlib.axes.Axes, optional
        Where to draw; default a new figure.
    horizontal : bool, default False
        Horizontal bars, first label at the top.
    xlabel, ylabel, title : str, optional
        Axis labels and title, drawn as given.
    percent : bool, default False
        Values are shares in [0, 1]: the value axis reads in percent.
    lang : {"en", "zh"}, default "en"
        Language of the chart's own labels.

    Returns
    -------
    matplotlib.axes.Axes

    Raises
    ------
    UseropsError
        When matplotlib is not installed.

    Examples
    --------
    >>> ax = bars(["a", "b"], [3, 5])
    >>> [float(p.get_height()) for p in ax.patches]
    [3.0, 5.0]
    """
    check_bool(horizontal, "horizontal")
    check_text(xlabel, "xlabel")
    check_text(ylabel, "ylabel")
    check_text(title, "title")
    check_bool(percent, "percent")
    check_sequence(labels, "labels")
    check_numbers(values, "values", allow_inf=True)
    lang = resolve_lang(lang)
    ax = axes_or_new(ax)
    names = [str(x) for x in labels]
    v = np.asarray(values, dtype=np.float64)
    if horizontal:
        ax.barh(names, v, color=COLORS["main"])
        ax.invert_yaxis()
    else:
        ax.bar(names, v, color=COLORS["main"])
        if len(names) > 6:
            ax.tick_params(axis="x", labelrotation=30)
    if percent:
        percent_axis(ax, "x" if horizontal else "y")
    texts = {"xlabel": xlabel, "ylabel": ylabel, "title": title}
    ax.set(**{k: v for k, v in texts.items() if v is not None})
    return finish(ax, lang, grid="x" if horizontal else "y")


def grouped_bars(
    table: pd.DataFrame,
    *,
    ax: Any = None,
    ylabel: str | None = None,
    title: str | None = None,
    legend_title: str | None = None,
    lang: Language = "en",
) -> Any:
    """Draw one group of bars per column of ``table``, one colour per row.

    Parameters
    ----------
    table : pandas.DataFrame
        Rows are the series (legend), columns the categories (x axis).
    ax : matplotlib.axes.Axes, optional
        Where to draw; default a new figure.
    ylabel, title, legend_title : str, optional
        Drawn as given.
    lang : {"en", "zh"}, default "en"
        Language of the chart's own labels.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.DataFrame({"sent": [10, 8], "opened": [4, 2]}, index=["email", "push"])
    >>> ax = grouped_bars(t)
    >>> [float(p.get_height()) for p in ax.patches]
    [10.0, 4.0, 8.0, 2.0]
    """
    check_text(ylabel, "ylabel")
    check_text(title, "title")
    check_text(legend_title, "legend_title")
    check_frame(table, "table", None)
    lang = resolve_lang(lang)
    ax = axes_or_new(ax)
    n = max(len(table), 1)
    width = 0.8 / n
    x = np.arange(table.shape[1], dtype=np.float64)
    for i, (name, row) in enumerate(table.iterrows()):
        ax.bar(
            x + i * width - 0.4 + width / 2, row.to_numpy(dtype=np.float64), width, label=str(name)
        )
    ax.set_xticks(x, [str(c) for c in table.columns])
    if ylabel is not None:
        ax.set_ylabel(ylabel)
    if title is not None:
        ax.set_title(title)
    ax.legend(title=legend_title if legend_title is not None else table.index.name)
    return finish(ax, lang)


def flow_bars(
    periods: Iterable[Any],
    inflow: npt.ArrayLike,
    outflow: npt.ArrayLike,
    *,
    level: npt.ArrayLike | None = None,
    ax: Any = None,
    period: str | None = None,
    names: tuple[str, str, str] | None = None,
    title: str | None = None,
    lang: Language = "en",
) -> Any:
    """Draw what enters (above zero) and leaves (below zero) per period, with a level line.

    Parameters
    ----------
    periods : sequence
        Period starts (timestamps) or labels.
    inflow, outflow : sequence of float
        Counts per period; ``outflow`` is drawn below zero whatever its sign.
    level : sequence of float, optional
        A line drawn over the bars (e.g. the segment's size).
    ax : matplotlib.axes.Axes, optional
        Where to draw; default a new figure.
    period : str, optional
        ``"day"``, ``"week"`` or ``"month"``, for the date labels.
    names : tuple of str, optional
        Legend names of inflow, outflow and level; default entered / left / size.
    title : str, optional
        Drawn as given.
    lang : {"en", "zh"}, default "en"
        Language of the chart's own labels.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> ax = flow_bars(["w1", "w2"], [3, 4], [1, 2])
    >>> [float(p.get_height()) for p in ax.patches]
    [3.0, 4.0, -1.0, -2.0]
    """
    check_text(period, "period")
    check_text(title, "title")
    check_sequence(periods, "periods")
    check_numbers(inflow, "inflow", allow_inf=True)
    check_numbers(outflow, "outflow", allow_inf=True)
    lang = resolve_lang(lang)
    ax = axes_or_new(ax)
    periods = list(periods)
    if names is not None and (len(check_labels(names, "names")) != 3):
        raise InvalidParameterError(
            f"Invalid names={names!r}. Expected three labels (entered, left, level). "
            "Hint: names=('in', 'out', 'level')."
        )
    n_in, n_out, n_level = names or (
        label("entered", lang),
        label("left", lang),
        label("size", lang),
    )
    x = np.arange(len(periods))
    ax.bar(x, np.asarray(inflow, dtype=np.float64), color=COLORS["new"], label=n_in)
    ax.bar(x, -np.abs(np.asarray(outflow, dtype=np.float64)), color=COLORS["churned"], label=n_out)
    if level is not None:
        ax.plot(
            x, np.asarray(level, dtype=np.float64), color=COLORS["net"], marker="o", label=n_level
        )
    ax.axhline(0, color="black", linewidth=0.8)
    date_ticks(ax, x, periods, period)
    ax.set_ylabel(label("users", lang))
    if title is not None:
        ax.set_title(title)
    ax.legend()
    return finish(ax, lang)


def lines(
    frame: pd.DataFrame,
    *,
    ax: Any = None,
    xlabel: str | None = None,
    ylabel: str | None = None,
    title: str | None = None,
    percent: bool = False,
    legend_title: str | None = None,
    lang: Language = "en",
) -> Any:
    """Draw one line per column of ``frame`` against its index.

    Parameters
    ----------
    frame : pandas.DataFrame
        Index: x values; columns: the lines (legend when more than one).
    ax : matplotlib.axes.Axes, optional
        Where to draw; default a new figure.
    xlabel, ylabel, title, legend_title : str, optional
        Drawn as given.
    percent : bool, default False
        Values are shares: the y axis reads in percent.
    lang : {"en", "zh"}, default "en"
        Language of the chart's own labels.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import pandas as pd
    >>> ax = lines(pd.DataFrame({"dau": [5, 7, 6]}))
    >>> ax.lines[0].get_ydata().tolist()
    [5.0, 7.0, 6.0]
    """
    check_text(xlabel, "xlabel")
    check_text(ylabel, "ylabel")
    check_text(title, "title")
    check_bool(percent, "percent")
    check_text(legend_title, "legend_title")
    check_frame(frame, "frame", None)
    lang = resolve_lang(lang)
    ax = axes_or_new(ax)
    x = frame.index
    for col in frame.columns:
        ax.plot(x, frame[col].to_numpy(dtype=np.float64), label=str(col))
    if percent:
        percent_axis(ax, "y")
    texts = {"xlabel": xlabel, "ylabel": ylabel, "title": title}
    ax.set(**{k: v for k, v in texts.items() if v is not None})
    if frame.shape[1] > 1:
        ax.legend(title=legend_title)
    return finish(ax, lang)
