"""The campaign review (复盘) as report sections."""

from __future__ import annotations

from typing import Any

import pandas as pd

from useropslib.exceptions import InvalidParameterError
from useropslib.report._format import Language, show_table
from useropslib.report._report import Chart, Section

__all__ = ["campaign_charts", "campaign_sections"]

# the review's column names, read by people (English) and in the glossary's terms (Chinese)
_COLUMNS: dict[str, tuple[str, str]] = {
    "goal": ("goal", "目标"),
    "role": ("role", "角色"),
    "estimate": ("lift", "提升"),
    "ci_low": ("CI low", "区间下限"),
    "ci_high": ("CI high", "区间上限"),
    "p_value": ("p-value", "p 值"),
    "p_adjusted": ("adjusted p", "校正后 p 值"),
    "chance_to_win": ("chance to win", "胜出概率"),
    "metric": ("metric", "指标"),
    "value": ("value", "数值"),
    "group": ("group", "分组"),
    "sent": ("sent", "发送"),
    "delivered": ("delivered", "送达"),
    "opened": ("opened", "打开"),
    "clicked": ("clicked", "点击"),
    "returned": ("returned", "回流"),
    "returned_delivered": ("returned (delivered)", "回流（已送达）"),
    "window_open": ("window still open", "窗口未结束"),
    "delivery_rate": ("delivery rate", "送达率"),
    "open_rate": ("open rate", "打开率"),
    "click_rate": ("click rate", "点击率"),
    "click_through_rate": ("click-through rate", "点击通过率"),
    "return_rate": ("return rate", "回流率"),
    "return_rate_delivered": ("return rate (delivered)", "回流率（已送达）"),
    "stage": ("stage", "阶段"),
    "step": ("step", "步骤"),
    "name": ("event", "事件"),
    "users": ("users", "用户数"),
    "conversion_rate": ("conversion", "转化率"),
    "step_conversion_rate": ("step conversion", "步骤转化率"),
    "drop_off": ("drop-off", "流失人数"),
    "drop_off_rate": ("drop-off rate", "流失率"),
    "convention": ("convention", "口径"),
}
_PERCENT = {"estimate", "ci_low", "ci_high", "chance_to_win"}


def campaign_sections(review: Any, *, lang: Language = "en", charts: bool = True) -> list[Section]:
    """Turn a campaign review into report sections, one per part of the review.

    Parameters
    ----------
    review : CampaignReview
        What :func:`useropslib.campaigns.review` returns (anything whose ``sections(lang)``
        gives ``(title, text, table)`` triples works).
    lang : {"en", "zh"}, default "en"
        Language of the sections.
    charts : bool, default True
        Draw each part's chart (needs matplotlib; without it the sections keep their tables
        and text): pacing against target (goal), lift with its frequentist and Bayesian
        intervals, the message and participation funnels with their bottleneck, retention of
        the campaign's users against the baseline group, and the counterfactual's three panels
        for a campaign without a control group.

    Returns
    -------
    list of Section
        Keys ``campaign-<part>`` (``campaign-goal``, ``campaign-lift`` …, the review's part
        keys) when the review has ``parts``, else ``campaign-1``, ``campaign-2`` …; the first
        title names the campaign.

    Examples
    --------
    >>> import useropslib as uo
    >>> data = uo.datasets.synthetic_campaign(n_users=2000, lift=0.5, seed=1)
    >>> rv = uo.campaigns.review(data.campaign, data.log)
    >>> parts = campaign_sections(rv)
    >>> parts[0].key, parts[0].title.startswith("Campaign review")
    ('campaign-goal', True)
    >>> [p.key for p in parts if p.charts][:2]
    ['campaign-goal', 'campaign-lift']
    """
    if not callable(getattr(review, "sections", None)):
        raise InvalidParameterError(
            f"review must be a campaign review, got {type(review).__name__}. "
            "Hint: review=useropslib.campaigns.review(campaign, log)."
        )
    name = getattr(getattr(review, "campaign", None), "name", "") or ""
    lead = {"en": "Campaign review: ", "zh": "活动复盘："}[lang]
    if callable(getattr(review, "parts", None)):
        parts = list(review.parts(lang))
    else:
        parts = [(str(i), *sec) for i, sec in enumerate(review.sections(lang), start=1)]
    draw = charts and _matplotlib()
    out: list[Section] = []
    for i, (key, title, text, table) in enumerate(parts, start=1):
        paragraphs = tuple(_plain(line) for line in str(text).splitlines() if line.strip())
        shown = None
        if isinstance(table, pd.DataFrame):
            shown = _table(table, lang)
        heading = f"{lead}{name} — {title}" if i == 1 and name else f"{lead}{title}"
        figures = campaign_charts(review, key, lang=lang) if draw else ()
        out.append(
            Section(heading, text=paragraphs, table=shown, charts=figures, key=f"campaign-{key}")
        )
    return out


