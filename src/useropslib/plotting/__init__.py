"""Figures drawn from plain frames and arrays; every function takes ``ax=None`` and returns it."""

from useropslib.plotting._campaigns import (
    cost_items,
    funnel_projection,
    goal_attainment,
    okr_grades,
    pacing_curves,
    target_history,
)

__all__ = [
    "cost_items",
    "funnel_projection",
    "goal_attainment",
    "okr_grades",
    "pacing_curves",
    "target_history",
]
