"""Campaign operations (活动运营): measure KPIs, set goals and OKRs, plan, pace, assign.

Every function takes the data first (an event log, a goal, a campaign) and keyword-only options
that name the convention used.  The models (:class:`~useropslib.models.Goal`,
:class:`~useropslib.models.Campaign`, :data:`~useropslib.models.MetricSpec` ...) live in
:mod:`useropslib.models`.
"""

from useropslib.campaigns._assign import assign, holdout_bucket
from useropslib.campaigns._goals import (
    RELEVANT_METRICS,
    GoalProgress,
    SmartFinding,
    progress,
    smart_check,
)
from useropslib.campaigns._measure import measure, missing_events
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
from useropslib.campaigns._samplesize import (
    SAMPLE_SIZE_METHODS,
    mde,
    power,
    sample_size,
    weeks_to_power,
)

__all__ = [
    "OKR_BANDS",
    "RELEVANT_METRICS",
    "SAMPLE_SIZE_METHODS",
    "CostBenefit",
    "FunnelProjection",
    "GoalProgress",
    "OKRGrades",
    "PacingResult",
    "SmartFinding",
    "TargetResult",
    "assign",
    "breakdown_target",
    "cost_benefit",
    "grade_key_result",
    "grade_okrs",
    "holdout_bucket",
    "largest_remainder",
    "mde",
    "measure",
    "missing_events",
    "okr_band",
    "pacing",
    "power",
    "progress",
    "project_funnel",
    "sample_size",
    "smart_check",
    "target_from_history",
    "weeks_to_power",
]