def _matplotlib() -> bool:
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        return False
    return True


def campaign_charts(review: Any, key: str, *, lang: Language = "en") -> tuple[Chart, ...]:
    """Return the chart(s) of one part of a campaign review (empty when it has none).

    Parameters
    ----------
    review : CampaignReview
    key : str
        The part's key (see ``CampaignReview.parts``).
    lang : {"en", "zh"}, default "en"

    Returns
    -------
    tuple of Chart
    """
    from useropslib import plotting

    ev = getattr(review, "evaluation", None)
    axes: Any = None
    if key == "goal" and getattr(review, "pacing", None) is not None:
        t = review.pacing.table
        axes = plotting.pacing_against_target(
            t.index,
            t["actual"].to_numpy(dtype=float),
            t["expected_linear"].to_numpy(dtype=float),
            t["expected_history"].to_numpy(dtype=float),
            target=float(review.pacing.params["target"]),
            lang=lang,
        )
    elif key == "lift" and ev is not None and hasattr(ev, "bayesian"):
        cols = ["estimate", "ci_low", "ci_high"]
        freq = ev.table[cols]
        bayes = ev.bayesian.table[cols].set_axis([ev.table.index[0]])
        relative = str(ev.params.get("difference", "relative")) == "relative"
        axes = plotting.lift_intervals(freq, bayes, relative=relative, lang=lang)
    elif key == "funnel" and getattr(review, "funnel", None) is not None:
        row = review.funnel.iloc[0]
        stages = [s for s in ("sent", "delivered", "opened", "clicked", "returned") if s in row]
        axes = plotting.funnel_bottleneck(
            [_stage(s, lang) for s in stages],
            [float(row[s]) for s in stages],
            bottleneck=_stage(review.bottleneck, lang) if review.bottleneck in stages else None,
            lang=lang,
        )
    elif key == "participation" and getattr(review, "participation", None) is not None:
        table = review.participation
        names = [str(s) for s in table.index]
        b = review.participation_bottleneck
        axes = plotting.funnel_bottleneck(
            [_stage(s, lang) for s in names],
            table["users"].to_numpy(dtype=float),
            bottleneck=_stage(b, lang) if b in names else None,
            lang=lang,
        )
    elif key == "quality" and getattr(review, "quality", None) is not None:
        q = review.quality
        axes = plotting.quality_retention(
            q.retention, period_days=int(q.params["period_days"]), lang=lang
        )
    elif key == "counterfactual" and ev is not None and hasattr(ev, "series"):
        post = ev.series.index[ev.series["period"] == "post"]
        panels = plotting.counterfactual_panels(ev.series, launch=post[0], lang=lang)
        axes = panels[0]
    if axes is None:
        return ()
    return (Chart.from_axes(axes),)


_STAGES_ZH = {
    "sent": "发送",
    "delivered": "送达",
    "opened": "打开",
    "clicked": "点击",
    "returned": "回流",
    "attention": "注意",
    "interest": "兴趣",
    "weigh": "权衡",
    "action": "行动",
}


def _stage(name: str | None, lang: Language) -> str:
    text = str(name)
    return _STAGES_ZH.get(text, text) if lang == "zh" else text


def _plain(line: str) -> str:
    """Drop Markdown emphasis and list markers (the report escapes its text)."""
    text = line.strip().replace("**", "")
    return "• " + text[2:] if text.startswith("- ") else text


def _table(table: pd.DataFrame, lang: Language) -> pd.DataFrame:
    """Format a review table: shares in percent, p-values to 4 places, durations in days."""
    frame = table.copy()
    for col in frame.columns:
        if pd.api.types.is_timedelta64_dtype(frame[col]):
            frame[col] = frame[col].dt.total_seconds() / 86400
            frame = frame.rename(columns={col: f"{col} (days)"})
    for col in ("p_value", "p_adjusted"):
        if col in frame.columns:
            frame[col] = [f"{v:.4f}" if pd.notna(v) else "–" for v in frame[col]]
    percent = [str(c) for c in frame.columns if str(c) in _PERCENT or "_rate" in f"_{c}"]
    shown = show_table(frame, lang, percent=percent)
    index = 0 if lang == "en" else 1
    names = {
        str(c): _COLUMNS.get(str(c), (str(c).replace("_", " "),) * 2)[index] for c in table.columns
    }
    names.update(
        {
            f"{c} (days)": f"{names.get(str(c), c)} ({'days' if lang == 'en' else '天'})"
            for c in table.columns
        }
    )
    shown.columns = [names.get(str(c), str(c)) for c in frame.columns]
    return shown
