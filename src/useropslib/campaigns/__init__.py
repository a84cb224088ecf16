"""Campaign operations (活动运营): goals, plans, pacing, assignment, evaluation and review.

Every function takes the data first (an event log, a goal, a campaign) and keyword-only options
that name the convention used.  The models (:class:`~useropslib.models.Goal`,
:class:`~useropslib.models.Campaign`, :data:`~useropslib.models.MetricSpec` ...) live in
:mod:`useropslib.models`.  The experiment statistics (``compare_*``, ``sample_ratio_mismatch``,
``adjust_p_values``, ``pool_effects``, ``qini_curve``) work on per-arm sufficient statistics
without a log.  Campaigns without a control group are estimated from counterfactuals
(structural time series, synthetic control, interrupted time series, difference-in-differences)
with the pull-forward share of their lift.

Examples
--------
>>> from useropslib import campaigns
>>> r = campaigns.compare_proportions({"n": [1000, 1000], "conversions": [100, 150]})
>>> r.p_value < 0.05
True
"""

from useropslib.campaigns._assign import assign, holdout_bucket
from useropslib.campaigns._counterfactual import (
    CounterfactualResult,
    summarize_draws,
    tail_p_value,
    two_sided_p_value,
)
from useropslib.campaigns._did import (
    DidRegressionResult,
    DidTableResult,
    StaggeredDidResult,
    did_regression,
    did_table,
    staggered_did,
)
from useropslib.campaigns._effect import PullForwardResult, counterfactual_effect, pull_forward
from useropslib.campaigns._evaluate import CampaignEvaluation, evaluate, holdout_control
from useropslib.campaigns._goals import (
    RELEVANT_METRICS,
    GoalProgress,
    SmartFinding,
    progress,
    smart_check,
)
from useropslib.campaigns._lasting import LastingEffect, lasting_effect
from useropslib.campaigns._measure import measure, missing_events
from useropslib.campaigns._meta import PooledEffect, pool_effects
from useropslib.campaigns._multiple import adjust_p_values
from useropslib.campaigns._okr import OKR_BANDS, OKRGrades, grade_key_result, grade_okrs, okr_band
from useropslib.campaigns._pacing import PacingResult, pacing
from useropslib.campaigns._plan import (
    CostBenefit,
    FunnelProjection,
    TargetResult,
    breakdown_target,
    cost_benefit,
    largest_remainder,
    project_funnel,
    target_from_history,
)
from useropslib.campaigns._portfolio import PortfolioResult, portfolio
from useropslib.campaigns._quality import UserQuality, user_quality
from useropslib.campaigns._recall import RecallAudience, recall_audience, targeting_uplift
from useropslib.campaigns._review import REVIEW_RULES, CampaignReview, Finding, review
from useropslib.campaigns._samplesize import (
    SAMPLE_SIZE_METHODS,
    mde,
    power,
    sample_size,
    weeks_to_power,
)
from useropslib.campaigns._srm import SRMResult, sample_ratio_mismatch
from useropslib.campaigns._stats import (
    ComparisonResult,
    arm_statistics,
    compare_means,
    compare_proportions,
    compare_ratios,
)
from useropslib.campaigns._synth import SyntheticControlResult, simplex_weights, synthetic_control
from useropslib.campaigns._uplift import QiniResult, qini_curve, uplift_by_decile

__all__ = [
    "OKR_BANDS",
    "RELEVANT_METRICS",
    "REVIEW_RULES",
    "SAMPLE_SIZE_METHODS",
    "CampaignEvaluation",
    "CampaignReview",
    "ComparisonResult",
    "CostBenefit",
    "CounterfactualResult",
    "DidRegressionResult",
    "DidTableResult",
    "Finding",
    "FunnelProjection",
    "GoalProgress",
    "LastingEffect",
    "OKRGrades",
    "PacingResult",
    "PooledEffect",
    "PortfolioResult",
    "PullForwardResult",
    "QiniResult",
    "RecallAudience",
    "SRMResult",
    "SmartFinding",
    "StaggeredDidResult",
    "SyntheticControlResult",
    "TargetResult",
    "UserQuality",
    "adjust_p_values",
    "arm_statistics",
    "assign",
    "breakdown_target",
    "compare_means",
    "compare_proportions",
    "compare_ratios",
    "cost_benefit",
    "counterfactual_effect",
    "did_regression",
    "did_table",
    "evaluate",
    "grade_key_result",
    "grade_okrs",
    "holdout_bucket",
    "holdout_control",
    "largest_remainder",
    "lasting_effect",
    "mde",
    "measure",
    "missing_events",
    "okr_band",
    "pacing",
    "pool_effects",
    "portfolio",
    "power",
    "progress",
    "project_funnel",
    "pull_forward",
    "qini_curve",
    "recall_audience",
    "review",
    "sample_ratio_mismatch",
    "sample_size",
    "simplex_weights",
    "smart_check",
    "staggered_did",
    "summarize_draws",
    "synthetic_control",
    "tail_p_value",
    "target_from_history",
    "targeting_uplift",
    "two_sided_p_value",
    "uplift_by_decile",
    "user_quality",
    "weeks_to_power",
]
