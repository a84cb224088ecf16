"""Figures drawn from plain frames and arrays; every function takes ``ax=None`` and returns it.

matplotlib is imported only when a function draws (the optional ``plot`` extra).
"""

from useropslib.plotting._campaigns import (
    cost_items,
    funnel_projection,
    goal_attainment,
    okr_grades,
    pacing_curves,
    target_history,
)
from useropslib.plotting._paths import bar_chart, flow_diagram, step_heatmap

__all__ = [
    "bar_chart",
    "cost_items",
    "flow_diagram",
    "funnel_projection",
    "goal_attainment",
    "okr_grades",
    "pacing_curves",
    "step_heatmap",
    "target_history",
]
