"""Figures drawn from plain frames and arrays; every function takes ``ax=None`` and returns it.

Matplotlib is imported only when a function is called.
"""

from useropslib.plotting._campaigns import (
    cost_items,
    funnel_projection,
    goal_attainment,
    okr_grades,
    pacing_curves,
    target_history,
)
from useropslib.plotting._counterfactual import (
    plot_counterfactual,
    plot_event_study,
    plot_synthetic_control,
)
from useropslib.plotting._experiments import (
    experiment_bars,
    experiment_curves,
    experiment_forest,
)

__all__ = [
    "cost_items",
    "experiment_bars",
    "experiment_curves",
    "experiment_forest",
    "funnel_projection",
    "goal_attainment",
    "okr_grades",
    "pacing_curves",
    "plot_counterfactual",
    "plot_event_study",
    "plot_synthetic_control",
    "target_history",
]
