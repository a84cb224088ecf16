"""Charts of a campaign review (复盘), labelled in English or Chinese.

Lift with its interval (both engines), pacing against the target, a funnel with its bottleneck,
retention of the campaign's users against a baseline group, and the counterfactual's three
panels. Plain frames and arrays in, the Axes out; matplotlib is imported only when drawing.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from useropslib.exceptions import InvalidParameterError
from useropslib.plotting._style import (
    COLORS,
    Language,
    axes_or_new,
    check_frame,
    check_labels,
    check_number,
    check_numbers,
    check_sequence,
    check_text,
    finish,
    percent_axis,
    resolve_lang,
)

__all__ = [
    "counterfactual_panels",
    "funnel_bottleneck",
    "lift_intervals",
    "pacing_against_target",
    "quality_retention",
]

_L: dict[str, dict[str, str]] = {
    "lift_title": {"en": "Lift with its interval", "zh": "提升及其区间"},
    "lift_axis": {"en": "relative lift", "zh": "相对提升"},
    "lift_abs_axis": {"en": "difference", "zh": "差值"},
    "frequentist": {"en": "frequentist CI", "zh": "频率学派置信区间"},
    "bayesian": {"en": "Bayesian credible interval", "zh": "贝叶斯可信区间"},
    "pacing_title": {"en": "Pacing against target", "zh": "目标进度"},
    "actual": {"en": "actual", "zh": "实际"},
    "linear": {"en": "expected (linear)", "zh": "预期（线性）"},
    "history": {"en": "expected (history-shaped)", "zh": "预期（按历史节奏）"},
    "target": {"en": "target", "zh": "目标"},
    "cumulative": {"en": "cumulative value", "zh": "累计值"},
    "funnel_title": {"en": "Funnel and its bottleneck", "zh": "漏斗与瓶颈环节"},
    "people": {"en": "people", "zh": "人数"},
    "drop_off": {"en": "drop-off", "zh": "流失"},
    "bottleneck": {"en": "bottleneck", "zh": "瓶颈"},
    "quality_title": {"en": "Retention: campaign users vs baseline", "zh": "留存：活动用户与基准"},
    "period_after": {"en": "periods of {days} days (k)", "zh": "第 k 个 {days} 天周期"},
    "active_share": {"en": "share active in period k", "zh": "第 k 期活跃比例"},
    "acquired": {"en": "acquired", "zh": "活动获取"},
    "organic": {"en": "organic", "zh": "自然新增"},
    "treatment": {"en": "treatment", "zh": "实验组"},
    "control": {"en": "control (holdout)", "zh": "对照组（留出）"},
    "after": {"en": "after the campaign", "zh": "活动后"},
    "before": {"en": "before the launch", "zh": "上线前"},
    "cf_observed": {"en": "observed vs counterfactual", "zh": "实际值与反事实基准"},
    "cf_pointwise": {"en": "pointwise effect", "zh": "逐日效果"},
    "cf_cumulative": {"en": "cumulative effect", "zh": "累计效果"},
    "observed": {"en": "observed", "zh": "实际"},
    "predicted": {"en": "counterfactual", "zh": "反事实基准"},
    "effect": {"en": "effect", "zh": "效果"},
    "cumulative_effect": {"en": "cumulative effect", "zh": "累计效果"},
    "launch": {"en": "launch", "zh": "上线"},
}


def _t(key: str, lang: Language, **fields: Any) -> str:
    text = _L[key][lang]
    return text.format(**fields) if fields else text


def _interval_frame(frame: Any, name: str) -> pd.DataFrame:
    out: pd.DataFrame = check_frame(frame, name, ["estimate", "ci_low", "ci_high"])
    if out.empty:
        raise InvalidParameterError(
            f"Invalid {name}: no rows. Expected one row per goal with estimate, ci_low, ci_high."
        )
    return out


def lift_intervals(
    frequentist: pd.DataFrame,
    bayesian: pd.DataFrame | None = None,
    *,
    relative: bool = True,
    title: str | None = None,
    lang: Language = "en",
    ax: Any = None,
) -> Any:
    """Draw each goal's lift with its frequentist interval and, beside it, its Bayesian one.

    Parameters
    ----------
    frequentist : pandas.DataFrame
        Index: goal names (drawn top to bottom); columns ``estimate``, ``ci_low``, ``ci_high``.
    bayesian : pandas.DataFrame, optional
        The same columns for the goals the Bayesian engine answered (any subset of the index).
    relative : bool, default True
        Read the axis in percent (relative lifts); False for absolute differences.
    title : str, optional
        Default "Lift with its interval".
    lang : {"en", "zh"}, default "en"
    ax : matplotlib.axes.Axes, optional

    Returns
    -------
    matplotlib.axes.Axes

    Raises
    ------
    InvalidParameterError
        A frame without the columns, with no rows, or Bayesian goals absent from the
        frequentist frame.

    Notes
    -----
    The frequentist row is a confidence interval (gbstats' Welch t / delta method), the
    Bayesian row a credible interval of the normal posterior (gbstats' Bayesian engine); the
    dashed line is "no effect".

    Examples
    --------
    >>> import pandas as pd
    >>> f = pd.DataFrame({"estimate": [0.2], "ci_low": [0.05], "ci_high": [0.35]},
    ...                  index=["paying users"])
    >>> ax = lift_intervals(f, f * 0.9)
    >>> [[float(x) for x in line.get_xdata()] for line in ax.lines[:2]]
    [[0.05, 0.35], [0.2]]
    """
    check_text(title, "title")
    freq = _interval_frame(frequentist, "frequentist")
    bayes = None if bayesian is None else _interval_frame(bayesian, "bayesian")
    names = check_labels([str(i) for i in freq.index], "frequentist.index")
    if bayes is not None:
        unknown = [str(i) for i in bayes.index if str(i) not in names]
        if unknown:
            raise InvalidParameterError(
                f"Invalid bayesian: goals {unknown} are not in the frequentist frame "
                f"({names}). Expected a subset of its index."
            )
    lang = resolve_lang(lang)
    ax = axes_or_new(ax, figsize=(7.0, 1.2 + 0.7 * len(names)))
    y = np.arange(len(names), dtype=np.float64)[::-1]
    offset = 0.15 if bayes is not None else 0.0
    for i, (_, row) in enumerate(freq.iterrows()):
        yi = y[i] + offset
        ax.plot([row["ci_low"], row["ci_high"]], [yi, yi], color=COLORS["main"], linewidth=2.5)
        ax.plot(
            [row["estimate"]],
            [yi],
            "o",
            color=COLORS["main"],
            label=_t("frequentist", lang) if i == 0 else None,
        )
    if bayes is not None:
        for j, (g, row) in enumerate(bayes.iterrows()):
            yi = y[names.index(str(g))] - offset
            ax.plot([row["ci_low"], row["ci_high"]], [yi, yi], color="#ff7f0e", linewidth=2.5)
            ax.plot(
                [row["estimate"]],
                [yi],
                "D",
                color="#ff7f0e",
                label=_t("bayesian", lang) if j == 0 else None,
            )
    ax.axvline(0.0, color=COLORS["reference"], linestyle="--", linewidth=1)
    ax.set_yticks(y, names)
    ax.set_ylim(y.min() - 0.6, y.max() + 0.6)
    if relative:
        percent_axis(ax, "x")
    ax.set_xlabel(_t("lift_axis" if relative else "lift_abs_axis", lang))
    ax.set_title(title if title is not None else _t("lift_title", lang))
    # beside the axes: the intervals span the width, so any corner would cover one (outside
    # on the right, constrained layout makes room for it)
    ax.legend(loc="center left", bbox_to_anchor=(1.01, 0.5), fontsize=8, frameon=False)
    return finish(ax, lang, grid="x")


def pacing_against_target(
    days: Sequence[Any],
    actual: Any,
    expected_linear: Any,
    expected_history: Any | None = None,
    *,
    target: float,
    title: str | None = None,
    lang: Language = "en",
    ax: Any = None,
) -> Any:
    """Draw a goal's cumulative value so far against the expected curves and the target.

    Parameters
    ----------
    days : sequence of timestamps
    actual, expected_linear : array-like of float
        Same length as ``days`` (NaN is not drawn).
    expected_history : array-like of float, optional
        The history-shaped expectation (same length).
    target : float
        The goal's target, drawn as a horizontal line.
    title : str, optional
        Default "Pacing against target".
    lang : {"en", "zh"}, default "en"
    ax : matplotlib.axes.Axes, optional

    Returns
    -------
    matplotlib.axes.Axes

    See Also
    --------
    useropslib.campaigns.pacing : computes the curves.

    Examples
    --------
    >>> import pandas as pd
    >>> d = pd.date_range("2024-05-01", periods=3)
    >>> ax = pacing_against_target(d, [10, 25, 30], [15, 30, 45], target=45)
    >>> ax.lines[0].get_ydata().tolist(), ax.lines[-1].get_ydata().tolist()
    ([10.0, 25.0, 30.0], [45.0, 45.0])
    """
    check_text(title, "title")
    given = check_sequence(days, "days")
    try:
        with warnings.catch_warnings():
            # pandas warns that it parses each element alone before it fails on a non-date
            warnings.simplefilter("ignore", UserWarning)
            x = pd.DatetimeIndex(pd.to_datetime(given))
    except (TypeError, ValueError, OverflowError):
        raise InvalidParameterError(
            f"Invalid days: {str(given)[:80]}. Expected a sequence of dates (the pacing frame's "
            "index). Hint: days=pacing.index."
        ) from None
    if x.tz is not None:
        x = x.tz_localize(None)
    act = check_numbers(actual, "actual", length=len(x))
    lin = check_numbers(expected_linear, "expected_linear", length=len(x))
    hist = (
        None
        if expected_history is None
        else check_numbers(expected_history, "expected_history", length=len(x))
    )
    target = check_number(target, "target")
    lang = resolve_lang(lang)
    ax = axes_or_new(ax)
    ax.plot(x, act, color=COLORS["main"], linewidth=2.2, label=_t("actual", lang))
    ax.plot(x, lin, color=COLORS["reference"], linestyle="--", label=_t("linear", lang))
    if hist is not None and np.isfinite(hist).any():
        ax.plot(x, hist, color="#2ca02c", linestyle=":", label=_t("history", lang))
    ax.plot(
        [x.min(), x.max()] if len(x) else [],
        [target, target] if len(x) else [],
        color=COLORS["threshold"],
        linewidth=1,
        label=_t("target", lang),
    )
    ax.set_ylabel(_t("cumulative", lang))
    ax.set_title(title if title is not None else _t("pacing_title", lang))
    ax.legend(loc="upper left", fontsize=8)
    if len(x):
        # evenly spaced ticks from the first day (at most about 8), month-day labels
        ticks = x[:: max(1, int(np.ceil(len(x) / 8)))]
        ax.set_xticks(list(ticks), [t.strftime("%m-%d") for t in ticks])
    return finish(ax, lang)


def funnel_bottleneck(
    names: Sequence[str],
    users: Any,
    *,
    bottleneck: str | None = None,
    title: str | None = None,
    lang: Language = "en",
    ax: Any = None,
) -> Any:
    """Draw people per funnel stage, the drop-off between stages, and mark the bottleneck.

    Parameters
    ----------
    names : sequence of str
        Stage names, in order.
    users : array-like of float
        People reaching each stage.
    bottleneck : str, optional
        The stage to mark (drawn in red with a label); default the stage with the lowest
        conversion from the stage before it.
    title : str, optional
        Default "Funnel and its bottleneck".
    lang : {"en", "zh"}, default "en"
    ax : matplotlib.axes.Axes, optional

    Returns
    -------
    matplotlib.axes.Axes

    Raises
    ------
    InvalidParameterError
        ``bottleneck`` is not one of ``names``; ``users`` not as long as ``names``.

    Examples
    --------
    >>> ax = funnel_bottleneck(["sent", "opened", "clicked"], [100, 30, 12])
    >>> [float(p.get_height()) for p in ax.patches[:3]]
    [100.0, 30.0, 12.0]
    >>> [t.get_text() for t in ax.texts if "bottleneck" in t.get_text()]
    ['bottleneck: opened']
    """
    check_text(title, "title")
    stages = check_labels([str(n) for n in check_sequence(names, "names")], "names")
    u = check_numbers(users, "users", length=len(stages))
    if bottleneck is not None and str(bottleneck) not in stages:
        raise InvalidParameterError(
            f"Invalid bottleneck={bottleneck!r}. Expected one of the stages {stages}."
        )
    lang = resolve_lang(lang)
    ax = axes_or_new(ax)
    x = np.arange(len(stages), dtype=np.float64)
    prev = np.concatenate([u[:1], u[:-1]])
    lost = prev - u
    if bottleneck is None and len(stages) > 1:
        with np.errstate(divide="ignore", invalid="ignore"):
            rate = np.where(prev[1:] > 0, u[1:] / prev[1:], np.nan)
        if np.isfinite(rate).any():
            bottleneck = stages[1 + int(np.nanargmin(rate))]
    colors = [COLORS["threshold"] if s == bottleneck else COLORS["main"] for s in stages]
    ax.bar(x, u, color=colors, label=_t("people", lang))
    ax.bar(x, lost, bottom=u, color=COLORS["muted"], label=_t("drop_off", lang))
    first = u[0] if len(u) and u[0] > 0 else np.nan
    for xi, ui in zip(x, u, strict=True):
        ax.annotate(f"{ui / first:.0%}", (xi, ui), ha="center", va="bottom", fontsize=9)
    if bottleneck is not None:
        i = stages.index(bottleneck)
        ax.annotate(
            f"{_t('bottleneck', lang)}: {bottleneck}",
            (x[i], prev[i]),
            xytext=(0, 14),
            textcoords="offset points",
            ha="center",
            va="bottom",
            fontsize=9,
            color=COLORS["threshold"],
        )
    top = float(np.nanmax(prev)) if len(prev) else 1.0
    ax.set_ylim(0, top * 1.22 if top > 0 else 1.0)
    ax.set_xticks(x, stages, rotation=20 if len(stages) > 4 else 0, ha="right")
    ax.set_ylabel(_t("people", lang))
    ax.set_title(title if title is not None else _t("funnel_title", lang))
    ax.legend(loc="upper right", fontsize=8)
    return finish(ax, lang)


def quality_retention(
    retention: pd.DataFrame,
    *,
    period_days: int = 7,
    title: str | None = None,
    lang: Language = "en",
    ax: Any = None,
) -> Any:
    """Draw retention by period of the campaign's users against the baseline group.

    Parameters
    ----------
    retention : pandas.DataFrame
        Index: period k (1, 2, ...); one column per group (share active in period k), e.g.
        ``acquired`` / ``organic``, ``treatment`` / ``control`` or ``after`` / ``before``
        (these names are translated; others are drawn as given).
    period_days : int, default 7
        Length of a period, for the axis label.
    title : str, optional
        Default "Retention: campaign users vs baseline".
    lang : {"en", "zh"}, default "en"
    ax : matplotlib.axes.Axes, optional

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import pandas as pd
    >>> r = pd.DataFrame({"acquired": [0.5, 0.3], "organic": [0.6, 0.5]}, index=[1, 2])
    >>> ax = quality_retention(r)
    >>> [line.get_ydata().tolist() for line in ax.lines]
    [[0.5, 0.3], [0.6, 0.5]]
    >>> [t.get_text() for t in ax.get_legend().get_texts()]
    ['acquired', 'organic']
    """
    check_text(title, "title")
    check_frame(retention, "retention", None)
    if isinstance(period_days, bool) or not isinstance(period_days, int) or period_days < 1:
        raise InvalidParameterError(
            f"Invalid period_days={period_days!r}. Expected a whole number >= 1."
        )
    lang = resolve_lang(lang)
    ax = axes_or_new(ax)
    k = np.asarray(retention.index, dtype=np.float64)
    styles = ["-", "--", ":", "-."]
    for i, col in enumerate(retention.columns):
        name = _L[str(col)][lang] if str(col) in _L else str(col)
        ax.plot(
            k,
            retention[col].to_numpy(dtype=np.float64),
            marker="o",
            linestyle=styles[i % len(styles)],
            label=name,
        )
    top = np.nanmax(retention.to_numpy(dtype=np.float64)) if retention.size else np.nan
    ax.set_ylim(0, min(1.05, top * 1.3) if np.isfinite(top) and top > 0 else 1.05)
    percent_axis(ax, "y")
    ax.set_xticks(k)
    ax.set_xlabel(_t("period_after", lang, days=period_days))
    ax.set_ylabel(_t("active_share", lang))
    ax.set_title(title if title is not None else _t("quality_title", lang))
    ax.legend(fontsize=8)
    return finish(ax, lang)


def counterfactual_panels(
    frame: pd.DataFrame, *, launch: Any, lang: Language = "en", ax: Sequence[Any] | None = None
) -> Any:
    """Draw the counterfactual's three panels with labels in ``lang``.

    Observed against the counterfactual with its band, the pointwise effect, and the
    cumulative effect, each with the launch marked (CausalImpact's three panels).

    Parameters
    ----------
    frame : pandas.DataFrame
        As :func:`plot_counterfactual` takes (``CounterfactualResult.series``).
    launch : date-like
        The first day after the launch.
    lang : {"en", "zh"}, default "en"
    ax : sequence of three matplotlib Axes, optional

    Returns
    -------
    numpy.ndarray of matplotlib.axes.Axes

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> d = pd.date_range("2024-01-01", periods=4)
    >>> z = np.zeros(4)
    >>> f = pd.DataFrame({c: z for c in ["observed", "predicted", "predicted_lower",
    ...     "predicted_upper", "effect", "effect_lower", "effect_upper", "cumulative_effect",
    ...     "cumulative_lower", "cumulative_upper"]}, index=d)
    >>> axes = counterfactual_panels(f, launch=d[2], lang="en")
    >>> [a.get_title() for a in axes]
    ['observed vs counterfactual', 'pointwise effect', 'cumulative effect']
    """
    from useropslib.plotting._counterfactual import plot_counterfactual

    lang = resolve_lang(lang)
    if ax is None:
        import matplotlib.pyplot as plt

        fig = plt.figure(figsize=(8.0, 7.0), layout="constrained")
        axs = fig.subplots(3, 1, sharex=True)
    else:
        axs = ax
    axes = plot_counterfactual(frame, launch=launch, ax=axs)
    for a, key in zip(axes, ["cf_observed", "cf_pointwise", "cf_cumulative"], strict=True):
        a.set_title(_t(key, lang), fontsize="medium")
        legend = a.get_legend()
        if legend is not None:
            for text in legend.get_texts():
                raw = text.get_text()
                text.set_text(_L[raw][lang] if raw in _L else raw)
        finish(a, lang)
    axes[-1].figure.autofmt_xdate()
    return axes
