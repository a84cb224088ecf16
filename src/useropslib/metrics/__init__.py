"""Metrics over an EventLog: activity, retention, funnels, lifecycle, growth, money, messages.

Every function takes the events first (an :class:`~useropslib.events.EventLog`, or a pandas frame
with ``user_id``, ``event`` and ``timestamp`` columns) and keyword-only options that name the
convention used.
"""

from useropslib._results import MetricResult, axes_or_new, jsonable
from useropslib.metrics._activation import (
    ActivationResult,
    OnboardingResult,
    activation,
    onboarding,
)
from useropslib.metrics._activity import (
    StickinessResult,
    active_users,
    stickiness,
    stickiness_ratio,
)
from useropslib.metrics._funnel import FunnelResult, funnel
from useropslib.metrics._growth import (
    GROWTH_STATES,
    GrowthAccountingResult,
    GrowthStatesResult,
    growth_accounting,
    growth_states,
)
from useropslib.metrics._lifecycle import LifecycleResult, lifecycle
from useropslib.metrics._messaging import RATE_DEFINITIONS, MessageFunnelResult, message_funnel
from useropslib.metrics._money import (
    LTVResult,
    PaybackResult,
    RevenueResult,
    ltv_curve,
    payback,
    revenue,
)
from useropslib.metrics._retention import RetentionResult, retention

__all__ = [
    "GROWTH_STATES",
    "RATE_DEFINITIONS",
    "ActivationResult",
    "FunnelResult",
    "GrowthAccountingResult",
    "GrowthStatesResult",
    "LTVResult",
    "LifecycleResult",
    "MessageFunnelResult",
    "MetricResult",
    "OnboardingResult",
    "PaybackResult",
    "RetentionResult",
    "RevenueResult",
    "StickinessResult",
    "activation",
    "active_users",
    "axes_or_new",
    "funnel",
    "growth_accounting",
    "growth_states",
    "jsonable",
    "lifecycle",
    "ltv_curve",
    "message_funnel",
    "onboarding",
    "payback",
    "retention",
    "revenue",
    "stickiness",
    "stickiness_ratio",
]
