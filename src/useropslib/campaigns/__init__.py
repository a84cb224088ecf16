"""Campaign operations: experiment statistics, evaluation and review of campaigns.

Examples
--------
>>> from useropslib import campaigns
>>> r = campaigns.compare_proportions({"n": [1000, 1000], "conversions": [100, 150]})
>>> r.p_value < 0.05
True
"""

from __future__ import annotations

from useropslib.campaigns._evaluate import CampaignEvaluation, evaluate, holdout_control
from useropslib.campaigns._meta import PooledEffect, pool_effects
from useropslib.campaigns._multiple import adjust_p_values
from useropslib.campaigns._portfolio import PortfolioResult, portfolio
from useropslib.campaigns._recall import RecallAudience, recall_audience, targeting_uplift
from useropslib.campaigns._review import REVIEW_RULES, CampaignReview, Finding, review
from useropslib.campaigns._srm import SRMResult, sample_ratio_mismatch
from useropslib.campaigns._stats import (
    ComparisonResult,
    arm_statistics,
    compare_means,
    compare_proportions,
    compare_ratios,
)
from useropslib.campaigns._uplift import QiniResult, qini_curve, uplift_by_decile

__all__ = [
    "REVIEW_RULES",
    "CampaignEvaluation",
    "CampaignReview",
    "ComparisonResult",
    "Finding",
    "PooledEffect",
    "PortfolioResult",
    "QiniResult",
    "RecallAudience",
    "SRMResult",
    "adjust_p_values",
    "arm_statistics",
    "compare_means",
    "compare_proportions",
    "compare_ratios",
    "evaluate",
    "holdout_control",
    "pool_effects",
    "portfolio",
    "qini_curve",
    "recall_audience",
    "review",
    "sample_ratio_mismatch",
    "targeting_uplift",
    "uplift_by_decile",
]
