"""Metrics over an EventLog: activity, retention, funnels, lifecycle, growth, money, messages.

Every function takes the events first (an :class:`~useropslib.events.EventLog`, or a pandas frame
with ``user_id``, ``event`` and ``timestamp`` columns) and keyword-only options that name the
convention used.
"""

from useropslib.metrics._activation import (
    ActivationResult,
    OnboardingResult,
    activation,
    onboarding,
)
from useropslib.metrics._funnel import FunnelResult, funnel
from useropslib.metrics._messaging import RATE_DEFINITIONS, MessageFunnelResult, message_funnel
from useropslib.metrics._money import (
    LTVResult,
    PaybackResult,
    RevenueResult,
    ltv_curve,
    payback,
    revenue,
)
from useropslib.metrics._result import MetricResult, jsonable
from useropslib.metrics._retention import RetentionResult, retention

__all__ = [
    "RATE_DEFINITIONS",
    "ActivationResult",
    "FunnelResult",
    "LTVResult",
    "MessageFunnelResult",
    "MetricResult",
    "OnboardingResult",
    "PaybackResult",
    "RetentionResult",
    "RevenueResult",
    "activation",
    "funnel",
    "jsonable",
    "ltv_curve",
    "message_funnel",
    "onboarding",
    "payback",
    "retention",
    "revenue",
]
