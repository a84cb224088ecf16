"""Charts (matplotlib, the optional ``plot`` extra) drawn from plain frames and arrays.

One layer that the results' ``.plot()`` methods and the report share, so every chart of the
library has the same look: every function takes ``ax=None`` (a new figure when omitted),
returns the Axes, and takes ``lang="en"`` or ``"zh"`` for its own labels.  Chinese labels need a
CJK font (``CJK_FONTS``); when none is installed the chart falls back to English labels with
a :class:`~useropslib.exceptions.MissingFontWarning` instead of drawing empty boxes.

matplotlib is imported only when a chart is drawn.

- Generic: :func:`bars`, :func:`grouped_bars`, :func:`lines`, :func:`flow_bars`.
- Metrics: :func:`retention_heatmap`, :func:`retention_curves`, :func:`lifecycle_bars`,
  :func:`growth_accounting_bars`, :func:`state_areas`, :func:`funnel_bars`,
  :func:`revenue_bars`, :func:`ltv_curves`, :func:`payback_curves`.
- Campaign review: :func:`lift_intervals`, :func:`pacing_against_target`,
  :func:`funnel_bottleneck`, :func:`quality_retention`, :func:`counterfactual_panels`.
- Churn and segments: :func:`return_curve`, :func:`survival_curves`, :func:`forest_plot`,
  :func:`calibration_curve`, :func:`rfm_grid`, :func:`frequency_recency_matrix`,
  :func:`purchases_calibration`.

Examples
--------
>>> from useropslib import plotting
>>> ax = plotting.bars(["email", "push"], [120, 80], ylabel="users")
>>> [float(p.get_height()) for p in ax.patches]
[120.0, 80.0]
"""

from __future__ import annotations

from useropslib.plotting._basic import bars, flow_bars, grouped_bars, lines
from useropslib.plotting._campaigns import (
    cost_items,
    funnel_projection,
    goal_attainment,
    okr_grades,
    pacing_curves,
    target_history,
)
from useropslib.plotting._churn import (
    at_risk_counts,
    calibration_curve,
    forest_plot,
    frequency_recency_matrix,
    purchases_calibration,
    return_curve,
    rfm_grid,
    survival_curves,
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
from useropslib.plotting._metrics import (
    funnel_bars,
    growth_accounting_bars,
    lifecycle_bars,
    ltv_curves,
    payback_curves,
    retention_curves,
    retention_heatmap,
    revenue_bars,
    state_areas,
)
from useropslib.plotting._paths import bar_chart, flow_diagram, step_heatmap
from useropslib.plotting._review import (
    counterfactual_panels,
    funnel_bottleneck,
    lift_intervals,
    pacing_against_target,
    quality_retention,
)
from useropslib.plotting._style import CJK_FONTS, axes_or_new, cjk_font, resolve_lang

__all__ = [
    "CJK_FONTS",
    "at_risk_counts",
    "axes_or_new",
    "bar_chart",
    "bars",
    "calibration_curve",
    "cjk_font",
    "cost_items",
    "counterfactual_panels",
    "experiment_bars",
    "experiment_curves",
    "experiment_forest",
    "flow_bars",
    "flow_diagram",
    "forest_plot",
    "frequency_recency_matrix",
    "funnel_bars",
    "funnel_bottleneck",
    "funnel_projection",
    "goal_attainment",
    "grouped_bars",
    "growth_accounting_bars",
    "lifecycle_bars",
    "lift_intervals",
    "lines",
    "ltv_curves",
    "okr_grades",
    "pacing_against_target",
    "pacing_curves",
    "payback_curves",
    "plot_counterfactual",
    "plot_event_study",
    "plot_synthetic_control",
    "purchases_calibration",
    "quality_retention",
    "resolve_lang",
    "retention_curves",
    "retention_heatmap",
    "return_curve",
    "revenue_bars",
    "rfm_grid",
    "state_areas",
    "step_heatmap",
    "survival_curves",
    "target_history",
]
