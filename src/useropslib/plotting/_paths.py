"""Figures of paths and sessions: a flow diagram of transitions, a step heatmap, bar charts."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from useropslib._checks import check_bool
from useropslib.plotting._style import axes_or_new, check_frame, check_series, check_text

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["bar_chart", "flow_diagram", "step_heatmap"]


def _axes(ax: Any) -> Any:
    return axes_or_new(ax, figsize=(8, 5))


def flow_diagram(
    edges: pd.DataFrame, *, ax: Axes | None = None, top: int = 20, title: str | None = None
) -> Axes:
    """Draw the ``top`` edges as a layered flow: nodes in columns, line width by value.

    Parameters
    ----------
    edges : pandas.DataFrame
        Columns ``source``, ``target``, ``value``; optional ``source_step`` and ``target_step``
        place nodes in step columns (else sources left, targets right).
    ax : matplotlib.axes.Axes, optional
        Where to draw; a new figure when None.
    top : int, default 20
        Edges drawn, by value.
    title : str, optional

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import pandas as pd, matplotlib
    >>> matplotlib.use("Agg")
    >>> e = pd.DataFrame({"source": ["a", "a"], "target": ["b", "c"], "value": [3, 1]})
    >>> flow_diagram(e).get_title()
    ''
    """
    check_text(title, "title")
    check_frame(edges, "edges", ["value"], present=["source", "target"])
    ax = _axes(ax)
    e = edges.nlargest(top, "value") if len(edges) else edges
    if "source_step" in e.columns:
        s_col = e["source_step"].to_numpy(dtype=np.int64)
        t_col = e["target_step"].to_numpy(dtype=np.int64)
    else:
        s_col = np.zeros(len(e), dtype=np.int64)
        t_col = np.ones(len(e), dtype=np.int64)
    src = [(int(c), str(n)) for c, n in zip(s_col, e["source"], strict=True)]
    dst = [(int(c), str(n)) for c, n in zip(t_col, e["target"], strict=True)]
    weight: dict[tuple[int, str], float] = {}
    for node, v in zip(src + dst, list(e["value"]) * 2, strict=True):
        weight[node] = weight.get(node, 0.0) + float(v)
    ypos: dict[tuple[int, str], float] = {}
    for col in sorted({c for c, _ in weight}):
        nodes = sorted((n for n in weight if n[0] == col), key=lambda n: (-weight[n], n[1]))
        for i, node in enumerate(nodes):
            ypos[node] = -float(i)
    vmax = float(e["value"].max()) if len(e) else 1.0
    for a, b, v in zip(src, dst, e["value"], strict=True):
        ax.plot(
            [a[0], b[0]],
            [ypos[a], ypos[b]],
            color="tab:blue",
            alpha=0.35,
            linewidth=1 + 12 * float(v) / vmax,
            solid_capstyle="butt",
        )
    for node, y in ypos.items():
        ax.annotate(
            node[1],
            (node[0], y),
            ha="center",
            va="center",
            fontsize=8,
            bbox={"boxstyle": "round", "fc": "white", "ec": "0.6"},
        )
    ax.set_xticks(sorted({c for c, _ in ypos}))
    ax.set_yticks([])
    if title:
        ax.set_title(title)
    return ax


def step_heatmap(matrix: pd.DataFrame, *, ax: Axes | None = None, diverging: bool = False) -> Axes:
    """Heatmap of a (label x step) matrix of shares, values written in the cells.

    Parameters
    ----------
    matrix : pandas.DataFrame
        Rows are labels, columns steps.
    ax : matplotlib.axes.Axes, optional
    diverging : bool, default False
        Centre the colours on 0 (for a difference of two matrices).

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import pandas as pd, matplotlib
    >>> matplotlib.use("Agg")
    >>> m = pd.DataFrame([[1.0, 0.5], [0.0, 0.5]], index=["a", "b"])
    >>> step_heatmap(m).get_xlabel()
    'step'
    """
    check_bool(diverging, "diverging")
    check_frame(matrix, "matrix", None)
    ax = _axes(ax)
    values = matrix.to_numpy(dtype=np.float64)
    if diverging:
        lim = float(np.nanmax(np.abs(values))) if values.size else 1.0
        ax.imshow(values, cmap="RdBu", vmin=-lim or -1, vmax=lim or 1, aspect="auto")
    else:
        ax.imshow(values, cmap="Blues", vmin=0, vmax=1, aspect="auto")
    ax.set_xticks(range(values.shape[1]), [str(c) for c in matrix.columns])
    ax.set_yticks(range(values.shape[0]), [str(i) for i in matrix.index])
    for (i, j), v in np.ndenumerate(values):
        if v:
            ax.text(j, i, f"{v:.2f}", ha="center", va="center", fontsize=7)
    ax.set_xlabel("step")
    return ax


def bar_chart(
    values: pd.Series,
    *,
    ax: Axes | None = None,
    title: str | None = None,
    ylabel: str | None = None,
    horizontal: bool = False,
) -> Axes:
    """Bars of a series (index as labels).

    Parameters
    ----------
    values : pandas.Series
    ax : matplotlib.axes.Axes, optional
    title, ylabel : str, optional
    horizontal : bool, default False
        Horizontal bars (for long labels such as paths), first item on top.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import pandas as pd, matplotlib
    >>> matplotlib.use("Agg")
    >>> len(bar_chart(pd.Series([1, 2], index=["a", "b"])).patches)
    2
    """
    check_text(title, "title")
    check_text(ylabel, "ylabel")
    check_bool(horizontal, "horizontal")
    check_series(values, "values")
    ax = _axes(ax)
    labels = [str(i) for i in values.index]
    v = values.to_numpy(dtype=np.float64)
    if horizontal:
        ax.barh(labels[::-1], v[::-1])
        if ylabel:
            ax.set_xlabel(ylabel)
    else:
        ax.bar(labels, v)
        ax.tick_params(axis="x", labelrotation=30)
        if ylabel:
            ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title)
    return ax
