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
    "mean_time_to_convert": ("mean time to convert", "平均转化时长"),
    "median_time_to_convert": ("median time to convert", "转化时长中位数"),
    "period": ("period", "周期"),
    "after": ("after the campaign", "活动后"),
    "before": ("before the launch", "上线前"),
    "ltv": ("LTV/user", "人均 LTV"),
    "cac": ("CAC/user", "人均成本"),
    "ltv_to_cac": ("LTV:CAC", "LTV:CAC"),
    "quantity": ("quantity", "指标"),
    "lower": ("lower", "下限"),
    "upper": ("upper", "上限"),
    "sd": ("s.d.", "标准差"),
    "index": ("", ""),
    "actual": ("actual", "实际值"),
    "predicted": ("counterfactual", "反事实预测"),
    "predicted_lower": ("counterfactual low", "预测下限"),
    "predicted_upper": ("counterfactual high", "预测上限"),
    "predicted_sd": ("counterfactual s.d.", "预测标准差"),
    "abs_effect": ("effect", "绝对效果"),
    "abs_effect_lower": ("effect low", "效果下限"),
    "abs_effect_upper": ("effect high", "效果上限"),
    "abs_effect_sd": ("effect s.d.", "效果标准差"),
    "rel_effect": ("relative effect", "相对效果"),
    "rel_effect_lower": ("relative low", "相对效果下限"),
    "rel_effect_upper": ("relative high", "相对效果上限"),
    "rel_effect_sd": ("relative s.d.", "相对效果标准差"),
    "hazard_ratio": ("hazard ratio", "风险比"),
    "hazard_ratio_lower": ("HR low", "风险比下限"),
    "hazard_ratio_upper": ("HR high", "风险比上限"),
    "p": ("p-value", "p 值"),
    "control": ("control", "对照组"),
    "treatment": ("treatment", "实验组"),
    "difference": ("difference", "差值"),
    "complete": ("complete", "已结束"),
}
_PERCENT = {"estimate", "ci_low", "ci_high", "chance_to_win"}
# cells that name things (rows of the review's tables), in Chinese
_TERMS_ZH: dict[str, str] = {
    "primary": "主要",
    "secondary": "次要",
    "cost": "成本",
    "incremental_conversions": "增量转化",
    "incremental_conversions_low": "增量转化（下限）",
    "incremental_conversions_high": "增量转化（上限）",
    "incremental_value": "增量价值",
    "roi": "ROI",
    "cac": "获客成本（CAC）",
    "cost_per_incremental_conversion": "单位增量转化成本",
    "ltv_to_cac": "LTV:CAC",
    "ltv": "LTV",
    "acquired": "活动获取",
    "organic": "自然新增",
    "treatment": "实验组",
    "control": "对照组",
    "after": "活动后",
    "before": "上线前",
    "average": "平均",
    "cumulative": "累计",
    "campaign": "活动期",
    "net": "净效果",
    "pull_forward_share": "提前透支占比",
    "attention": "注意",
    "interest": "兴趣",
    "weigh": "权衡",
    "action": "行动",
    "all": "全部",
}
_TERMS_EN: dict[str, str] = {
    "incremental_conversions": "incremental conversions",
    "incremental_conversions_low": "incremental conversions (low)",
    "incremental_conversions_high": "incremental conversions (high)",
    "incremental_value": "incremental value",
    "roi": "ROI",
    "cac": "CAC",
    "cost_per_incremental_conversion": "cost per incremental conversion",
    "ltv_to_cac": "LTV:CAC",
    "ltv": "LTV",
    "pull_forward_share": "pull-forward share",
    "campaign": "campaign window",
    "after": "after the campaign",
}
# the label columns whose cells are translated, per part of the review
_LABELS = {"role", "metric", "group", "stage", "quantity", "index", "period_label"}


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
            shown = _table(table, lang, key=str(key))
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
    r"""Return the chart(s) of one part of a campaign review (empty when it has none).

    Parameters
    ----------
    review : CampaignReview
    key : str
        The part's key (see ``CampaignReview.parts``).
    lang : {"en", "zh"}, default "en"

    Returns
    -------
    tuple of Chart

    See Also
    --------
    campaign_sections : every part with its chart.
    useropslib.plotting.lift_intervals, useropslib.plotting.funnel_bottleneck :
        two of the charts drawn.

    Examples
    --------
    >>> import useropslib as uo
    >>> data = uo.datasets.synthetic_campaign(n_users=2000, lift=0.5, seed=1)
    >>> rv = uo.campaigns.review(data.campaign, data.log)
    >>> [c.png[:4] for c in campaign_charts(rv, "lift")], campaign_charts(rv, "findings")
    ([b'\x89PNG'], ())
    """
    from useropslib import plotting

    if not callable(getattr(review, "parts", None)):
        raise InvalidParameterError(
            f"review must be a CampaignReview (what useropslib.campaigns.review returns); got "
            f"{type(review).__name__}."
        )
    if not isinstance(key, str):
        raise InvalidParameterError(
            f"key must be the name of a part of the review (a str such as 'lift'); got "
            f"{type(key).__name__}. Hint: the keys are the first items of review.parts()."
        )
    ev = getattr(review, "evaluation", None)
    axes: Any = None
    if key == "goal" and getattr(review, "pacing", None) is not None:
        t = review.pacing
        axes = plotting.pacing_against_target(
            t.index,
            t["actual"].to_numpy(dtype=float),
            t["expected"].to_numpy(dtype=float),
            target=float(t["target"].iloc[-1]),
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
        # the message's own steps; the return is counted over delivered messages, not after a
        # click, so it is a column of the table rather than a stage of the chart
        stages = [s for s in ("sent", "delivered", "opened", "clicked") if s in row]
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


def _table(table: pd.DataFrame, lang: Language, *, key: str = "") -> pd.DataFrame:
    """Format a review table: shares in percent, p-values to 4 places, durations in days.

    Which columns are shares depends on the part: the lift's estimates and intervals, the rates,
    retention, relative effects; the pull-forward table's numbers are shown as numbers except the
    pull-forward share row.
    """
    frame = table.copy()
    for col in frame.columns:
        if pd.api.types.is_timedelta64_dtype(frame[col]):
            frame[col] = frame[col].dt.total_seconds() / 86400
            frame = frame.rename(columns={col: f"{col} (days)"})
    for col in ("p_value", "p_adjusted", "p"):
        if col in frame.columns and pd.api.types.is_numeric_dtype(frame[col]):
            frame[col] = [f"{v:.4f}" if pd.notna(v) else "–" for v in frame[col]]
    if key == "pull" and "quantity" in frame.columns:
        share = frame["quantity"].astype(str) == "pull_forward_share"
        for col in ("estimate", "lower", "upper", "sd"):
            if col in frame.columns:
                frame[col] = [
                    _share_or_number(v, is_share)
                    for v, is_share in zip(frame[col], share, strict=True)
                ]
        percent: list[str] = []
    else:
        percent = [
            str(c)
            for c in frame.columns
            if str(c) in _PERCENT
            or "_rate" in f"_{c}"
            or str(c).startswith(("retention_", "rel_effect"))
            or (key == "lasting" and str(c) in ("after", "before", "control", "treatment"))
            or (key == "lasting" and str(c) == "difference")
        ]
        if key == "counterfactual":
            percent = [c for c in percent if c != "rel_effect_sd"]
    terms = _TERMS_ZH if lang == "zh" else _TERMS_EN
    for col in frame.columns:
        if str(col) in _LABELS:
            frame[col] = [terms.get(str(v), v) if isinstance(v, str) else v for v in frame[col]]
    shown = show_table(frame, lang, percent=percent)
    index = 0 if lang == "en" else 1

    def name(col: str) -> str:
        if col.startswith("retention_") and col[len("retention_") :].isdigit():
            k = col[len("retention_") :]
            return f"retained k={k}" if lang == "en" else f"第 {k} 期留存"
        return _COLUMNS.get(col, (col.replace("_", " "),) * 2)[index]

    names = {str(c): name(str(c)) for c in table.columns}
    if key == "pull":
        names["estimate"] = "estimate" if lang == "en" else "估计值"
    names.update(
        {
            f"{c} (days)": f"{names.get(str(c), c)} ({'days' if lang == 'en' else '天'})"
            for c in table.columns
        }
    )
    shown.columns = [names.get(str(c), str(c)) for c in frame.columns]
    return shown


def _share_or_number(v: object, is_share: bool) -> object:
    if not isinstance(v, int | float) or pd.isna(v):
        return v
    return f"{v:.1%}" if is_share else f"{v:,.2f}"
