"""The campaign review (复盘) as report sections."""

from __future__ import annotations

from typing import Any

import pandas as pd

from useropslib.exceptions import InvalidParameterError
from useropslib.report._format import Language, show_table
from useropslib.report._report import Section

__all__ = ["campaign_sections"]

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


def campaign_sections(review: Any, *, lang: Language = "en") -> list[Section]:
    """Turn a campaign review into report sections, one per part of the review.

    Parameters
    ----------
    review : CampaignReview
        What :func:`useropslib.campaigns.review` returns (anything whose ``sections(lang)``
        gives ``(title, text, table)`` triples works).
    lang : {"en", "zh"}, default "en"
        Language of the sections.

    Returns
    -------
    list of Section
        Keys ``campaign-1``, ``campaign-2`` …; the first title names the campaign.

    Examples
    --------
    >>> import useropslib as uo
    >>> data = uo.datasets.synthetic_campaign(n_users=2000, lift=0.5, seed=1)
    >>> rv = uo.campaigns.review(data.campaign, data.log)
    >>> parts = campaign_sections(rv)
    >>> parts[0].key, parts[0].title.startswith("Campaign review")
    ('campaign-1', True)
    """
    if not callable(getattr(review, "sections", None)):
        raise InvalidParameterError(
            f"review must be a campaign review, got {type(review).__name__}. "
            "Hint: review=useropslib.campaigns.review(campaign, log)."
        )
    name = getattr(getattr(review, "campaign", None), "name", "") or ""
    lead = {"en": "Campaign review: ", "zh": "活动复盘："}[lang]
    out: list[Section] = []
    for i, (title, text, table) in enumerate(review.sections(lang), start=1):
        paragraphs = tuple(_plain(line) for line in str(text).splitlines() if line.strip())
        shown = None
        if isinstance(table, pd.DataFrame):
            shown = _table(table, lang)
        heading = f"{lead}{name} — {title}" if i == 1 and name else f"{lead}{title}"
        out.append(Section(heading, text=paragraphs, table=shown, key=f"campaign-{i}"))
    return out


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
