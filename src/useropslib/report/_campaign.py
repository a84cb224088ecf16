"""The campaign review (复盘) as report sections."""

from __future__ import annotations

from typing import Any

import pandas as pd

from useropslib.report._format import Language, show_table
from useropslib.report._report import Section

__all__ = ["campaign_sections"]


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
    name = getattr(getattr(review, "campaign", None), "name", "") or ""
    lead = {"en": "Campaign review", "zh": "活动复盘"}[lang]
    out: list[Section] = []
    for i, (title, text, table) in enumerate(review.sections(lang), start=1):
        paragraphs = tuple(line.strip() for line in str(text).splitlines() if line.strip())
        shown = None
        if isinstance(table, pd.DataFrame):
            rates = [c for c in table.columns if str(c).endswith(("_rate", "rate"))]
            shown = show_table(table, lang, percent=[str(c) for c in rates])
        heading = f"{lead}: {name} — {title}" if i == 1 and name else f"{lead}: {title}"
        out.append(Section(heading, text=paragraphs, table=shown, key=f"campaign-{i}"))
    return out
