"""Charts of the metrics: retention, lifecycle, growth accounting, funnels, revenue, LTV."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from useropslib.plotting._style import (
    COLORS,
    Language,
    axes_or_new,
    check_frame,
    check_numbers,
    check_sequence,
    check_text,
    date_ticks,
    finish,
    label,
    percent_axis,
    period_labels,
    resolve_lang,
)

__all__ = [
    "funnel_bars",
    "growth_accounting_bars",
    "lifecycle_bars",
    "ltv_curves",
    "payback_curves",
    "retention_curves",
    "retention_heatmap",
    "revenue_bars",
    "state_areas",
]


def retention_heatmap(
    rates: pd.DataFrame,
    *,
    incomplete: pd.DataFrame | None = None,
    sizes: Sequence[int] | pd.Series[Any] | None = None,
    ax: Any = None,
    period: str = "week",
    title: str | None = None,
    lang: Language = "en",
) -> Any:
    """Draw a cohort retention table as a heatmap with the share in each cell.

    Parameters
    ----------
    rates : pandas.DataFrame
        One row per cohort (index: cohort start), one column per period ``k``; shares in [0, 1].
    incomplete : pandas.DataFrame of bool, optional
        Same shape: True where the cell's period has not ended yet.  Those cells are hatched
        and labelled as incomplete instead of showing a drop.
    sizes : sequence of int, optional
        Cohort sizes, appended to the row labels.
    ax : matplotlib.axes.Axes, optional
        Where to draw; default a new figure.
    period : str, default "week"
        The period of ``k``, for the labels.
    title : str, optional
        Default "Retention by cohort".
    lang : {"en", "zh"}, default "en"
        Language of the labels.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import pandas as pd
    >>> r = pd.DataFrame({0: [1.0, 1.0], 1: [0.5, float("nan")]},
    ...                  index=["2024-01-01", "2024-01-08"])
    >>> ax = retention_heatmap(r)
    >>> [t.get_text() for t in ax.texts]
    ['100%', '50%', '100%']
    """
    check_text(period, "period", optional=False)
    check_text(title, "title")
    check_frame(rates, "rates", None)
    lang = resolve_lang(lang)
    ax = axes_or_new(ax, figsize=(8.0, max(2.5, 0.38 * len(rates) + 1.5)))
    values = rates.to_numpy(dtype=np.float64)
    inc = (
        np.zeros(values.shape, dtype=bool)
        if incomplete is None
        else incomplete.reindex_like(rates).fillna(False).to_numpy(dtype=bool)
    )
    shown = np.where(inc, np.nan, values)
    ax.imshow(np.ma.masked_invalid(shown), cmap="Blues", vmin=0.0, vmax=1.0, aspect="auto")
    for i in range(values.shape[0]):
        for j in range(values.shape[1]):
            v = values[i, j]
            if inc[i, j]:
                ax.add_patch(_hatch_cell(j, i))
                ax.text(j, i, "…", ha="center", va="center", color="#555555", fontsize=8)
            elif np.isfinite(v):
                ax.text(
                    j,
                    i,
                    f"{v:.0%}",
                    ha="center",
                    va="center",
                    fontsize=8,
                    color="white" if v > 0.6 else "black",
                )
    rows = period_labels(rates.index)
    if sizes is not None:
        check_numbers(sizes, "sizes", length=len(rows))
        rows = [f"{r}  (n={int(n):,})" for r, n in zip(rows, sizes, strict=True)]
    ax.set_yticks(np.arange(len(rows)), rows)
    ax.set_xticks(np.arange(values.shape[1]), [str(c) for c in rates.columns])
    ax.set_xlabel(label("k_after", lang, period=label(period, lang)))
    ax.set_ylabel(label("cohort", lang))
    ax.set_title(title if title is not None else label("retention_heatmap", lang))
    if inc.any():
        from matplotlib.patches import Patch

        ax.legend(
            handles=[Patch(facecolor="white", edgecolor="#999999", hatch="///")],
            labels=[label("incomplete", lang)],
            loc="upper left",
            bbox_to_anchor=(1.01, 1.0),
            fontsize=8,
        )
    return finish(ax, lang, grid="none")


def _hatch_cell(x: float, y: float) -> Any:
    from matplotlib.patches import Rectangle

    return Rectangle(
        (x - 0.5, y - 0.5), 1, 1, facecolor="white", edgecolor="#999999", hatch="///", linewidth=0
    )


def retention_curves(
    curves: pd.DataFrame,
    *,
    ax: Any = None,
    period: str = "week",
    title: str | None = None,
    legend_title: str | None = None,
    lang: Language = "en",
) -> Any:
    """Draw retention curves, one line per column (group), against ``k``.

    Parameters
    ----------
    curves : pandas.DataFrame
        Index: ``k`` (periods after joining); one column per group; shares in [0, 1].
    ax : matplotlib.axes.Axes, optional
        Where to draw; default a new figure.
    period : str, default "week"
        The period of ``k``.
    title, legend_title : str, optional
        Default "Retention" and the columns' name.
    lang : {"en", "zh"}, default "en"
        Language of the labels.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import pandas as pd
    >>> ax = retention_curves(pd.DataFrame({"all": [1.0, 0.4, 0.3]}))
    >>> ax.lines[0].get_ydata().tolist()
    [1.0, 0.4, 0.3]
    """
    check_text(period, "period", optional=False)
    check_text(title, "title")
    check_text(legend_title, "legend_title")
    check_frame(curves, "curves", None)
    lang = resolve_lang(lang)
    ax = axes_or_new(ax)
    k = np.asarray(curves.index, dtype=np.float64)
    for col in curves.columns:
        ax.plot(k, curves[col].to_numpy(dtype=np.float64), marker="o", label=str(col))
    ax.set_ylim(0, 1.05)
    percent_axis(ax, "y")
    ax.set_xlabel(label("k_after", lang, period=label(period, lang)))
    ax.set_ylabel(label("retained_share", lang))
    ax.set_title(title if title is not None else label("retention", lang))
    if curves.shape[1] > 1:
        ax.legend(title=legend_title if legend_title is not None else curves.columns.name)
    return finish(ax, lang)


def lifecycle_bars(
    counts: pd.DataFrame,
    *,
    incomplete: npt.ArrayLike | None = None,
    ax: Any = None,
    period: str | None = None,
    title: str | None = None,
    lang: Language = "en",
) -> Any:
    """Draw PostHog's lifecycle chart: new, returning, resurrecting stacked, dormant below zero.

    Parameters
    ----------
    counts : pandas.DataFrame
        One row per period (index: period start) with columns ``new``, ``returning``,
        ``resurrecting`` and ``dormant`` (drawn below zero whatever its sign).
    incomplete : sequence of bool, optional
        True for periods that had not ended (drawn hatched and pale, so a running period does
        not read as a drop).
    ax : matplotlib.axes.Axes, optional
        Where to draw; default a new figure.
    period : str, optional
        ``"day"``, ``"week"`` or ``"month"``, for the date labels.
    title : str, optional
        Default "Lifecycle".
    lang : {"en", "zh"}, default "en"
        Language of the labels.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import pandas as pd
    >>> c = pd.DataFrame({"new": [5], "returning": [3], "resurrecting": [1], "dormant": [-2]})
    >>> ax = lifecycle_bars(c)
    >>> [float(p.get_height()) for p in ax.patches]
    [5.0, 3.0, 1.0, -2.0]
    """
    check_text(period, "period")
    check_text(title, "title")
    check_frame(counts, "counts", ["new", "returning", "resurrecting", "dormant"])
    lang = resolve_lang(lang)
    ax = axes_or_new(ax)
    x = np.arange(len(counts))
    base = np.zeros(len(counts))
    for status in ("new", "returning", "resurrecting"):
        v = counts[status].to_numpy(dtype=np.float64)
        ax.bar(x, v, bottom=base, color=COLORS[status], label=label(status, lang))
        base += v
    dormant = -np.abs(counts["dormant"].to_numpy(dtype=np.float64))
    ax.bar(x, dormant, color=COLORS["dormant"], label=label("dormant", lang))
    _mark_incomplete(ax, incomplete, len(counts), lang)
    ax.axhline(0, color="black", linewidth=0.8)
    date_ticks(ax, x, list(counts.index), period)
    ax.set_ylabel(label("users", lang))
    ax.set_title(title if title is not None else label("lifecycle", lang))
    ax.legend(loc="upper left", fontsize=8)
    return finish(ax, lang)


def growth_accounting_bars(
    counts: pd.DataFrame,
    *,
    incomplete: npt.ArrayLike | None = None,
    ax: Any = None,
    period: str | None = None,
    title: str | None = None,
    lang: Language = "en",
) -> Any:
    """Draw the pool: new and resurrected users above zero, churned below, net change as a line.

    Parameters
    ----------
    counts : pandas.DataFrame
        One row per period with columns ``new``, ``resurrected``, ``churned`` and
        ``net_change``.
    incomplete : sequence of bool, optional
        True for periods that had not ended (drawn hatched and pale).
    ax : matplotlib.axes.Axes, optional
        Where to draw; default a new figure.
    period : str, optional
        For the date labels.
    title : str, optional
        Default "Growth accounting (the pool)".
    lang : {"en", "zh"}, default "en"
        Language of the labels.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import pandas as pd
    >>> c = pd.DataFrame({"new": [4], "resurrected": [1], "churned": [2], "net_change": [3]})
    >>> ax = growth_accounting_bars(c)
    >>> [float(p.get_height()) for p in ax.patches], ax.lines[0].get_ydata().tolist()
    ([4.0, 1.0, -2.0], [3.0])
    """
    check_text(period, "period")
    check_text(title, "title")
    check_frame(counts, "counts", ["new", "resurrected", "churned", "net_change"])
    lang = resolve_lang(lang)
    ax = axes_or_new(ax)
    x = np.arange(len(counts))
    new = counts["new"].to_numpy(dtype=np.float64)
    ax.bar(x, new, color=COLORS["new"], label=label("new", lang))
    ax.bar(
        x,
        counts["resurrected"].to_numpy(dtype=np.float64),
        bottom=new,
        color=COLORS["resurrected"],
        label=label("resurrected", lang),
    )
    ax.bar(
        x,
        -np.abs(counts["churned"].to_numpy(dtype=np.float64)),
        color=COLORS["churned"],
        label=label("churned", lang),
    )
    _mark_incomplete(ax, incomplete, len(counts), lang)
    ax.plot(
        x,
        counts["net_change"].to_numpy(dtype=np.float64),
        color=COLORS["net"],
        marker="o",
        label=label("net_change", lang),
    )
    ax.axhline(0, color="black", linewidth=0.8)
    date_ticks(ax, x, list(counts.index), period)
    ax.set_ylabel(label("users", lang))
    ax.set_title(title if title is not None else label("growth", lang))
    ax.legend(loc="upper left", fontsize=8)
    return finish(ax, lang)


def _mark_incomplete(ax: Any, incomplete: npt.ArrayLike | None, n: int, lang: Language) -> None:
    """Hatch and pale the bars of periods that had not ended; add a legend entry."""
    if incomplete is None:
        return
    flags = np.asarray(incomplete, dtype=bool)
    if not flags.any():
        return
    for container in ax.containers:
        for i, patch in enumerate(container.patches if hasattr(container, "patches") else []):
            if i < n and flags[i]:
                patch.set_hatch("///")
                patch.set_alpha(0.45)
    from matplotlib.patches import Patch

    ax.add_artist(
        ax.legend(
            handles=[Patch(facecolor="white", edgecolor="#777777", hatch="///")],
            labels=[label("incomplete", lang)],
            loc="lower left",
            fontsize=8,
        )
    )


def state_areas(
    counts: pd.DataFrame,
    *,
    ax: Any = None,
    title: str | None = None,
    lang: Language = "en",
) -> Any:
    """Draw users per state over time as stacked areas (one column per state).

    Parameters
    ----------
    counts : pandas.DataFrame
        Index: days; columns: states.
    ax : matplotlib.axes.Axes, optional
        Where to draw; default a new figure.
    title : str, optional
        Drawn as given.
    lang : {"en", "zh"}, default "en"
        Language of the labels.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import pandas as pd
    >>> ax = state_areas(pd.DataFrame({"current": [3, 4], "dormant": [1, 2]}))
    >>> len(ax.collections)
    2
    """
    check_text(title, "title")
    check_frame(counts, "counts", None)
    lang = resolve_lang(lang)
    ax = axes_or_new(ax)
    ax.stackplot(
        counts.index.to_numpy(),
        counts.to_numpy(dtype=np.float64).T,
        labels=[str(c) for c in counts.columns],
    )
    ax.set_ylabel(label("users", lang))
    if title is not None:
        ax.set_title(title)
    ax.legend(loc="upper left", fontsize=8)
    return finish(ax, lang)


def funnel_bars(
    names: Iterable[Any],
    users: npt.ArrayLike,
    *,
    breakdown: pd.DataFrame | None = None,
    ax: Any = None,
    title: str | None = None,
    lang: Language = "en",
) -> Any:
    """Draw people per funnel step with the conversion from step 0 and the drop-off between steps.

    Parameters
    ----------
    names : sequence of str
        Step names, in order.
    users : sequence of float
        People reaching each step.
    breakdown : pandas.DataFrame, optional
        People per step (columns, in step order) for each breakdown group (rows); drawn as
        grouped bars instead of the single series.
    ax : matplotlib.axes.Axes, optional
        Where to draw; default a new figure.
    title : str, optional
        Default "Funnel".
    lang : {"en", "zh"}, default "en"
        Language of the labels.

    Returns
    -------
    matplotlib.axes.Axes

    Notes
    -----
    Each bar is labelled with its conversion from the first step; the grey bar behind it shows
    the people lost since the previous step, labelled with the drop-off share (PostHog's funnel
    chart shows the same two numbers).

    Examples
    --------
    >>> ax = funnel_bars(["signup", "profile", "buy"], [100, 60, 15])
    >>> [float(p.get_height()) for p in ax.patches]
    [100.0, 60.0, 15.0, 0.0, 40.0, 45.0]
    >>> [t.get_text() for t in ax.texts]
    ['100%', '60%', '15%', '-40%', '-75%']
    """
    check_text(title, "title")
    check_sequence(names, "names")
    check_numbers(users, "users", allow_inf=True)
    lang = resolve_lang(lang)
    ax = axes_or_new(ax)
    step_names = [str(n) for n in names]
    x = np.arange(len(step_names), dtype=np.float64)
    if breakdown is not None:
        check_frame(breakdown, "breakdown", None)
        width = 0.8 / max(len(breakdown), 1)
        for i, (g, row) in enumerate(breakdown.iterrows()):
            ax.bar(
                x + i * width - 0.4 + width / 2, row.to_numpy(dtype=np.float64), width, label=str(g)
            )
        ax.legend(title=breakdown.index.name)
    else:
        u = np.asarray(users, dtype=np.float64)
        prev = np.concatenate([u[:1], u[:-1]])
        lost = prev - u
        ax.bar(x, u, color=COLORS["main"], label=label("users", lang))
        ax.bar(x, lost, bottom=u, color=COLORS["muted"], label=label("drop_off", lang))
        first = u[0] if len(u) and u[0] > 0 else np.nan
        for xi, ui in zip(x, u, strict=True):
            ax.annotate(f"{ui / first:.0%}", (xi, ui), ha="center", va="bottom", fontsize=9)
        for xi, ui, pi in zip(x[1:], u[1:], prev[1:], strict=True):
            if pi > 0:
                ax.annotate(
                    f"-{(pi - ui) / pi:.0%}",
                    (xi, pi),
                    ha="center",
                    va="bottom",
                    fontsize=8,
                    color="#555555",
                )
        ax.legend(loc="upper right", fontsize=8)
    ax.set_xticks(x, step_names, rotation=20 if len(step_names) > 4 else 0, ha="right")
    ax.set_ylabel(label("people", lang))
    ax.set_title(title if title is not None else label("funnel", lang))
    return finish(ax, lang)


def revenue_bars(
    periods: Iterable[Any],
    revenue: npt.ArrayLike,
    arpu: npt.ArrayLike,
    *,
    ax: Any = None,
    period: str | None = None,
    lang: Language = "en",
) -> Any:
    """Draw revenue per period as bars with ARPU as a line on a second axis.

    Parameters
    ----------
    periods : sequence
        Period starts.
    revenue, arpu : sequence of float
        Revenue and average revenue per active user per period.
    ax : matplotlib.axes.Axes, optional
        Where to draw; default a new figure.
    period : str, optional
        For the date labels.
    lang : {"en", "zh"}, default "en"
        Language of the labels.

    Returns
    -------
    matplotlib.axes.Axes
        The revenue axes (ARPU is on its twin).

    Examples
    --------
    >>> ax = revenue_bars(["w1", "w2"], [10.0, 12.0], [1.0, 1.5])
    >>> [float(p.get_height()) for p in ax.patches]
    [10.0, 12.0]
    """
    check_text(period, "period")
    check_sequence(periods, "periods")
    check_numbers(revenue, "revenue", allow_inf=True)
    check_numbers(arpu, "arpu", allow_inf=True)
    lang = resolve_lang(lang)
    ax = axes_or_new(ax)
    periods = list(periods)
    x = np.arange(len(periods))
    ax.bar(
        x, np.asarray(revenue, dtype=np.float64), color=COLORS["main"], label=label("revenue", lang)
    )
    ax.set_ylabel(label("revenue", lang))
    date_ticks(ax, x, list(periods), period)
    right = ax.twinx()
    right.plot(x, np.asarray(arpu, dtype=np.float64), color=COLORS["net"], marker="o")
    right.set_ylabel(label("arpu", lang))
    right.spines["top"].set_visible(False)
    ax.set_title(label("revenue_title", lang))
    finish(right, lang, grid="none")
    return finish(ax, lang)


def ltv_curves(
    table: pd.DataFrame,
    curve: npt.ArrayLike,
    *,
    ax: Any = None,
    period: str = "month",
    lang: Language = "en",
) -> Any:
    """Draw each cohort's cumulative revenue per user (thin grey) and the mean curve (thick).

    Parameters
    ----------
    table : pandas.DataFrame
        One row per cohort, one column per age.
    curve : sequence of float
        The mean curve over the same ages.
    ax : matplotlib.axes.Axes, optional
        Where to draw; default a new figure.
    period : str, default "month"
        The cohort period.
    lang : {"en", "zh"}, default "en"
        Language of the labels.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import pandas as pd
    >>> ax = ltv_curves(pd.DataFrame([[1.0, 2.0]], columns=[0, 1]), [1.0, 2.0])
    >>> ax.lines[-1].get_ydata().tolist()
    [1.0, 2.0]
    """
    check_text(period, "period", optional=False)
    check_frame(table, "table", [])
    check_numbers(curve, "curve", allow_inf=True)
    lang = resolve_lang(lang)
    ax = axes_or_new(ax)
    ages = np.asarray(table.columns, dtype=np.float64)
    for _, row in table.iterrows():
        ax.plot(ages, row.to_numpy(dtype=np.float64), color=COLORS["muted"], linewidth=0.8)
    ax.plot(
        ages,
        np.asarray(curve, dtype=np.float64),
        color=COLORS["main"],
        linewidth=2.5,
        label=label("mean", lang),
    )
    ax.set_xlabel(label("since_acq", lang, period=label(period, lang)))
    ax.set_ylabel(label("ltv", lang))
    ax.set_title(label("ltv_title", lang))
    ax.legend()
    return finish(ax, lang)


def payback_curves(
    curves: pd.DataFrame,
    cac: npt.ArrayLike,
    *,
    ax: Any = None,
    period: str = "month",
    lang: Language = "en",
) -> Any:
    """Draw each channel's cumulative revenue per user with its acquisition cost as a dashed line.

    Parameters
    ----------
    curves : pandas.DataFrame
        One row per channel, one column per age.
    cac : sequence of float
        Cost per acquired user per channel (NaN draws no line).
    ax : matplotlib.axes.Axes, optional
        Where to draw; default a new figure.
    period : str, default "month"
        The cohort period.
    lang : {"en", "zh"}, default "en"
        Language of the labels.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import pandas as pd
    >>> ax = payback_curves(pd.DataFrame([[1.0, 3.0]], index=["ads"], columns=[0, 1]), [2.0])
    >>> [list(map(float, line.get_ydata())) for line in ax.lines]
    [[1.0, 3.0], [2.0, 2.0]]
    """
    check_text(period, "period", optional=False)
    check_frame(curves, "curves", [])
    check_numbers(cac, "cac", allow_inf=True)
    lang = resolve_lang(lang)
    ax = axes_or_new(ax)
    ages = np.asarray(curves.columns, dtype=np.float64)
    costs = np.asarray(cac, dtype=np.float64)
    for i, (name, row) in enumerate(curves.iterrows()):
        color = f"C{i % 10}"
        ax.plot(ages, row.to_numpy(dtype=np.float64), color=color, label=str(name))
        if np.isfinite(costs[i]):
            ax.axhline(costs[i], color=color, linestyle="--")
    ax.set_xlabel(label("since_acq", lang, period=label(period, lang)))
    ax.set_ylabel(label("ltv", lang))
    ax.set_title(label("payback", lang))
    ax.legend()
    return finish(ax, lang)
