"""The evaluation half of useropslib.campaigns is exported, sorted and documented."""

from __future__ import annotations

import useropslib.campaigns as campaigns

EVALUATION_NAMES = {
    "REVIEW_RULES",
    "CampaignEvaluation",
    "CampaignReview",
    "ComparisonResult",
    "Finding",
    "LastingEffect",
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
    "lasting_effect",
    "pool_effects",
    "portfolio",
    "qini_curve",
    "recall_audience",
    "review",
    "sample_ratio_mismatch",
    "targeting_uplift",
    "uplift_by_decile",
}


def test_evaluation_names_exported_and_documented() -> None:
    assert set(campaigns.__all__) >= EVALUATION_NAMES
    for name in EVALUATION_NAMES:
        obj = getattr(campaigns, name)
        if callable(obj):
            assert obj.__doc__, name
